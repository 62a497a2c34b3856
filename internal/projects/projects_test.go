package projects

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

// standIn serves a SageMaker stand-in and returns it, its server and a client of it.
func standIn(t *testing.T) (*sagemakerfake.Server, *httptest.Server, *sagemaker.Client) {
	t.Helper()
	fake := sagemakerfake.New("us-east-1", "123456789012")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := sagemaker.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")},
		func(o *sagemaker.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return fake, srv, client
}

func TestTags(t *testing.T) {
	fake, srv, client := standIn(t)
	arn := fake.PutProject("Churn-Model", "p-1", map[string]string{"team": "data-science", "cost-center": "cc-42"})

	tags, gone, err := Tags(context.Background(), client, arn)
	if err != nil || gone {
		t.Fatalf("existing project: got gone=%v, %v", gone, err)
	}
	if diff := cmp.Diff(map[string]string{"team": "data-science", "cost-center": "cc-42"}, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}

	fake.DeleteProject("Churn-Model")
	if _, gone, err := Tags(context.Background(), client, arn); err != nil || !gone {
		t.Errorf("deleted project: got gone=%v, %v; want gone, no error", gone, err)
	}

	srv.Close() // SageMaker unreachable: an error, not "gone"
	if _, gone, err := Tags(context.Background(), client, arn); err == nil || gone {
		t.Errorf("unreachable: got gone=%v, %v; want an error", gone, err)
	}
}

// describeAnswer is a DescribeProject that always answers the same.
type describeAnswer struct {
	out *sagemaker.DescribeProjectOutput
	err error
}

func (d describeAnswer) DescribeProject(context.Context, *sagemaker.DescribeProjectInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeProjectOutput, error) {
	return d.out, d.err
}

func TestDeleted(t *testing.T) {
	recordAt := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	before, after := recordAt.Add(-time.Hour), recordAt.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		answer  describeAnswer
		deleted bool
		err     bool
	}{
		{"deleting", describeAnswer{out: &sagemaker.DescribeProjectOutput{ProjectStatus: smtypes.ProjectStatusDeleteInProgress, CreationTime: &after}}, true, false},
		{"deleted", describeAnswer{out: &sagemaker.DescribeProjectOutput{ProjectStatus: smtypes.ProjectStatusDeleteCompleted, CreationTime: &after}}, true, false},
		// A failed deletion leaves the project there: its repositories stay as they are.
		{"deletion failed", describeAnswer{out: &sagemaker.DescribeProjectOutput{ProjectStatus: smtypes.ProjectStatusDeleteFailed, CreationTime: &after}}, false, false},
		{"created before the record", describeAnswer{out: &sagemaker.DescribeProjectOutput{ProjectStatus: smtypes.ProjectStatusCreateCompleted, CreationTime: &before}}, true, false},
		{"re-created since", describeAnswer{out: &sagemaker.DescribeProjectOutput{ProjectStatus: smtypes.ProjectStatusCreateCompleted, CreationTime: &after}}, false, false},
		{"not found", describeAnswer{err: &smithy.GenericAPIError{Code: "ValidationException", Message: "Project churn-model does not exist"}}, true, false},
		{"resource not found", describeAnswer{err: &smithy.GenericAPIError{Code: "ResourceNotFound", Message: "nope"}}, true, false},
		// Any other validation error says nothing about the project: an error, not "gone".
		{"another validation error", describeAnswer{err: &smithy.GenericAPIError{Code: "ValidationException",
			Message: "1 validation error detected: Value 'x y' at 'projectName' failed to satisfy constraint"}}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deleted, err := Deleted(context.Background(), tc.answer, "churn-model", recordAt)
			if deleted != tc.deleted || (err != nil) != tc.err {
				t.Errorf("got %v, %v; want deleted %v, error %v", deleted, err, tc.deleted, tc.err)
			}
		})
	}
}

func TestLive(t *testing.T) {
	for s, live := range map[smtypes.ProjectStatus]bool{
		smtypes.ProjectStatusCreateCompleted: true, smtypes.ProjectStatusUpdateInProgress: true,
		smtypes.ProjectStatusUpdateFailed: true, smtypes.ProjectStatusDeleteFailed: true,
		smtypes.ProjectStatusPending: false, smtypes.ProjectStatusCreateFailed: false,
		smtypes.ProjectStatusDeleteInProgress: false, smtypes.ProjectStatusDeleteCompleted: false,
	} {
		if Live(s) != live {
			t.Errorf("Live(%s) = %v; want %v", s, !live, live)
		}
		if Going(s) && live {
			t.Errorf("%s is both live and going", s)
		}
	}
}

func TestTagsValidationErrorIsNotGone(t *testing.T) {
	_, _, client := standIn(t)
	// The stand-in, as SageMaker, rejects an ARN that does not match the API's pattern.
	if _, gone, err := Tags(context.Background(), client, "arn:aws:sagemaker:us-east-1:12345:project/x"); err == nil || gone {
		t.Errorf("a malformed ARN: got gone=%v, %v; want an error, not gone", gone, err)
	}
}

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

// TestGone is the one rule of "deleted", for a DeleteProject record and for the reconciler:
// SageMaker does not know the project, or says it is being deleted. A live project keeps its
// repositories whatever its status and creation time, and an answer that cannot tell is an
// error, never "gone".
func TestGone(t *testing.T) {
	recordAt := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) // when the DeleteProject record was made
	before, after := recordAt.Add(-time.Hour), recordAt.Add(time.Hour)
	project := func(s smtypes.ProjectStatus, created time.Time) describeAnswer {
		return describeAnswer{out: &sagemaker.DescribeProjectOutput{ProjectName: aws.String("churn-model"), ProjectStatus: s, CreationTime: &created}}
	}
	failure := func(code, msg string) describeAnswer {
		return describeAnswer{err: &smithy.GenericAPIError{Code: code, Message: msg}}
	}
	for _, tc := range []struct {
		name   string
		answer describeAnswer
		gone   bool
		err    bool
	}{
		{"deleting", project(smtypes.ProjectStatusDeleteInProgress, before), true, false},
		{"deleted", project(smtypes.ProjectStatusDeleteCompleted, before), true, false},
		// A failed deletion leaves the project there, however old it is: its repositories stay.
		{"deletion failed, created before the record", project(smtypes.ProjectStatusDeleteFailed, before), false, false},
		{"deletion failed, created after the record", project(smtypes.ProjectStatusDeleteFailed, after), false, false},
		{"live, created before the record", project(smtypes.ProjectStatusCreateCompleted, before), false, false},
		{"created again since", project(smtypes.ProjectStatusCreateCompleted, after), false, false},
		{"updating", project(smtypes.ProjectStatusUpdateInProgress, before), false, false},
		{"update failed", project(smtypes.ProjectStatusUpdateFailed, before), false, false},
		// What SageMaker answers for a project it does not know.
		{"does not exist", failure("ValidationException", "Project churn-model does not exist."), true, false},
		{"not found", failure("ValidationException", "Requested resource not found."), true, false},
		{"resource not found", failure("ResourceNotFound", "Resource being accessed is not found."), true, false},
		{"typed resource not found", describeAnswer{err: &smtypes.ResourceNotFound{Message: aws.String("not found")}}, true, false},
		// Answers that say nothing about the project: an error, not "gone".
		{"another validation error", failure("ValidationException",
			"1 validation error detected: Value 'x y' at 'projectName' failed to satisfy constraint: Member must satisfy regular expression pattern"), false, true},
		{"throttled", failure("ThrottlingException", "Rate exceeded"), false, true},
		{"access denied", failure("AccessDeniedException",
			"User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized to perform: sagemaker:DescribeProject"), false, true},
		{"internal failure", failure("InternalFailure", "An internal error occurred"), false, true},
		{"no answer", describeAnswer{err: context.DeadlineExceeded}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gone, err := Gone(context.Background(), tc.answer, "churn-model")
			if gone != tc.gone || (err != nil) != tc.err {
				t.Errorf("got gone %v, %v; want gone %v, error %v", gone, err, tc.gone, tc.err)
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

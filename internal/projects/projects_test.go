package projects

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

func TestTags(t *testing.T) {
	fake := sagemakerfake.New("us-east-1", "123456789012")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := sagemaker.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")},
		func(o *sagemaker.Options) { o.BaseEndpoint = aws.String(srv.URL) })
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

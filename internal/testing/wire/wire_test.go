package wire_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// answer answers every request with an empty JSON object.
type answer struct{}

func (answer) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

// Describe reads the images an ECR request names from the SDK's own request body.
func TestDescribeReadsImageIDs(t *testing.T) {
	rec := &wire.Recorder{Next: answer{}}
	client := ecr.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		HTTPClient: &http.Client{Transport: rec}, RetryMaxAttempts: 1,
	})
	ctx := context.Background()
	digest := "sha256:" + strings.Repeat("a", 64)
	if _, err := client.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("a/b"), ImageIds: []ecrtypes.ImageIdentifier{
		{ImageTag: aws.String("v1")}, {ImageDigest: aws.String(digest)}, {ImageDigest: aws.String(digest), ImageTag: aws.String("v2")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("a/b"), ImageManifest: aws.String(`{"imageTag":"not this"}`),
		ImageDigest: aws.String(digest), ImageTag: aws.String("v3")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
		t.Fatal(err)
	}
	got := rec.Requests()
	if len(got) != 3 {
		t.Fatalf("requests %v; want 3", got)
	}
	want := [][]wire.ImageID{
		{{Tag: "v1"}, {Digest: digest}, {Digest: digest, Tag: "v2"}},
		{{Digest: digest, Tag: "v3"}},
		nil,
	}
	for i, q := range got {
		if !slices.Equal(q.ImageIDs(), want[i]) {
			t.Errorf("%s: images %v; want %v", q.Operation, q.ImageIDs(), want[i])
		}
		if q.Operation != "DescribeRepositories" && q.Repository != "a/b" {
			t.Errorf("%s: repository %q; want a/b", q.Operation, q.Repository)
		}
	}
	if ids := (wire.Request{Images: "not json"}).ImageIDs(); !slices.Equal(ids, []wire.ImageID{{}}) {
		t.Errorf("unreadable images read as %v; want one id that names nothing", ids)
	}
}

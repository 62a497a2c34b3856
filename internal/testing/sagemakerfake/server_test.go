package sagemakerfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

const (
	region  = "us-east-1"
	account = "123456789012"
)

// start serves a new stand-in and returns it with a real SDK client for it.
func start(t testing.TB) (*sagemakerfake.Server, *sagemaker.Client, string) {
	t.Helper()
	fake := sagemakerfake.New(region, account)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return fake, newClient(ts.URL), ts.URL
}

func newClient(url string) *sagemaker.Client {
	return sagemaker.NewFromConfig(aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	})
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

func TestProtocolErrors(t *testing.T) {
	_, client, url := start(t)

	_, err := client.ListModels(context.Background(), &sagemaker.ListModelsInput{})
	if code := errorCode(err); code != "UnknownOperationException" {
		t.Errorf("ListModels error code: got %s; want UnknownOperationException", code)
	}

	tests := []struct {
		name, target, body string
		wantCode           string
	}{
		{"malformed body", "SageMaker.ListProjects", `{"MaxResults":`, "SerializationException"},
		{"wrong type", "SageMaker.ListTags", `{"ResourceArn":7}`, "SerializationException"},
		{"no target", "", `{}`, "UnknownOperationException"},
		{"other service", "AmazonSSM.GetParameter", `{}`, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", tt.target)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			defer resp.Body.Close()
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("decode error body: %v", err)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status: got %d; want 400", resp.StatusCode)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tt.wantCode {
				t.Errorf("X-Amzn-ErrorType: got %q; want %q", got, tt.wantCode)
			}
			if body.Type != tt.wantCode || body.Message == "" {
				t.Errorf("body: got __type %q message %q; want __type %q and a message", body.Type, body.Message, tt.wantCode)
			}
		})
	}
}

func TestCalls(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	arn := fake.PutProject("churn", "", nil)
	for range 3 {
		client.ListProjects(ctx, nil)
	}
	client.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	client.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn + "x")}) // failed calls count too
	client.DescribeProject(ctx, &sagemaker.DescribeProjectInput{ProjectName: aws.String("churn")})

	want := map[string]int{"ListProjects": 3, "ListTags": 2, "DescribeProject": 1}
	if got := fake.Calls(); !cmp.Equal(got, want) {
		t.Errorf("Calls: got %v; want %v", got, want)
	}
	fake.Calls()["ListTags"] = 99 // a copy: must not change the server's counts
	if got := fake.Calls()["ListTags"]; got != 2 {
		t.Errorf("Calls after writing to a returned map: got ListTags %d; want 2", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	fake, client, _ := start(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				arn := fake.PutProject(fmt.Sprintf("p%d-%d", i, j), "", map[string]string{"team": "t"})
				if _, err := client.ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)}); err != nil {
					t.Errorf("ListTags: %v", err)
				}
				if _, err := client.ListProjects(context.Background(), nil); err != nil {
					t.Errorf("ListProjects: %v", err)
				}
				_ = fake.Calls()
			}
		})
	}
	wg.Wait()
	if got := fake.Calls()["ListTags"]; got != 160 {
		t.Errorf("ListTags calls: got %d; want 160", got)
	}
}

// A test seeds projects in the stand-in and points a real SageMaker client at
// it; a product binary would get AWS_ENDPOINT_URL_SAGEMAKER instead.
func Example() {
	fake := sagemakerfake.New("us-east-1", "123456789012")
	ts := httptest.NewServer(fake)
	defer ts.Close()
	arn := fake.PutProject("Churn-Model", "p-abc123def456", map[string]string{"team": "data"})

	client := sagemaker.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	out, err := client.ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(arn)
	for _, tag := range out.Tags {
		fmt.Printf("%s=%s\n", *tag.Key, *tag.Value)
	}
	fmt.Println(fake.Calls())
	// Output:
	// arn:aws:sagemaker:us-east-1:123456789012:project/churn-model
	// team=data
	// map[ListTags:1]
}

func TestRefuse(t *testing.T) {
	fake, client, _ := start(t)
	fake.PutProject("churn", "p-1", map[string]string{"team": "risk"})
	fake.Refuse("ListProjects")
	_, err := client.ListProjects(context.Background(), &sagemaker.ListProjectsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("ListProjects refused: got %v; want AccessDeniedException", err)
	}
	if _, err := client.DescribeProject(context.Background(), &sagemaker.DescribeProjectInput{ProjectName: aws.String("churn")}); err != nil {
		t.Errorf("DescribeProject, not refused: %v", err)
	}
	fake.Allow("ListProjects")
	out, err := client.ListProjects(context.Background(), &sagemaker.ListProjectsInput{})
	if err != nil || len(out.ProjectSummaryList) != 1 {
		t.Errorf("ListProjects after Allow: %+v, %v; want the project", out, err)
	}
	fake.Refuse("ListProjects")
	fake.Reset()
	if _, err := client.ListProjects(context.Background(), &sagemaker.ListProjectsInput{}); err != nil {
		t.Errorf("ListProjects after Reset: %v", err)
	}
}

package sagemakerfake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

// clientAs is a client whose requests carry the access key id key.
func clientAs(url, key string) *sagemaker.Client {
	return sagemaker.NewFromConfig(aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(key, "secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	})
}

func TestInventoryAccountsKeptApart(t *testing.T) {
	const member = "210987654321"
	fake := sagemakerfake.New(region, account)
	fake.SetAccounts(func(key string) (string, error) {
		switch key {
		case "AKIDCENTRAL":
			return account, nil
		case "AKIDMEMBER":
			return member, nil
		}
		return "", fmt.Errorf("unknown key %s", key)
	})
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	central, memberClient := clientAs(ts.URL, "AKIDCENTRAL"), clientAs(ts.URL, "AKIDMEMBER")

	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "central-ep"})
	fake.PutModelPackage("central-group", sagemakerfake.ModelPackage{Approval: "Approved"})
	m := fake.Account(member)
	memberARN := m.PutEndpoint(sagemakerfake.Endpoint{Name: "member-ep", Variants: []sagemakerfake.Variant{{Name: "AllTraffic",
		Images: []sagemakerfake.DeployedImage{{ResolvedImage: registry + "/churn@" + digestA}}}}})
	m.PutTrainingJob(sagemakerfake.TrainingJob{Name: "member-job", Image: registry + "/train:v1"})
	m.PutImageVersion("member-image", sagemakerfake.ImageVersion{BaseImage: registry + "/studio:v1"})
	if want := "arn:aws:sagemaker:us-east-1:210987654321:endpoint/member-ep"; memberARN != want {
		t.Errorf("member endpoint ARN: got %s; want %s", memberARN, want)
	}

	ctx := context.Background()
	endpoints := func(c *sagemaker.Client) []string {
		out, err := c.ListEndpoints(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range out.Endpoints {
			names = append(names, aws.ToString(e.EndpointName)+" "+aws.ToString(e.EndpointArn))
		}
		return names
	}
	if diff := cmp.Diff([]string{"central-ep arn:aws:sagemaker:us-east-1:123456789012:endpoint/central-ep"}, endpoints(central)); diff != "" {
		t.Errorf("central endpoints (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"member-ep " + memberARN}, endpoints(memberClient)); diff != "" {
		t.Errorf("member endpoints (-want +got):\n%s", diff)
	}
	if _, err := central.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("member-ep")}); err == nil {
		t.Errorf("central DescribeEndpoint of the member's endpoint: got no error")
	}
	if out, err := memberClient.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("member-ep")}); err != nil ||
		aws.ToString(out.ProductionVariants[0].DeployedImages[0].ResolvedImage) != registry+"/churn@"+digestA {
		t.Errorf("member DescribeEndpoint: got %+v, %v", out, err)
	}
	if out, err := memberClient.ListModelPackageGroups(ctx, nil); err != nil || len(out.ModelPackageGroupSummaryList) != 0 {
		t.Errorf("member model package groups: got %+v, %v; want none", out, err)
	}
	if out, err := central.ListTrainingJobs(ctx, nil); err != nil || len(out.TrainingJobSummaries) != 0 {
		t.Errorf("central training jobs: got %+v, %v; want none", out, err)
	}
	if out, err := memberClient.ListImages(ctx, nil); err != nil || len(out.Images) != 1 {
		t.Errorf("member images: got %+v, %v; want one", out, err)
	}
	if got := m.Calls(); got["ListEndpoints"] != 1 || got["DescribeEndpoint"] != 1 || got["ListImages"] != 1 {
		t.Errorf("member Calls: got %v", got)
	}
	if got := fake.Calls(); got["ListEndpoints"] != 1 || got["DescribeEndpoint"] != 1 || got["ListTrainingJobs"] != 1 {
		t.Errorf("central Calls: got %v", got)
	}

	fake.Reset()
	if got := endpoints(central); len(got) != 0 {
		t.Errorf("central endpoints after Reset: got %v", got)
	}
	if got := endpoints(memberClient); len(got) != 0 {
		t.Errorf("member endpoints after Reset: got %v", got)
	}
}

func TestInventoryRefuse(t *testing.T) {
	fake, client, _ := start(t)
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep"})
	fake.Refuse("DescribeEndpoint")
	_, err := client.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("ep")})
	wantAPIError(t, err, "AccessDeniedException", "sagemaker:DescribeEndpoint")
	if _, err := client.ListEndpoints(context.Background(), nil); err != nil {
		t.Errorf("ListEndpoints, not refused: %v", err)
	}
}

// The error bodies are SageMaker's: status 400, the code in X-Amzn-ErrorType and __type.
func TestInventoryErrorWire(t *testing.T) {
	_, _, url := start(t)
	tests := []struct{ target, body, code string }{
		{"SageMaker.DescribeImageVersion", `{"ImageName":"nope"}`, "ResourceNotFound"},
		{"SageMaker.DescribeEndpoint", `{"EndpointName":"nope"}`, "ValidationException"},
		{"SageMaker.DescribeEndpoint", `{}`, "ValidationException"},
		{"SageMaker.ListImageVersions", `{}`, "ValidationException"},
		{"SageMaker.ListModelPackages", `{"MaxResults":"ten"}`, "SerializationException"},
	}
	for _, tt := range tests {
		t.Run(tt.target+tt.body, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", tt.target)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != tt.code || body.Type != tt.code || body.Message == "" {
				t.Errorf("got %d %q %+v; want 400 %s with a message", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, tt.code)
			}
		})
	}
}

func TestInventoryConcurrentUse(t *testing.T) {
	fake, client, _ := start(t)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			for j := range 10 {
				name := fmt.Sprintf("ep-%d-%d", i, j)
				fake.PutEndpoint(sagemakerfake.Endpoint{Name: name})
				fake.PutModelPackage(fmt.Sprintf("group-%d", i), sagemakerfake.ModelPackage{Approval: "Approved"})
				fake.PutImageVersion("shared", sagemakerfake.ImageVersion{})
				if _, err := client.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)}); err != nil {
					t.Errorf("DescribeEndpoint: %v", err)
				}
				if _, err := client.ListModelPackages(context.Background(), &sagemaker.ListModelPackagesInput{ModelPackageType: "Both"}); err != nil {
					t.Errorf("ListModelPackages: %v", err)
				}
				if j == 5 {
					fake.DeleteEndpoint(name)
				}
			}
		})
	}
	wg.Wait()
	out, err := client.ListImageVersions(context.Background(), &sagemaker.ListImageVersionsInput{ImageName: aws.String("shared"), MaxResults: aws.Int32(100)})
	if err != nil || len(out.ImageVersions) != 60 {
		t.Errorf("image versions put concurrently: got %+v, %v; want 60", out, err)
	}
	if got := fake.Calls()["DescribeEndpoint"]; got != 60 {
		t.Errorf("DescribeEndpoint calls: got %d; want 60", got)
	}
}

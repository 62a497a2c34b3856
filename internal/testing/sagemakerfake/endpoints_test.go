package sagemakerfake_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

const (
	registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	digestA  = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB  = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// pager is what the SDK's paginators have in common.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*sagemaker.Options)) (O, error)
}

// allPages reads every page of p.
func allPages[O any](t *testing.T, p pager[O]) []O {
	t.Helper()
	var pages []O
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", len(pages)+1, err)
		}
		pages = append(pages, out)
	}
	return pages
}

// wantAPIError checks that err is the API error code whose message contains message.
func wantAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v; want a %s API error", err, code)
	}
	if apiErr.ErrorCode() != code || !strings.Contains(apiErr.ErrorMessage(), message) {
		t.Errorf("got %s %q; want %s containing %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, message)
	}
}

func TestListEndpointsPagesAndFilters(t *testing.T) {
	fake, client, _ := start(t)
	for i := range 23 {
		status := "InService"
		if i%5 == 0 {
			status = "Updating"
		}
		fake.PutEndpoint(sagemakerfake.Endpoint{Name: fmt.Sprintf("ep-%02d", (i*7)%23), Status: status})
	}
	var names []string
	var sizes []int
	pages := allPages[*sagemaker.ListEndpointsOutput](t,
		sagemaker.NewListEndpointsPaginator(client, &sagemaker.ListEndpointsInput{MaxResults: aws.Int32(10)}))
	for _, out := range pages {
		sizes = append(sizes, len(out.Endpoints))
		for _, e := range out.Endpoints {
			names = append(names, aws.ToString(e.EndpointName))
			name := aws.ToString(e.EndpointName)
			if want := "arn:aws:sagemaker:us-east-1:123456789012:endpoint/" + name; aws.ToString(e.EndpointArn) != want {
				t.Errorf("EndpointArn of %s: got %s; want %s", name, aws.ToString(e.EndpointArn), want)
			}
			if e.CreationTime == nil || e.LastModifiedTime == nil || e.EndpointStatus == "" {
				t.Errorf("summary of %s lacks a required member: %+v", name, e)
			}
		}
	}
	var want []string
	for i := range 23 {
		want = append(want, fmt.Sprintf("ep-%02d", i))
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names over all pages (-want +got):\n%s", diff)
	}
	if !cmp.Equal(sizes, []int{10, 10, 3}) {
		t.Errorf("page sizes: got %v; want [10 10 3]", sizes)
	}

	tests := []struct {
		name string
		in   sagemaker.ListEndpointsInput
		want int
	}{
		{"status", sagemaker.ListEndpointsInput{StatusEquals: types.EndpointStatusUpdating, MaxResults: aws.Int32(100)}, 5},
		{"name contains", sagemaker.ListEndpointsInput{NameContains: aws.String("EP-1")}, 10},
		{"created after now", sagemaker.ListEndpointsInput{CreationTimeAfter: aws.Time(time.Now().Add(time.Minute))}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.ListEndpoints(context.Background(), &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Endpoints) != tt.want {
				t.Errorf("got %d endpoints; want %d", len(out.Endpoints), tt.want)
			}
		})
	}
	out, err := client.ListEndpoints(context.Background(), &sagemaker.ListEndpointsInput{SortBy: types.EndpointSortKeyStatus, SortOrder: types.OrderKeyDescending})
	if err != nil || len(out.Endpoints) == 0 || out.Endpoints[0].EndpointStatus != types.EndpointStatusUpdating {
		t.Errorf("sort by status descending: got %+v, %v; want Updating first", out, err)
	}
}

func TestListEndpointsErrors(t *testing.T) {
	_, client, _ := start(t)
	tests := []struct {
		name, message string
		in            sagemaker.ListEndpointsInput
	}{
		{"status", "statusEquals", sagemaker.ListEndpointsInput{StatusEquals: "Sleeping"}},
		{"sort by", "sortBy", sagemaker.ListEndpointsInput{SortBy: "Size"}},
		{"sort order", "sortOrder", sagemaker.ListEndpointsInput{SortOrder: "ASCENDING"}},
		{"max results", "less than or equal to 100", sagemaker.ListEndpointsInput{MaxResults: aws.Int32(101)}},
		{"token", "pagination token", sagemaker.ListEndpointsInput{NextToken: aws.String("!!")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.ListEndpoints(context.Background(), &tt.in)
			wantAPIError(t, err, "ValidationException", tt.message)
		})
	}
}

func TestDescribeEndpoint(t *testing.T) {
	fake, client, _ := start(t)
	resolved := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	arn := fake.PutEndpoint(sagemakerfake.Endpoint{
		Name:       "Churn-Live",
		Status:     "Updating",
		ConfigName: "churn-config-1",
		Variants: []sagemakerfake.Variant{{Name: "AllTraffic", Images: []sagemakerfake.DeployedImage{
			{SpecifiedImage: registry + "/churn:v1", ResolvedImage: registry + "/churn@" + digestA, ResolutionTime: resolved},
		}}},
		Shadow: []sagemakerfake.Variant{{Name: "shadow", Images: []sagemakerfake.DeployedImage{
			{SpecifiedImage: registry + "/churn@" + digestB, ResolvedImage: registry + "/churn@" + digestB},
		}}},
		Pending: &sagemakerfake.Pending{ConfigName: "churn-config-2", Variants: []sagemakerfake.Variant{{Name: "AllTraffic",
			Images: []sagemakerfake.DeployedImage{{SpecifiedImage: registry + "/churn:v2", ResolvedImage: registry + "/churn@" + digestB}}}}},
	})
	if want := "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-live"; arn != want {
		t.Errorf("PutEndpoint ARN: got %s; want %s", arn, want)
	}
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "bare"})

	out, err := client.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("churn-live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.EndpointName) != "Churn-Live" || aws.ToString(out.EndpointArn) != arn || out.EndpointStatus != types.EndpointStatusUpdating ||
		aws.ToString(out.EndpointConfigName) != "churn-config-1" || out.CreationTime == nil || out.LastModifiedTime == nil {
		t.Errorf("endpoint: got %+v", out)
	}
	if len(out.ProductionVariants) != 1 || len(out.ProductionVariants[0].DeployedImages) != 1 {
		t.Fatalf("ProductionVariants: got %+v; want one variant with one image", out.ProductionVariants)
	}
	img := out.ProductionVariants[0].DeployedImages[0]
	if aws.ToString(out.ProductionVariants[0].VariantName) != "AllTraffic" || aws.ToString(img.SpecifiedImage) != registry+"/churn:v1" ||
		aws.ToString(img.ResolvedImage) != registry+"/churn@"+digestA || img.ResolutionTime == nil || !img.ResolutionTime.Equal(resolved) {
		t.Errorf("production image: got %+v at %v", img, img.ResolutionTime)
	}
	if len(out.ShadowProductionVariants) != 1 || aws.ToString(out.ShadowProductionVariants[0].DeployedImages[0].ResolvedImage) != registry+"/churn@"+digestB ||
		out.ShadowProductionVariants[0].DeployedImages[0].ResolutionTime == nil {
		t.Errorf("shadow variants: got %+v", out.ShadowProductionVariants)
	}
	p := out.PendingDeploymentSummary
	if p == nil || aws.ToString(p.EndpointConfigName) != "churn-config-2" || p.StartTime == nil || len(p.ProductionVariants) != 1 ||
		aws.ToString(p.ProductionVariants[0].DeployedImages[0].SpecifiedImage) != registry+"/churn:v2" || len(p.ShadowProductionVariants) != 0 {
		t.Errorf("pending deployment: got %+v", p)
	}

	bare, err := client.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("bare")})
	if err != nil {
		t.Fatal(err)
	}
	if bare.EndpointStatus != types.EndpointStatusInService || bare.PendingDeploymentSummary != nil || bare.ProductionVariants != nil || bare.EndpointConfigName != nil {
		t.Errorf("bare endpoint: got %+v; want InService and nothing else", bare)
	}

	fake.DeleteEndpoint("CHURN-live")
	_, err = client.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("Churn-Live")})
	wantAPIError(t, err, "ValidationException", `Could not find endpoint "`+arn+`".`)
	var notFound *types.ResourceNotFound
	if errors.As(err, &notFound) {
		t.Errorf("DescribeEndpoint of a deleted endpoint: got ResourceNotFound; SageMaker answers ValidationException")
	}
}

func TestDescribeEndpointConfigAndModel(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	arn := fake.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "Churn-Config",
		Variants: []sagemakerfake.ConfigVariant{{Name: "AllTraffic", ModelName: "churn-model"}, {ModelName: "churn-model-b"}},
		Shadow:   []sagemakerfake.ConfigVariant{{Name: "shadow", ModelName: "churn-model-c"}}})
	cfg, err := client.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("churn-config")})
	if err != nil {
		t.Fatal(err)
	}
	var models []string
	for _, v := range append(cfg.ProductionVariants, cfg.ShadowProductionVariants...) {
		models = append(models, aws.ToString(v.VariantName)+"="+aws.ToString(v.ModelName))
	}
	if diff := cmp.Diff([]string{"AllTraffic=churn-model", "variant-2=churn-model-b", "shadow=churn-model-c"}, models); diff != "" ||
		aws.ToString(cfg.EndpointConfigArn) != arn || aws.ToString(cfg.EndpointConfigName) != "Churn-Config" || cfg.CreationTime == nil {
		t.Errorf("endpoint config %+v (-want +got variants):\n%s", cfg, diff)
	}

	fake.PutModel(sagemakerfake.Model{Name: "single", Image: registry + "/churn:v1"})
	fake.PutModel(sagemakerfake.Model{Name: "pipeline", Containers: []string{registry + "/prep:v1", registry + "/churn@" + digestA}})
	single, err := client.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("single")})
	if err != nil {
		t.Fatal(err)
	}
	if single.PrimaryContainer == nil || aws.ToString(single.PrimaryContainer.Image) != registry+"/churn:v1" || single.Containers != nil ||
		aws.ToString(single.ModelArn) != "arn:aws:sagemaker:us-east-1:123456789012:model/single" || single.CreationTime == nil {
		t.Errorf("single-container model: got %+v", single)
	}
	pipeline, err := client.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("PIPELINE")})
	if err != nil {
		t.Fatal(err)
	}
	if pipeline.PrimaryContainer != nil || len(pipeline.Containers) != 2 || aws.ToString(pipeline.Containers[1].Image) != registry+"/churn@"+digestA {
		t.Errorf("pipeline model: got %+v", pipeline)
	}

	_, err = client.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("Nope")})
	wantAPIError(t, err, "ValidationException", `Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/nope".`)
	_, err = client.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("nope")})
	wantAPIError(t, err, "ValidationException", `Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nope".`)
}

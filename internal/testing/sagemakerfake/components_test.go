package sagemakerfake_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

func TestListInferenceComponents(t *testing.T) {
	fake, client, _ := start(t)
	for i := range 14 {
		endpoint := "shared-ep"
		if i%2 == 1 {
			endpoint = "other-ep"
		}
		fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: fmt.Sprintf("ic-%02d", i), EndpointName: endpoint})
	}
	tests := []struct {
		name      string
		in        sagemaker.ListInferenceComponentsInput
		wantNames []string
		wantPages int
	}{
		{"all", sagemaker.ListInferenceComponentsInput{MaxResults: aws.Int32(5)},
			[]string{"ic-00", "ic-01", "ic-02", "ic-03", "ic-04", "ic-05", "ic-06", "ic-07", "ic-08", "ic-09", "ic-10", "ic-11", "ic-12", "ic-13"}, 3},
		{"endpoint", sagemaker.ListInferenceComponentsInput{MaxResults: aws.Int32(3), EndpointNameEquals: aws.String("Shared-EP")},
			[]string{"ic-00", "ic-02", "ic-04", "ic-06", "ic-08", "ic-10", "ic-12"}, 3},
		{"unknown endpoint", sagemaker.ListInferenceComponentsInput{EndpointNameEquals: aws.String("none")}, nil, 1},
		{"descending", sagemaker.ListInferenceComponentsInput{EndpointNameEquals: aws.String("other-ep"), SortOrder: types.OrderKeyDescending},
			[]string{"ic-13", "ic-11", "ic-09", "ic-07", "ic-05", "ic-03", "ic-01"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := allPages[*sagemaker.ListInferenceComponentsOutput](t, sagemaker.NewListInferenceComponentsPaginator(client, &tt.in))
			var names []string
			for _, out := range pages {
				for _, c := range out.InferenceComponents {
					names = append(names, aws.ToString(c.InferenceComponentName))
					if c.EndpointArn == nil || c.InferenceComponentArn == nil || aws.ToString(c.VariantName) != "AllTraffic" ||
						c.InferenceComponentStatus != types.InferenceComponentStatusInService || c.CreationTime == nil || c.LastModifiedTime == nil {
						t.Errorf("summary: got %+v", c)
					}
				}
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if len(pages) != tt.wantPages {
				t.Errorf("pages: got %d; want %d", len(pages), tt.wantPages)
			}
		})
	}
	_, err := client.ListInferenceComponents(context.Background(), &sagemaker.ListInferenceComponentsInput{StatusEquals: "Sleeping"})
	wantAPIError(t, err, "ValidationException", "statusEquals")
}

func TestDescribeInferenceComponent(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	arn := fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "LLM-Adapter", EndpointName: "Shared-EP",
		VariantName: "blue", Status: "Updating", ModelName: "llm-model",
		Container: &sagemakerfake.DeployedImage{SpecifiedImage: registry + "/llm:v3", ResolvedImage: registry + "/llm@" + digestA}})
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "by-model", EndpointName: "shared-ep", ModelName: "m"})

	out, err := client.DescribeInferenceComponent(ctx, &sagemaker.DescribeInferenceComponentInput{InferenceComponentName: aws.String("llm-adapter")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.InferenceComponentName) != "LLM-Adapter" || aws.ToString(out.InferenceComponentArn) != arn ||
		arn != "arn:aws:sagemaker:us-east-1:123456789012:inference-component/llm-adapter" ||
		aws.ToString(out.EndpointName) != "Shared-EP" || aws.ToString(out.EndpointArn) != "arn:aws:sagemaker:us-east-1:123456789012:endpoint/shared-ep" ||
		aws.ToString(out.VariantName) != "blue" || out.InferenceComponentStatus != types.InferenceComponentStatusUpdating ||
		out.CreationTime == nil || out.LastModifiedTime == nil {
		t.Errorf("component: got %+v", out)
	}
	spec := out.Specification
	if spec == nil || aws.ToString(spec.ModelName) != "llm-model" || spec.Container == nil || spec.Container.DeployedImage == nil {
		t.Fatalf("specification: got %+v; want the model and the container", spec)
	}
	d := spec.Container.DeployedImage
	if aws.ToString(d.SpecifiedImage) != registry+"/llm:v3" || aws.ToString(d.ResolvedImage) != registry+"/llm@"+digestA ||
		d.ResolutionTime == nil || time.Since(*d.ResolutionTime) > time.Minute {
		t.Errorf("deployed image: got %+v", d)
	}

	byModel, err := client.DescribeInferenceComponent(ctx, &sagemaker.DescribeInferenceComponentInput{InferenceComponentName: aws.String("by-model")})
	if err != nil {
		t.Fatal(err)
	}
	if byModel.Specification == nil || aws.ToString(byModel.Specification.ModelName) != "m" || byModel.Specification.Container != nil {
		t.Errorf("component of a model: got %+v; want a specification with the model and no container", byModel.Specification)
	}

	fake.DeleteInferenceComponent("LLM-ADAPTER")
	_, err = client.DescribeInferenceComponent(ctx, &sagemaker.DescribeInferenceComponentInput{InferenceComponentName: aws.String("llm-adapter")})
	wantAPIError(t, err, "ValidationException", `Could not find inference component "`+arn+`".`)
}

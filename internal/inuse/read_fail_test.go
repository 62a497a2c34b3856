package inuse_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

// vanishing lists, besides what the stand-in holds, one resource of each kind that is gone
// by the time it is described: the stand-in answers its describe (or its versions' listing)
// with the error SageMaker sends for a resource that does not exist.
type vanishing struct {
	*sagemaker.Client
}

func (c vanishing) ListEndpoints(ctx context.Context, in *sagemaker.ListEndpointsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListEndpointsOutput, error) {
	out, err := c.Client.ListEndpoints(ctx, in, opts...)
	if err == nil {
		out.Endpoints = append(out.Endpoints, types.EndpointSummary{EndpointName: aws.String("ep-gone"), EndpointStatus: types.EndpointStatusInService})
	}
	return out, err
}

func (c vanishing) ListInferenceComponents(ctx context.Context, in *sagemaker.ListInferenceComponentsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListInferenceComponentsOutput, error) {
	out, err := c.Client.ListInferenceComponents(ctx, in, opts...)
	if err == nil {
		out.InferenceComponents = append(out.InferenceComponents, types.InferenceComponentSummary{
			InferenceComponentName: aws.String("ic-gone"), InferenceComponentStatus: types.InferenceComponentStatusInService})
	}
	return out, err
}

func (c vanishing) ListModelPackageGroups(ctx context.Context, in *sagemaker.ListModelPackageGroupsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListModelPackageGroupsOutput, error) {
	out, err := c.Client.ListModelPackageGroups(ctx, in, opts...)
	if err == nil {
		out.ModelPackageGroupSummaryList = append(out.ModelPackageGroupSummaryList, types.ModelPackageGroupSummary{
			ModelPackageGroupName: aws.String("group-gone")})
	}
	return out, err
}

// ListModelPackages answers for the group that is gone as SageMaker answers a describe of
// one (the stand-in lists nothing for it).
func (c vanishing) ListModelPackages(ctx context.Context, in *sagemaker.ListModelPackagesInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListModelPackagesOutput, error) {
	if aws.ToString(in.ModelPackageGroupName) == "group-gone" {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "Model Package Group group-gone does not exist."}
	}
	out, err := c.Client.ListModelPackages(ctx, in, opts...)
	if err == nil {
		arn := "arn:aws:sagemaker:us-east-1:123456789012:model-package/" + aws.ToString(in.ModelPackageGroupName) + "/99"
		out.ModelPackageSummaryList = append(out.ModelPackageSummaryList, types.ModelPackageSummary{
			ModelPackageArn: aws.String(arn), ModelApprovalStatus: types.ModelApprovalStatusApproved})
	}
	return out, err
}

func (c vanishing) ListTrainingJobs(ctx context.Context, in *sagemaker.ListTrainingJobsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTrainingJobsOutput, error) {
	out, err := c.Client.ListTrainingJobs(ctx, in, opts...)
	if err == nil {
		out.TrainingJobSummaries = append(out.TrainingJobSummaries, types.TrainingJobSummary{
			TrainingJobName: aws.String("train-gone"), TrainingJobStatus: types.TrainingJobStatusInProgress})
	}
	return out, err
}

func (c vanishing) ListProcessingJobs(ctx context.Context, in *sagemaker.ListProcessingJobsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListProcessingJobsOutput, error) {
	out, err := c.Client.ListProcessingJobs(ctx, in, opts...)
	if err == nil {
		out.ProcessingJobSummaries = append(out.ProcessingJobSummaries, types.ProcessingJobSummary{
			ProcessingJobName: aws.String("proc-gone"), ProcessingJobStatus: types.ProcessingJobStatusInProgress})
	}
	return out, err
}

func (c vanishing) ListImages(ctx context.Context, in *sagemaker.ListImagesInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListImagesOutput, error) {
	out, err := c.Client.ListImages(ctx, in, opts...)
	if err == nil {
		out.Images = append(out.Images, types.Image{ImageName: aws.String("image-gone")})
	}
	return out, err
}

func (c vanishing) ListImageVersions(ctx context.Context, in *sagemaker.ListImageVersionsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListImageVersionsOutput, error) {
	out, err := c.Client.ListImageVersions(ctx, in, opts...)
	if err == nil {
		out.ImageVersions = append(out.ImageVersions, types.ImageVersion{Version: aws.Int32(99), ImageVersionStatus: types.ImageVersionStatusCreated})
	}
	return out, err
}

func TestReadSkipsWhatIsGone(t *testing.T) {
	fake, client, c := standIn(t)
	want := seed(fake)
	// Configurations and models that are gone too.
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep-no-config", Status: "Creating", ConfigName: "cfg-gone"})
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep-no-model", Status: "Creating", ConfigName: "cfg-no-model"})
	fake.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "cfg-no-model", Variants: []sagemakerfake.ConfigVariant{{ModelName: "m-gone"}}})
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "ic-no-model", ModelName: "m-gone"})

	got, err := inuse.Read(context.Background(), vanishing{client}, "")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	// Each resource that was gone was asked about, and answered not found.
	calls := c.get()
	for op, want := range map[string]int{"DescribeEndpoint": 8 + 3, "DescribeInferenceComponent": 4 + 2,
		"DescribeModelPackage": 3 + 3, "DescribeTrainingJob": 1 + 1, "DescribeProcessingJob": 1 + 1,
		"ListImageVersions": 2 + 1, "DescribeImageVersion": 2 + 2, "DescribeModel": 7 + 2} {
		if calls[op] != want {
			t.Errorf("%s calls: got %d; want %d", op, calls[op], want)
		}
	}
}

func TestReadFailsOnARefusedCall(t *testing.T) {
	ops := []string{"ListEndpoints", "DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel",
		"ListInferenceComponents", "DescribeInferenceComponent", "ListModelPackageGroups",
		"ListModelPackages", "DescribeModelPackage", "ListTrainingJobs", "DescribeTrainingJob",
		"ListProcessingJobs", "DescribeProcessingJob", "ListImages", "ListImageVersions", "DescribeImageVersion"}
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			fake, client, c := standIn(t)
			seed(fake)
			fake.Refuse(op)
			got, err := inuse.Read(context.Background(), client, "210987654321")
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" || got != nil {
				t.Fatalf("got %d references, %v; want none and the AccessDeniedException", len(got), err)
			}
			if !strings.Contains(err.Error(), "account 210987654321") {
				t.Errorf("error does not name the account: %v", err)
			}
			if c.get()[op] == 0 {
				t.Errorf("%s was not called", op)
			}
		})
	}
}

// failing answers DescribeTrainingJob with err.
type failing struct {
	*sagemaker.Client
	err error
}

func (c failing) DescribeTrainingJob(context.Context, *sagemaker.DescribeTrainingJobInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeTrainingJobOutput, error) {
	return nil, c.err
}

// Only "not found" is skipped: any other answer, a ValidationException about the request
// included, fails the read.
func TestReadFailsOnOtherErrors(t *testing.T) {
	for _, e := range []error{
		&smithy.GenericAPIError{Code: "ValidationException", Message: "1 validation error detected: Value 'x y' at 'trainingJobName' failed to satisfy constraint"},
		&smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"},
		&smithy.GenericAPIError{Code: "InternalFailure", Message: "We encountered an internal error."},
		fmt.Errorf("dial tcp: connection refused"),
	} {
		fake, client, _ := standIn(t)
		seed(fake)
		got, err := inuse.Read(context.Background(), failing{client, e}, "")
		if !errors.Is(err, e) || got != nil {
			t.Errorf("DescribeTrainingJob answering %v: got %d references, %v", e, len(got), err)
		}
	}
}

func TestReadCanceled(t *testing.T) {
	fake, client, _ := standIn(t)
	seed(fake)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := inuse.Read(ctx, client, "")
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Errorf("Read with a canceled context: got %d references, %v", len(got), err)
	}
}

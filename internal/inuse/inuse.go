// Package inuse finds the container images SageMaker uses: Read lists what one account's
// SageMaker names (live endpoints and the models they are being deployed with, inference
// components, approved model packages, in-progress training and processing jobs, and
// SageMaker image versions), Parse reads an Amazon ECR image URI, and Collect keeps what names
// the managed repositories of one registry. All of it only reads; protecting what it finds is
// the caller's business.
package inuse

import (
	"cmp"
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// SageMaker is the part of the SageMaker API that Read calls, with the SDK's own signatures:
// *sagemaker.Client satisfies it. Every call only reads.
type SageMaker interface {
	ListEndpoints(ctx context.Context, params *sagemaker.ListEndpointsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListEndpointsOutput, error)
	DescribeEndpoint(ctx context.Context, params *sagemaker.DescribeEndpointInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointOutput, error)
	DescribeEndpointConfig(ctx context.Context, params *sagemaker.DescribeEndpointConfigInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointConfigOutput, error)
	DescribeModel(ctx context.Context, params *sagemaker.DescribeModelInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeModelOutput, error)
	ListInferenceComponents(ctx context.Context, params *sagemaker.ListInferenceComponentsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListInferenceComponentsOutput, error)
	DescribeInferenceComponent(ctx context.Context, params *sagemaker.DescribeInferenceComponentInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeInferenceComponentOutput, error)
	ListModelPackageGroups(ctx context.Context, params *sagemaker.ListModelPackageGroupsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListModelPackageGroupsOutput, error)
	ListModelPackages(ctx context.Context, params *sagemaker.ListModelPackagesInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListModelPackagesOutput, error)
	DescribeModelPackage(ctx context.Context, params *sagemaker.DescribeModelPackageInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageOutput, error)
	ListTrainingJobs(ctx context.Context, params *sagemaker.ListTrainingJobsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListTrainingJobsOutput, error)
	DescribeTrainingJob(ctx context.Context, params *sagemaker.DescribeTrainingJobInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeTrainingJobOutput, error)
	ListProcessingJobs(ctx context.Context, params *sagemaker.ListProcessingJobsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListProcessingJobsOutput, error)
	DescribeProcessingJob(ctx context.Context, params *sagemaker.DescribeProcessingJobInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeProcessingJobOutput, error)
	ListImages(ctx context.Context, params *sagemaker.ListImagesInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListImagesOutput, error)
	ListImageVersions(ctx context.Context, params *sagemaker.ListImageVersionsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListImageVersionsOutput, error)
	DescribeImageVersion(ctx context.Context, params *sagemaker.DescribeImageVersionInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeImageVersionOutput, error)
}

var _ SageMaker = (*sagemaker.Client)(nil)

// The kinds of Use.
const (
	// KindEndpoint is a live endpoint: an image it runs, or one of a model of the endpoint
	// configuration it is being created or updated with.
	KindEndpoint = "endpoint"
	// KindInferenceComponent is an inference component that is not failed or being deleted.
	KindInferenceComponent = "inference-component"
	// KindModelPackage is an approved model package version (a rollback target).
	KindModelPackage = "model-package"
	// KindTrainingJob is an in-progress training job (a managed spot job pulls again after an
	// interruption).
	KindTrainingJob = "training-job"
	// KindProcessingJob is an in-progress processing job.
	KindProcessingJob = "processing-job"
	// KindImageVersion is a created version of a SageMaker (Studio custom) image.
	KindImageVersion = "image-version"
)

// Use is a SageMaker resource that names an image.
type Use struct {
	// Kind is one of the Kind constants.
	Kind string
	// Name is the resource's name: the endpoint's, inference component's, or job's name, the
	// model package version's ARN, or "<image name>/<version>" for an image version.
	Name string
	// Account is the account the resource is in; empty for this account.
	Account string
}

// Compare orders uses by account, kind and name.
func (u Use) Compare(v Use) int {
	return cmp.Or(cmp.Compare(u.Account, v.Account), cmp.Compare(u.Kind, v.Kind), cmp.Compare(u.Name, v.Name))
}

// Reference is an image as a SageMaker resource names it.
type Reference struct {
	// Image is the image URI as SageMaker reports it: any registry, any form (see Parse).
	Image string
	// Use is the resource that names it.
	Use Use
}

// Compare orders references by use, then image.
func (r Reference) Compare(s Reference) int {
	return cmp.Or(r.Use.Compare(s.Use), cmp.Compare(r.Image, s.Image))
}

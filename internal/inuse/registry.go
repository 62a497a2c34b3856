package inuse

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// modelPackages reads the approved versions of every model package group.
func (r *reader) modelPackages() error {
	p := sagemaker.NewListModelPackageGroupsPaginator(r.api, &sagemaker.ListModelPackageGroupsInput{MaxResults: aws.Int32(pageSize)})
	return pages(r.ctx, "list model package groups", p, func(out *sagemaker.ListModelPackageGroupsOutput) error {
		for _, g := range out.ModelPackageGroupSummaryList {
			group := aws.ToString(g.ModelPackageGroupName)
			r.group(KindModelPackage, group, func(ctx context.Context) (map[string]func(context.Context) error, error) {
				return r.approvedPackages(ctx, group)
			})
		}
		return nil
	})
}

// approvedPackages lists the approved versions of the model package group, by version number,
// when the read comes to the group; a group that is gone has none.
func (r *reader) approvedPackages(ctx context.Context, group string) (map[string]func(context.Context) error, error) {
	p := sagemaker.NewListModelPackagesPaginator(r.api, &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(group),
		ModelApprovalStatus:   types.ModelApprovalStatusApproved,
		MaxResults:            aws.Int32(pageSize),
	})
	versions := map[string]func(context.Context) error{}
	err := pages(ctx, "list model packages of group "+group, p, func(out *sagemaker.ListModelPackagesOutput) error {
		for _, m := range out.ModelPackageSummaryList {
			arn := aws.ToString(m.ModelPackageArn)
			n := arn[strings.LastIndex(arn, "/")+1:]
			if m.ModelPackageVersion != nil {
				n = strconv.Itoa(int(*m.ModelPackageVersion))
			}
			versions[n] = func(ctx context.Context) error { return r.modelPackage(ctx, arn) }
		}
		return nil
	})
	if gone(err) {
		return nil, nil
	}
	return versions, err
}

// modelPackage reads the images of the model package version arn, if it is still approved.
func (r *reader) modelPackage(ctx context.Context, arn string) error {
	out, err := r.api.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
	if gone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe model package %s: %w", arn, err)
	}
	if out.ModelApprovalStatus != types.ModelApprovalStatusApproved || out.InferenceSpecification == nil {
		return nil
	}
	use := r.use(KindModelPackage, arn)
	for _, c := range out.InferenceSpecification.Containers {
		r.add(ctx, use, aws.ToString(c.Image))
	}
	return nil
}

func (r *reader) trainingJobs() error {
	p := sagemaker.NewListTrainingJobsPaginator(r.api, &sagemaker.ListTrainingJobsInput{
		StatusEquals: types.TrainingJobStatusInProgress, MaxResults: aws.Int32(pageSize)})
	return pages(r.ctx, "list training jobs", p, func(out *sagemaker.ListTrainingJobsOutput) error {
		for _, j := range out.TrainingJobSummaries {
			name := aws.ToString(j.TrainingJobName)
			r.describe(KindTrainingJob, name, func(ctx context.Context) error { return r.trainingJob(ctx, name) })
		}
		return nil
	})
}

// trainingJob reads the image of the training job name, if it is still in progress.
func (r *reader) trainingJob(ctx context.Context, name string) error {
	out, err := r.api.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String(name)})
	if gone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe training job %s: %w", name, err)
	}
	if out.TrainingJobStatus == types.TrainingJobStatusInProgress && out.AlgorithmSpecification != nil {
		r.add(ctx, r.use(KindTrainingJob, name), aws.ToString(out.AlgorithmSpecification.TrainingImage))
	}
	return nil
}

func (r *reader) processingJobs() error {
	p := sagemaker.NewListProcessingJobsPaginator(r.api, &sagemaker.ListProcessingJobsInput{
		StatusEquals: types.ProcessingJobStatusInProgress, MaxResults: aws.Int32(pageSize)})
	return pages(r.ctx, "list processing jobs", p, func(out *sagemaker.ListProcessingJobsOutput) error {
		for _, j := range out.ProcessingJobSummaries {
			name := aws.ToString(j.ProcessingJobName)
			r.describe(KindProcessingJob, name, func(ctx context.Context) error { return r.processingJob(ctx, name) })
		}
		return nil
	})
}

// processingJob reads the image of the processing job name, if it is still in progress.
func (r *reader) processingJob(ctx context.Context, name string) error {
	out, err := r.api.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String(name)})
	if gone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe processing job %s: %w", name, err)
	}
	if out.ProcessingJobStatus == types.ProcessingJobStatusInProgress && out.AppSpecification != nil {
		r.add(ctx, r.use(KindProcessingJob, name), aws.ToString(out.AppSpecification.ImageUri))
	}
	return nil
}

// images reads the created versions of every SageMaker image.
func (r *reader) images() error {
	p := sagemaker.NewListImagesPaginator(r.api, &sagemaker.ListImagesInput{MaxResults: aws.Int32(pageSize)})
	return pages(r.ctx, "list SageMaker images", p, func(out *sagemaker.ListImagesOutput) error {
		for _, im := range out.Images {
			image := aws.ToString(im.ImageName)
			r.group(KindImageVersion, image, func(ctx context.Context) (map[string]func(context.Context) error, error) {
				return r.imageVersions(ctx, image)
			})
		}
		return nil
	})
}

// imageVersions lists the created versions of the SageMaker image, by version number, when the
// read comes to the image; an image that is gone has none.
func (r *reader) imageVersions(ctx context.Context, image string) (map[string]func(context.Context) error, error) {
	p := sagemaker.NewListImageVersionsPaginator(r.api, &sagemaker.ListImageVersionsInput{
		ImageName: aws.String(image), MaxResults: aws.Int32(pageSize)})
	versions := map[string]func(context.Context) error{}
	err := pages(ctx, "list versions of SageMaker image "+image, p, func(out *sagemaker.ListImageVersionsOutput) error {
		for _, v := range out.ImageVersions {
			if v.ImageVersionStatus == types.ImageVersionStatusCreated && v.Version != nil {
				version := *v.Version
				versions[strconv.Itoa(int(version))] = func(ctx context.Context) error { return r.imageVersion(ctx, image, version) }
			}
		}
		return nil
	})
	if gone(err) {
		return nil, nil
	}
	return versions, err
}

// imageVersion reads the base image of version of the SageMaker image, if it is still created.
func (r *reader) imageVersion(ctx context.Context, image string, version int32) error {
	name := image + "/" + strconv.Itoa(int(version))
	out, err := r.api.DescribeImageVersion(ctx, &sagemaker.DescribeImageVersionInput{
		ImageName: aws.String(image), Version: aws.Int32(version)})
	if gone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe SageMaker image version %s: %w", name, err)
	}
	if out.ImageVersionStatus == types.ImageVersionStatusCreated {
		r.add(ctx, r.use(KindImageVersion, name), aws.ToString(out.BaseImage))
	}
	return nil
}

package sagemakerfake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

var jobStatuses = []string{"InProgress", "Completed", "Failed", "InProgress", "Stopped"}

func TestListTrainingJobs(t *testing.T) {
	fake, client, _ := start(t)
	var inProgress []string
	for i := range 25 {
		name := fmt.Sprintf("train-%02d", i)
		fake.PutTrainingJob(sagemakerfake.TrainingJob{Name: name, Status: jobStatuses[i%5], Image: registry + "/train:v1"})
		if jobStatuses[i%5] == "InProgress" {
			inProgress = append(inProgress, name)
		}
	}
	pages := allPages[*sagemaker.ListTrainingJobsOutput](t, sagemaker.NewListTrainingJobsPaginator(client,
		&sagemaker.ListTrainingJobsInput{StatusEquals: types.TrainingJobStatusInProgress, MaxResults: aws.Int32(4)}))
	var got []string
	for _, out := range pages {
		for _, j := range out.TrainingJobSummaries {
			got = append(got, aws.ToString(j.TrainingJobName))
			if j.TrainingJobStatus != types.TrainingJobStatusInProgress || j.TrainingJobArn == nil || j.CreationTime == nil ||
				j.SecondaryStatus != types.SecondaryStatusTraining {
				t.Errorf("summary: got %+v", j)
			}
		}
	}
	if diff := cmp.Diff(inProgress, got); diff != "" || len(pages) != 3 {
		t.Errorf("%d pages; in-progress jobs (-want +got):\n%s", len(pages), diff)
	}
	all, err := client.ListTrainingJobs(context.Background(), &sagemaker.ListTrainingJobsInput{MaxResults: aws.Int32(100)})
	if err != nil || len(all.TrainingJobSummaries) != 25 || all.NextToken != nil {
		t.Errorf("all training jobs: got %+v, %v; want 25 on one page", all, err)
	}
	_, err = client.ListTrainingJobs(context.Background(), &sagemaker.ListTrainingJobsInput{StatusEquals: "Running"})
	wantAPIError(t, err, "ValidationException", "statusEquals")
}

func TestListProcessingJobs(t *testing.T) {
	fake, client, _ := start(t)
	var inProgress []string
	for i := range 12 {
		name := fmt.Sprintf("proc-%02d", i)
		fake.PutProcessingJob(sagemakerfake.ProcessingJob{Name: name, Status: jobStatuses[i%5], Image: registry + "/proc:v1"})
		if jobStatuses[i%5] == "InProgress" {
			inProgress = append(inProgress, name)
		}
	}
	pages := allPages[*sagemaker.ListProcessingJobsOutput](t, sagemaker.NewListProcessingJobsPaginator(client,
		&sagemaker.ListProcessingJobsInput{StatusEquals: types.ProcessingJobStatusInProgress, MaxResults: aws.Int32(2)}))
	var got []string
	for _, out := range pages {
		for _, j := range out.ProcessingJobSummaries {
			got = append(got, aws.ToString(j.ProcessingJobName))
			if j.ProcessingJobStatus != types.ProcessingJobStatusInProgress || j.ProcessingJobArn == nil || j.CreationTime == nil {
				t.Errorf("summary: got %+v", j)
			}
		}
	}
	if diff := cmp.Diff(inProgress, got); diff != "" || len(pages) != 3 {
		t.Errorf("%d pages; in-progress jobs (-want +got):\n%s", len(pages), diff)
	}
	// Deleting is a training job status, not a processing job one.
	_, err := client.ListProcessingJobs(context.Background(), &sagemaker.ListProcessingJobsInput{StatusEquals: "Deleting"})
	wantAPIError(t, err, "ValidationException", "statusEquals")
}

func TestDescribeJobs(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	trainARN := fake.PutTrainingJob(sagemakerfake.TrainingJob{Name: "Spot-Train", Image: registry + "/train@" + digestA})
	procARN := fake.PutProcessingJob(sagemakerfake.ProcessingJob{Name: "prep", Status: "Completed", Image: registry + "/prep:v2"})

	train, err := client.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String("spot-train")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(train.TrainingJobName) != "Spot-Train" || aws.ToString(train.TrainingJobArn) != trainARN ||
		trainARN != "arn:aws:sagemaker:us-east-1:123456789012:training-job/spot-train" ||
		train.TrainingJobStatus != types.TrainingJobStatusInProgress || train.AlgorithmSpecification == nil ||
		aws.ToString(train.AlgorithmSpecification.TrainingImage) != registry+"/train@"+digestA || train.CreationTime == nil {
		t.Errorf("training job: got %+v", train)
	}
	proc, err := client.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String("prep")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(proc.ProcessingJobName) != "prep" || aws.ToString(proc.ProcessingJobArn) != procARN ||
		proc.ProcessingJobStatus != types.ProcessingJobStatusCompleted || proc.AppSpecification == nil ||
		aws.ToString(proc.AppSpecification.ImageUri) != registry+"/prep:v2" || proc.CreationTime == nil {
		t.Errorf("processing job: got %+v", proc)
	}

	// Both operations declare ResourceNotFound, but SageMaker answers ValidationException.
	_, err = client.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String("nope")})
	wantAPIError(t, err, "ValidationException", "Requested resource not found.")
	var notFound *types.ResourceNotFound
	if errors.As(err, &notFound) {
		t.Errorf("DescribeTrainingJob of an unknown job: got ResourceNotFound; want ValidationException")
	}
	_, err = client.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String("nope")})
	wantAPIError(t, err, "ValidationException", "Could not find requested job with name nope")
}

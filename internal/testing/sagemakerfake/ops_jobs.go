package sagemakerfake

import "strings"

// Wire shapes of the training and processing job calls, field names as in the SageMaker API
// model. Describe answers carry the members the model requires, with plausible values.

type trainingJobSummary struct {
	TrainingJobName   string
	TrainingJobArn    string
	CreationTime      float64
	LastModifiedTime  float64
	TrainingJobStatus string
	SecondaryStatus   string
}

type listTrainingJobsOutput struct {
	TrainingJobSummaries []trainingJobSummary
	NextToken            *string `json:",omitempty"`
}

type algorithmSpecification struct {
	TrainingImage     string `json:",omitempty"`
	TrainingInputMode string
}

type modelArtifacts struct {
	S3ModelArtifacts string
}

type stoppingCondition struct {
	MaxRuntimeInSeconds int
}

// describeTrainingJobOutput has the summary's members and what only Describe returns.
type describeTrainingJobOutput struct {
	trainingJobSummary
	AlgorithmSpecification algorithmSpecification
	ModelArtifacts         modelArtifacts
	StoppingCondition      stoppingCondition
}

type processingJobSummary struct {
	ProcessingJobName   string
	ProcessingJobArn    string
	CreationTime        float64
	LastModifiedTime    float64
	ProcessingJobStatus string
}

type listProcessingJobsOutput struct {
	ProcessingJobSummaries []processingJobSummary
	NextToken              *string `json:",omitempty"`
}

type appSpecification struct {
	ImageUri string
}

type processingClusterConfig struct {
	InstanceCount  int
	InstanceType   string
	VolumeSizeInGB int
}

type processingResources struct {
	ClusterConfig processingClusterConfig
}

// describeProcessingJobOutput has the summary's members and what only Describe returns.
type describeProcessingJobOutput struct {
	processingJobSummary
	AppSpecification    appSpecification
	ProcessingResources processingResources
}

var (
	trainingListing = listing{sortBy: nameTimeStatus, order: ascDesc, statuses: []string{
		"InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting"}}
	processingListing = listing{sortBy: nameTimeStatus, order: ascDesc, statuses: []string{
		"InProgress", "Completed", "Failed", "Stopping", "Stopped"}}
)

// listTrainingJobs answers ListTrainingJobs, with its StatusEquals filter.
func (s *Server) listTrainingJobs(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	rows := jobRows(s.inv.training, trainingSummary)
	s.mu.Unlock()
	items, next, err := list(&in, trainingListing, rows)
	if err != nil {
		return nil, err
	}
	return listTrainingJobsOutput{TrainingJobSummaries: items, NextToken: next}, nil
}

// listProcessingJobs answers ListProcessingJobs, with its StatusEquals filter.
func (s *Server) listProcessingJobs(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	rows := jobRows(s.inv.processing, processingSummary)
	s.mu.Unlock()
	items, next, err := list(&in, processingListing, rows)
	if err != nil {
		return nil, err
	}
	return listProcessingJobsOutput{ProcessingJobSummaries: items, NextToken: next}, nil
}

func jobRows[T any](jobs map[string]*job, summary func(*job) T) []row[T] {
	var rows []row[T]
	for _, j := range jobs {
		rows = append(rows, row[T]{name: j.name, created: j.created, status: j.status, item: summary(j)})
	}
	return rows
}

func trainingSummary(j *job) trainingJobSummary {
	at := epochSeconds(j.created)
	secondary := j.status
	if secondary == "InProgress" {
		secondary = "Training"
	}
	return trainingJobSummary{TrainingJobName: j.name, TrainingJobArn: j.arn, CreationTime: at,
		LastModifiedTime: at, TrainingJobStatus: j.status, SecondaryStatus: secondary}
}

func processingSummary(j *job) processingJobSummary {
	at := epochSeconds(j.created)
	return processingJobSummary{ProcessingJobName: j.name, ProcessingJobArn: j.arn, CreationTime: at,
		LastModifiedTime: at, ProcessingJobStatus: j.status}
}

// describeTrainingJob answers DescribeTrainingJob. An unknown job is the ValidationException
// SageMaker answers ("Requested resource not found."), though the operation declares
// ResourceNotFound.
func (s *Server) describeTrainingJob(body []byte) (any, *apiError) {
	var in struct{ TrainingJobName *string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.TrainingJobName, "trainingJobName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.inv.training[strings.ToLower(*in.TrainingJobName)]
	if j == nil {
		return nil, validationError("Requested resource not found.")
	}
	return describeTrainingJobOutput{
		trainingJobSummary:     trainingSummary(j),
		AlgorithmSpecification: algorithmSpecification{TrainingImage: j.image, TrainingInputMode: "File"},
		ModelArtifacts:         modelArtifacts{S3ModelArtifacts: "s3://sagemaker-" + s.region + "-" + s.account + "/" + j.name + "/output/model.tar.gz"},
		StoppingCondition:      stoppingCondition{MaxRuntimeInSeconds: 86400},
	}, nil
}

// describeProcessingJob answers DescribeProcessingJob. An unknown job is a
// ValidationException, as SageMaker answers, though the operation declares ResourceNotFound.
func (s *Server) describeProcessingJob(body []byte) (any, *apiError) {
	var in struct{ ProcessingJobName *string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.ProcessingJobName, "processingJobName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.inv.processing[strings.ToLower(*in.ProcessingJobName)]
	if j == nil {
		return nil, validationError("Could not find requested job with name %s", *in.ProcessingJobName)
	}
	return describeProcessingJobOutput{
		processingJobSummary: processingSummary(j),
		AppSpecification:     appSpecification{ImageUri: j.image},
		ProcessingResources: processingResources{ClusterConfig: processingClusterConfig{
			InstanceCount: 1, InstanceType: "ml.m5.xlarge", VolumeSizeInGB: 30}},
	}, nil
}

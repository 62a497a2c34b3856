// Package projects reads what SageMaker says about a project: its current tags, and whether it
// exists at all. Events are triggers, not the truth; this is where the truth is read.
package projects

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"
)

// Tags reads the project's current tags, every page. gone is true when the project does not
// exist (any more): SageMaker answers ResourceNotFound, or ValidationException naming the
// resource, for a project ARN it does not know.
func Tags(ctx context.Context, api sagemaker.ListTagsAPIClient, arn string) (tags map[string]string, gone bool, err error) {
	tags = map[string]string{}
	pages := sagemaker.NewListTagsPaginator(api, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "ResourceNotFound" || apiErr.ErrorCode() == "ValidationException") {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read tags of %s: %w", arn, err)
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, false, nil
}

// DescribeAPI is the SageMaker call that reads a project's status.
type DescribeAPI interface {
	DescribeProject(ctx context.Context, in *sagemaker.DescribeProjectInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeProjectOutput, error)
}

// Deleted reports whether the project named is deleted, or being deleted, as of a DeleteProject
// record made at deletedAt. SageMaker deletes a project asynchronously, so a project whose status
// is Delete... counts as deleted; so does one it no longer knows. A project that exists and was
// created after the record is a new one of the same name: not deleted.
func Deleted(ctx context.Context, api DescribeAPI, name string, deletedAt time.Time) (bool, error) {
	out, err := api.DescribeProject(ctx, &sagemaker.DescribeProjectInput{ProjectName: aws.String(name)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "ResourceNotFound" || apiErr.ErrorCode() == "ValidationException") {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe project %s: %w", name, err)
	}
	if strings.HasPrefix(string(out.ProjectStatus), "Delete") {
		return true, nil
	}
	created := aws.ToTime(out.CreationTime)
	return deletedAt.IsZero() || !created.After(deletedAt), nil
}

// Package projects reads what SageMaker says about a project: its current tags, and whether it
// exists at all. Events are triggers, not the truth; this is where the truth is read.
package projects

import (
	"context"
	"errors"
	"fmt"

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

package registry

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
)

// TagIndex is the Resource Groups Tagging API's GetResources, with the SDK's signature:
// *resourcegroupstaggingapi.Client satisfies it.
type TagIndex = resourcegroupstaggingapi.GetResourcesAPIClient

// FindTagged returns the ECR repositories of the Region whose tags match filters, with their
// tags, found through the Resource Groups Tagging API (one GetResources a page of 100), not by
// reading every repository. The tagging API can take a little while to show a repository just
// tagged. Nothing is refused here: what the caller does with a repository outside the managed
// namespaces is its call.
func FindTagged(ctx context.Context, index TagIndex, filters []tagtypes.TagFilter) ([]Tagged, error) {
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(index, &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: filters, ResourceTypeFilters: []string{"ecr:repository"}, ResourcesPerPage: aws.Int32(100)})
	var out []Tagged
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.ResourceTagMappingList {
			a, err := arn.Parse(aws.ToString(m.ResourceARN))
			name, ok := strings.CutPrefix(a.Resource, "repository/")
			if err != nil || a.Service != "ecr" || !ok {
				continue
			}
			tags := make(map[string]string, len(m.Tags))
			for _, t := range m.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			out = append(out, Tagged{Summary: Summary{Name: name, ARN: a.String()}, Tags: tags})
		}
	}
	return out, nil
}

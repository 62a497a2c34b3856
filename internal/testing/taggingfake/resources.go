package taggingfake

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Wire shapes, field names as in the Resource Groups Tagging API model.

type getResourcesInput struct {
	PaginationToken           *string
	TagFilters                []tagFilter
	ResourcesPerPage          *int
	TagsPerPage               *int
	ResourceTypeFilters       []string
	IncludeComplianceDetails  *bool
	ExcludeCompliantResources *bool
	ResourceARNList           []string
}

type tagFilter struct {
	Key    *string
	Values []string
}

type tag struct {
	Key   string
	Value string
}

type resourceTagMapping struct {
	ResourceARN string
	Tags        []tag
}

type getResourcesOutput struct {
	// PaginationToken is "" on the last page, as the service answers.
	PaginationToken        string
	ResourceTagMappingList []resourceTagMapping
}

// The limits of the API model and its documentation.
const (
	defaultResourcesPerPage = 100
	maxResourcesPerPage     = 100
	minTagsPerPage          = 100
	maxTagsPerPage          = 500
	maxTagFilters           = 50
	maxTagFilterValues      = 20
	maxTagKeyLength         = 128
	maxTagValueLength       = 256
	maxResourceTypeFilters  = 100
	maxResourceARNs         = 100
)

// The resource types that name ECR repositories; any other type names none.
var repositoryTypes = []string{"ecr", "ecr:repository"}

// query is a validated GetResources request.
type query struct {
	filters      []tagFilter
	arns         map[string]bool // nil for every resource
	after        string          // the ARN the page starts after; "" for the first page
	perPage      int
	tagsPerPage  int // 0 for no limit
	repositories bool
}

// getResources answers GetResources. Resources are listed in ARN order, each with its tags
// sorted by key. A PaginationToken is the last ARN of its page, so a repository created or
// deleted between two pages moves no other across them, and the last page says it is the
// last: a token is only given when another resource matches.
func (s *Server) getResources(ctx context.Context, in *getResourcesInput) (*getResourcesOutput, *apiError) {
	q, aerr := parse(in)
	if aerr != nil {
		return nil, aerr
	}
	out := &getResourcesOutput{ResourceTagMappingList: []resourceTagMapping{}}
	if !q.repositories {
		return out, nil
	}
	arns, aerr := s.repositoryARNs(ctx)
	if aerr != nil {
		return nil, aerr
	}
	tagsOnPage := 0
	for _, arn := range arns {
		if arn <= q.after || q.arns != nil && !q.arns[arn] {
			continue
		}
		tags, aerr := s.tags(ctx, arn)
		if aerr != nil {
			return nil, aerr
		}
		if len(tags) == 0 || !matches(tags, q.filters) {
			continue
		}
		page := out.ResourceTagMappingList
		if len(page) >= q.perPage || q.tagsPerPage > 0 && len(page) > 0 && tagsOnPage+len(tags) > q.tagsPerPage {
			out.PaginationToken = encodeToken(page[len(page)-1].ResourceARN)
			break
		}
		out.ResourceTagMappingList = append(page, resourceTagMapping{ResourceARN: arn, Tags: tags})
		tagsOnPage += len(tags)
	}
	return out, nil
}

// parse checks a request as the service does, answering InvalidParameterException.
func parse(in *getResourcesInput) (*query, *apiError) {
	q := &query{filters: in.TagFilters, perPage: defaultResourcesPerPage}
	token := aws.ToString(in.PaginationToken)
	if len(in.ResourceARNList) > 0 {
		switch {
		case len(in.TagFilters) > 0:
			return nil, invalidParameter("ResourceARNList and TagFilters cannot be specified together")
		case len(in.ResourceTypeFilters) > 0:
			return nil, invalidParameter("ResourceARNList and ResourceTypeFilters cannot be specified together")
		case in.ResourcesPerPage != nil || in.TagsPerPage != nil || token != "":
			return nil, invalidParameter("ResourceARNList cannot be specified with ResourcesPerPage, TagsPerPage or PaginationToken")
		case len(in.ResourceARNList) > maxResourceARNs:
			return nil, invalidParameter("ResourceARNList holds %d ARNs; at most %d are allowed", len(in.ResourceARNList), maxResourceARNs)
		}
		q.arns = map[string]bool{}
		for _, arn := range in.ResourceARNList {
			q.arns[arn] = true
		}
	}
	if n := in.ResourcesPerPage; n != nil {
		if *n < 1 || *n > maxResourcesPerPage {
			return nil, invalidParameter("ResourcesPerPage must be between 1 and %d, not %d", maxResourcesPerPage, *n)
		}
		q.perPage = *n
	}
	if n := in.TagsPerPage; n != nil {
		if *n < minTagsPerPage || *n > maxTagsPerPage {
			return nil, invalidParameter("TagsPerPage must be between %d and %d, not %d", minTagsPerPage, maxTagsPerPage, *n)
		}
		q.tagsPerPage = *n
	}
	if aws.ToBool(in.IncludeComplianceDetails) || aws.ToBool(in.ExcludeCompliantResources) {
		return nil, invalidParameter("IncludeComplianceDetails and ExcludeCompliantResources are not supported by the Resource Groups Tagging API stand-in")
	}
	if len(in.TagFilters) > maxTagFilters {
		return nil, invalidParameter("TagFilters holds %d filters; at most %d are allowed", len(in.TagFilters), maxTagFilters)
	}
	for _, f := range in.TagFilters {
		key := aws.ToString(f.Key)
		switch {
		case key == "" || len(key) > maxTagKeyLength:
			return nil, invalidParameter("a TagFilters Key must be 1 to %d characters long, not %q", maxTagKeyLength, key)
		case len(f.Values) > maxTagFilterValues:
			return nil, invalidParameter("the TagFilters Values of key %q hold %d values; at most %d are allowed", key, len(f.Values), maxTagFilterValues)
		}
		for _, v := range f.Values {
			if len(v) > maxTagValueLength {
				return nil, invalidParameter("a TagFilters value of key %q is longer than %d characters", key, maxTagValueLength)
			}
		}
	}
	if len(in.ResourceTypeFilters) > maxResourceTypeFilters {
		return nil, invalidParameter("ResourceTypeFilters holds %d types; at most %d are allowed", len(in.ResourceTypeFilters), maxResourceTypeFilters)
	}
	q.repositories = len(in.ResourceTypeFilters) == 0
	for _, t := range in.ResourceTypeFilters {
		if t == "" {
			return nil, invalidParameter("a ResourceTypeFilters entry is empty; it must be service[:resourceType]")
		}
		q.repositories = q.repositories || slices.Contains(repositoryTypes, t)
	}
	if token != "" {
		after, ok := decodeToken(token)
		if !ok {
			return nil, invalidParameter("PaginationToken %q is not valid", token)
		}
		q.after = after
	}
	return q, nil
}

func encodeToken(lastARN string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastARN))
}

func decodeToken(token string) (lastARN string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(b), "arn:") {
		return "", false
	}
	return string(b), true
}

// matches reports whether tags pass every filter: each filter's key must be there and, when
// the filter has values, its value one of them.
func matches(tags []tag, filters []tagFilter) bool {
	for _, f := range filters {
		i := slices.IndexFunc(tags, func(t tag) bool { return t.Key == aws.ToString(f.Key) })
		if i < 0 || len(f.Values) > 0 && !slices.Contains(f.Values, tags[i].Value) {
			return false
		}
	}
	return true
}

// repositoryARNs reads the ARN of every repository of the source, sorted, following
// DescribeRepositories' pages.
func (s *Server) repositoryARNs(ctx context.Context) ([]string, *apiError) {
	var arns []string
	var token *string
	for {
		out, err := s.source.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{NextToken: token})
		if err != nil {
			return nil, internalError("read ECR repositories: %v", err)
		}
		for _, r := range out.Repositories {
			arns = append(arns, aws.ToString(r.RepositoryArn))
		}
		if aws.ToString(out.NextToken) == "" || aws.ToString(out.NextToken) == aws.ToString(token) {
			break
		}
		token = out.NextToken
	}
	slices.Sort(arns)
	return slices.Compact(arns), nil
}

// tags reads the repository's tags, sorted by key. A repository deleted since it was listed
// has none, as if it had never been listed.
func (s *Server) tags(ctx context.Context, arn string) ([]tag, *apiError) {
	out, err := s.source.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	var gone *ecrtypes.RepositoryNotFoundException
	switch {
	case errors.As(err, &gone):
		return nil, nil
	case err != nil:
		return nil, internalError("read the tags of %s: %v", arn, err)
	}
	tags := make([]tag, 0, len(out.Tags))
	for _, t := range out.Tags {
		tags = append(tags, tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	slices.SortFunc(tags, func(a, b tag) int { return cmp.Compare(a.Key, b.Key) })
	return tags, nil
}

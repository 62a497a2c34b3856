package sagemakerfake

import (
	"cmp"
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Wire shapes, field names as in the SageMaker API model. Timestamps travel
// as epoch seconds in a JSON number, possibly fractional.

type listProjectsInput struct {
	MaxResults         *int
	NextToken          *string
	NameContains       *string
	SortBy             string
	SortOrder          string
	CreationTimeAfter  *float64
	CreationTimeBefore *float64
}

type projectSummary struct {
	ProjectName        string
	ProjectDescription string `json:",omitempty"`
	ProjectArn         string
	ProjectId          string
	CreationTime       float64
	ProjectStatus      string
}

type listProjectsOutput struct {
	ProjectSummaryList []projectSummary
	NextToken          *string `json:",omitempty"`
}

type listTagsInput struct {
	ResourceArn *string
	MaxResults  *int
	NextToken   *string
}

type tag struct {
	Key   string
	Value string
}

type listTagsOutput struct {
	Tags      []tag
	NextToken *string `json:",omitempty"`
}

// The ResourceArn pattern of the SageMaker API model.
var resourceARN = regexp.MustCompile(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+$`)

// listProjects answers ListProjects. It sorts by name unless asked otherwise:
// SageMaker's default is CreationTime, but projects seeded in one loop share
// timestamps, and a name order is what tests can state. SageMaker rejects
// MaxResults outside 1 to 100 rather than clamping it, and so does this.
func (s *Server) listProjects(body []byte) (any, *apiError) {
	var in listProjectsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults, 10, 1, 100)
	if err != nil {
		return nil, err
	}
	byTime := false
	switch in.SortBy {
	case "", "Name":
	case "CreationTime":
		byTime = true
	default:
		return nil, enumError(in.SortBy, "sortBy", "Name, CreationTime")
	}
	descending := false
	switch in.SortOrder {
	case "", "Ascending":
	case "Descending":
		descending = true
	default:
		return nil, enumError(in.SortOrder, "sortOrder", "Ascending, Descending")
	}

	s.mu.Lock()
	var all []projectSummary
	for _, p := range s.projects {
		if in.NameContains != nil && !strings.Contains(strings.ToLower(p.name), strings.ToLower(*in.NameContains)) {
			continue
		}
		created := epochSeconds(p.created)
		if in.CreationTimeAfter != nil && created <= *in.CreationTimeAfter ||
			in.CreationTimeBefore != nil && created >= *in.CreationTimeBefore {
			continue
		}
		all = append(all, projectSummary{
			ProjectName:   p.name,
			ProjectArn:    p.arn,
			ProjectId:     p.id,
			CreationTime:  created,
			ProjectStatus: p.status,
		})
	}
	s.mu.Unlock()

	slices.SortFunc(all, func(a, b projectSummary) int {
		c := 0
		if byTime {
			c = cmp.Compare(a.CreationTime, b.CreationTime)
		}
		c = cmp.Or(c, strings.Compare(a.ProjectName, b.ProjectName))
		if descending {
			return -c
		}
		return c
	})
	items, next, err := page(all, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	return listProjectsOutput{ProjectSummaryList: items, NextToken: next}, nil
}

// listTags answers ListTags for project ARNs, tags sorted by key. SageMaker's
// MaxResults has a minimum of 50 and no maximum.
func (s *Server) listTags(body []byte) (any, *apiError) {
	var in listTagsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.ResourceArn == nil {
		return nil, validationError("1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null")
	}
	arn := *in.ResourceArn
	if !resourceARN.MatchString(arn) {
		return nil, validationError("1 validation error detected: Value '%s' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
			arn, strings.Trim(resourceARN.String(), "^$"))
	}
	limit, err := maxResults(in.MaxResults, 50, 50, 0)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	p := s.byARN(arn)
	var tags []tag
	if p != nil {
		for k, v := range p.tags {
			tags = append(tags, tag{Key: k, Value: v})
		}
	}
	s.mu.Unlock()
	if p == nil {
		return nil, validationError("Resource %s not found", arn)
	}

	slices.SortFunc(tags, func(a, b tag) int { return strings.Compare(a.Key, b.Key) })
	items, next, err := page(tags, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	return listTagsOutput{Tags: items, NextToken: next}, nil
}

// maxResults applies a MaxResults default and range; hi 0 means no maximum.
func maxResults(v *int, def, lo, hi int) (int, *apiError) {
	if v == nil {
		return def, nil
	}
	switch {
	case *v < lo:
		return 0, validationError("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to %d", *v, lo)
	case hi > 0 && *v > hi:
		return 0, validationError("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *v, hi)
	}
	return *v, nil
}

func enumError(value, field, valid string) *apiError {
	return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, field, valid)
}

// page returns up to limit items starting where token says, and the token
// for the rest, if any. A token is an opaque offset into the sorted list:
// enough for a stand-in, though a project added or removed between pages
// shifts what later pages hold.
func page[T any](items []T, token *string, limit int) ([]T, *string, *apiError) {
	start := 0
	if token != nil && *token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*token)
		n, convErr := strconv.Atoi(string(raw))
		if err != nil || convErr != nil || n < 0 {
			return nil, nil, validationError("Invalid pagination token %q", *token)
		}
		start = min(n, len(items))
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		t := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		next = &t
	}
	out := items[start:end]
	if out == nil {
		out = []T{} // the list members are required: encode [] rather than null
	}
	return out, next, nil
}

// epochSeconds is SageMaker's timestamp encoding, to the millisecond.
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

type describeProjectInput struct {
	ProjectName *string
}

type describeProjectOutput struct {
	ProjectArn    string
	ProjectName   string
	ProjectId     string
	ProjectStatus string
	CreationTime  float64
}

// describeProject answers DescribeProject by name (matched without case, as the ARN is).
// An unknown project is a ValidationException, as SageMaker answers.
func (s *Server) describeProject(body []byte) (any, *apiError) {
	var in describeProjectInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.ProjectName == nil {
		return nil, validationError("1 validation error detected: Value null at 'projectName' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[strings.ToLower(*in.ProjectName)]
	if p == nil {
		return nil, validationError("Project %s does not exist", *in.ProjectName)
	}
	return describeProjectOutput{ProjectArn: p.arn, ProjectName: p.name, ProjectId: p.id,
		ProjectStatus: p.status, CreationTime: epochSeconds(p.created)}, nil
}

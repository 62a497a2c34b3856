package sagemakerfake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// listInput holds the request members of the List operations of the in-use inventory. Each
// operation reads those its request has; the SDK sends no others.
type listInput struct {
	MaxResults         *int
	NextToken          *string
	NameContains       *string
	SortBy             string
	SortOrder          string
	StatusEquals       string
	CreationTimeAfter  *float64
	CreationTimeBefore *float64

	EndpointNameEquals    *string // ListInferenceComponents
	ModelPackageGroupName *string // ListModelPackages
	ModelApprovalStatus   string  // ListModelPackages
	ModelPackageType      string  // ListModelPackages
	ImageName             *string // ListImageVersions
}

type sortKey int

const (
	byName sortKey = iota
	byTime
	byStatus
)

// sortChoice is a SortBy value and the key it sorts by.
type sortChoice struct {
	value string
	key   sortKey
}

// listing is what a List operation accepts: its SortBy values, its two SortOrder values
// (ascending first) and its StatusEquals values (nil: it has no such filter).
type listing struct {
	sortBy   []sortChoice
	order    [2]string
	statuses []string
}

var (
	nameTimeStatus = []sortChoice{{"Name", byName}, {"CreationTime", byTime}, {"Status", byStatus}}
	nameTime       = []sortChoice{{"Name", byName}, {"CreationTime", byTime}}
	ascDesc        = [2]string{"Ascending", "Descending"}
	ascDescUpper   = [2]string{"ASCENDING", "DESCENDING"}
)

// row is an item of a listing with what it is filtered and sorted by.
type row[T any] struct {
	name    string // as put, compared without case by NameContains
	seq     int    // a version, ordered after the name
	created time.Time
	status  string
	item    T
}

// list answers a List operation over rows: it applies MaxResults (default 10, 1 to 100),
// NameContains, CreationTimeAfter and CreationTimeBefore, and StatusEquals, sorts and pages.
// Like ListProjects, it sorts by name (then version) unless asked otherwise, where SageMaker's
// default is mostly the creation time: items seeded in one loop share timestamps, and a name
// order is what tests can state.
func list[T any](in *listInput, l listing, rows []row[T]) ([]T, *string, *apiError) {
	limit, err := maxResults(in.MaxResults, 10, 1, 100)
	if err != nil {
		return nil, nil, err
	}
	key := byName
	if in.SortBy != "" {
		i := slices.IndexFunc(l.sortBy, func(c sortChoice) bool { return c.value == in.SortBy })
		if i < 0 {
			var valid []string
			for _, c := range l.sortBy {
				valid = append(valid, c.value)
			}
			return nil, nil, enumError(in.SortBy, "sortBy", strings.Join(valid, ", "))
		}
		key = l.sortBy[i].key
	}
	descending := false
	switch in.SortOrder {
	case "", l.order[0]:
	case l.order[1]:
		descending = true
	default:
		return nil, nil, enumError(in.SortOrder, "sortOrder", l.order[0]+", "+l.order[1])
	}
	if in.StatusEquals != "" && l.statuses != nil && !slices.Contains(l.statuses, in.StatusEquals) {
		return nil, nil, enumError(in.StatusEquals, "statusEquals", strings.Join(l.statuses, ", "))
	}

	kept := rows[:0:0]
	for _, r := range rows {
		created := epochSeconds(r.created)
		switch {
		case in.NameContains != nil && !strings.Contains(strings.ToLower(r.name), strings.ToLower(*in.NameContains)),
			in.CreationTimeAfter != nil && created <= *in.CreationTimeAfter,
			in.CreationTimeBefore != nil && created >= *in.CreationTimeBefore,
			in.StatusEquals != "" && l.statuses != nil && r.status != in.StatusEquals:
			continue
		}
		kept = append(kept, r)
	}
	slices.SortFunc(kept, func(a, b row[T]) int {
		c := 0
		switch key {
		case byTime:
			c = cmp.Compare(epochSeconds(a.created), epochSeconds(b.created))
		case byStatus:
			c = strings.Compare(a.status, b.status)
		}
		c = cmp.Or(c, strings.Compare(a.name, b.name), cmp.Compare(a.seq, b.seq))
		if descending {
			return -c
		}
		return c
	})
	rowsPage, next, err := page(kept, in.NextToken, limit)
	if err != nil {
		return nil, nil, err
	}
	items := make([]T, len(rowsPage)) // the list members are required: encode [] rather than null
	for i, r := range rowsPage {
		items[i] = r.item
	}
	return items, next, nil
}

// requireName is SageMaker's answer to a request without the member field (camel-cased as
// SageMaker names it), or nil if v is set.
func requireName(v *string, field string) *apiError {
	if v == nil {
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return nil
}

// resourceNotFound is the ResourceNotFound error of the operations that declare it
// (DescribeImageVersion, ListImageVersions, ...). SageMaker sends it with status 400.
func resourceNotFound(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ResourceNotFound", fmt.Sprintf(format, args...)}
}

// arn is the ARN of a resource of this account: SageMaker ARNs hold names lower-cased.
func (s *Server) arn(kind, name string) string {
	return "arn:aws:sagemaker:" + s.region + ":" + s.account + ":" + kind + "/" + strings.ToLower(name)
}

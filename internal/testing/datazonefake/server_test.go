package datazonefake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datazone"
	"github.com/aws/aws-sdk-go-v2/service/datazone/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
)

const (
	domainID = "dzd_4p9n6tfz1ab2cd"
	other    = "dzd-7xk2m0qw5e8rty"
	unitID   = "bthk4zj8sqgc0f"
)

// start serves a new stand-in and returns it with a real SDK client for it, and its URL.
func start(t testing.TB) (*datazonefake.Server, *datazone.Client, string) {
	t.Helper()
	fake := datazonefake.New()
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return fake, newClient(ts.URL), ts.URL
}

// newClient is a DataZone client for url that does not retry, so that each error expected
// is answered once.
func newClient(url string) *datazone.Client {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	}
	return datazone.NewFromConfig(cfg, func(o *datazone.Options) { o.BaseEndpoint = aws.String(url) })
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isType reports whether err holds the SDK's typed error T.
func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func tagsOf(tags []types.ResourceTag) []datazonefake.ResourceTag {
	out := []datazonefake.ResourceTag{}
	for _, t := range tags {
		out = append(out, datazonefake.ResourceTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value), Source: string(t.Source)})
	}
	return out
}

func getProject(t *testing.T, client *datazone.Client, domain, id string) *datazone.GetProjectOutput {
	t.Helper()
	out, err := client.GetProject(context.Background(), &datazone.GetProjectInput{DomainIdentifier: aws.String(domain), Identifier: aws.String(id)})
	if err != nil {
		t.Fatalf("GetProject %s/%s: %v", domain, id, err)
	}
	return out
}

func TestGetProject(t *testing.T) {
	fake, client, _ := start(t)
	fake.PutDomainUnit(domainID, unitID, "Risk Analytics")
	created := time.Date(2025, 3, 14, 9, 26, 53, 589_793_238, time.FixedZone("CET", 3600))
	put := fake.PutProject(domainID, datazonefake.Project{
		ID:           "cxe6f2cltpn0nb",
		Name:         "Churn Model",
		Description:  "predicts churn",
		DomainUnitID: unitID,
		ResourceTags: []datazonefake.ResourceTag{
			{Key: "team", Value: "risk"},
			{Key: "cost-center", Value: "cc-42", Source: datazonefake.SourceProject},
		},
		CreatedAt:        created,
		CreatedBy:        "user-1234",
		ProjectProfileID: "6bq1m8hjb7c3xz",
	})
	wantCreated := created.UTC().Truncate(time.Millisecond)
	if !put.CreatedAt.Equal(wantCreated) || put.CreatedAt.Location() != time.UTC || !put.LastUpdatedAt.Equal(wantCreated) {
		t.Errorf("PutProject times: created %v, updated %v; want both %v in UTC", put.CreatedAt, put.LastUpdatedAt, wantCreated)
	}
	if put.DomainID != domainID || put.Status != datazonefake.StatusActive {
		t.Errorf("PutProject: domain %q status %q; want %q ACTIVE", put.DomainID, put.Status, domainID)
	}

	out := getProject(t, client, domainID, "cxe6f2cltpn0nb")
	got := map[string]string{
		"id": aws.ToString(out.Id), "domainId": aws.ToString(out.DomainId), "name": aws.ToString(out.Name),
		"description": aws.ToString(out.Description), "domainUnitId": aws.ToString(out.DomainUnitId),
		"createdBy": aws.ToString(out.CreatedBy), "projectProfileId": aws.ToString(out.ProjectProfileId),
	}
	want := map[string]string{
		"id": "cxe6f2cltpn0nb", "domainId": domainID, "name": "Churn Model",
		"description": "predicts churn", "domainUnitId": unitID,
		"createdBy": "user-1234", "projectProfileId": "6bq1m8hjb7c3xz",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetProject fields (-want +got):\n%s", diff)
	}
	if out.ProjectStatus != types.ProjectStatusActive {
		t.Errorf("ProjectStatus: got %q; want %q", out.ProjectStatus, types.ProjectStatusActive)
	}
	if out.CreatedAt == nil || !out.CreatedAt.Equal(wantCreated) {
		t.Errorf("CreatedAt: got %v; want %v", out.CreatedAt, wantCreated)
	}
	if out.LastUpdatedAt == nil || !out.LastUpdatedAt.Equal(wantCreated) {
		t.Errorf("LastUpdatedAt: got %v; want %v", out.LastUpdatedAt, wantCreated)
	}
	wantTags := []datazonefake.ResourceTag{
		{Key: "team", Value: "risk", Source: string(types.ResourceTagSourceProjectProfile)},
		{Key: "cost-center", Value: "cc-42", Source: string(types.ResourceTagSourceProject)},
	}
	if diff := cmp.Diff(wantTags, tagsOf(out.ResourceTags)); diff != "" {
		t.Errorf("ResourceTags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTags, put.ResourceTags); diff != "" {
		t.Errorf("PutProject ResourceTags (-want +got):\n%s", diff)
	}
}

func TestGetProjectDefaults(t *testing.T) {
	fake, client, _ := start(t)
	before := time.Now().Add(-time.Second)
	a := fake.PutProject(domainID, datazonefake.Project{Name: "a", ResourceTags: datazonefake.Tags(map[string]string{"team": "risk", "env": "dev"})})
	b := fake.PutProject(domainID, datazonefake.Project{Name: "b"})
	idPattern := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,36}$`)
	if !idPattern.MatchString(a.ID) || !idPattern.MatchString(b.ID) || a.ID == b.ID {
		t.Errorf("generated ids %q, %q; want two distinct DataZone project ids", a.ID, b.ID)
	}

	out := getProject(t, client, domainID, a.ID)
	if out.ProjectStatus != types.ProjectStatusActive {
		t.Errorf("ProjectStatus: got %q; want ACTIVE", out.ProjectStatus)
	}
	if out.CreatedAt == nil || out.CreatedAt.Before(before) || out.CreatedAt.After(time.Now()) || !out.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("CreatedAt: got %v; want about now, %v as put", out.CreatedAt, a.CreatedAt)
	}
	if aws.ToString(out.CreatedBy) != datazonefake.DefaultCreatedBy {
		t.Errorf("CreatedBy: got %q; want %q", aws.ToString(out.CreatedBy), datazonefake.DefaultCreatedBy)
	}
	if out.Description != nil || out.ProjectProfileId != nil || out.DomainUnitId != nil {
		t.Errorf("optional fields: got description %v, profile %v, unit %v; want all absent", out.Description, out.ProjectProfileId, out.DomainUnitId)
	}
	wantTags := []datazonefake.ResourceTag{{Key: "env", Value: "dev", Source: "PROJECT_PROFILE"}, {Key: "team", Value: "risk", Source: "PROJECT_PROFILE"}}
	if diff := cmp.Diff(wantTags, tagsOf(out.ResourceTags)); diff != "" {
		t.Errorf("ResourceTags from Tags (-want +got):\n%s", diff)
	}
	if out := getProject(t, client, domainID, b.ID); len(out.ResourceTags) != 0 {
		t.Errorf("ResourceTags of an untagged project: got %v; want none", out.ResourceTags)
	}

	// A replaced project is the new one.
	fake.PutProject(domainID, datazonefake.Project{ID: a.ID, Name: "a2", Status: datazonefake.StatusUpdating})
	if out := getProject(t, client, domainID, a.ID); aws.ToString(out.Name) != "a2" || out.ProjectStatus != types.ProjectStatusUpdating || len(out.ResourceTags) != 0 {
		t.Errorf("replaced project: got name %q status %q tags %v; want a2 UPDATING no tags", aws.ToString(out.Name), out.ProjectStatus, out.ResourceTags)
	}
}

func TestProjectChanges(t *testing.T) {
	fake, client, _ := start(t)
	created := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	p := fake.PutProject(domainID, datazonefake.Project{Name: "Churn Model", DomainUnitID: unitID, CreatedAt: created})

	for _, status := range types.ProjectStatus("").Values() {
		if err := fake.SetStatus(domainID, p.ID, string(status)); err != nil {
			t.Fatalf("SetStatus %s: %v", status, err)
		}
		if got := getProject(t, client, domainID, p.ID).ProjectStatus; got != status {
			t.Errorf("after SetStatus %s: got %q", status, got)
		}
	}
	// A status the SDK does not know yet still decodes, as it would from DataZone.
	if err := fake.SetStatus(domainID, p.ID, "ARCHIVED"); err != nil {
		t.Fatal(err)
	}
	if got := getProject(t, client, domainID, p.ID).ProjectStatus; got != "ARCHIVED" {
		t.Errorf("unknown status: got %q; want ARCHIVED", got)
	}

	if err := fake.Rename(domainID, p.ID, "Churn Model v2"); err != nil {
		t.Fatal(err)
	}
	if err := fake.Move(domainID, p.ID, "unit-2"); err != nil {
		t.Fatal(err)
	}
	out := getProject(t, client, domainID, p.ID)
	if aws.ToString(out.Name) != "Churn Model v2" || aws.ToString(out.DomainUnitId) != "unit-2" {
		t.Errorf("after Rename and Move: got name %q unit %q; want Churn Model v2, unit-2", aws.ToString(out.Name), aws.ToString(out.DomainUnitId))
	}
	if !out.CreatedAt.Equal(created) || !out.LastUpdatedAt.After(created) {
		t.Errorf("after changes: createdAt %v lastUpdatedAt %v; want %v and later", out.CreatedAt, out.LastUpdatedAt, created)
	}

	for name, change := range map[string]func(domain, id string) error{
		"SetStatus": func(d, id string) error { return fake.SetStatus(d, id, "ACTIVE") },
		"Rename":    func(d, id string) error { return fake.Rename(d, id, "x") },
		"Move":      func(d, id string) error { return fake.Move(d, id, "u") },
	} {
		if err := change(domainID, "nope"); err == nil {
			t.Errorf("%s of an unknown project: got nil; want an error", name)
		}
		if err := change(other, p.ID); err == nil {
			t.Errorf("%s in an unknown domain: got nil; want an error", name)
		}
	}

	fake.Delete(domainID, p.ID)
	fake.Delete(domainID, p.ID) // again: nothing
	fake.Delete(other, p.ID)    // unknown domain: nothing
	_, err := client.GetProject(context.Background(), &datazone.GetProjectInput{DomainIdentifier: aws.String(domainID), Identifier: aws.String(p.ID)})
	if !isType[*types.ResourceNotFoundException](err) || httpStatus(err) != http.StatusNotFound {
		t.Errorf("GetProject of a deleted project: got %v (HTTP %d); want ResourceNotFoundException, 404", err, httpStatus(err))
	}
	list, err := client.ListProjects(context.Background(), &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID)})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("ListProjects after Delete: got %v, %v; want no items", list, err)
	}
}

func TestGetDomainUnit(t *testing.T) {
	fake, client, _ := start(t)
	before := time.Now().Add(-2 * time.Second)
	fake.PutDomainUnit(domainID, unitID, "Risk Analytics")
	ctx := context.Background()
	in := &datazone.GetDomainUnitInput{DomainIdentifier: aws.String(domainID), Identifier: aws.String(unitID)}
	out, err := client.GetDomainUnit(ctx, in)
	if err != nil {
		t.Fatalf("GetDomainUnit: %v", err)
	}
	if aws.ToString(out.Id) != unitID || aws.ToString(out.DomainId) != domainID || aws.ToString(out.Name) != "Risk Analytics" {
		t.Errorf("GetDomainUnit: got id %q domain %q name %q; want %q %q Risk Analytics", aws.ToString(out.Id), aws.ToString(out.DomainId), aws.ToString(out.Name), unitID, domainID)
	}
	if out.Owners == nil || len(out.Owners) != 0 {
		t.Errorf("Owners: got %#v; want an empty list", out.Owners)
	}
	if out.ParentDomainUnitId != nil || out.Description != nil {
		t.Errorf("ParentDomainUnitId %v, Description %v; want both absent", out.ParentDomainUnitId, out.Description)
	}
	if out.CreatedAt == nil || out.CreatedAt.Before(before) || out.CreatedAt.After(time.Now()) {
		t.Errorf("CreatedAt: got %v; want about now", out.CreatedAt)
	}

	fake.PutDomainUnit(domainID, unitID, "Risk")
	if out, err := client.GetDomainUnit(ctx, in); err != nil || aws.ToString(out.Name) != "Risk" {
		t.Errorf("GetDomainUnit after renaming: got %v, %v; want name Risk", out, err)
	}

	_, err = client.GetDomainUnit(ctx, &datazone.GetDomainUnitInput{DomainIdentifier: aws.String(domainID), Identifier: aws.String("nope")})
	if !isType[*types.ResourceNotFoundException](err) {
		t.Errorf("unknown unit: got %v; want ResourceNotFoundException", err)
	}
	// The unit of one domain is not another's.
	fake.PutDomain(other)
	_, err = client.GetDomainUnit(ctx, &datazone.GetDomainUnitInput{DomainIdentifier: aws.String(other), Identifier: aws.String(unitID)})
	if !isType[*types.ResourceNotFoundException](err) {
		t.Errorf("unit of another domain: got %v; want ResourceNotFoundException", err)
	}
}

// listAll reads every page of ListProjects and returns the ids, and how many each page held.
func listAll(t *testing.T, client *datazone.Client, in *datazone.ListProjectsInput) (ids []string, sizes []int) {
	t.Helper()
	pages := datazone.NewListProjectsPaginator(client, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListProjects page %d: %v", len(sizes)+1, err)
		}
		sizes = append(sizes, len(out.Items))
		for _, p := range out.Items {
			ids = append(ids, aws.ToString(p.Id))
		}
	}
	return ids, sizes
}

func TestListProjectsPages(t *testing.T) {
	fake, client, _ := start(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []string // newest first
	for i := range 120 {
		p := fake.PutProject(domainID, datazonefake.Project{
			ID: fmt.Sprintf("p%03d", i), Name: fmt.Sprintf("Project %d", i), DomainUnitID: unitID,
			CreatedAt: base.Add(time.Duration(i) * time.Minute),
		})
		want = append([]string{p.ID}, want...)
	}
	fake.PutProject(other, datazonefake.Project{ID: "elsewhere", Name: "x"})

	tests := []struct {
		name       string
		pageSize   int
		maxResults *int32
		wantSizes  []int
	}{
		{"default", 0, nil, []int{50, 50, 20}},
		{"maxResults 7", 0, aws.Int32(7), append(slices.Repeat([]int{7}, 17), 1)},
		{"maxResults 50", 0, aws.Int32(50), []int{50, 50, 20}},
		{"page size 40", 40, nil, []int{40, 40, 40}},
		{"page size 40, maxResults 50", 40, aws.Int32(50), []int{40, 40, 40}},
		{"page size 40, maxResults 30", 40, aws.Int32(30), []int{30, 30, 30, 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.SetPageSize(tt.pageSize)
			ids, sizes := listAll(t, client, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), MaxResults: tt.maxResults})
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("ids over all pages, newest first (-want +got):\n%s", diff)
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("page sizes: got %v; want %v", sizes, tt.wantSizes)
			}
		})
	}
}

func TestListProjectsSummary(t *testing.T) {
	fake, client, _ := start(t)
	created := time.Date(2025, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	p := fake.PutProject(domainID, datazonefake.Project{
		Name: "Churn Model", Description: "d", DomainUnitID: unitID, Status: datazonefake.StatusDeleting,
		CreatedAt: created, CreatedBy: "user-1", ResourceTags: datazonefake.Tags(map[string]string{"team": "risk"}),
	})
	// Projects created in the same millisecond come in id order.
	same := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"zz", "aa", "mm"} {
		fake.PutProject(domainID, datazonefake.Project{ID: id, Name: id, CreatedAt: same})
	}
	out, err := client.ListProjects(context.Background(), &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID)})
	if err != nil {
		t.Fatalf("ListProjects: %v", err)
	}
	if out.NextToken != nil {
		t.Errorf("NextToken: got %q; want none on the only page", *out.NextToken)
	}
	var ids []string
	for _, s := range out.Items {
		ids = append(ids, aws.ToString(s.Id))
	}
	if want := []string{p.ID, "aa", "mm", "zz"}; !slices.Equal(ids, want) {
		t.Errorf("order: got %v; want %v", ids, want)
	}
	s := out.Items[0]
	if aws.ToString(s.Name) != "Churn Model" || aws.ToString(s.DomainId) != domainID || aws.ToString(s.DomainUnitId) != unitID ||
		aws.ToString(s.Description) != "d" || aws.ToString(s.CreatedBy) != "user-1" || s.ProjectStatus != types.ProjectStatusDeleting {
		t.Errorf("summary: got %+v; want the project as put", s)
	}
	if s.CreatedAt == nil || !s.CreatedAt.Equal(created) || s.UpdatedAt == nil || !s.UpdatedAt.Equal(created) {
		t.Errorf("summary times: got created %v updated %v; want both %v", s.CreatedAt, s.UpdatedAt, created)
	}

	fake.PutDomain(other)
	empty, err := client.ListProjects(context.Background(), &datazone.ListProjectsInput{DomainIdentifier: aws.String(other)})
	if err != nil || empty.Items == nil || len(empty.Items) != 0 || empty.NextToken != nil {
		t.Errorf("ListProjects of an empty domain: got %+v, %v; want an empty list and no token", empty, err)
	}
}

// A project put or deleted between pages neither shifts nor repeats the others.
func TestListProjectsStableAcrossChanges(t *testing.T) {
	fake, client, _ := start(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 9 {
		fake.PutProject(domainID, datazonefake.Project{ID: fmt.Sprintf("p%d", i), Name: "x", CreatedAt: base.Add(time.Duration(i) * time.Hour)})
	}
	ctx := context.Background()
	first, err := client.ListProjects(ctx, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), MaxResults: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	fake.Delete(domainID, "p8")                                                                                           // on the first page
	fake.Delete(domainID, "p5")                                                                                           // on the second
	fake.PutProject(domainID, datazonefake.Project{ID: "new", Name: "x"})                                                 // newest of all
	fake.PutProject(domainID, datazonefake.Project{ID: "p3b", Name: "x", CreatedAt: base.Add(3*time.Hour + time.Minute)}) // among the rest

	ids, _ := listAll(t, client, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), MaxResults: aws.Int32(3), NextToken: first.NextToken})
	for _, p := range first.Items {
		ids = append([]string{aws.ToString(p.Id)}, ids...)
	}
	slices.Sort(ids)
	want := []string{"p0", "p1", "p2", "p3", "p3b", "p4", "p6", "p7", "p8"}
	if !slices.Equal(ids, want) {
		t.Errorf("ids read over pages: got %v; want %v", ids, want)
	}
}

func TestErrors(t *testing.T) {
	fake, client, _ := start(t)
	fake.PutDomainUnit(domainID, unitID, "Risk")
	p := fake.PutProject(domainID, datazonefake.Project{Name: "Churn", DomainUnitID: unitID})
	ctx := context.Background()
	getProject := func(domain, id string) error {
		_, err := client.GetProject(ctx, &datazone.GetProjectInput{DomainIdentifier: aws.String(domain), Identifier: aws.String(id)})
		return err
	}
	getUnit := func(domain, id string) error {
		_, err := client.GetDomainUnit(ctx, &datazone.GetDomainUnitInput{DomainIdentifier: aws.String(domain), Identifier: aws.String(id)})
		return err
	}
	list := func(in datazone.ListProjectsInput) error {
		_, err := client.ListProjects(ctx, &in)
		return err
	}
	valid := func(err error) bool { return isType[*types.ValidationException](err) }
	notFound := func(err error) bool { return isType[*types.ResourceNotFoundException](err) }
	tests := []struct {
		name       string
		err        error
		is         func(error) bool
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{"GetProject unknown domain", getProject(other, p.ID), notFound, "ResourceNotFoundException", 404, other},
		{"GetProject unknown project", getProject(domainID, "nope"), notFound, "ResourceNotFoundException", 404, "nope"},
		{"GetDomainUnit unknown domain", getUnit(other, unitID), notFound, "ResourceNotFoundException", 404, other},
		// ListProjects declares no ResourceNotFoundException: the SDK decodes it as a
		// generic API error with that code.
		{"ListProjects unknown domain", list(datazone.ListProjectsInput{DomainIdentifier: aws.String(other)}), nil, "ResourceNotFoundException", 404, other},

		{"GetProject bad domain id", getProject("domain-1", p.ID), valid, "ValidationException", 400, "domainIdentifier"},
		{"GetProject bad project id", getProject(domainID, strings.Repeat("a", 37)), valid, "ValidationException", 400, "identifier"},
		{"GetDomainUnit bad domain id", getUnit("dzd.x", unitID), valid, "ValidationException", 400, "domainIdentifier"},
		{"GetDomainUnit bad unit id", getUnit(domainID, "Upper"), valid, "ValidationException", 400, "identifier"},
		{"ListProjects bad domain id", list(datazone.ListProjectsInput{DomainIdentifier: aws.String("dzd_" + strings.Repeat("x", 37))}), valid, "ValidationException", 400, "domainIdentifier"},
		{"ListProjects maxResults 0", list(datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), MaxResults: aws.Int32(0)}), valid, "ValidationException", 400, "maxResults"},
		{"ListProjects maxResults 51", list(datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), MaxResults: aws.Int32(51)}), valid, "ValidationException", 400, "less than or equal to 50"},
		{"ListProjects bad token", list(datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), NextToken: aws.String("!!")}), valid, "ValidationException", 400, "nextToken"},
		{"ListProjects filter", list(datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), Name: aws.String("Churn")}), valid, "ValidationException", 400, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := errorCode(tt.err); code != tt.wantCode {
				t.Fatalf("error code: got %s; want %s", code, tt.wantCode)
			}
			if tt.is != nil && !tt.is(tt.err) {
				t.Errorf("got %T-wrapped %v; want the SDK's typed %s", tt.err, tt.err, tt.wantCode)
			}
			if got := httpStatus(tt.err); got != tt.wantStatus {
				t.Errorf("HTTP status: got %d; want %d", got, tt.wantStatus)
			}
			var apiErr smithy.APIError
			errors.As(tt.err, &apiErr)
			if msg := apiErr.ErrorMessage(); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message: got %q; want it to contain %q", msg, tt.wantMsg)
			}
		})
	}

	// A token is good in its own domain only.
	fake.SetPageSize(1)
	fake.PutProject(domainID, datazonefake.Project{Name: "second"})
	fake.PutProject(other, datazonefake.Project{Name: "third"})
	out, err := client.ListProjects(ctx, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID)})
	if err != nil || out.NextToken == nil {
		t.Fatalf("ListProjects: %v, %v; want a page and a token", out, err)
	}
	err = list(datazone.ListProjectsInput{DomainIdentifier: aws.String(other), NextToken: out.NextToken})
	if !valid(err) {
		t.Errorf("token of another domain: got %v; want ValidationException", err)
	}
}

func TestRefuse(t *testing.T) {
	fake, client, _ := start(t)
	fake.PutDomainUnit(domainID, unitID, "Risk")
	p := fake.PutProject(domainID, datazonefake.Project{Name: "Churn", DomainUnitID: unitID})
	fake.PutDomainUnit(other, unitID, "Risk")
	fake.PutProject(other, datazonefake.Project{ID: p.ID, Name: "Churn"})
	ctx := context.Background()
	calls := map[string]func(domain string) error{
		"GetProject": func(d string) error {
			_, err := client.GetProject(ctx, &datazone.GetProjectInput{DomainIdentifier: aws.String(d), Identifier: aws.String(p.ID)})
			return err
		},
		"ListProjects": func(d string) error {
			_, err := client.ListProjects(ctx, &datazone.ListProjectsInput{DomainIdentifier: aws.String(d)})
			return err
		},
		"GetDomainUnit": func(d string) error {
			_, err := client.GetDomainUnit(ctx, &datazone.GetDomainUnitInput{DomainIdentifier: aws.String(d), Identifier: aws.String(unitID)})
			return err
		},
	}
	errorTypes := []struct {
		code   string
		status int
		is     func(error) bool
	}{
		{"AccessDeniedException", 403, isType[*types.AccessDeniedException]},
		{"ThrottlingException", 429, isType[*types.ThrottlingException]},
		{"InternalServerException", 500, isType[*types.InternalServerException]},
		{"ValidationException", 400, isType[*types.ValidationException]},
		{"UnauthorizedException", 401, isType[*types.UnauthorizedException]},
		{"ResourceNotFoundException", 404, isType[*types.ResourceNotFoundException]},
		{"ConflictException", 409, nil},
		{"ServiceQuotaExceededException", 402, nil},
	}
	for op, call := range calls {
		for _, et := range errorTypes {
			t.Run(op+"/"+et.code, func(t *testing.T) {
				fake.Refuse(domainID, op, et.code)
				defer fake.Allow(domainID, op)
				err := call(domainID)
				if code := errorCode(err); code != et.code {
					t.Fatalf("error code: got %s; want %s", code, et.code)
				}
				// ListProjects declares no ResourceNotFoundException: a generic error there.
				if et.is != nil && !(op == "ListProjects" && et.code == "ResourceNotFoundException") && !et.is(err) {
					t.Errorf("got %v; want the SDK's typed %s", err, et.code)
				}
				if got := httpStatus(err); got != et.status {
					t.Errorf("HTTP status: got %d; want %d", got, et.status)
				}
				if err := call(other); err != nil {
					t.Errorf("%s in the other domain, not refused: %v", op, err)
				}
				for name, c := range calls {
					if err := c(domainID); name != op && err != nil {
						t.Errorf("%s, not refused: %v", name, err)
					}
				}
			})
			if err := call(domainID); err != nil {
				t.Errorf("%s after Allow: %v", op, err)
			}
		}
	}

	fake.Refuse(domainID, "ListProjects", "AccessDeniedException")
	_, err := client.ListProjects(ctx, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID)})
	var denied *types.AccessDeniedException
	if !errors.As(err, &denied) || !strings.Contains(aws.ToString(denied.Message), "datazone:ListProjects") {
		t.Errorf("refused ListProjects: got %v; want AccessDeniedException naming datazone:ListProjects", err)
	}
	fake.Reset()
	fake.PutDomain(domainID)
	if _, err := client.ListProjects(ctx, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID)}); err != nil {
		t.Errorf("ListProjects after Reset: %v", err)
	}

	for name, f := range map[string]func(){
		"unknown operation":  func() { fake.Refuse(domainID, "GetDomain", "AccessDeniedException") },
		"unknown error type": func() { fake.Refuse(domainID, "GetProject", "AccessDenied") },
		"bad domain id":      func() { fake.PutDomain("domain-1") },
		"bad unit id":        func() { fake.PutDomainUnit(domainID, "Unit A", "x") },
		"bad project id":     func() { fake.PutProject(domainID, datazonefake.Project{ID: "a/b"}) },
	} {
		t.Run("panics on "+name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		})
	}
}

func TestUnknownOperation(t *testing.T) {
	fake, client, url := start(t)
	fake.PutDomain(domainID)

	_, err := client.GetDomain(context.Background(), &datazone.GetDomainInput{Identifier: aws.String(domainID)})
	if code := errorCode(err); code != "UnknownOperationException" || httpStatus(err) != http.StatusNotFound {
		t.Errorf("GetDomain: got %s (HTTP %d); want UnknownOperationException, 404", code, httpStatus(err))
	}

	tests := []struct{ method, path string }{
		{http.MethodDelete, "/v2/domains/" + domainID + "/projects/p1"},
		{http.MethodPost, "/v2/domains/" + domainID + "/projects"},
		{http.MethodGet, "/v2/domains/" + domainID + "/environments"},
		{http.MethodGet, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, url+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tt.method, err)
			}
			defer resp.Body.Close()
			var body struct {
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("decode error body: %v", err)
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status: got %d; want 404", resp.StatusCode)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != "UnknownOperationException" {
				t.Errorf("X-Amzn-ErrorType: got %q; want UnknownOperationException", got)
			}
			if want := tt.method + " " + tt.path; !strings.Contains(body.Message, want) {
				t.Errorf("message: got %q; want it to name %q", body.Message, want)
			}
		})
	}
	if got := fake.Calls()["DELETE /v2/domains/"+domainID+"/projects/p1"]; got != 1 {
		t.Errorf("Calls of the unserved DELETE: got %d; want 1", got)
	}
}

func TestCalls(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	fake.PutDomainUnit(domainID, unitID, "Risk")
	p := fake.PutProject(domainID, datazonefake.Project{Name: "Churn"})
	for range 3 {
		client.ListProjects(ctx, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID)})
	}
	client.GetProject(ctx, &datazone.GetProjectInput{DomainIdentifier: aws.String(domainID), Identifier: aws.String(p.ID)})
	client.GetProject(ctx, &datazone.GetProjectInput{DomainIdentifier: aws.String(domainID), Identifier: aws.String("nope")}) // failed calls count too
	fake.Refuse(domainID, "GetDomainUnit", "ThrottlingException")
	client.GetDomainUnit(ctx, &datazone.GetDomainUnitInput{DomainIdentifier: aws.String(domainID), Identifier: aws.String(unitID)}) // refused ones too

	want := map[string]int{"ListProjects": 3, "GetProject": 2, "GetDomainUnit": 1}
	if got := fake.Calls(); !cmp.Equal(got, want) {
		t.Errorf("Calls: got %v; want %v", got, want)
	}
	fake.Calls()["GetProject"] = 99 // a copy: must not change the server's counts
	if got := fake.Calls()["GetProject"]; got != 2 {
		t.Errorf("Calls after writing to a returned map: got GetProject %d; want 2", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	fake, client, _ := start(t)
	fake.PutDomainUnit(domainID, unitID, "Risk")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			for j := range 20 {
				p := fake.PutProject(domainID, datazonefake.Project{Name: fmt.Sprintf("p%d-%d", i, j), DomainUnitID: unitID})
				if err := fake.SetStatus(domainID, p.ID, datazonefake.StatusUpdating); err != nil {
					t.Errorf("SetStatus: %v", err)
				}
				if _, err := client.GetProject(ctx, &datazone.GetProjectInput{DomainIdentifier: aws.String(domainID), Identifier: aws.String(p.ID)}); err != nil {
					t.Errorf("GetProject: %v", err)
				}
				if _, err := client.ListProjects(ctx, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domainID), MaxResults: aws.Int32(5)}); err != nil {
					t.Errorf("ListProjects: %v", err)
				}
				_ = fake.Calls()
			}
		})
	}
	wg.Wait()
	if got := fake.Calls()["GetProject"]; got != 160 {
		t.Errorf("GetProject calls: got %d; want 160", got)
	}
}

func TestListener(t *testing.T) {
	l, err := datazonefake.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Stop()
	p := l.PutProject(domainID, datazonefake.Project{Name: "Churn"})
	out := getProject(t, newClient(l.URL), domainID, p.ID)
	if aws.ToString(out.Name) != "Churn" {
		t.Errorf("GetProject through the listener: got name %q; want Churn", aws.ToString(out.Name))
	}
	l.Stop()
	l.Stop()
	var none *datazonefake.Listener
	none.Stop()
}

// A test seeds a domain in the stand-in and points a real DataZone client at it; a product
// binary would get AWS_ENDPOINT_URL_DATAZONE instead.
func Example() {
	fake := datazonefake.New()
	ts := httptest.NewServer(fake)
	defer ts.Close()
	fake.PutDomainUnit("dzd_4p9n6tfz1ab2cd", "bthk4zj8sqgc0f", "Risk Analytics")
	fake.PutProject("dzd_4p9n6tfz1ab2cd", datazonefake.Project{
		ID: "cxe6f2cltpn0nb", Name: "Churn Model", DomainUnitID: "bthk4zj8sqgc0f",
		ResourceTags: datazonefake.Tags(map[string]string{"team": "risk"}),
	})

	client := datazone.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}, func(o *datazone.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	out, err := client.GetProject(context.Background(), &datazone.GetProjectInput{
		DomainIdentifier: aws.String("dzd_4p9n6tfz1ab2cd"), Identifier: aws.String("cxe6f2cltpn0nb"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*out.Name, out.ProjectStatus, *out.DomainUnitId)
	for _, tag := range out.ResourceTags {
		fmt.Printf("%s=%s (%s)\n", *tag.Key, *tag.Value, tag.Source)
	}
	fmt.Println(fake.Calls())
	// Output:
	// Churn Model ACTIVE bthk4zj8sqgc0f
	// team=risk (PROJECT_PROFILE)
	// map[GetProject:1]
}

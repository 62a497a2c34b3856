package taggingfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/schemas"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/taggingfake"
)

var (
	_ taggingfake.ECR = (*ecr.Client)(nil)
	_ taggingfake.ECR = (*ecrfake.Registry)(nil)
)

// protocols are the two wire protocols the SDK's client can speak: its default, RPC v2 CBOR,
// and AWS JSON 1.1.
var protocols = []string{"cbor", "json"}

// start serves a new stand-in answering from reg and returns it with a real SDK client for it
// that speaks protocol, and the server's URL.
func start(t testing.TB, reg *ecrfake.Registry, protocol string) (*taggingfake.Server, *resourcegroupstaggingapi.Client, string) {
	t.Helper()
	fake := taggingfake.New(reg)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return fake, newClient(ts.URL, protocol), ts.URL
}

func newClient(url, protocol string) *resourcegroupstaggingapi.Client {
	cfg := aws.Config{
		Region:           ecrfake.Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	}
	return resourcegroupstaggingapi.NewFromConfig(cfg, func(o *resourcegroupstaggingapi.Options) {
		o.BaseEndpoint = aws.String(url)
		if protocol == "json" {
			o.Protocol = awsjson.New11(schemas.ResourceGroupsTaggingAPI_20170126)
		}
	})
}

// teams is a registry of a few repositories, one of them untagged.
func teams() *ecrfake.Registry {
	reg := ecrfake.New()
	reg.Put(ecrfake.Repository{Name: "team-a/app", Tags: map[string]string{"team": "a", "env": "prod"}})
	reg.Put(ecrfake.Repository{Name: "team-a/lib", Tags: map[string]string{"team": "a", "env": "dev"}})
	reg.Put(ecrfake.Repository{Name: "team-b/app", Tags: map[string]string{"team": "b", "env": "prod", "owner": ""}})
	reg.Put(ecrfake.Repository{Name: "team-c/app", Tags: map[string]string{"team": "c"}})
	reg.Put(ecrfake.Repository{Name: "untagged"})
	return reg
}

// names reads the repository names of the ARNs of a page, in order.
func names(t testing.TB, list []types.ResourceTagMapping) []string {
	t.Helper()
	out := []string{}
	for _, m := range list {
		arn := aws.ToString(m.ResourceARN)
		name, ok := strings.CutPrefix(arn, ecrfake.ARN(""))
		if !ok {
			t.Errorf("ResourceARN %q is not an ECR repository ARN of the registry", arn)
		}
		out = append(out, name)
	}
	return out
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tag := range tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

func TestPaginatorPagesThroughAll(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			reg := ecrfake.New()
			reg.SetPageSize(7) // the server must follow DescribeRepositories' pages too
			var want []string
			for i := range 25 {
				want = append(want, fmt.Sprintf("repo-%02d", i))
			}
			// Seed out of order, and some untagged: the listing is of tagged repositories,
			// by ARN.
			for i := range want {
				name := want[(i*7)%len(want)]
				reg.Put(ecrfake.Repository{Name: name, Tags: map[string]string{"team": "t", "name": name}})
				reg.Put(ecrfake.Repository{Name: name + "-untagged"})
			}
			fake, client, _ := start(t, reg, protocol)

			var got []string
			var sizes []int
			pages := resourcegroupstaggingapi.NewGetResourcesPaginator(client, &resourcegroupstaggingapi.GetResourcesInput{
				ResourcesPerPage: aws.Int32(10),
			})
			for pages.HasMorePages() {
				out, err := pages.NextPage(context.Background())
				if err != nil {
					t.Fatalf("GetResources page %d: %v", len(sizes)+1, err)
				}
				sizes = append(sizes, len(out.ResourceTagMappingList))
				page := names(t, out.ResourceTagMappingList)
				for i, m := range out.ResourceTagMappingList {
					if diff := cmp.Diff(map[string]string{"team": "t", "name": page[i]}, tagMap(m.Tags)); diff != "" {
						t.Errorf("tags of %s (-want +got):\n%s", page[i], diff)
					}
				}
				got = append(got, page...)
				if len(sizes) > 10 {
					t.Fatal("more than 10 pages: the paging does not end")
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("repositories over all pages (-want +got):\n%s", diff)
			}
			if !slices.Equal(sizes, []int{10, 10, 5}) {
				t.Errorf("page sizes: got %v; want [10 10 5]", sizes)
			}
			if got := fake.Calls(); got != 3 {
				t.Errorf("Calls: got %d; want 3", got)
			}
		})
	}
}

func TestPageSizes(t *testing.T) {
	reg := ecrfake.New()
	for i := range 120 {
		reg.Put(ecrfake.Repository{Name: fmt.Sprintf("repo-%03d", i), Tags: map[string]string{"k": "v"}})
	}
	_, client, _ := start(t, reg, "cbor")
	tests := []struct {
		name      string
		perPage   *int32
		wantLen   int
		wantToken bool
	}{
		{"default", nil, 100, true},
		{"1", aws.Int32(1), 1, true},
		{"100", aws.Int32(100), 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{ResourcesPerPage: tt.perPage})
			if err != nil {
				t.Fatalf("GetResources: %v", err)
			}
			if got := len(out.ResourceTagMappingList); got != tt.wantLen {
				t.Errorf("page length: got %d; want %d", got, tt.wantLen)
			}
			if got := aws.ToString(out.PaginationToken) != ""; got != tt.wantToken {
				t.Errorf("PaginationToken %q: got a token %t; want %t", aws.ToString(out.PaginationToken), got, tt.wantToken)
			}
		})
	}

	// The last page says it is the last, even when it is exactly full.
	out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []types.TagFilter{{Key: aws.String("k")}}, ResourcesPerPage: aws.Int32(60)})
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	out, err = client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []types.TagFilter{{Key: aws.String("k")}}, ResourcesPerPage: aws.Int32(60), PaginationToken: out.PaginationToken})
	if err != nil {
		t.Fatalf("GetResources, second page: %v", err)
	}
	if len(out.ResourceTagMappingList) != 60 || aws.ToString(out.PaginationToken) != "" {
		t.Errorf("second of two full pages: got %d resources and token %q; want 60 and no token",
			len(out.ResourceTagMappingList), aws.ToString(out.PaginationToken))
	}
}

func TestTagsPerPage(t *testing.T) {
	reg := ecrfake.New()
	for i := range 7 {
		tags := map[string]string{}
		for j := range 30 {
			tags[fmt.Sprintf("key-%02d", j)] = "v"
		}
		reg.Put(ecrfake.Repository{Name: fmt.Sprintf("repo-%d", i), Tags: tags})
	}
	_, client, _ := start(t, reg, "cbor")
	var sizes []int
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(client, &resourcegroupstaggingapi.GetResourcesInput{TagsPerPage: aws.Int32(100)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetResources: %v", err)
		}
		sizes = append(sizes, len(out.ResourceTagMappingList))
		if len(sizes) > 10 {
			t.Fatal("more than 10 pages: the paging does not end")
		}
		for _, m := range out.ResourceTagMappingList {
			if len(m.Tags) != 30 {
				t.Errorf("%s: got %d tags; want all 30 on one page", aws.ToString(m.ResourceARN), len(m.Tags))
			}
		}
	}
	// 30 tags a repository, at most 100 tags a page, a repository never split.
	if !slices.Equal(sizes, []int{3, 3, 1}) {
		t.Errorf("page sizes: got %v; want [3 3 1]", sizes)
	}
}

func TestTagFilters(t *testing.T) {
	filter := func(key string, values ...string) types.TagFilter {
		return types.TagFilter{Key: aws.String(key), Values: values}
	}
	tests := []struct {
		name    string
		filters []types.TagFilter
		want    []string
	}{
		{"none", nil, []string{"team-a/app", "team-a/lib", "team-b/app", "team-c/app"}},
		{"one value", []types.TagFilter{filter("team", "a")}, []string{"team-a/app", "team-a/lib"}},
		{"any of the values", []types.TagFilter{filter("team", "a", "b")}, []string{"team-a/app", "team-a/lib", "team-b/app"}},
		{"key without values", []types.TagFilter{filter("env")}, []string{"team-a/app", "team-a/lib", "team-b/app"}},
		{"all filters", []types.TagFilter{filter("team", "a", "c"), filter("env", "prod")}, []string{"team-a/app"}},
		{"key and key", []types.TagFilter{filter("env"), filter("owner")}, []string{"team-b/app"}},
		{"empty value", []types.TagFilter{filter("owner", "")}, []string{"team-b/app"}},
		{"no such value", []types.TagFilter{filter("team", "z")}, []string{}},
		{"no such key", []types.TagFilter{filter("cost-center")}, []string{}},
		{"keys are case-sensitive", []types.TagFilter{filter("Team", "a")}, []string{}},
		{"values are case-sensitive", []types.TagFilter{filter("team", "A")}, []string{}},
	}
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			_, client, _ := start(t, teams(), protocol)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{TagFilters: tt.filters})
					if err != nil {
						t.Fatalf("GetResources: %v", err)
					}
					if diff := cmp.Diff(tt.want, names(t, out.ResourceTagMappingList)); diff != "" {
						t.Errorf("repositories (-want +got):\n%s", diff)
					}
					if token := aws.ToString(out.PaginationToken); token != "" {
						t.Errorf("PaginationToken: got %q; want none", token)
					}
				})
			}
		})
	}
}

func TestAllTagsOfAMatch(t *testing.T) {
	_, client, _ := start(t, teams(), "cbor")
	out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []types.TagFilter{{Key: aws.String("owner")}}})
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	if len(out.ResourceTagMappingList) != 1 {
		t.Fatalf("got %d resources; want 1", len(out.ResourceTagMappingList))
	}
	m := out.ResourceTagMappingList[0]
	if got, want := aws.ToString(m.ResourceARN), ecrfake.ARN("team-b/app"); got != want {
		t.Errorf("ResourceARN: got %s; want %s", got, want)
	}
	// Every tag, not only the filtered one, sorted by key.
	want := []types.Tag{
		{Key: aws.String("env"), Value: aws.String("prod")},
		{Key: aws.String("owner"), Value: aws.String("")},
		{Key: aws.String("team"), Value: aws.String("b")},
	}
	if diff := cmp.Diff(want, m.Tags, cmp.AllowUnexported(types.Tag{})); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestResourceTypeFilters(t *testing.T) {
	all := []string{"team-a/app", "team-a/lib", "team-b/app", "team-c/app"}
	tests := []struct {
		name  string
		types []string
		want  []string
	}{
		{"none", nil, all},
		{"service", []string{"ecr"}, all},
		{"repository", []string{"ecr:repository"}, all},
		{"among others", []string{"s3:bucket", "ecr:repository"}, all},
		{"other service", []string{"s3"}, []string{}},
		{"other ECR type", []string{"ecr:image"}, []string{}},
		{"case", []string{"ECR:Repository"}, []string{}},
	}
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			reg := teams()
			_, client, _ := start(t, reg, protocol)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					reg.ResetCalls()
					out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{
						ResourceTypeFilters: tt.types,
						TagFilters:          []types.TagFilter{{Key: aws.String("team")}},
					})
					if err != nil {
						t.Fatalf("GetResources: %v", err)
					}
					if diff := cmp.Diff(tt.want, names(t, out.ResourceTagMappingList)); diff != "" {
						t.Errorf("repositories (-want +got):\n%s", diff)
					}
					if len(tt.want) == 0 && len(reg.Calls()) != 0 {
						t.Errorf("ECR calls for a type that is no repository: got %v; want none", reg.Calls())
					}
				})
			}
		})
	}
}

func TestResourceARNList(t *testing.T) {
	_, client, _ := start(t, teams(), "cbor")
	out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{
		ResourceARNList: []string{
			ecrfake.ARN("team-c/app"),
			ecrfake.ARN("team-a/app"),
			ecrfake.ARN("untagged"),
			ecrfake.ARN("no-such-repository"),
			"arn:aws:s3:::bucket",
		},
	})
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	// Missing, untagged and other resources are left out, without an error.
	if diff := cmp.Diff([]string{"team-a/app", "team-c/app"}, names(t, out.ResourceTagMappingList)); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
}

// TestInvalidParameters checks that bad input is answered with the service's typed
// InvalidParameterException, decoded by the SDK in either protocol.
func TestInvalidParameters(t *testing.T) {
	arns := []string{ecrfake.ARN("team-a/app")}
	tests := []struct {
		name string
		in   resourcegroupstaggingapi.GetResourcesInput
	}{
		{"ResourcesPerPage 0", resourcegroupstaggingapi.GetResourcesInput{ResourcesPerPage: aws.Int32(0)}},
		{"ResourcesPerPage 101", resourcegroupstaggingapi.GetResourcesInput{ResourcesPerPage: aws.Int32(101)}},
		{"TagsPerPage 99", resourcegroupstaggingapi.GetResourcesInput{TagsPerPage: aws.Int32(99)}},
		{"TagsPerPage 501", resourcegroupstaggingapi.GetResourcesInput{TagsPerPage: aws.Int32(501)}},
		{"filter without key", resourcegroupstaggingapi.GetResourcesInput{TagFilters: []types.TagFilter{{Values: []string{"a"}}}}},
		{"filter with empty key", resourcegroupstaggingapi.GetResourcesInput{TagFilters: []types.TagFilter{{Key: aws.String("")}}}},
		{"21 values", resourcegroupstaggingapi.GetResourcesInput{TagFilters: []types.TagFilter{{Key: aws.String("k"), Values: make([]string, 21)}}}},
		{"51 filters", resourcegroupstaggingapi.GetResourcesInput{TagFilters: make([]types.TagFilter, 51)}},
		{"empty type", resourcegroupstaggingapi.GetResourcesInput{ResourceTypeFilters: []string{""}}},
		{"bad token", resourcegroupstaggingapi.GetResourcesInput{PaginationToken: aws.String("not a token")}},
		{"compliance details", resourcegroupstaggingapi.GetResourcesInput{IncludeComplianceDetails: aws.Bool(true)}},
		{"ARNs and tag filters", resourcegroupstaggingapi.GetResourcesInput{ResourceARNList: arns, TagFilters: []types.TagFilter{{Key: aws.String("team")}}}},
		{"ARNs and types", resourcegroupstaggingapi.GetResourcesInput{ResourceARNList: arns, ResourceTypeFilters: []string{"ecr"}}},
		{"ARNs and page size", resourcegroupstaggingapi.GetResourcesInput{ResourceARNList: arns, ResourcesPerPage: aws.Int32(10)}},
	}
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			reg := teams()
			fake, client, _ := start(t, reg, protocol)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := client.GetResources(context.Background(), &tt.in)
					var invalid *types.InvalidParameterException
					if !errors.As(err, &invalid) {
						t.Fatalf("error: got %v (%T); want *types.InvalidParameterException", err, err)
					}
					if invalid.ErrorMessage() == "" {
						t.Errorf("InvalidParameterException without a message")
					}
					if status := httpStatus(err); status != http.StatusBadRequest {
						t.Errorf("HTTP status: got %d; want 400", status)
					}
				})
			}
			if got := fake.Calls(); got != len(tests) {
				t.Errorf("Calls: got %d; want %d: rejected requests count too", got, len(tests))
			}
			if calls := reg.Calls(); len(calls) != 0 {
				t.Errorf("ECR calls for rejected requests: got %v; want none", calls)
			}
		})
	}
}

func httpStatus(err error) int {
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		return resp.HTTPStatusCode()
	}
	return 0
}

// TestReadsTheSourceEachRequest checks that each request sees the registry as it is then,
// and that a page token is a position in the ARN order that survives changes between pages.
func TestReadsTheSourceEachRequest(t *testing.T) {
	reg := ecrfake.New()
	for _, name := range []string{"a", "b", "c", "d"} {
		reg.Put(ecrfake.Repository{Name: name, Tags: map[string]string{"team": "t"}})
	}
	_, client, _ := start(t, reg, "cbor")
	ctx := context.Background()
	query := func(token *string) ([]string, *string) {
		t.Helper()
		out, err := client.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{
			TagFilters:       []types.TagFilter{{Key: aws.String("team"), Values: []string{"t"}}},
			ResourcesPerPage: aws.Int32(2),
			PaginationToken:  token,
		})
		if err != nil {
			t.Fatalf("GetResources: %v", err)
		}
		return names(t, out.ResourceTagMappingList), out.PaginationToken
	}

	first, token := query(nil)
	if !slices.Equal(first, []string{"a", "b"}) || aws.ToString(token) == "" {
		t.Fatalf("first page: got %v, token %q; want [a b] and a token", first, aws.ToString(token))
	}
	// Between pages: a listed repository goes, one is created before the token's position
	// and one after, and one loses the tag filtered on.
	reg.Delete("a")
	reg.Put(ecrfake.Repository{Name: "aa", Tags: map[string]string{"team": "t"}})
	reg.Put(ecrfake.Repository{Name: "e", Tags: map[string]string{"team": "t"}})
	reg.Edit("c", func(r *ecrfake.Repository) { r.Tags = map[string]string{"team": "other"} })
	second, token := query(token)
	if !slices.Equal(second, []string{"d", "e"}) || aws.ToString(token) != "" {
		t.Errorf("second page: got %v, token %q; want [d e] and no token", second, aws.ToString(token))
	}

	// A new query sees the registry as it is now.
	again, _ := query(nil)
	if !slices.Equal(again, []string{"aa", "b"}) {
		t.Errorf("new query: got %v; want [aa b]", again)
	}
}

// TestRepositoryNotYetVisible checks that a repository DescribeRepositories lists but whose
// tags ECR does not find yet (just created, or just deleted) is left out, not an error.
func TestRepositoryNotYetVisible(t *testing.T) {
	reg := teams()
	reg.SetLag(1)
	if _, err := reg.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{
		RepositoryName: aws.String("team-a/new"),
		Tags:           []ecrtypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	}); err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	_, client, _ := start(t, reg, "cbor")
	in := &resourcegroupstaggingapi.GetResourcesInput{TagFilters: []types.TagFilter{{Key: aws.String("team"), Values: []string{"a"}}}}
	out, err := client.GetResources(context.Background(), in)
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	if got, want := names(t, out.ResourceTagMappingList), []string{"team-a/app", "team-a/lib"}; !slices.Equal(got, want) {
		t.Errorf("while the new repository lags: got %v; want %v", got, want)
	}
	out, err = client.GetResources(context.Background(), in)
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	if got, want := names(t, out.ResourceTagMappingList), []string{"team-a/app", "team-a/lib", "team-a/new"}; !slices.Equal(got, want) {
		t.Errorf("once the new repository shows: got %v; want %v", got, want)
	}
}

// failing is a registry whose reads fail.
type failing struct {
	*ecrfake.Registry
	describe, listTags error
}

func (f failing) DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	if f.describe != nil {
		return nil, f.describe
	}
	return f.Registry.DescribeRepositories(ctx, in, optFns...)
}

func (f failing) ListTagsForResource(ctx context.Context, in *ecr.ListTagsForResourceInput, optFns ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error) {
	if f.listTags != nil {
		return nil, f.listTags
	}
	return f.Registry.ListTagsForResource(ctx, in, optFns...)
}

func TestECRReadErrors(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	tests := []struct {
		name   string
		source failing
	}{
		{"DescribeRepositories", failing{Registry: teams(), describe: throttled}},
		{"ListTagsForResource", failing{Registry: teams(), listTags: throttled}},
	}
	for _, protocol := range protocols {
		for _, tt := range tests {
			t.Run(protocol+"/"+tt.name, func(t *testing.T) {
				ts := httptest.NewServer(taggingfake.New(tt.source))
				t.Cleanup(ts.Close)
				_, err := newClient(ts.URL, protocol).GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{})
				var internal *types.InternalServiceException
				if !errors.As(err, &internal) {
					t.Fatalf("error: got %v (%T); want *types.InternalServiceException", err, err)
				}
				if !strings.Contains(internal.ErrorMessage(), "Rate exceeded") {
					t.Errorf("message: got %q; want it to hold the ECR error", internal.ErrorMessage())
				}
				if status := httpStatus(err); status != http.StatusInternalServerError {
					t.Errorf("HTTP status: got %d; want 500", status)
				}
			})
		}
	}
}

func TestRefuse(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			reg := teams()
			fake, client, _ := start(t, reg, protocol)
			ctx := context.Background()

			fake.Refuse("ThrottledException")
			_, err := client.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})
			var throttled *types.ThrottledException
			if !errors.As(err, &throttled) {
				t.Errorf("refused ThrottledException: got %v (%T); want *types.ThrottledException", err, err)
			}
			if status := httpStatus(err); status != http.StatusBadRequest {
				t.Errorf("ThrottledException HTTP status: got %d; want 400", status)
			}

			fake.Refuse("InternalServiceException")
			_, err = client.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})
			var internal *types.InternalServiceException
			if !errors.As(err, &internal) {
				t.Errorf("refused InternalServiceException: got %v (%T); want *types.InternalServiceException", err, err)
			}
			if status := httpStatus(err); status != http.StatusInternalServerError {
				t.Errorf("InternalServiceException HTTP status: got %d; want 500", status)
			}

			// A code the SDK does not model still reaches the caller as that code.
			fake.Refuse("AccessDeniedException")
			_, err = client.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" || apiErr.ErrorMessage() == "" {
				t.Errorf("refused AccessDeniedException: got %v; want that code and a message", err)
			}
			if calls := reg.Calls(); len(calls) != 0 {
				t.Errorf("ECR calls while refused: got %v; want none", calls)
			}

			fake.Allow()
			out, err := client.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})
			if err != nil {
				t.Fatalf("GetResources after Allow: %v", err)
			}
			if got := len(out.ResourceTagMappingList); got != 4 {
				t.Errorf("after Allow: got %d resources; want 4", got)
			}
			if got := fake.Calls(); got != 4 {
				t.Errorf("Calls: got %d; want 4: refused requests count too", got)
			}
		})
	}
}

func TestUnknownOperation(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			fake, client, _ := start(t, teams(), protocol)
			_, err := client.GetTagKeys(context.Background(), &resourcegroupstaggingapi.GetTagKeysInput{})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" {
				t.Fatalf("GetTagKeys: got %v; want UnknownOperationException", err)
			}
			if !strings.Contains(apiErr.ErrorMessage(), "GetTagKeys") {
				t.Errorf("message: got %q; want it to name GetTagKeys", apiErr.ErrorMessage())
			}
			if status := httpStatus(err); status != http.StatusBadRequest {
				t.Errorf("HTTP status: got %d; want 400", status)
			}
			if got := fake.Calls(); got != 0 {
				t.Errorf("Calls: got %d; want 0: only GetResources counts", got)
			}
		})
	}
}

// TestJSONWire checks the AWS JSON 1.1 wire format itself, below the SDK.
func TestJSONWire(t *testing.T) {
	_, _, url := start(t, teams(), "json")
	post := func(t *testing.T, target, body string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("decode body: %v", err)
		}
		return resp, out
	}

	t.Run("result", func(t *testing.T) {
		resp, out := post(t, "ResourceGroupsTaggingAPI_20170126.GetResources",
			`{"TagFilters":[{"Key":"team","Values":["c"]}],"ResourceTypeFilters":["ecr:repository"],"ResourcesPerPage":100}`)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Errorf("status %d, Content-Type %q; want 200, application/x-amz-json-1.1", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		want := map[string]any{
			"PaginationToken": "",
			"ResourceTagMappingList": []any{map[string]any{
				"ResourceARN": ecrfake.ARN("team-c/app"),
				"Tags":        []any{map[string]any{"Key": "team", "Value": "c"}},
			}},
		}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("body (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name, target, body string
		wantCode           string
	}{
		{"invalid parameter", "ResourceGroupsTaggingAPI_20170126.GetResources", `{"ResourcesPerPage":0}`, "InvalidParameterException"},
		{"malformed body", "ResourceGroupsTaggingAPI_20170126.GetResources", `{"TagFilters":`, "SerializationException"},
		{"wrong type", "ResourceGroupsTaggingAPI_20170126.GetResources", `{"ResourcesPerPage":"ten"}`, "SerializationException"},
		{"no target", "", `{}`, "UnknownOperationException"},
		{"other service", "AmazonSSM.GetParameter", `{}`, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, tt.target, tt.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status: got %d; want 400", resp.StatusCode)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tt.wantCode {
				t.Errorf("X-Amzn-ErrorType: got %q; want %q", got, tt.wantCode)
			}
			if body["__type"] != tt.wantCode || body["Message"] == "" || body["Message"] == nil {
				t.Errorf("body: got %v; want __type %q and a Message", body, tt.wantCode)
			}
			if tt.target == "AmazonSSM.GetParameter" && !strings.Contains(fmt.Sprint(body["Message"]), tt.target) {
				t.Errorf("message: got %q; want it to name %s", body["Message"], tt.target)
			}
		})
	}
}

// TestProtocolsOnTheWire checks which protocol each client speaks, so that both are tested:
// the SDK's default is RPC v2 CBOR.
func TestProtocolsOnTheWire(t *testing.T) {
	for _, tt := range []struct{ protocol, path, header, value string }{
		{"cbor", "/service/ResourceGroupsTaggingAPI_20170126/operation/GetResources", "Smithy-Protocol", "rpc-v2-cbor"},
		{"json", "/", "X-Amz-Target", "ResourceGroupsTaggingAPI_20170126.GetResources"},
	} {
		t.Run(tt.protocol, func(t *testing.T) {
			fake := taggingfake.New(teams())
			var mu sync.Mutex
			var seen []string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.URL.Path+" "+r.Header.Get(tt.header))
				mu.Unlock()
				fake.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			if _, err := newClient(ts.URL, tt.protocol).GetResources(context.Background(), nil); err != nil {
				t.Fatalf("GetResources: %v", err)
			}
			if want := []string{tt.path + " " + tt.value}; !slices.Equal(seen, want) {
				t.Errorf("requests: got %q; want %q", seen, want)
			}
		})
	}
}

func TestCBORWire(t *testing.T) {
	_, _, url := start(t, teams(), "cbor")
	post := func(t *testing.T, path string, header bool) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url+path, bytes.NewReader([]byte{0xa0})) // {}
		req.Header.Set("Content-Type", "application/cbor")
		if header {
			req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := post(t, "/service/ResourceGroupsTaggingAPI_20170126/operation/GetResources", true)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/cbor" || resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Errorf("GetResources: got %d, Content-Type %q, Smithy-Protocol %q; want 200, application/cbor, rpc-v2-cbor",
			resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Smithy-Protocol"))
	}
	if resp := post(t, "/service/ResourceGroupsTaggingAPI_20170126/operation/GetResources", false); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("without Smithy-Protocol: got %d; want 400", resp.StatusCode)
	}
	if resp := post(t, "/service/Other/operation/GetResources", true); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another service's path: got %d; want 404", resp.StatusCode)
	}
}

func TestConcurrentUse(t *testing.T) {
	reg := teams()
	fake, client, _ := start(t, reg, "cbor")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				name := fmt.Sprintf("new-%d-%d", i, j)
				reg.Put(ecrfake.Repository{Name: name, Tags: map[string]string{"team": name}})
				out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{
					TagFilters: []types.TagFilter{{Key: aws.String("team"), Values: []string{name}}}})
				if err != nil {
					t.Errorf("GetResources: %v", err)
					continue
				}
				if got := names(t, out.ResourceTagMappingList); !slices.Equal(got, []string{name}) {
					t.Errorf("GetResources for %s: got %v", name, got)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			fake.Refuse("ThrottledException")
			fake.Allow()
			_ = fake.Calls()
		}
	})
	wg.Wait()
	if got := fake.Calls(); got != 80 {
		t.Errorf("Calls: got %d; want 80", got)
	}
}

// A test seeds repositories in an in-memory registry and points a real Resource Groups
// Tagging API client at the stand-in; a product binary would get
// AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API instead.
func Example() {
	reg := ecrfake.New()
	reg.Put(ecrfake.Repository{Name: "team-a/app", Tags: map[string]string{"team": "a"}})
	reg.Put(ecrfake.Repository{Name: "team-b/app", Tags: map[string]string{"team": "b"}})
	fake := taggingfake.New(reg)
	ts := httptest.NewServer(fake)
	defer ts.Close()

	client := resourcegroupstaggingapi.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	out, err := client.GetResources(context.Background(), &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters:          []types.TagFilter{{Key: aws.String("team"), Values: []string{"a"}}},
		ResourceTypeFilters: []string{"ecr:repository"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range out.ResourceTagMappingList {
		fmt.Println(*m.ResourceARN)
	}
	fmt.Println(fake.Calls())
	// Output:
	// arn:aws:ecr:us-east-1:123456789012:repository/team-a/app
	// 1
}

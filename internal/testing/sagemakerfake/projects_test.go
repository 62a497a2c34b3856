package sagemakerfake_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func TestListProjectsPagesThroughAll(t *testing.T) {
	fake, client, _ := start(t)
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("proj-%02d", i))
	}
	// Seed out of order: the listing is sorted by name, not by insertion.
	for i := range want {
		name := want[(i*7)%len(want)]
		fake.PutProject(name, "p-"+name, nil)
	}

	before := time.Now().Add(-time.Second)
	var got []string
	var sizes []int
	pages := sagemaker.NewListProjectsPaginator(client, &sagemaker.ListProjectsInput{MaxResults: aws.Int32(10)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListProjects page %d: %v", len(sizes)+1, err)
		}
		sizes = append(sizes, len(out.ProjectSummaryList))
		for _, p := range out.ProjectSummaryList {
			got = append(got, aws.ToString(p.ProjectName))
			name := aws.ToString(p.ProjectName)
			if arn, want := aws.ToString(p.ProjectArn), "arn:aws:sagemaker:us-east-1:123456789012:project/"+name; arn != want {
				t.Errorf("ProjectArn of %s: got %s; want %s", name, arn, want)
			}
			if id := aws.ToString(p.ProjectId); id != "p-"+name {
				t.Errorf("ProjectId of %s: got %s; want %s", name, id, "p-"+name)
			}
			if p.ProjectStatus != types.ProjectStatusCreateCompleted {
				t.Errorf("ProjectStatus of %s: got %q; want %q", name, p.ProjectStatus, types.ProjectStatusCreateCompleted)
			}
			if p.CreationTime == nil || p.CreationTime.Before(before) || p.CreationTime.After(time.Now()) {
				t.Errorf("CreationTime of %s: got %v; want about now", name, p.CreationTime)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("project names over all pages (-want +got):\n%s", diff)
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) {
		t.Errorf("page sizes: got %v; want [10 10 5]", sizes)
	}
}

func TestListProjectsMaxResults(t *testing.T) {
	fake, client, _ := start(t)
	for i := range 120 {
		fake.PutProject(fmt.Sprintf("proj-%03d", i), "", nil)
	}
	tests := []struct {
		name       string
		maxResults *int32
		wantLen    int
		wantCode   string
	}{
		{"default", nil, 10, ""},
		{"1", aws.Int32(1), 1, ""},
		{"100", aws.Int32(100), 100, ""},
		{"0", aws.Int32(0), 0, "ValidationException"},
		{"101", aws.Int32(101), 0, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.ListProjects(context.Background(), &sagemaker.ListProjectsInput{MaxResults: tt.maxResults})
			if tt.wantCode != "" {
				if code := errorCode(err); code != tt.wantCode {
					t.Fatalf("error code: got %s; want %s", code, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("ListProjects: %v", err)
			}
			if got := len(out.ProjectSummaryList); got != tt.wantLen {
				t.Errorf("page length: got %d; want %d", got, tt.wantLen)
			}
			if out.NextToken == nil {
				t.Errorf("NextToken: got nil; want a token for the rest of 120")
			}
		})
	}
}

func TestListProjectsSortAndFilter(t *testing.T) {
	fake, client, _ := start(t)
	fake.PutProject("beta", "", nil)
	fake.PutProject("Alpha", "", nil)
	fake.PutProject("gamma-beta", "", nil)
	tests := []struct {
		name string
		in   sagemaker.ListProjectsInput
		want []string
	}{
		{"default by name", sagemaker.ListProjectsInput{}, []string{"Alpha", "beta", "gamma-beta"}},
		{"descending", sagemaker.ListProjectsInput{SortOrder: types.ProjectSortOrderDescending}, []string{"gamma-beta", "beta", "Alpha"}},
		{"name contains", sagemaker.ListProjectsInput{NameContains: aws.String("BETA")}, []string{"beta", "gamma-beta"}},
		{"created after now", sagemaker.ListProjectsInput{CreationTimeAfter: aws.Time(time.Now().Add(time.Minute))}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.ListProjects(context.Background(), &tt.in)
			if err != nil {
				t.Fatalf("ListProjects: %v", err)
			}
			got := []string{}
			for _, p := range out.ProjectSummaryList {
				got = append(got, aws.ToString(p.ProjectName))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListTags(t *testing.T) {
	fake, client, _ := start(t)
	churn := fake.PutProject("Churn-Model", "p-abc123def456", map[string]string{"team": "data", "env": "dev"})
	bare := fake.PutProject("bare", "", nil)
	fake.PutProject("retagged", "", map[string]string{"team": "old"})
	retagged := fake.PutProject("retagged", "", map[string]string{"team": "new"}) // replaces the project
	if want := "arn:aws:sagemaker:us-east-1:123456789012:project/churn-model"; churn != want {
		t.Errorf("PutProject ARN: got %s; want %s", churn, want)
	}

	tests := []struct {
		arn  string
		want []types.Tag
	}{
		{churn, []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("data")}}},
		{bare, []types.Tag{}},
		{retagged, []types.Tag{{Key: aws.String("team"), Value: aws.String("new")}}},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			out, err := client.ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(tt.arn)})
			if err != nil {
				t.Fatalf("ListTags: %v", err)
			}
			if out.NextToken != nil {
				t.Errorf("NextToken: got %q; want nil", *out.NextToken)
			}
			if diff := cmp.Diff(tt.want, out.Tags, cmp.Comparer(func(a, b types.Tag) bool {
				return aws.ToString(a.Key) == aws.ToString(b.Key) && aws.ToString(a.Value) == aws.ToString(b.Value)
			})); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListTagsPages(t *testing.T) {
	fake, client, _ := start(t)
	tags := map[string]string{}
	for i := range 60 {
		tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	arn := fake.PutProject("many", "", tags)
	var got int
	pages := sagemaker.NewListTagsPaginator(client, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListTags: %v", err)
		}
		got += len(out.Tags)
	}
	if got != 60 {
		t.Errorf("tags over all pages: got %d; want 60", got)
	}
}

func TestListTagsErrors(t *testing.T) {
	fake, client, _ := start(t)
	arn := fake.PutProject("churn", "", map[string]string{"team": "data"})
	deleted := fake.PutProject("gone", "", nil)
	fake.DeleteProject("GONE")
	tests := []struct {
		name        string
		in          sagemaker.ListTagsInput
		wantMessage string
	}{
		{"unknown", sagemaker.ListTagsInput{ResourceArn: aws.String(arn + "-nope")}, "not found"},
		{"deleted", sagemaker.ListTagsInput{ResourceArn: aws.String(deleted)}, "not found"},
		{"upper case", sagemaker.ListTagsInput{ResourceArn: aws.String(strings.Replace(arn, "churn", "Churn", 1))}, "not found"},
		{"other region", sagemaker.ListTagsInput{ResourceArn: aws.String(strings.Replace(arn, region, "eu-west-1", 1))}, "not found"},
		{"not an ARN", sagemaker.ListTagsInput{ResourceArn: aws.String("churn")}, "regular expression"},
		{"max results below 50", sagemaker.ListTagsInput{ResourceArn: aws.String(arn), MaxResults: aws.Int32(10)}, "greater than or equal to 50"},
		{"bad token", sagemaker.ListTagsInput{ResourceArn: aws.String(arn), NextToken: aws.String("!!")}, "pagination token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.ListTags(context.Background(), &tt.in)
			if code := errorCode(err); code != "ValidationException" {
				t.Fatalf("error code: got %s; want ValidationException", code)
			}
			var apiErr smithy.APIError
			errors.As(err, &apiErr)
			if msg := apiErr.ErrorMessage(); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("error message: got %q; want it to contain %q", msg, tt.wantMessage)
			}
		})
	}
}

func TestDescribeProject(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	arn := fake.PutProject("Churn-Model", "p-1", nil)
	out, err := client.DescribeProject(ctx, &sagemaker.DescribeProjectInput{ProjectName: aws.String("churn-model")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ProjectArn) != arn || aws.ToString(out.ProjectName) != "Churn-Model" || out.ProjectStatus != "CreateCompleted" || out.CreationTime == nil {
		t.Errorf("got %+v; want the project as put", out)
	}
	if err := fake.SetStatus("Churn-Model", "DeleteInProgress"); err != nil {
		t.Fatal(err)
	}
	if out, _ := client.DescribeProject(ctx, &sagemaker.DescribeProjectInput{ProjectName: aws.String("Churn-Model")}); out == nil || out.ProjectStatus != "DeleteInProgress" {
		t.Errorf("status: got %+v; want DeleteInProgress", out)
	}
	_, err = client.DescribeProject(ctx, &sagemaker.DescribeProjectInput{ProjectName: aws.String("nope")})
	if code := errorCode(err); code != "ValidationException" {
		t.Errorf("unknown project: got %s; want ValidationException", code)
	}
}

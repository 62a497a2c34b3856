//go:build integration

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

func TestCreateProjectProvisionsTheProjectRepositories(t *testing.T) {
	ctx := fresh(t)
	want := names("acme-sm-data-science-churn-model", projectTypes...)

	var sum stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("create-project.json"), &sum)
	if sum.Status != "provisioned" || sum.Project != "Churn-Model" || sum.Team != "data-science" {
		t.Errorf("summary: status %q, project %q, team %q; want provisioned, Churn-Model, data-science", sum.Status, sum.Project, sum.Team)
	}
	repos := wantRepositories(t, ctx, want)
	for _, name := range want {
		repo := repos[name]
		typ := name[strings.LastIndexByte(name, '/')+1:]
		for key, value := range map[string]string{
			"managed-by":           "sagemaker-ecr-provisioner",
			"repository-type":      typ,
			"scope":                "project",
			"team":                 "data-science",
			"sagemaker:project-id": "p-1a2b3c4d5e6f",
		} {
			if got := repo.Tags[key]; got != value {
				t.Errorf("%s tag %s = %q; want %q", name, key, got, value)
			}
		}
		if got := repo.Tags["sagemaker:project-name"]; !strings.EqualFold(got, "churn-model") {
			t.Errorf("%s tag sagemaker:project-name = %q; want Churn-Model", name, got)
		}
		wantKeepNewest(t, repo, defaultRetained)
	}
	wantEvents(t, drain(t, ctx), map[string]int{provisioned: 1})

	// The same event again: nothing to do, nothing announced.
	var again stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("create-project.json"), &again)
	if again.Status != "in-sync" {
		t.Errorf("second CreateProject: status %q; want in-sync", again.Status)
	}
	wantRepositories(t, ctx, want)
	wantEvents(t, drain(t, ctx), map[string]int{})
}

// AddTags carries only the tags added; the function reads the project's current tags from
// SageMaker (the stand-in here), so the team comes from there.
func TestAddTagsProvisionsFromTheProjectsCurrentTags(t *testing.T) {
	ctx := fresh(t)
	local.SageMaker.PutProject("fraud-detect", "", map[string]string{"team": "risk", "cost-center": "cc-7"})

	var sum stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("add-tags.json"), &sum)
	if sum.Status != "provisioned" || sum.Team != "risk" {
		t.Errorf("summary: status %q, team %q; want provisioned, risk", sum.Status, sum.Team)
	}
	repos := wantRepositories(t, ctx, names("acme-sm-risk-fraud-detect", projectTypes...))
	for name, repo := range repos {
		if repo.Tags["team"] != "risk" {
			t.Errorf("%s tag team = %q; want risk", name, repo.Tags["team"])
		}
		wantKeepNewest(t, repo, defaultRetained)
	}
	wantEvents(t, drain(t, ctx), map[string]int{provisioned: 1})
}

// An AddTags event for a project SageMaker does not know is a trigger without truth behind it.
func TestAddTagsForAProjectThatIsGoneCreatesNothing(t *testing.T) {
	ctx := fresh(t)
	var sum stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("add-tags.json"), &sum)
	if sum.Status != "skipped" {
		t.Errorf("status %q; want skipped", sum.Status)
	}
	wantRepositories(t, ctx, nil)
}

func TestDeleteProjectRetainsAndTagsTheRepositories(t *testing.T) {
	ctx := fresh(t)
	want := names("acme-sm-data-science-churn-model", projectTypes...)
	var created stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("create-project.json"), &created)
	drain(t, ctx)

	var sum stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("delete-project.json"), &sum)
	if sum.Status != "retired" {
		t.Errorf("status %q; want retired", sum.Status)
	}
	repos := wantRepositories(t, ctx, want) // on-project-delete retain: nothing deleted
	for name, repo := range repos {
		stamp, ok := repo.Tags[tagDeleted]
		if !ok {
			t.Errorf("%s has no %s tag; tags %v", name, tagDeleted, repo.Tags)
			continue
		}
		if _, err := time.Parse(time.RFC3339, stamp); err != nil {
			t.Errorf("%s tag %s = %q: not an RFC 3339 time", name, tagDeleted, stamp)
		}
		wantKeepNewest(t, repo, defaultRetained)
	}
	wantEvents(t, drain(t, ctx), map[string]int{retained: 1})
}

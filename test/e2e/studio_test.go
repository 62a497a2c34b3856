//go:build integration

package e2e

import (
	"slices"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// A SageMaker Unified Studio project, end to end on the real bootstraps: its CloudTrail record
// provisions it (GetProject and GetDomainUnit on the DataZone stand-in, GetResources on the
// tagging stand-in), a missed one is created by the next reconcile, and DeleteProject retires
// its repositories.
func TestUnifiedStudioProjectsEndToEnd(t *testing.T) {
	ctx := fresh(t)
	const domain, unit = "dzd_4p9n6sw4qt9xgn", "3thg1pbxn6pz9j"
	if err := local.Account.PutConfig(ctx, map[string]string{"datazone-domains": domain}); err != nil {
		t.Fatal(err)
	}
	local.DataZone.PutDomainUnit(domain, unit, "Data Science")
	local.DataZone.PutProject(domain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unit})
	want := names("acme-sm-data-science-churn-model", projectTypes...)

	var sum stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("datazone-create-project.json"), &sum)
	if sum.Status != "provisioned" || sum.Project != "Churn Model" || sum.Team != "data-science" {
		t.Errorf("summary: status %q, project %q, team %q; want provisioned, Churn Model, data-science", sum.Status, sum.Project, sum.Team)
	}
	for name, repo := range wantRepositories(t, ctx, want) {
		if repo.Tags["datazone:domain-id"] != domain || repo.Tags["datazone:project-id"] != "5rpbc7vhrajx7b" {
			t.Errorf("%s identity tags %v", name, repo.Tags)
		}
		wantKeepNewest(t, repo, defaultRetained)
	}
	wantEvents(t, drain(t, ctx), map[string]int{provisioned: 1})

	// A project whose events were missed: the next reconcile creates its repositories.
	local.DataZone.PutProject(domain, datazonefake.Project{ID: "missed00000001", Name: "Fraud Scoring", DomainUnitID: unit})
	drift := runDrift(t, ctx, `{"mode":"fix"}`)
	if drift.Errors != 0 {
		t.Errorf("reconcile: %+v; want no error", drift)
	}
	wantRepositories(t, ctx, slices.Sorted(slices.Values(slices.Concat(want, names("acme-sm-data-science-fraud-scoring", projectTypes...),
		names("acme-sagemaker-shared", sharedTypes...)))))

	// Deleted: its repositories are retained and tagged.
	local.DataZone.Delete(domain, "5rpbc7vhrajx7b")
	invoke(t, ctx, local.Provision, samples.Event("datazone-delete-project.json"), &sum)
	if sum.Status != "retired" {
		t.Errorf("DeleteProject: status %q; want retired", sum.Status)
	}
	for name, repo := range repositories(t, ctx) {
		_, retired := repo.Tags["sagemaker:project-deleted"]
		if want := repo.Tags["datazone:project-id"] == "5rpbc7vhrajx7b"; retired != want {
			t.Errorf("%s retired %v; want %v", name, retired, want)
		}
	}
}

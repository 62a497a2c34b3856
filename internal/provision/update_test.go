//go:build integration

package provision_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// UpdateProject is a trigger like AddTags: the project's tags are read back from SageMaker,
// so a team tag added by the update gets the project its repositories.
func TestUpdateProjectAddingTheTeamProvisions(t *testing.T) {
	w, _, svc := setup(t, nil)
	ctx := world.Deadline(t)

	// Created without a team tag: nothing to create yet.
	w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"cost-center": "cc-42"})
	noTeam := edit("create-project.json", func(ev map[string]any) {
		requestParameters(ev)["tags"] = []any{map[string]any{"key": "cost-center", "value": "cc-42"}}
	})
	if sum, err := svc.Handle(ctx, noTeam); err != nil || sum.Status != publish.StatusSkipped {
		t.Fatalf("CreateProject without team: got %q %q, %v; want %q", sum.Status, sum.Reason, err, publish.StatusSkipped)
	}

	// UpdateProject added the team tag.
	w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "growth", "cost-center": "cc-42"})
	w.Rec.Clear()
	sum, err := svc.Handle(ctx, event("update-project.json"))
	if err != nil || sum.Status != publish.StatusProvisioned || sum.Trigger != "UpdateProject" || sum.Team != "growth" {
		t.Fatalf("UpdateProject: got %+v, %v; want provisioned for team growth", sum, err)
	}
	want := []string{"acme-sm-growth-churn-model/inference", "acme-sm-growth-churn-model/preprocessing", "acme-sm-growth-churn-model/training"}
	if diff := cmp.Diff(want, sorted(w.Repositories(t))); diff != "" {
		t.Fatalf("repositories (-want +got):\n%s", diff)
	}
	if got := w.Rec.Count("ListTags"); got != 1 {
		t.Errorf("ListTags calls: got %d; want 1 (the tags are read back, not taken from the record)", got)
	}
	for _, name := range want {
		tags := tagsOf(t, w, name)
		// The record names no project id, nor do these tags: none is written, as after AddTags.
		if tags["team"] != "growth" || tags["sagemaker:project-name"] != "Churn-Model" {
			t.Errorf("tags of %s: got %v; want team growth, project Churn-Model", name, tags)
		}
	}

	// The same record again: the project is in sync, nothing is written.
	w.Rec.Clear()
	if sum, err := svc.Handle(ctx, event("update-project.json")); err != nil || sum.Status != publish.StatusInSync || len(w.Rec.Writes()) != 0 {
		t.Errorf("repeated UpdateProject: got %q, %v, writes %v; want %q and no write", sum.Status, err, w.Rec.Writes(), publish.StatusInSync)
	}
}

// The record's tags are not the truth: a later change of the team, made before the record is
// handled, is what counts.
func TestUpdateProjectReadsTheCurrentTags(t *testing.T) {
	w, _, svc := setup(t, nil)
	w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "retention"})
	sum, err := svc.Handle(world.Deadline(t), event("update-project.json")) // its record says team growth
	if err != nil || sum.Status != publish.StatusProvisioned || sum.Team != "retention" {
		t.Fatalf("got %+v, %v; want provisioned for SageMaker's current team, retention", sum, err)
	}
	want := []string{"acme-sm-retention-churn-model/inference", "acme-sm-retention-churn-model/preprocessing", "acme-sm-retention-churn-model/training"}
	if diff := cmp.Diff(want, sorted(w.Repositories(t))); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
}

// A project made from a CloudFormation template in S3 (templateProviders) rather than a
// Service Catalog product is a CreateProject like any other.
func TestCreateProjectFromTemplateProvidersProvisions(t *testing.T) {
	w, _, svc := setup(t, nil)
	sum, err := svc.Handle(world.Deadline(t), event("create-project-template-providers.json"))
	if err != nil || sum.Status != publish.StatusProvisioned || sum.Trigger != "CreateProject" || sum.Team != "risk" {
		t.Fatalf("got %+v, %v; want provisioned for team risk", sum, err)
	}
	want := []string{"acme-sm-risk-fraud-scoring/inference", "acme-sm-risk-fraud-scoring/preprocessing", "acme-sm-risk-fraud-scoring/training"}
	if diff := cmp.Diff(want, sorted(w.Repositories(t))); diff != "" {
		t.Fatalf("repositories (-want +got):\n%s", diff)
	}
	for _, name := range want {
		tags := tagsOf(t, w, name)
		if tags["team"] != "risk" || tags["sagemaker:project-name"] != "Fraud-Scoring" || tags["sagemaker:project-id"] != "p-9z8y7x6w5v4u" {
			t.Errorf("tags of %s: got %v; want team risk, project Fraud-Scoring, id p-9z8y7x6w5v4u", name, tags)
		}
	}
	if got := w.Rec.Count("ListTags"); got != 0 {
		t.Errorf("ListTags calls: got %d; want 0 (CreateProject carries the tags)", got)
	}
}

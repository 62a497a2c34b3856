//go:build integration

package provision_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// A new project's repositories are created as the whole configuration says: tag mutability and
// its exclusions in the CreateRepository call, the lifecycle policy with its protected and
// untagged rules, and the pull statement; a repeated event then costs one more read a
// repository (GetRepositoryPolicy, pull access being configured) and writes nothing.
func TestNewProjectGetsTheWholeRepository(t *testing.T) {
	w, _, svc := setup(t, map[string]string{
		"tag-mutability": "IMMUTABLE_WITH_EXCLUSION", "tag-mutability-exclusions": "latest",
		"pull-accounts": "222233334444", "protected-tag-patterns": "prod-*", "untagged-expiry-days": "7",
	})
	ctx := world.Deadline(t)
	sum, err := svc.Handle(ctx, event("create-project.json"))
	if err != nil || sum.Status != publish.StatusProvisioned {
		t.Fatalf("Handle: %q %q, %v", sum.Status, sum.Reason, err)
	}
	wantPolicy := lifecycle.Spec{Keep: 10, UntaggedDays: 7, Protected: []string{"prod-*"}}.Text()
	for _, name := range churnRepos {
		r := w.Repository(t, name)
		if r.Mutability != "IMMUTABLE_WITH_EXCLUSION" || !slices.Equal(r.Exclusions, []string{"latest"}) {
			t.Errorf("%s: mutability %s %v; want IMMUTABLE_WITH_EXCLUSION [latest]", name, r.Mutability, r.Exclusions)
		}
		if r.Policy != wantPolicy {
			t.Errorf("%s: lifecycle policy %s; want %s", name, r.Policy, wantPolicy)
		}
		p, err := access.Parse(r.Access)
		if err != nil || len(access.Differences(p.Ours(), access.Grant{Accounts: []string{"222233334444"}}.Statements())) != 0 {
			t.Errorf("%s: repository policy %s (%v); want our pull statement for 222233334444", name, r.Access, err)
		}
	}
	byOperation := map[string]int{}
	for _, r := range w.Rec.Writes() {
		byOperation[r.Operation]++
	}
	// A repository policy cannot ride in CreateRepository: with pull access a new repository
	// costs a third write.
	if diff := cmp.Diff(map[string]int{"CreateRepository": 3, "PutLifecyclePolicy": 3, "SetRepositoryPolicy": 3, "PutEvents": 1}, byOperation); diff != "" {
		t.Errorf("writes by operation (-want +got):\n%s", diff)
	}

	w.Rec.Clear()
	again, err := svc.Handle(ctx, event("create-project.json"))
	if err != nil || again.Status != publish.StatusInSync {
		t.Fatalf("second Handle: %q, %v; want in-sync", again.Status, err)
	}
	if writes := w.Rec.Writes(); len(writes) != 0 {
		t.Errorf("second Handle wrote %v", writes)
	}
	if got := len(w.Rec.Requests()); got != 1+3*4 {
		t.Errorf("second Handle: %d calls; want 13 (config, then describe, tags, lifecycle and repository policy a repository)", got)
	}
}

// In report mode the project's existing repositories are not written, only reported; a
// missing one is still created whole.
func TestReportModeProvisioningCreatesButDoesNotFix(t *testing.T) {
	w, _, svc := setup(t, map[string]string{"drift-mode": "report", "tag-mutability": "IMMUTABLE"})
	untagged(t, w, "acme-sm-data-science-churn-model/training") // MUTABLE, no tags, no policy
	sum, err := svc.Handle(world.Deadline(t), event("create-project.json"))
	if err != nil || sum.Status != publish.StatusProvisioned {
		t.Fatalf("Handle: %q %q, %v", sum.Status, sum.Reason, err)
	}
	writes := map[string]int{}
	for _, r := range w.Rec.Writes() {
		if r.Repository == "acme-sm-data-science-churn-model/training" {
			writes[r.Operation]++
		}
	}
	if len(writes) != 0 {
		t.Errorf("report mode wrote %v to the existing repository", writes)
	}
	i := slices.IndexFunc(sum.Repositories, func(r reconcile.Result) bool { return r.Repository == "acme-sm-data-science-churn-model/training" })
	if i < 0 {
		t.Fatalf("results %+v: none for the existing repository", sum.Repositories)
	}
	if r := sum.Repositories[i]; r.Outcome != reconcile.Drifted || len(r.Differences) == 0 {
		t.Errorf("existing repository: %+v; want drifted, with its differences", r)
	}
	if r := w.Repository(t, "acme-sm-data-science-churn-model/inference"); r.Mutability != "IMMUTABLE" || !r.HasPolicy {
		t.Errorf("new repository: %+v; want it created IMMUTABLE with its policy", r)
	}
}

// untagged creates a repository as the old scripts did: no tags, no policy, MUTABLE.
func untagged(t *testing.T, w *world.World, name string) {
	t.Helper()
	if _, err := w.Setup.ECR.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

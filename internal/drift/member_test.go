//go:build integration

package drift_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// Two member accounts of the central registry.
const (
	member      = "222233334444"
	otherMember = "333344445555"
)

func TestMissedMemberProjectsAreCreatedAndUnreachableMembersAreOneError(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "base-sklearn", "member-accounts": member + " " + otherMember})
	w.SageMaker.PutProject("churn", "p-home", map[string]string{"team": "risk"})
	for i, name := range []string{"forecast", "demand-plan", "pricing"} { // several ListTags in one account
		w.SageMaker.Account(member).PutProject(name, "p-m"+string(rune('0'+i)), map[string]string{"team": "demand"})
	}
	w.SageMaker.Account(otherMember).PutProject("ledger", "p-o", map[string]string{"team": "finance"})
	w.STS.Deny(otherMember) // its member role is missing

	sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if sum.Errors != 1 || !slices.Equal(sum.Unreachable, []string{otherMember}) || err == nil || sum.Complete {
		t.Errorf("summary %+v, %v; want one error, %s unreachable, the run failing for it and incomplete", sum, err, otherMember)
	}
	for _, name := range []string{"acme-sm-risk-churn/training", "acme-sm-demand-forecast/training", "acme-sm-demand-demand-plan/training", "acme-sm-demand-pricing/inference"} {
		r := w.Repository(t, name)
		want := ""
		if name != "acme-sm-risk-churn/training" {
			want = member
		}
		if r.Tags["sagemaker:project-account"] != want {
			t.Errorf("%s account tag %q; want %q", name, r.Tags["sagemaker:project-account"], want)
		}
	}
	if got := w.Repositories(t); slices.Contains(got, "acme-sm-finance-ledger/training") {
		t.Errorf("the unreachable member's project got repositories: %v", got)
	}
	// The shared repositories grant pull to every member account.
	if got := w.Repository(t, "acme-sagemaker-shared/base-sklearn").PullAccounts(); !slices.Equal(got, []string{member, otherMember}) {
		t.Errorf("shared repository pull %v; want both member accounts", got)
	}
	// The member's role is assumed once a run, whatever it reads there.
	if calls := w.STS.AssumeRoleCalls(); calls[member] != 1 || calls[otherMember] != 1 {
		t.Errorf("AssumeRole calls %v; want one an account", calls)
	}

	// Once the role is there, the next run converges the rest.
	w.STS.Reset()
	again, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err != nil || again.Errors != 0 || again.Created != 3 {
		t.Errorf("run after the member role appeared: %+v, %v; want the ledger's 3 repositories created", again, err)
	}
	if r := w.Repository(t, "acme-sm-finance-ledger/training"); r.Tags["sagemaker:project-account"] != otherMember {
		t.Errorf("ledger account tag %q", r.Tags["sagemaker:project-account"])
	}
}

// forecastWorld is a central registry with the member's Forecast project provisioned.
func forecastWorld(t *testing.T) *world.World {
	t.Helper()
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "member-accounts": member})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Created != 3 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	return w
}

// forecastRepository is one of the member's Forecast repositories.
const forecastRepository = "acme-sm-demand-forecast/training"

// The sweep keeps a member project's pull access: removed by hand, it is put back.
func TestSweepKeepsAMemberProjectsPullAccess(t *testing.T) {
	w := forecastWorld(t)
	if _, err := w.Setup.ECR.DeleteRepositoryPolicy(context.Background(), &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String(forecastRepository)}); err != nil {
		t.Fatal(err)
	}
	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Fixed != 1 {
		t.Errorf("sweep: %+v, %v; want the one repository fixed", sum, err)
	}
	if got := w.Repository(t, forecastRepository).PullAccounts(); !slices.Equal(got, []string{member}) {
		t.Errorf("pull after the sweep: %v; want %s back", got, member)
	}
}

// A member repository whose account tag was removed by hand gets it back from the repair: its
// project is the one of that name and team across the accounts, so the repository stays the
// member's, and so does its pull access.
func TestRemovedAccountTagIsPutBack(t *testing.T) {
	w := forecastWorld(t)
	if err := w.Setup.UntagByHand(context.Background(), forecastRepository, "sagemaker:project-account"); err != nil {
		t.Fatal(err)
	}
	untagged := record("ecr-untag-resource.json", func(ev map[string]any) {
		samples.RequestParameters(ev)["resourceArn"] = w.Repository(t, forecastRepository).ARN
		samples.RequestParameters(ev)["tagKeys"] = []any{"sagemaker:project-account"}
	})
	sum, err := service(w).Handle(world.Deadline(t), untagged)
	if err != nil || sum.Fixed != 1 {
		t.Fatalf("repair: %+v, %v; want the tag put back", sum, err)
	}
	r := w.Repository(t, forecastRepository)
	if r.Tags["sagemaker:project-account"] != member || !slices.Equal(r.PullAccounts(), []string{member}) {
		t.Errorf("after the repair: tags %v, pull %v; want the member's account tag and pull back", r.Tags, r.PullAccounts())
	}
}

// A member removed from member-accounts loses its pull access, on its projects' repositories
// and on the shared ones, at the next fix cycle; its repositories stay.
func TestRemovedMemberLosesItsPullAccess(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "base-sklearn", "member-accounts": member + " " + otherMember})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Created != 4 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	w.PutConfig(t, map[string]string{"member-accounts": otherMember})
	if sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json")); err != nil || !sum.CycleComplete {
		t.Fatalf("run after the removal: %+v, %v", sum, err)
	}
	if got := w.Repository(t, "acme-sagemaker-shared/base-sklearn").PullAccounts(); !slices.Equal(got, []string{otherMember}) {
		t.Errorf("shared pull %v; want only %s", got, otherMember)
	}
	r := w.Repository(t, "acme-sm-demand-forecast/training")
	if got := r.PullAccounts(); len(got) != 0 {
		t.Errorf("the removed member's project repository pull %v; want none", got)
	}
	if r.Tags["sagemaker:project-account"] != member {
		t.Errorf("tags %v; want the repository kept as the member's", r.Tags)
	}
}

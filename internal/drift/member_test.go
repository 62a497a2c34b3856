//go:build integration

package drift_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

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
	if sum.Errors != 1 || !slices.Equal(sum.Unreachable, []string{otherMember}) || err == nil {
		t.Errorf("summary %+v, %v; want one error, %s unreachable, and the run failing for it", sum, err, otherMember)
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

// The sweep keeps a member project's pull access: removed by hand, it is put back.
func TestSweepKeepsAMemberProjectsPullAccess(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "member-accounts": member})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Created != 3 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	const name = "acme-sm-demand-forecast/training"
	if _, err := w.Setup.ECR.DeleteRepositoryPolicy(context.Background(), &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Fixed != 1 {
		t.Errorf("sweep: %+v, %v; want the one repository fixed", sum, err)
	}
	if got := w.Repository(t, name).PullAccounts(); !slices.Equal(got, []string{member}) {
		t.Errorf("pull after the sweep: %v; want %s back", got, member)
	}
}

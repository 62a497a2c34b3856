//go:build integration

package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// The member account of member-create-project.json, and a second one.
const (
	member      = "222233334444"
	otherMember = "333344445555"
)

var forecastRepos = names("acme-sm-demand-forecast", projectTypes...)

func TestMemberCreateProjectGetsItsRepositoriesInTheCentralAccount(t *testing.T) {
	ctx := fresh(t)
	if err := local.Account.PutConfig(ctx, map[string]string{"member-accounts": member}); err != nil {
		t.Fatal(err)
	}
	var sum stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("member-create-project.json"), &sum)
	if sum.Status != "provisioned" || sum.Account != member {
		t.Errorf("summary: %+v; want provisioned, account %s", sum, member)
	}
	repos := wantRepositories(t, ctx, forecastRepos)
	for _, name := range forecastRepos {
		r := repos[name]
		if r.Tags["sagemaker:project-account"] != member || r.Tags["team"] != "demand" {
			t.Errorf("%s tags %v; want sagemaker:project-account %s, team demand", name, r.Tags, member)
		}
		if got := r.PullAccounts(); !slices.Equal(got, []string{member}) {
			t.Errorf("%s pull statement for %v; want %s", name, got, member)
		}
		wantKeepNewest(t, r, defaultRetained)
	}
	events := drain(t, ctx)
	wantEvents(t, events, map[string]int{provisioned: 1})
	if !mentions(events, provisioned, member) {
		t.Errorf("the %q event does not name the account", provisioned)
	}
}

func TestAnUnlistedAccountsEventWritesNothing(t *testing.T) {
	ctx := fresh(t)
	if err := local.Account.PutConfig(ctx, map[string]string{"member-accounts": otherMember}); err != nil {
		t.Fatal(err)
	}
	var sum stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("member-create-project.json"), &sum)
	if sum.Status != "rejected" || !strings.Contains(sum.Reason, member) {
		t.Errorf("summary: %+v; want rejected, naming %s", sum, member)
	}
	wantRepositories(t, ctx, nil)
	for _, e := range local.ECR.Log() {
		t.Errorf("ECR call %s %s; want none", e.Operation, e.Repository)
	}
	wantEvents(t, drain(t, ctx), map[string]int{"ECR Provisioning Failed": 1})
}

// A drift run finds a member project that missed its event, in the member's SageMaker through
// the member role; a member whose role cannot be assumed is one error, and the others converge.
func TestDriftCoversMemberAccountsAndCountsAnUnreachableOneOnce(t *testing.T) {
	ctx := fresh(t)
	if err := local.Account.PutConfig(ctx, map[string]string{"member-accounts": member + " " + otherMember, "shared-repos": "none"}); err != nil {
		t.Fatal(err)
	}
	local.SageMaker.Account(member).PutProject("Forecast", "p-9z8y7x6w5v4u", map[string]string{"team": "demand"})
	local.SageMaker.Account(otherMember).PutProject("Ledger", "p-ledger", map[string]string{"team": "finance"})
	local.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	local.STS.Deny(otherMember)

	failed := invokeFail(t, ctx, local.Drift, samples.Event("scheduled-event.json"))
	if failed.Type != "ReconcileError" || !strings.Contains(failed.Message, "1 repositories or projects") {
		t.Errorf("errorType %q, errorMessage %q; want a ReconcileError of one", failed.Type, failed.Message)
	}
	repos := wantRepositories(t, ctx, slices.Sorted(slices.Values(append(names("acme-sm-data-science-churn-model", projectTypes...), forecastRepos...))))
	for _, name := range forecastRepos {
		if repos[name].Tags["sagemaker:project-account"] != member {
			t.Errorf("%s tags %v; want the member account's", name, repos[name].Tags)
		}
	}
	var completed stack.DriftSummary
	for _, ev := range drain(t, ctx) {
		if ev.DetailType == reconciled {
			if err := json.Unmarshal(ev.Detail, &completed); err != nil {
				t.Fatal(err)
			}
		}
	}
	if completed.Errors != 1 || !slices.Equal(completed.Unreachable, []string{otherMember}) || completed.Created != 6 {
		t.Errorf("the run's summary (its %q event): %+v; want 6 created, 1 error, %s unreachable", reconciled, completed, otherMember)
	}
	if calls := local.STS.AssumeRoleCalls(); calls[member] != 1 || calls[otherMember] != 1 {
		t.Errorf("AssumeRole calls %v; want one an account a run", calls)
	}
}

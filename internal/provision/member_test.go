//go:build integration

package provision_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// The member account of member-create-project.json, and its project's repositories.
const member = "222233334444"

var forecastRepos = []string{
	"acme-sm-demand-forecast/inference",
	"acme-sm-demand-forecast/preprocessing",
	"acme-sm-demand-forecast/training",
}

func TestMemberProjectGetsItsRepositoriesHere(t *testing.T) {
	w, sink, svc := setup(t, map[string]string{"member-accounts": member})
	sum, err := svc.Handle(world.Deadline(t), event("member-create-project.json"))
	if err != nil || sum.Status != "provisioned" || sum.Account != member || sum.Team != "demand" {
		t.Fatalf("member CreateProject: %+v, %v; want provisioned for account %s", sum, err, member)
	}
	if got := sorted(w.Repositories(t)); !slices.Equal(got, forecastRepos) {
		t.Fatalf("repositories: %v; want %v, in this account", got, forecastRepos)
	}
	for _, name := range forecastRepos {
		r := w.Repository(t, name)
		if r.Tags["sagemaker:project-account"] != member || r.Tags["team"] != "demand" {
			t.Errorf("%s tags %v; want sagemaker:project-account=%s", name, r.Tags, member)
		}
		if got := r.PullAccounts(); !slices.Equal(got, []string{member}) {
			t.Errorf("%s pull statement for %v; want the project's own account %s", name, got, member)
		}
	}
	if got := account.ByType(sink.Drain(t)); got[publish.RepositoriesProvisioned] != 1 {
		t.Errorf("events %v; want one Provisioned", got)
	}
	// The event carried the tags: nothing was read from the member account.
	if calls := w.STS.AssumeRoleCalls(); len(calls) != 0 {
		t.Errorf("AssumeRole calls %v; want none (the event carries the project's tags)", calls)
	}
}

func TestEventsOfAccountsNotServedWriteNothing(t *testing.T) {
	for name, cfg := range map[string]map[string]string{
		"no member accounts":    nil,
		"another member listed": {"member-accounts": "333344445555"},
	} {
		t.Run(name, func(t *testing.T) {
			w, sink, svc := setup(t, cfg)
			sum, err := svc.Handle(world.Deadline(t), event("member-create-project.json"))
			if err != nil || sum.Status != "rejected" || !strings.Contains(sum.Reason, "account "+member+" is not this account") {
				t.Errorf("event of account %s: %+v, %v; want rejected, naming the account", member, sum, err)
			}
			if got := w.Repositories(t); len(got) != 0 {
				t.Errorf("repositories %v; want none", got)
			}
			for _, r := range w.Rec.Requests() {
				if r.Service == "ecr" || r.Service == "sts" || r.Service == "sagemaker" {
					t.Errorf("called %s %s; want nothing read or written for another account's event", r.Service, r.Operation)
				}
			}
			if got := account.ByType(sink.Drain(t)); got[publish.ProvisioningFailed] != 1 {
				t.Errorf("events %v; want the rejection announced", got)
			}
		})
	}
}

// One project name in two accounts meets in one repository name: the first keeps it.
func TestSameProjectInAnotherAccountIsAConflict(t *testing.T) {
	w, _, svc := setup(t, map[string]string{"member-accounts": member})
	home := edit("member-create-project.json", func(ev map[string]any) {
		ev["account"] = account.ID
		detail(ev)["responseElements"].(map[string]any)["projectArn"] = "arn:aws:sagemaker:us-east-1:" + account.ID + ":project/forecast"
	})
	if sum, err := svc.Handle(world.Deadline(t), home); err != nil || sum.Status != "provisioned" || sum.Account != "" {
		t.Fatalf("this account's Forecast: %+v, %v", sum, err)
	}
	w.Rec.Clear()
	sum, err := svc.Handle(world.Deadline(t), event("member-create-project.json"))
	if err != nil || sum.Status != "rejected" || !strings.Contains(sum.Reason, "this account") {
		t.Errorf("the member's Forecast: %+v, %v; want a conflict naming this account's project", sum, err)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("the conflict wrote %s %s", r.Operation, r.Repository)
		}
	}
	for _, name := range forecastRepos {
		if a := w.Repository(t, name).Tags["sagemaker:project-account"]; a != "" {
			t.Errorf("%s adopted by account %s", name, a)
		}
	}
}

// And the other way round: the member's project came first, so this account's is the conflict.
func TestThisAccountsProjectAfterAMembersIsAConflict(t *testing.T) {
	w, _, svc := setup(t, map[string]string{"member-accounts": member})
	if sum, err := svc.Handle(world.Deadline(t), event("member-create-project.json")); err != nil || sum.Status != "provisioned" {
		t.Fatalf("the member's Forecast: %+v, %v", sum, err)
	}
	w.Rec.Clear()
	home := edit("member-create-project.json", func(ev map[string]any) {
		ev["account"] = account.ID
		detail(ev)["responseElements"].(map[string]any)["projectArn"] = "arn:aws:sagemaker:us-east-1:" + account.ID + ":project/forecast"
	})
	sum, err := svc.Handle(world.Deadline(t), home)
	if err != nil || sum.Status != "rejected" || !strings.Contains(sum.Reason, "account "+member) {
		t.Errorf("this account's Forecast: %+v, %v; want a conflict naming account %s", sum, err, member)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("the conflict wrote %s %s", r.Operation, r.Repository)
		}
	}
}

// DeleteProject from a member retires that account's project only; the member's tags are read
// through the member role, and an unreachable member fails without a write.
func TestMemberDeleteProjectRetiresOnlyThatAccountsRepositories(t *testing.T) {
	w, _, svc := setup(t, map[string]string{"member-accounts": member})
	if sum, err := svc.Handle(world.Deadline(t), event("member-create-project.json")); err != nil || sum.Status != "provisioned" {
		t.Fatalf("member CreateProject: %+v, %v", sum, err)
	}
	// This account's own Forecast, of another team: other repository names, the same project name.
	w.SageMaker.PutProject("Forecast", "p-home", map[string]string{"team": "ops"})
	home := edit("member-create-project.json", func(ev map[string]any) {
		ev["account"] = account.ID
		detail(ev)["responseElements"].(map[string]any)["projectArn"] = "arn:aws:sagemaker:us-east-1:" + account.ID + ":project/forecast"
		requestParameters(ev)["tags"] = []any{map[string]any{"key": "team", "value": "ops"}}
	})
	if sum, err := svc.Handle(world.Deadline(t), home); err != nil || sum.Status != "provisioned" {
		t.Fatalf("this account's Forecast: %+v, %v", sum, err)
	}

	deleted := edit("delete-project.json", func(ev map[string]any) {
		ev["account"] = member
		requestParameters(ev)["projectName"] = "Forecast"
	})
	w.STS.Deny(member)
	if sum, err := svc.Handle(world.Deadline(t), deleted); err == nil || sum.Status != "failed" || !strings.Contains(sum.Reason, "unreachable") {
		t.Errorf("DeleteProject with the member unreachable: %+v, %v; want failed (retried), nothing retired", sum, err)
	}
	if got := w.STS.AssumeRoleCalls()[member]; got != 1 {
		t.Errorf("AssumeRole into %s: %d calls; want one", member, got)
	}
	w.STS.Reset()
	sum, err := svc.Handle(world.Deadline(t), deleted) // the member's Forecast is gone from its SageMaker
	if err != nil || sum.Status != "retired" || len(sum.Repositories) != 3 {
		t.Fatalf("member DeleteProject: %+v, %v; want its 3 repositories retired", sum, err)
	}
	for _, name := range forecastRepos {
		if _, ok := w.Repository(t, name).Tags["sagemaker:project-deleted"]; !ok {
			t.Errorf("%s not retired", name)
		}
	}
	for _, name := range []string{"acme-sm-ops-forecast/training", "acme-sm-ops-forecast/inference"} {
		if d, ok := w.Repository(t, name).Tags["sagemaker:project-deleted"]; ok {
			t.Errorf("this account's %s retired (%s) by the member's DeleteProject", name, d)
		}
	}
	if got := w.STS.AssumeRoleCalls()[member]; got != 1 {
		t.Errorf("AssumeRole into %s: %d calls; want one", member, got)
	}
}

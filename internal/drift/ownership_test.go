package drift_test

import (
	"slices"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

// retiredWorld is a central registry where this account's Forecast project was deleted and
// its repositories retired, and a member has since made a project of the same team and name.
func retiredWorld(t *testing.T) *memworld.World {
	t.Helper()
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "member-accounts": member})
	w.SageMaker.PutProject("forecast", "p-home", map[string]string{"team": "demand"})
	if sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix")); err != nil || sum.Created != 3 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	w.SageMaker.DeleteProject("forecast")
	for _, name := range []string{"acme-sm-demand-forecast/preprocessing", forecastRepository, "acme-sm-demand-forecast/inference"} {
		w.TagByHand(t, name, map[string]string{"sagemaker:project-deleted": "2026-11-30T10:00:00Z"})
	}
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	return w
}

// stillThisAccounts fails the test unless the repository is still this account's: no account
// tag, the deleted stamp kept, and no member granted pull.
func stillThisAccounts(t *testing.T, w *memworld.World, name string) {
	t.Helper()
	r := w.Repository(t, name)
	if a, ok := r.Tags["sagemaker:project-account"]; ok {
		t.Errorf("%s tagged with account %q; want it left this account's", name, a)
	}
	if _, ok := r.Tags["sagemaker:project-deleted"]; !ok {
		t.Errorf("%s lost its deleted stamp: %v", name, r.Tags)
	}
	if got := r.PullAccounts(); len(got) != 0 {
		t.Errorf("%s grants pull to %v; want nobody", name, got)
	}
}

// A retired repository of this account is never handed to a member project of the same team
// and name: the sweep's owner lookup looks in this account only.
func TestSweepNeverHandsARetiredRepositoryToAMember(t *testing.T) {
	w := retiredWorld(t)
	for _, mode := range []string{"fix", "report"} {
		if _, err := w.Service().Handle(memworld.Deadline(t), manual(mode)); err != nil {
			t.Fatalf("%s run: %v", mode, err)
		}
	}
	for _, name := range []string{"acme-sm-demand-forecast/preprocessing", forecastRepository, "acme-sm-demand-forecast/inference"} {
		stillThisAccounts(t, w, name)
	}
}

// The same for a repository of this account whose owner tags someone removed.
func TestSweepNeverHandsAStrippedRepositoryToAMember(t *testing.T) {
	w := retiredWorld(t)
	w.UntagByHand(t, forecastRepository, "team", "sagemaker:project-name")
	if _, err := w.Service().Handle(memworld.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	r := w.Repository(t, forecastRepository)
	if a, ok := r.Tags["sagemaker:project-account"]; ok || len(r.PullAccounts()) != 0 {
		t.Errorf("tags %v, pull %v; want no account tag %q and no pull", r.Tags, r.PullAccounts(), a)
	}
}

// The repair holds the same rule: an edit of a retired repository does not hand it to the
// member project of the same name.
func TestRepairNeverHandsARetiredRepositoryToAMember(t *testing.T) {
	w := retiredWorld(t)
	w.UntagByHand(t, forecastRepository, "scope")
	untagged := record("ecr-untag-resource.json", func(ev map[string]any) {
		samples.RequestParameters(ev)["resourceArn"] = w.Repository(t, forecastRepository).ARN
		samples.RequestParameters(ev)["tagKeys"] = []any{"scope"}
	})
	sum, err := w.Service().Handle(memworld.Deadline(t), untagged)
	if err != nil || sum.Fixed != 1 {
		t.Fatalf("repair: %+v, %v; want the scope tag put back", sum, err)
	}
	stillThisAccounts(t, w, forecastRepository)
}

// A member repository whose account tag someone removed gets it back from the sweep, before
// any access change: the product's own project-account grant in its policy says whose it is,
// and the member's pull stays. In a central registry every project repository's policy is
// read, so this needs no pull access configured.
func TestSweepPutsBackARemovedAccountTagBeforeAccess(t *testing.T) {
	w := forecastWorld(t)
	w.UntagByHand(t, forecastRepository, "sagemaker:project-account")
	sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix"))
	if err != nil || sum.Errors != 0 || sum.Fixed != 1 {
		t.Fatalf("sweep: %+v, %v; want the tag put back", sum, err)
	}
	r := w.Repository(t, forecastRepository)
	if r.Tags["sagemaker:project-account"] != member || !slices.Equal(r.PullAccounts(), []string{member}) {
		t.Errorf("after the sweep: tags %v, pull %v; want the member's account tag back and its pull kept", r.Tags, r.PullAccounts())
	}
}

// When the member's SageMaker cannot be read, the sweep makes no access change that would
// take the member's grant away: the repository stays the member's, by the product's own grant.
func TestSweepKeepsAMembersGrantWhenItsOwnerCannotBeRead(t *testing.T) {
	w := forecastWorld(t)
	w.UntagByHand(t, forecastRepository, "sagemaker:project-account", "team")
	w.SageMaker.Account(member).Refuse("ListTags")
	if _, err := w.Service().Handle(memworld.Deadline(t), manual("fix")); err != nil {
		t.Logf("sweep: %v", err)
	}
	r := w.Repository(t, forecastRepository)
	if got := r.PullAccounts(); !slices.Equal(got, []string{member}) {
		t.Errorf("pull after the sweep: %v; want %s's grant kept", got, member)
	}
	if r.Tags["sagemaker:project-account"] != member {
		t.Errorf("tags after the sweep: %v; want the member's account tag back", r.Tags)
	}
}

// A grant to a member through pull-accounts is no record of ownership: when it is withdrawn,
// a retired repository of this account stays this account's, though the member has a project
// of its name.
func TestSweepNeverTakesAPullAccountsGrantForOwnership(t *testing.T) {
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "member-accounts": member, "pull-accounts": member})
	w.SageMaker.PutProject("forecast", "p-home", map[string]string{"team": "demand"})
	if sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix")); err != nil || sum.Created != 3 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	w.SageMaker.DeleteProject("forecast")
	w.TagByHand(t, forecastRepository, map[string]string{"sagemaker:project-deleted": "2026-11-30T10:00:00Z"})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	w.DeleteConfig(t, "pull-accounts")
	if _, err := w.Service().Handle(memworld.Deadline(t), samples.Edit("parameter-store-change.json", func(ev map[string]any) {
		samples.Detail(ev)["name"] = configPath + "/pull-accounts"
	})); err != nil {
		t.Fatal(err)
	}
	stillThisAccounts(t, w, forecastRepository)
}

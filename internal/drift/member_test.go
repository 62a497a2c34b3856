package drift_test

import (
	"slices"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

// Two member accounts of the central registry.
const (
	member      = "222233334444"
	otherMember = "333344445555"
)

// forecastWorld is a central registry with the member's Forecast project provisioned.
func forecastWorld(t *testing.T) *memworld.World {
	t.Helper()
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "member-accounts": member})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	if sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix")); err != nil || sum.Created != 3 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	return w
}

// forecastRepository is one of the member's Forecast repositories.
const forecastRepository = "acme-sm-demand-forecast/training"

// The sweep keeps a member project's pull access: removed by hand, it is put back.
func TestSweepKeepsAMemberProjectsPullAccess(t *testing.T) {
	w := forecastWorld(t)
	w.Edit(t, forecastRepository, func(r *ecrfake.Repository) { r.Access = "" }) // DeleteRepositoryPolicy by hand
	sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix"))
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
	w.UntagByHand(t, forecastRepository, "sagemaker:project-account")
	untagged := record("ecr-untag-resource.json", func(ev map[string]any) {
		samples.RequestParameters(ev)["resourceArn"] = w.Repository(t, forecastRepository).ARN
		samples.RequestParameters(ev)["tagKeys"] = []any{"sagemaker:project-account"}
	})
	sum, err := w.Service().Handle(memworld.Deadline(t), untagged)
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
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "base-sklearn", "member-accounts": member + " " + otherMember})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	if sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix")); err != nil || sum.Created != 4 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	w.PutConfig(t, map[string]string{"member-accounts": otherMember})
	if sum, err := w.Service().Handle(memworld.Deadline(t), event("scheduled-event.json")); err != nil || !sum.CycleComplete {
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

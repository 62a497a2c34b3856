package reconcile

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Parse("/p", map[string]string{"/p/company": "acme", "/p/lifecycle-exempt": "acme-sm-risk-fraud/inference"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPlan(t *testing.T) {
	cfg := testConfig(t)
	desired, err := ProjectRepositories(cfg, projects.Project{Name: "Fraud", ID: "p-1", Team: "Risk"})
	if err != nil {
		t.Fatal(err)
	}
	training := desired[1] // acme-sm-risk-fraud/training
	exempt := desired[2]   // acme-sm-risk-fraud/inference
	synced := func(policy string, tags map[string]string) *registry.Repository {
		all := map[string]string{}
		for k, v := range training.Settings.Tags {
			all[k] = v
		}
		for k, v := range tags {
			if v == "" {
				delete(all, k)
			} else {
				all[k] = v
			}
		}
		return &registry.Repository{Name: training.Name, Tags: all, Policy: policy, HasPolicy: policy != ""}
	}
	tests := []struct {
		name     string
		desired  Desired
		observed *registry.Repository
		fix      bool
		want     Step
	}{
		{name: "missing", desired: training, want: Step{Create: true, PutPolicy: true}},
		{name: "missing and exempt", desired: exempt, want: Step{Create: true}},
		{name: "in sync", desired: training, observed: synced(lifecycle.Policy(10), nil), want: Step{}},
		{name: "team tag in other case", desired: training, observed: synced(lifecycle.Policy(10), map[string]string{naming.TagTeam: "RISK"}), want: Step{}},
		{name: "no policy", desired: training, observed: synced("", nil), want: Step{Drift: PolicyMissing, PutPolicy: true}},
		{name: "drifted, report", desired: training, observed: synced(lifecycle.Policy(30), nil), want: Step{Drift: PolicyDifferent}},
		{name: "drifted, fix", desired: training, observed: synced(lifecycle.Policy(30), nil), fix: true, want: Step{Drift: PolicyDifferent, PutPolicy: true}},
		{name: "unparsable, fix", desired: training, observed: synced("{oops", nil), fix: true, want: Step{Drift: PolicyUnparsable, PutPolicy: true}},
		{name: "exempt keeps its policy", desired: exempt, observed: &registry.Repository{Name: exempt.Name, Tags: exempt.Settings.Tags, Policy: lifecycle.Policy(99), HasPolicy: true}, fix: true, want: Step{}},
		{name: "managed tag missing", desired: training, observed: synced(lifecycle.Policy(10), map[string]string{naming.TagManagedBy: ""}), want: Step{Tag: map[string]string{naming.TagManagedBy: naming.ManagedByValue}}},
		{name: "project re-created", desired: training, observed: synced(lifecycle.Policy(10), map[string]string{naming.TagProjectID: "p-old", naming.TagProjectDeleted: "2026-01-01T00:00:00Z"}),
			want: Step{Tag: map[string]string{naming.TagProjectID: "p-1"}, Untag: []string{naming.TagProjectDeleted}}},
		{name: "other team", desired: training, observed: synced(lifecycle.Policy(30), map[string]string{naming.TagTeam: "data"}), fix: true,
			want: Step{Conflict: `repository acme-sm-risk-fraud/training belongs to team "data", not "risk"`}},
		{name: "other project", desired: training, observed: synced("", map[string]string{naming.TagProjectName: "fraud-v2"}),
			want: Step{Conflict: `repository acme-sm-risk-fraud/training belongs to project "fraud-v2", not "Fraud"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Plan(tc.desired, tc.observed, tc.fix)
			tc.want.Desired, tc.want.Observed = tc.desired, tc.observed
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if got.Conflict != "" && got.Writes() {
				t.Errorf("a conflicting repository is planned to be written: %+v", got)
			}
		})
	}
}

func TestProjectRepositoriesRejectsBeforeAnyCall(t *testing.T) {
	cfg := testConfig(t)
	cfg.AllowedTeams = []string{"risk"}
	for _, p := range []projects.Project{{Name: "x", Team: "data"}, {Name: "x", Team: "a/b"}, {Name: "ünïcode", Team: "risk"}} {
		if _, err := ProjectRepositories(cfg, p); err == nil {
			t.Errorf("%+v: got no error; want a rejection", p)
		}
	}
}

func TestRejected(t *testing.T) {
	rej := &RejectedError{Project: "p", Reason: "conflict"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"one rejection", rej, true},
		{"wrapped", fmt.Errorf("sync: %w", rej), true},
		{"joined rejections", errors.Join(rej, rej), true},
		{"rejection and a throttle", errors.Join(rej, errors.New("ThrottlingException")), false},
		{"wrapped join", fmt.Errorf("sync: %w", errors.Join(rej, errors.New("ThrottlingException"))), false},
		{"wrapped join of rejections", fmt.Errorf("sync: %w", errors.Join(rej, rej)), true},
		{"other", errors.New("boom"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Rejected(tc.err); got != tc.want {
				t.Errorf("got %v; want %v", got, tc.want)
			}
		})
	}
}

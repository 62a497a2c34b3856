package reconcile

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
)

// The engine's rules against an in-memory ECR (internal/testing/ecrfake): what the world looks
// like afterwards, and which writes it took. The same rules run against moto in
// internal/provision and internal/drift.

var fraud = projects.Project{Name: "Fraud", ID: "p-1", Team: "Risk"}

func engineOn(t *testing.T, cfg config.Config) (*Engine, *ecrfake.Registry) {
	t.Helper()
	fake := ecrfake.New()
	return &Engine{Registry: registry.New(fake, cfg.Managed)}, fake
}

func fraudRepositories(t *testing.T, cfg config.Config) []Desired {
	t.Helper()
	desired, err := ProjectRepositories(cfg, fraud)
	if err != nil {
		t.Fatal(err)
	}
	return desired
}

func TestSyncCreatesWithEverySettingInOneCall(t *testing.T) {
	cfg := testConfig(t)
	e, fake := engineOn(t, cfg)
	results, err := e.Sync(context.Background(), fraudRepositories(t, cfg), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome != Created {
			t.Errorf("%s: outcome %q; want created", r.Repository, r.Outcome)
		}
	}
	// The exempt repository (acme-sm-risk-fraud/inference) gets no policy, not even at creation.
	if diff := cmp.Diff(map[string]int{"CreateRepository": 3, "PutLifecyclePolicy": 2}, fake.Writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	training, _ := fake.Get("acme-sm-risk-fraud/training")
	want := map[string]string{naming.TagManagedBy: naming.ManagedByValue, naming.TagRepositoryType: "training",
		naming.TagScope: "project", naming.TagTeam: "risk", naming.TagProjectName: "Fraud", naming.TagProjectID: "p-1"}
	if diff := cmp.Diff(want, training.Tags); diff != "" {
		t.Errorf("tags at creation (-want +got):\n%s", diff)
	}
	if c := training.Created; c == nil || !c.ImageScanningConfiguration.ScanOnPush || c.ImageTagMutability != "MUTABLE" {
		t.Errorf("created with %+v; want scan on push and MUTABLE in the CreateRepository call", c)
	}
	if n, ok := lifecycle.Retention(training.Policy); !ok || n != 10 {
		t.Errorf("policy %q; want keep newest 10", training.Policy)
	}
	if exempt, _ := fake.Get("acme-sm-risk-fraud/inference"); exempt.Policy != "" {
		t.Errorf("exempt repository got a policy: %s", exempt.Policy)
	}
}

func TestSyncInSyncWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	e, fake := engineOn(t, cfg)
	desired := fraudRepositories(t, cfg)
	if _, err := e.Sync(context.Background(), desired, true); err != nil {
		t.Fatal(err)
	}
	fake.ResetCalls()
	results, err := e.Sync(context.Background(), desired, true)
	if err != nil {
		t.Fatal(err)
	}
	if w := fake.Writes(); len(w) != 0 {
		t.Errorf("writes for repositories in sync: %v; want none", w)
	}
	for _, r := range results {
		if r.Outcome != Unchanged {
			t.Errorf("%s: outcome %q; want unchanged", r.Repository, r.Outcome)
		}
	}
}

func TestSyncConvergesAnExistingRepository(t *testing.T) {
	cfg := testConfig(t)
	e, fake := engineOn(t, cfg)
	// Made by the old scripts: no managed tags, no policy, a tag of someone else's.
	fake.Put(ecrfake.Repository{Name: "acme-sm-risk-fraud/training", Tags: map[string]string{"cost-center": "cc-7"}})
	if _, err := e.Sync(context.Background(), fraudRepositories(t, cfg), true); err != nil {
		t.Fatal(err)
	}
	got, _ := fake.Get("acme-sm-risk-fraud/training")
	if got.Created != nil {
		t.Error("an existing repository was created again")
	}
	if got.Tags["cost-center"] != "cc-7" || got.Tags[naming.TagManagedBy] != naming.ManagedByValue || got.Tags[naming.TagTeam] != "risk" {
		t.Errorf("tags %v; want the managed tags added and cost-center kept", got.Tags)
	}
	if n, ok := lifecycle.Retention(got.Policy); !ok || n != 10 {
		t.Errorf("policy %q; want keep newest 10", got.Policy)
	}
}

func TestSyncConflictWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	e, fake := engineOn(t, cfg)
	// A repository of this project's name tagged for another team stops the whole project.
	fake.Put(ecrfake.Repository{Name: "acme-sm-risk-fraud/preprocessing", Tags: map[string]string{naming.TagTeam: "risk-fr"}})
	results, err := e.Sync(context.Background(), fraudRepositories(t, cfg), true)
	var rejected *RejectedError
	if !errors.As(err, &rejected) {
		t.Fatalf("error %v; want a *RejectedError", err)
	}
	if w := fake.Writes(); len(w) != 0 {
		t.Errorf("writes for a conflicting project: %v; want none", w)
	}
	if got := fake.Names(); len(got) != 1 {
		t.Errorf("repositories %v; want only the conflicting one", got)
	}
	outcomes := map[string]Outcome{}
	for _, r := range results {
		outcomes[r.Repository] = r.Outcome
	}
	if outcomes["acme-sm-risk-fraud/preprocessing"] != Conflict {
		t.Errorf("outcomes %v; want the tagged repository in conflict", outcomes)
	}
}

func TestRetire(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		policy  string
		images  int
		want    Outcome
		deleted bool
	}{
		{name: "retain", policy: config.OnDeleteRetain, images: 0, want: Retained},
		{name: "delete-if-empty, empty", policy: config.OnDeleteDeleteIfEmpty, images: 0, want: Deleted, deleted: true},
		{name: "delete-if-empty, holding images", policy: config.OnDeleteDeleteIfEmpty, images: 2, want: Retained},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.OnProjectDelete = tc.policy
			e, fake := engineOn(t, cfg)
			desired := fraudRepositories(t, cfg)
			if _, err := e.Sync(context.Background(), desired, true); err != nil {
				t.Fatal(err)
			}
			for _, d := range desired {
				repo, _ := fake.Get(d.Name)
				repo.Images = tc.images
				fake.Put(repo)
			}
			// Another project whose name ends the same way is not this one's.
			fake.Put(ecrfake.Repository{Name: "acme-sm-risk-big-fraud/training", Tags: map[string]string{
				naming.TagManagedBy: naming.ManagedByValue, naming.TagProjectName: "big-fraud"}})

			results, err := e.Retire(context.Background(), cfg, "fraud", now)
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 3 {
				t.Fatalf("results %+v; want the project's 3 repositories", results)
			}
			for _, r := range results {
				if r.Outcome != tc.want {
					t.Errorf("%s: outcome %q; want %q", r.Repository, r.Outcome, tc.want)
				}
				repo, exists := fake.Get(r.Repository)
				switch {
				case tc.deleted && exists:
					t.Errorf("%s still exists", r.Repository)
				case !tc.deleted && repo.Tags[naming.TagProjectDeleted] != "2026-11-21T09:00:00Z":
					t.Errorf("%s tags %v; want %s=2026-11-21T09:00:00Z", r.Repository, repo.Tags, naming.TagProjectDeleted)
				}
			}
			if other, _ := fake.Get("acme-sm-risk-big-fraud/training"); other.Tags[naming.TagProjectDeleted] != "" {
				t.Error("another project's repository was retired")
			}
			if tc.deleted {
				return
			}
			fake.ResetCalls()
			if _, err := e.Retire(context.Background(), cfg, "fraud", now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if w := fake.Writes(); len(w) != 0 {
				t.Errorf("a repeated deletion wrote %v; want nothing", w)
			}
		})
	}
}

func TestScanFixesAndReportsExactlyTheDrifted(t *testing.T) {
	cfg := testConfig(t) // acme-sm-risk-fraud/inference is exempt
	for _, fix := range []bool{true, false} {
		e, fake := engineOn(t, cfg)
		fake.SetPageSize(2) // five repositories: three pages
		for name, policy := range map[string]string{
			"acme-sm-risk-fraud/training":        lifecycle.Policy(10),
			"acme-sm-risk-fraud/preprocessing":   lifecycle.Policy(30),
			"acme-sm-risk-fraud/inference":       lifecycle.Policy(99),
			"acme-sagemaker-shared/base-sklearn": "",
			"other-team/app":                     lifecycle.Policy(1),
		} {
			fake.Put(ecrfake.Repository{Name: name, Policy: policy})
		}
		var mu sync.Mutex // OnDrift is called from the scan's workers
		var drifted []string
		res, err := e.Scan(context.Background(), cfg, ScanOptions{Fix: fix, Concurrency: 2,
			OnDrift: func(d Drift) { mu.Lock(); drifted = append(drifted, d.Repository); mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		want := ScanResult{Scanned: 3, Compliant: 1, Drifted: 2, Exempt: 1, Complete: true}
		wantWrites := map[string]int{}
		if fix {
			want.Fixed, wantWrites["PutLifecyclePolicy"] = 2, 2
		}
		if diff := cmp.Diff(want, res, cmpIgnoreSeen); diff != "" {
			t.Errorf("fix=%v: scan (-want +got):\n%s", fix, diff)
		}
		if diff := cmp.Diff(wantWrites, fake.Writes()); diff != "" {
			t.Errorf("fix=%v: writes (-want +got):\n%s", fix, diff)
		}
		if fake.Calls()["DescribeRepositories"] != 3 {
			t.Errorf("fix=%v: %d listing calls; want 3 pages", fix, fake.Calls()["DescribeRepositories"])
		}
		if len(drifted) != 2 {
			t.Errorf("fix=%v: drift reported for %v; want the 2 drifted", fix, drifted)
		}
		if other, _ := fake.Get("other-team/app"); other.Policy != lifecycle.Policy(1) {
			t.Errorf("fix=%v: an unmanaged repository's policy changed", fix)
		}
	}
}

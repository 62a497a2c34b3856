package reconcile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
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
	results, err := e.Sync(context.Background(), cfg, fraudRepositories(t, cfg), true)
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
	if _, err := e.Sync(context.Background(), cfg, desired, true); err != nil {
		t.Fatal(err)
	}
	fake.ResetCalls()
	results, err := e.Sync(context.Background(), cfg, desired, true)
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
	if _, err := e.Sync(context.Background(), cfg, fraudRepositories(t, cfg), true); err != nil {
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
	results, err := e.Sync(context.Background(), cfg, fraudRepositories(t, cfg), true)
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
			if _, err := e.Sync(context.Background(), cfg, desired, true); err != nil {
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

			results, err := e.Retire(context.Background(), cfg, "fraud", "", now)
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
			if _, err := e.Retire(context.Background(), cfg, "fraud", "", now.Add(time.Hour)); err != nil {
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
		res := e.Scan(context.Background(), cfg, listed(t, e), ScanOptions{Checking: Checking{Fix: fix}, Concurrency: 2,
			OnDrift: func(r Result) { mu.Lock(); drifted = append(drifted, r.Repository); mu.Unlock() }})
		want := ScanResult{Scanned: 3, Compliant: 1, Drifted: 2, Exempt: 1, Complete: true, Last: "acme-sm-risk-fraud/training"}
		wantWrites := map[string]int{}
		if fix {
			want.Fixed, wantWrites["PutLifecyclePolicy"] = 2, 2
		}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("fix=%v: scan (-want +got):\n%s", fix, diff)
		}
		if diff := cmp.Diff(wantWrites, fake.Writes()); diff != "" {
			t.Errorf("fix=%v: writes (-want +got):\n%s", fix, diff)
		}
		if len(drifted) != 2 {
			t.Errorf("fix=%v: drift reported for %v; want the 2 drifted", fix, drifted)
		}
		if other, _ := fake.Get("other-team/app"); other.Policy != lifecycle.Policy(1) {
			t.Errorf("fix=%v: an unmanaged repository's policy changed", fix)
		}
	}
}

// A check cut off by the end of the run's context is neither an error nor passed by the cursor:
// the next run checks it again. A repository deleted after the listing is gone, not an error.
func TestScanCursorStopsBeforeWhatItCouldNotCheck(t *testing.T) {
	cfg := testConfig(t)
	e, fake := engineOn(t, cfg)
	for _, name := range []string{"acme-sm-risk-fraud/preprocessing", "acme-sm-risk-fraud/training"} {
		fake.Put(ecrfake.Repository{Name: name, Policy: lifecycle.Policy(10)})
	}
	batch := listed(t, e)

	ended, cancel := context.WithCancel(context.Background())
	cancel()
	cut := &Engine{Registry: registry.New(contextAware{fake}, cfg.Managed)}
	res := cut.Scan(ended, cfg, batch, ScanOptions{Checking: Checking{Fix: true}, Concurrency: 1})
	if want := (ScanResult{}); res != want {
		t.Errorf("scan with its context ended: %+v; want nothing checked, no error, incomplete, no cursor", res)
	}

	if _, err := fake.DeleteRepository(context.Background(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String("acme-sm-risk-fraud/training")}); err != nil {
		t.Fatal(err)
	}
	res = e.Scan(context.Background(), cfg, batch, ScanOptions{Checking: Checking{Fix: true}, Concurrency: 1})
	if want := (ScanResult{Scanned: 1, Compliant: 1, Gone: 1, Complete: true, Last: "acme-sm-risk-fraud/training"}); res != want {
		t.Errorf("scan after a deletion: %+v; want %+v", res, want)
	}
}

// contextAware fails GetLifecyclePolicy once its context has ended, as the SDK does.
type contextAware struct{ *ecrfake.Registry }

func (c contextAware) GetLifecyclePolicy(ctx context.Context, in *ecr.GetLifecyclePolicyInput, opts ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Registry.GetLifecyclePolicy(ctx, in, opts...)
}

// CreateRepository is eventually consistent: right after our own create, ECR may still answer
// RepositoryNotFoundException. The calls that follow our create ride it out; nowhere else is
// that answer retried.
func TestWritesRightAfterOurCreateRideOutEventualConsistency(t *testing.T) {
	cfg := testConfig(t)
	cfg.PullAccounts = []string{"222233334444"}
	e, fake := engineOn(t, cfg)
	fake.SetLag(2) // each new repository is "not found" for its next two calls
	desired := fraudRepositories(t, cfg)
	if _, err := e.Sync(context.Background(), cfg, desired, true); err != nil {
		t.Fatalf("Sync right after create: %v", err)
	}
	training, _ := fake.Get("acme-sm-risk-fraud/training")
	if training.Policy == "" || training.Access == "" {
		t.Errorf("training: lifecycle policy %q, repository policy %q; want both written after the lag", training.Policy, training.Access)
	}

	// An existing repository that answers "not found" is gone: no retry.
	fake.ResetCalls()
	fake.Put(ecrfake.Repository{Name: "acme-sm-risk-fraud/training", Tags: training.Tags})
	step := Plan(desired[1], &registry.Repository{Summary: registry.Summary{Name: desired[1].Name, Mutability: desired[1].Mutability,
		Encryption: registry.Encryption{Type: "AES256"}}, Lifecycle: registry.Known(registry.Document{})})
	deleteRepository(t, fake, "acme-sm-risk-fraud/training")
	if _, err := e.Apply(context.Background(), step, true); err == nil {
		t.Fatal("Apply on a repository deleted meanwhile succeeded")
	}
	if got := fake.Calls()["PutLifecyclePolicy"]; got != 1 {
		t.Errorf("PutLifecyclePolicy on a repository that is gone: %d calls; want 1, no retry", got)
	}
}

func deleteRepository(t *testing.T, fake *ecrfake.Registry, name string) {
	t.Helper()
	if _, err := fake.DeleteRepository(context.Background(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// The whole repository is kept true through the one plan: in report mode every difference is
// reported and nothing written; in fix mode every fixable one is written and a second run finds
// nothing; encryption is never "fixed".
func TestScanKeepsTheWholeRepositoryTrue(t *testing.T) {
	cfg := testConfig(t)
	cfg.TagMutability, cfg.TagMutabilityExclusions = "IMMUTABLE_WITH_EXCLUSION", []string{"latest"}
	cfg.PullAccounts = []string{"222233334444"}
	cfg.KMSKey = "arn:aws:kms:us-east-1:123456789012:key/k-1"
	e, fake := engineOn(t, cfg)
	foreign := `{"Version":"2012-10-17","Statement":[{"Sid":"CiPush","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:role/ci"},"Action":"ecr:PutImage"}]}`
	fake.Put(ecrfake.Repository{Name: "acme-sm-risk-fraud/training", Policy: lifecycle.Policy(10), Mutability: "MUTABLE",
		Access: foreign, Encryption: "KMS", KMSKey: cfg.KMSKey})
	fake.Put(ecrfake.Repository{Name: "acme-sm-risk-fraud/preprocessing", Policy: lifecycle.Policy(30),
		Mutability: "IMMUTABLE_WITH_EXCLUSION", Exclusions: []string{"latest"}, Encryption: "AES256"})

	var mu sync.Mutex
	results := map[string]Result{}
	scan := func(fix bool) ScanResult {
		t.Helper()
		return e.Scan(context.Background(), cfg, listed(t, e), ScanOptions{Checking: Checking{Fix: fix}, Concurrency: 2,
			OnDrift: func(r Result) { mu.Lock(); results[r.Repository] = r; mu.Unlock() }})
	}

	if got := scan(false); got.Drifted != 2 || got.Fixed != 0 {
		t.Errorf("report run: %+v; want 2 drifted, none fixed", got)
	}
	if w := fake.Writes(); len(w) != 0 {
		t.Errorf("report run wrote %v", w)
	}
	settings := func(r Result) []Setting {
		var out []Setting
		for _, d := range r.Differences {
			out = append(out, d.Setting)
		}
		return slices.Compact(out)
	}
	if diff := cmp.Diff([]Setting{SettingMutability, SettingAccess}, settings(results["acme-sm-risk-fraud/training"])); diff != "" {
		t.Errorf("training's differences (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Setting{SettingLifecycle, SettingAccess, SettingEncryption}, settings(results["acme-sm-risk-fraud/preprocessing"])); diff != "" {
		t.Errorf("preprocessing's differences (-want +got):\n%s", diff)
	}
	// Report mode names the writes a fix run would make; encryption has none.
	if diff := cmp.Diff([]string{"PutLifecyclePolicy", "SetRepositoryPolicy"}, results["acme-sm-risk-fraud/preprocessing"].WouldWrite); diff != "" {
		t.Errorf("preprocessing's writes named in report mode (-want +got):\n%s", diff)
	}

	clear(results)
	if got := scan(true); got.Drifted != 2 || got.Fixed != 2 {
		t.Errorf("fix run: %+v; want 2 drifted, 2 fixed", got)
	}
	if diff := cmp.Diff(map[string]int{"PutImageTagMutability": 1, "PutLifecyclePolicy": 1, "SetRepositoryPolicy": 2}, fake.Writes()); diff != "" {
		t.Errorf("fix run's writes (-want +got):\n%s", diff)
	}
	for _, d := range results["acme-sm-risk-fraud/preprocessing"].Differences {
		if d.Fixed != (d.Setting != SettingEncryption) {
			t.Errorf("%s: fixed %v; want every difference but encryption fixed", d.Setting, d.Fixed)
		}
	}
	training, _ := fake.Get("acme-sm-risk-fraud/training")
	policy, err := access.Parse(training.Access)
	if err != nil || !policy.Foreign() || len(policy.Ours()) != 1 {
		t.Errorf("training's repository policy %s: want the foreign statement kept beside ours", training.Access)
	}

	fake.ResetCalls()
	clear(results)
	if got := scan(true); got.Drifted != 1 || got.Fixed != 0 || got.Compliant != 1 {
		t.Errorf("second fix run: %+v; want only the encryption left, reported", got)
	}
	if w := fake.Writes(); len(w) != 0 {
		t.Errorf("second fix run wrote %v", w)
	}
}

// listed is every repository in the registry, in name order, as a sweep's batch.
func listed(t *testing.T, e *Engine) []registry.Summary {
	t.Helper()
	var out []registry.Summary
	if err := e.Registry.Walk(context.Background(), func(s registry.Summary) error { out = append(out, s); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b registry.Summary) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// A classic project's deletion never retires a Unified Studio project's repository whose name
// ends the same way, even with delete-if-empty and the repository empty.
func TestRetireLeavesAStudioRepositoryOfTheSameName(t *testing.T) {
	cfg := testConfig(t)
	cfg.OnProjectDelete = config.OnDeleteDeleteIfEmpty
	e, fake := engineOn(t, cfg)
	const studioRepo = "acme-sm-risk-fraud/training"
	fake.Put(ecrfake.Repository{Name: studioRepo, Tags: map[string]string{naming.TagManagedBy: naming.ManagedByValue,
		naming.TagProjectName: "fraud", naming.TagDomainID: "dzd_4p9n6sw4qt9xgn", naming.TagStudioProjectID: "5rpbc7vhrajx7b"}})
	results, err := e.Retire(context.Background(), cfg, "fraud", "", time.Now())
	if err != nil || len(results) != 0 {
		t.Fatalf("Retire: %+v, %v; want nothing retired", results, err)
	}
	if _, ok := fake.Get(studioRepo); !ok || len(fake.Writes()) != 0 {
		t.Errorf("the Unified Studio repository was written to or deleted: writes %v", fake.Writes())
	}
}

// RetireStudio reads each repository's tags again: one the lookup by tag still lists but that
// now names another project, or that the product does not manage, is left alone (even with
// delete-if-empty and the repository empty).
func TestRetireStudioConfirmsEachRepositorysTags(t *testing.T) {
	cfg := testConfig(t)
	cfg.OnProjectDelete = config.OnDeleteDeleteIfEmpty
	e, fake := engineOn(t, cfg)
	const domain, project = "dzd_4p9n6sw4qt9xgn", "5rpbc7vhrajx7b"
	repos := map[string]map[string]string{
		"acme-sm-data-science-churn/training":  {naming.TagManagedBy: naming.ManagedByValue, naming.TagDomainID: domain, naming.TagStudioProjectID: "anotherproj001"},
		"acme-sm-data-science-churn/inference": {naming.TagDomainID: domain, naming.TagStudioProjectID: project},
	}
	var found []registry.Tagged
	for name, tags := range repos {
		fake.Put(ecrfake.Repository{Name: name, Tags: tags})
		// What the lagging lookup by tag still says: this project's, managed.
		found = append(found, registry.Tagged{Summary: registry.Summary{Name: name, ARN: ecrfake.ARN(name)},
			Tags: map[string]string{naming.TagManagedBy: naming.ManagedByValue, naming.TagDomainID: domain, naming.TagStudioProjectID: project}})
	}
	results, err := e.RetireStudio(context.Background(), cfg, domain, project, found, time.Now())
	if err != nil || len(results) != 0 {
		t.Fatalf("RetireStudio: %+v, %v; want nothing retired", results, err)
	}
	for name := range repos {
		if _, ok := fake.Get(name); !ok {
			t.Errorf("%s was deleted", name)
		}
	}
	if w := fake.Writes(); len(w) != 0 {
		t.Errorf("writes %v; want none", w)
	}
}

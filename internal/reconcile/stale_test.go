package reconcile

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
)

// A statement someone adds between the observation and the write survives it: the repository
// policy is written from the text read just before the write, never from the plan's.
func TestAccessWriteMergesWhatWasAddedSinceTheObservation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grant access.Grant // what the configuration grants now
	}{
		{"the grant changes: rewritten", access.Grant{Accounts: []string{"222233334444", "333344445555"}}},
		{"the grant withdrawn: deleted only if the policy just read is all ours", access.Grant{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			e, fake := engineOn(t, cfg)
			d := fraudRepositories(t, cfg)[1]
			ours, _ := access.New(access.Grant{Accounts: []string{"222233334444"}}.Statements())
			fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: d.Tags, Access: ours})
			d.Pull = tc.grant
			o, err := e.Registry.Observe(context.Background(), d.Name, registry.Reads{Tags: true, Lifecycle: true, Access: true})
			if err != nil {
				t.Fatal(err)
			}
			step := Plan(d, o)
			if !has(step, OpSetAccess) && !has(step, OpDeleteAccess) {
				t.Fatalf("plan %+v; want an access write", step)
			}
			// Someone adds a statement of their own before the write.
			mixed := `{"Version":"2012-10-17","Statement":[` + foreignStatement + `,` + access.Canonical(access.Grant{Accounts: []string{"222233334444"}}.Statements()[0]) + `]}`
			repo, _ := fake.Get(d.Name)
			repo.Access = mixed
			fake.Put(repo)

			if _, err := e.Apply(context.Background(), step, true); err != nil {
				t.Fatal(err)
			}
			repo, _ = fake.Get(d.Name)
			if !strings.Contains(repo.Access, `"CiPush"`) {
				t.Fatalf("policy after the write: %q; want the statement added since the observation kept", repo.Access)
			}
			p, err := access.Parse(repo.Access)
			if err != nil {
				t.Fatal(err)
			}
			if diffs := access.Differences(p.Ours(), tc.grant.Statements()); len(diffs) > 0 {
				t.Errorf("the product's statements after the write differ from the grant: %+v", diffs)
			}
		})
	}
}

// A policy that someone else's statements make longer than ECR allows is reported, never
// written: the plan names it, and a write from a fresher read refuses it too.
func TestAccessTooLongIsReportedNotWritten(t *testing.T) {
	cfg := testConfig(t)
	e, fake := engineOn(t, cfg)
	d := fraudRepositories(t, cfg)[1]
	d.Pull = access.Grant{Accounts: []string{"222233334444"}}
	long := `{"Version":"2012-10-17","Statement":[{"Sid":"Big","Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:PrincipalTag/x":"` +
		strings.Repeat("x", access.MaxPolicyLength-300) + `"}}}]}`
	fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: d.Tags, Access: long})
	o, err := e.Registry.Observe(context.Background(), d.Name, Reads(cfg, d))
	if err != nil {
		t.Fatal(err)
	}
	step := Plan(d, o)
	if has(step, OpSetAccess) {
		t.Fatalf("a policy over %d characters is planned to be written", access.MaxPolicyLength)
	}
	var tooLong bool
	for _, diff := range step.Differences {
		tooLong = tooLong || (diff.Setting == SettingAccess && diff.Path == "(too long)" && !diff.Fixable)
	}
	if !tooLong {
		t.Errorf("differences %+v; want an unfixable (too long) one", step.Differences)
	}
	res, err := e.Apply(context.Background(), step, true)
	if err != nil || res.Outcome != Drifted {
		t.Errorf("apply: %+v, %v; want drifted, nothing written", res, err)
	}
	if w := fake.Writes()["SetRepositoryPolicy"]; w != 0 {
		t.Errorf("%d SetRepositoryPolicy; want none", w)
	}

	// Planned from a short policy, applied when it has grown: refused before the write.
	fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: d.Tags})
	o, _ = e.Registry.Observe(context.Background(), d.Name, Reads(cfg, d))
	step = Plan(d, o)
	fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: d.Tags, Access: long})
	if _, err := e.Apply(context.Background(), step, true); err == nil || !strings.Contains(err.Error(), "over the 10240") {
		t.Errorf("apply of a policy grown since the plan: %v; want the length named", err)
	}
	if w := fake.Writes()["SetRepositoryPolicy"]; w != 0 {
		t.Errorf("%d SetRepositoryPolicy; want none", w)
	}
}

// refusingUntag is the fake ECR whose UntagResource fails.
type refusingUntag struct{ *ecrfake.Registry }

func (refusingUntag) UntagResource(context.Context, *ecr.UntagResourceInput, ...func(*ecr.Options)) (*ecr.UntagResourceOutput, error) {
	return nil, errors.New("AccessDeniedException: not authorized to perform: ecr:UntagResource")
}

// When the tag write succeeds and the untag write fails, only what the tag write covers is
// counted as fixed.
func TestAFailedUntagIsNotCountedAsFixed(t *testing.T) {
	cfg := testConfig(t)
	fake := ecrfake.New()
	e := &Engine{Registry: registry.New(refusingUntag{fake}, cfg.Managed)}
	d := fraudRepositories(t, cfg)[1]
	tags := maps.Clone(d.Tags)
	tags[naming.TagProjectID], tags[naming.TagProjectDeleted] = "p-old", "2026-01-01T00:00:00Z"
	fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: tags})
	o, err := e.Registry.Observe(context.Background(), d.Name, Reads(cfg, d))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Apply(context.Background(), Plan(d, o), true)
	if err == nil {
		t.Fatal("apply: no error; want the untag's")
	}
	fixed := map[string]bool{}
	for _, diff := range res.Differences {
		fixed[diff.Path] = diff.Fixed
	}
	if !fixed[naming.TagProjectID] || fixed[naming.TagProjectDeleted] {
		t.Errorf("fixed %v; want the project id tag fixed and the deleted stamp not", fixed)
	}
}

// lateCreate is the fake ECR in which another invocation creates each repository between our
// read and our create: the first DescribeRepositories of a name answers not found.
type lateCreate struct {
	*ecrfake.Registry
	mu   *sync.Mutex
	seen map[string]bool
}

func (l lateCreate) DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, opts ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	l.mu.Lock()
	first := len(in.RepositoryNames) == 1 && !l.seen[in.RepositoryNames[0]]
	if first {
		l.seen[in.RepositoryNames[0]] = true
	}
	l.mu.Unlock()
	if first {
		return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String("not yet")}
	}
	return l.Registry.DescribeRepositories(ctx, in, opts...)
}

// Provisioning in report mode creates a missing repository; when someone else created it
// meanwhile, what it finds there is reported, not fixed.
func TestReportModeLosingTheCreationRaceWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	fake := ecrfake.New()
	desired := fraudRepositories(t, cfg)
	for _, d := range desired {
		fake.Put(ecrfake.Repository{Name: d.Name, Tags: d.Tags, Policy: lifecycle.Policy(99)})
	}
	fake.ResetCalls()
	e := &Engine{Registry: registry.New(lateCreate{fake, &sync.Mutex{}, map[string]bool{}}, cfg.Managed)}
	results, err := e.Sync(context.Background(), cfg, desired, false)
	if err != nil {
		t.Fatal(err)
	}
	w := fake.Writes()
	delete(w, "CreateRepository") // tried, and answered: it exists
	if len(w) != 0 {
		t.Errorf("report mode wrote %v after losing the race", w)
	}
	for _, r := range results {
		if r.Repository != desired[2].Name && r.Outcome != Drifted { // the exempt one's policy is not compared
			t.Errorf("%s: %s; want drifted, reported", r.Repository, r.Outcome)
		}
	}
}

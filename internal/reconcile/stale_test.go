package reconcile

import (
	"context"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
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
			d.Pull, d.CheckAccess = tc.grant, true
			o, err := e.Registry.Observe(context.Background(), d.Name, d.Reads(true))
			if err != nil {
				t.Fatal(err)
			}
			step := Plan(d, o, true)
			if step.SetAccess == "" && !step.DeleteAccess {
				t.Fatalf("plan %+v; want an access write", step)
			}
			// Someone adds a statement of their own before the write.
			mixed := `{"Version":"2012-10-17","Statement":[` + foreignStatement + `,` + access.Canonical(access.Grant{Accounts: []string{"222233334444"}}.Statements()[0]) + `]}`
			repo, _ := fake.Get(d.Name)
			repo.Access = mixed
			fake.Put(repo)

			if _, err := e.Apply(context.Background(), step); err != nil {
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
	d.Pull, d.CheckAccess = access.Grant{Accounts: []string{"222233334444"}}, true
	long := `{"Version":"2012-10-17","Statement":[{"Sid":"Big","Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:PrincipalTag/x":"` +
		strings.Repeat("x", access.MaxPolicyLength-300) + `"}}}]}`
	fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: d.Tags, Access: long})
	o, err := e.Registry.Observe(context.Background(), d.Name, d.Reads(true))
	if err != nil {
		t.Fatal(err)
	}
	step := Plan(d, o, true)
	if step.SetAccess != "" {
		t.Fatalf("a policy over %d characters is planned to be written", access.MaxPolicyLength)
	}
	var tooLong bool
	for _, diff := range step.Differences {
		tooLong = tooLong || (diff.Setting == SettingAccess && diff.Path == "(too long)" && !diff.Fixable)
	}
	if !tooLong {
		t.Errorf("differences %+v; want an unfixable (too long) one", step.Differences)
	}
	res, err := e.Apply(context.Background(), step)
	if err != nil || res.Outcome != Drifted {
		t.Errorf("apply: %+v, %v; want drifted, nothing written", res, err)
	}
	if w := fake.Writes()["SetRepositoryPolicy"]; w != 0 {
		t.Errorf("%d SetRepositoryPolicy; want none", w)
	}

	// Planned from a short policy, applied when it has grown: refused before the write.
	fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: d.Tags})
	o, _ = e.Registry.Observe(context.Background(), d.Name, d.Reads(true))
	step = Plan(d, o, true)
	fake.Put(ecrfake.Repository{Name: d.Name, Policy: d.Policy, Tags: d.Tags, Access: long})
	if _, err := e.Apply(context.Background(), step); err == nil || !strings.Contains(err.Error(), "over the 10240") {
		t.Errorf("apply of a policy grown since the plan: %v; want the length named", err)
	}
	if w := fake.Writes()["SetRepositoryPolicy"]; w != 0 {
		t.Errorf("%d SetRepositoryPolicy; want none", w)
	}
}

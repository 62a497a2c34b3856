package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
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

// planned is what a test compares of a step: the differences and the writes.
type planned struct {
	Conflict      string
	Differences   []Difference
	Create        bool
	PutLifecycle  bool
	PutMutability bool
	Tag           map[string]string
	Untag         []string
	SetAccess     bool
	DeleteAccess  bool
}

func plannedOf(s Step) planned {
	p := planned{Conflict: s.Conflict, Differences: s.Differences}
	for _, w := range s.Writes {
		switch w.Op {
		case OpCreate:
			p.Create = true
		case OpLifecycle:
			p.PutLifecycle = true
		case OpMutability:
			p.PutMutability = true
		case OpTag:
			p.Tag = w.Tags
		case OpUntag:
			p.Untag = w.Keys
		case OpSetAccess:
			p.SetAccess = true
		case OpDeleteAccess:
			p.DeleteAccess = true
		}
	}
	return p
}

// has reports whether the step holds a write of op.
func has(s Step, op Op) bool {
	return slices.ContainsFunc(s.Writes, func(w Write) bool { return w.Op == op })
}

// observedAs is the repository as ECR would hold it for d, in sync, with every setting read;
// change then edits it.
func observedAs(d Desired, change func(o *registry.Repository)) *registry.Repository {
	o := &registry.Repository{
		Summary:   registry.Summary{Name: d.Name, Mutability: d.Mutability, Encryption: registry.Encryption{Type: "AES256"}},
		Tags:      registry.Known(maps.Clone(d.Tags)),
		Lifecycle: registry.Known(registry.Document{Text: d.Policy, Exists: true}),
		Access:    registry.Known(registry.Document{}),
	}
	if change != nil {
		change(o)
	}
	return o
}

const foreignStatement = `{"Sid":"CiPush","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:role/ci"},"Action":"ecr:PutImage"}`

func TestPlan(t *testing.T) {
	cfg := testConfig(t)
	desired, err := ProjectRepositories(cfg, projects.Project{Name: "Fraud", ID: "p-1", Team: "Risk"})
	if err != nil {
		t.Fatal(err)
	}
	training := desired[1] // acme-sm-risk-fraud/training
	exempt := desired[2]   // acme-sm-risk-fraud/inference
	pulled := training
	pulled.Pull = access.Grant{Accounts: []string{"222233334444"}}
	ours, _ := access.New(pulled.Pull.Statements())
	unpulled := training // pull access withdrawn: ours may still be there, and the policy is read
	immutable := training
	immutable.Mutability = registry.Mutability{Mode: "IMMUTABLE_WITH_EXCLUSION", Exclusions: []string{"latest"}}
	kms := training
	kms.KMSKey = "arn:aws:kms:us-east-1:123456789012:key/k-1"
	byName := Named(cfg, training.Name)
	// The Fraud project of a member account, meeting this account's repository of its name.
	memberOwner := projects.Project{Name: "Fraud", ID: "p-9", Team: "risk", Account: "222233334444"}
	members, err := ProjectRepositories(cfg, memberOwner)
	if err != nil {
		t.Fatal(err)
	}
	theMembers := members[1]
	thisAccounts := func(o *registry.Repository) { delete(o.Tags.Value, naming.TagProjectAccount) }
	// withPolicy gives the observed repository a policy of the product's statements for g.
	withPolicy := func(g access.Grant, also func(o *registry.Repository)) func(o *registry.Repository) {
		return func(o *registry.Repository) {
			also(o)
			text, _ := access.New(g.Statements())
			o.Access.Value = registry.Document{Text: text, Exists: true}
		}
	}
	bare := func(o *registry.Repository) { o.Tags.Value = map[string]string{} }

	tests := []struct {
		name     string
		desired  Desired
		observed *registry.Repository
		fix      bool
		want     planned
	}{
		{name: "missing", desired: training,
			want: planned{Create: true, PutLifecycle: true, Differences: []Difference{{Setting: SettingRepository, Expected: training.Name, Found: absent, Fixable: true}}}},
		{name: "exempt: no pull access of ours", desired: repositoryOf(t, cfgWithPull(t), 2), want: planned{Create: true, Differences: []Difference{{Setting: SettingRepository, Expected: exempt.Name, Found: absent, Fixable: true}}}},
		{name: "missing and exempt", desired: exempt,
			want: planned{Create: true, Differences: []Difference{{Setting: SettingRepository, Expected: exempt.Name, Found: absent, Fixable: true}}}},
		{name: "missing, with pull access", desired: pulled,
			want: planned{Create: true, PutLifecycle: true, SetAccess: true, Differences: []Difference{{Setting: SettingRepository, Expected: pulled.Name, Found: absent, Fixable: true}}}},
		{name: "in sync", desired: training, observed: observedAs(training, nil), fix: true},
		{name: "team tag in other case", desired: training, observed: observedAs(training, func(o *registry.Repository) { o.Tags.Value[naming.TagTeam] = "RISK" }), fix: true},
		{name: "nothing read", desired: training, observed: &registry.Repository{Summary: registry.Summary{Name: training.Name, Mutability: training.Mutability, Encryption: registry.Encryption{Type: "AES256"}}}, fix: true},
		{name: "no policy, report", desired: training, observed: observedAs(training, func(o *registry.Repository) { o.Lifecycle.Value = registry.Document{} }),
			want: planned{PutLifecycle: true, Differences: []Difference{{Setting: SettingLifecycle, Expected: training.Policy, Found: absent, Fixable: true}}}},
		{name: "no policy, fix", desired: training, observed: observedAs(training, func(o *registry.Repository) { o.Lifecycle.Value = registry.Document{} }), fix: true,
			want: planned{PutLifecycle: true, Differences: []Difference{{Setting: SettingLifecycle, Expected: training.Policy, Found: absent, Fixable: true}}}},
		{name: "retention changed, fix", desired: training, observed: observedAs(training, func(o *registry.Repository) {
			o.Lifecycle.Value.Text = lifecycle.Policy(30)
		}), fix: true, want: planned{PutLifecycle: true, Differences: []Difference{{Setting: SettingLifecycle, Path: "rules[0].selection.countNumber", Expected: "10", Found: "30", Fixable: true}}}},
		{name: "unparsable, fix", desired: training, observed: observedAs(training, func(o *registry.Repository) { o.Lifecycle.Value.Text = "{oops" }), fix: true,
			want: planned{PutLifecycle: true, Differences: []Difference{{Setting: SettingLifecycle, Path: "(unparsable)", Expected: training.Policy, Found: "{oops", Fixable: true}}}},
		{name: "exempt keeps its policy", desired: exempt, observed: observedAs(exempt, func(o *registry.Repository) { o.Lifecycle.Value.Text = lifecycle.Policy(99) }), fix: true},
		{name: "mutability switched by hand, report", desired: immutable, observed: observedAs(immutable, func(o *registry.Repository) { o.Mutability = registry.Mutability{Mode: "MUTABLE"} }),
			want: planned{PutMutability: true, Differences: []Difference{
				{Setting: SettingMutability, Path: "imageTagMutability", Expected: "IMMUTABLE_WITH_EXCLUSION", Found: "MUTABLE", Fixable: true},
				{Setting: SettingMutability, Path: "imageTagMutabilityExclusionFilters", Expected: "latest", Found: absent, Fixable: true}}}},
		{name: "mutability switched by hand, fix", desired: immutable, observed: observedAs(immutable, func(o *registry.Repository) { o.Mutability = registry.Mutability{Mode: "IMMUTABLE"} }), fix: true,
			want: planned{PutMutability: true, Differences: []Difference{
				{Setting: SettingMutability, Path: "imageTagMutability", Expected: "IMMUTABLE_WITH_EXCLUSION", Found: "IMMUTABLE", Fixable: true},
				{Setting: SettingMutability, Path: "imageTagMutabilityExclusionFilters", Expected: "latest", Found: absent, Fixable: true}}}},
		{name: "managed tag missing", desired: training, observed: observedAs(training, func(o *registry.Repository) { delete(o.Tags.Value, naming.TagManagedBy) }), fix: true,
			want: planned{Tag: map[string]string{naming.TagManagedBy: naming.ManagedByValue},
				Differences: []Difference{{Setting: SettingTags, Path: naming.TagManagedBy, Expected: naming.ManagedByValue, Found: absent, Fixable: true}}}},
		{name: "foreign tags are not managed", desired: training, observed: observedAs(training, func(o *registry.Repository) { o.Tags.Value["cost-center"] = "cc-7" }), fix: true},
		{name: "project re-created", desired: training, observed: observedAs(training, func(o *registry.Repository) {
			o.Tags.Value[naming.TagProjectID], o.Tags.Value[naming.TagProjectDeleted] = "p-old", "2026-01-01T00:00:00Z"
		}), fix: true, want: planned{Tag: map[string]string{naming.TagProjectID: "p-1"}, Untag: []string{naming.TagProjectDeleted}, Differences: []Difference{
			{Setting: SettingTags, Path: naming.TagProjectID, Expected: "p-1", Found: "p-old", Fixable: true},
			{Setting: SettingTags, Path: naming.TagProjectDeleted, Expected: absent, Found: "2026-01-01T00:00:00Z", Fixable: true}}}},
		{name: "owner unknown: owner tags not compared", desired: byName, observed: observedAs(training, func(o *registry.Repository) { delete(o.Tags.Value, naming.TagTeam) }), fix: true},
		{name: "pull access granted, none there", desired: pulled, observed: observedAs(pulled, nil), fix: true,
			want: planned{SetAccess: true, Differences: []Difference{{Setting: SettingAccess, Path: "Statement[" + access.SidAccounts + "]",
				Expected: access.Canonical(pulled.Pull.Statements()[0]), Found: absent, Fixable: true}}}},
		{name: "pull access in sync", desired: pulled, observed: observedAs(pulled, func(o *registry.Repository) { o.Access.Value = registry.Document{Text: ours, Exists: true} }), fix: true},
		{name: "pull access withdrawn: ours removed, the policy deleted", desired: unpulled,
			observed: observedAs(unpulled, func(o *registry.Repository) { o.Access.Value = registry.Document{Text: ours, Exists: true} }), fix: true,
			want: planned{DeleteAccess: true, Differences: []Difference{{Setting: SettingAccess, Path: "Statement[" + access.SidAccounts + "]",
				Expected: absent, Found: access.Canonical(pulled.Pull.Statements()[0]), Fixable: true}}}},
		{name: "pull access withdrawn, nothing of ours left: a foreign policy is left alone", desired: unpulled,
			observed: observedAs(unpulled, func(o *registry.Repository) {
				o.Access.Value = registry.Document{Text: `{"Version":"2012-10-17","Statement":[` + foreignStatement + `]}`, Exists: true}
			}), fix: true},
		{name: "pull access withdrawn, ours beside a foreign statement: rewritten without ours, never deleted", desired: unpulled,
			observed: observedAs(unpulled, func(o *registry.Repository) {
				o.Access.Value = registry.Document{Text: `{"Version":"2012-10-17","Statement":[` + foreignStatement + `,` + access.Canonical(pulled.Pull.Statements()[0]) + `]}`, Exists: true}
			}), fix: true,
			want: planned{SetAccess: true, Differences: []Difference{{Setting: SettingAccess, Path: "Statement[" + access.SidAccounts + "]",
				Expected: absent, Found: access.Canonical(pulled.Pull.Statements()[0]), Fixable: true}}}},
		{name: "a policy that does not parse is reported, never overwritten", desired: pulled,
			observed: observedAs(pulled, func(o *registry.Repository) { o.Access.Value = registry.Document{Text: "{", Exists: true} }), fix: true,
			want: planned{Differences: []Difference{{Setting: SettingAccess, Path: "(unparsable)", Expected: "a policy document",
				Found: "repository policy is not a JSON object: unexpected EOF", Fixable: false}}}},
		{name: "encryption differs: reported, never fixed", desired: kms, observed: observedAs(kms, nil), fix: true,
			want: planned{Differences: []Difference{{Setting: SettingEncryption, Path: "encryptionType", Expected: "KMS", Found: "AES256"}}}},
		{name: "other team", desired: training, observed: observedAs(training, func(o *registry.Repository) {
			o.Tags.Value[naming.TagTeam], o.Lifecycle.Value.Text = "data", lifecycle.Policy(30)
		}), fix: true, want: planned{Conflict: `repository acme-sm-risk-fraud/training belongs to team "data", not "risk"`}},
		{name: "other project", desired: training, observed: observedAs(training, func(o *registry.Repository) { o.Tags.Value[naming.TagProjectName] = "fraud-v2" }),
			want: planned{Conflict: `repository acme-sm-risk-fraud/training belongs to project "fraud-v2", not "Fraud"`}},
		{name: "no account tag: this account's, never a member project's", desired: theMembers, observed: observedAs(theMembers, thisAccounts), fix: true,
			want: planned{Conflict: `repository acme-sm-risk-fraud/training belongs to the project "Fraud" of this account, not to the one of account 222233334444`}},
		{name: "no tags at all: still this account's", desired: theMembers, observed: observedAs(theMembers, bare), fix: true,
			want: planned{Conflict: `repository acme-sm-risk-fraud/training belongs to the project "Fraud" of this account, not to the one of account 222233334444`}},
		{name: "a member's account tag: never this account's project's", desired: training, observed: observedAs(theMembers, nil), fix: true,
			want: planned{Conflict: `repository acme-sm-risk-fraud/training belongs to the project "Fraud" of account 222233334444, not to the one of this account`}},
		{name: "a pull-accounts grant to the member is no record of ownership", desired: theMembers,
			observed: observedAs(theMembers, withPolicy(access.Grant{Accounts: []string{"222233334444"}}, thisAccounts)), fix: true,
			want: planned{Conflict: `repository acme-sm-risk-fraud/training belongs to the project "Fraud" of this account, not to the one of account 222233334444`}},
		{name: "the product's project-account grant says a repository without an account tag is the member's", desired: training,
			observed: observedAs(training, withPolicy(access.Grant{ProjectAccount: "222233334444"}, func(*registry.Repository) {})), fix: true,
			want: planned{Conflict: `repository acme-sm-risk-fraud/training belongs to the project "Fraud" of account 222233334444, not to the one of this account`}},
		{name: "the product's project-account grant names the member: its account tag is put back", desired: theMembers,
			observed: observedAs(theMembers, withPolicy(theMembers.Pull, thisAccounts)), fix: true,
			want: planned{Tag: map[string]string{naming.TagProjectAccount: "222233334444"},
				Differences: []Difference{{Setting: SettingTags, Path: naming.TagProjectAccount, Expected: "222233334444", Found: absent, Fixable: true}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Plan(tc.desired, tc.observed)
			if diff := cmp.Diff(tc.want, plannedOf(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if got.Conflict != "" && len(got.Writes) > 0 {
				t.Errorf("a conflicting repository is planned to be written: %+v", got)
			}
			if !tc.fix && tc.observed != nil && got.Conflict == "" {
				// Report mode applies the plan without one call (the engine has no registry to
				// call), and names every write it would make.
				res, err := (&Engine{}).Apply(context.Background(), got, false)
				if err != nil || len(res.WouldWrite) != len(got.Writes) || res.Changes != nil {
					t.Errorf("report mode: %+v, %v; want the %d planned writes named, none made", res, err, len(got.Writes))
				}
				if slices.ContainsFunc(res.Differences, func(f Finding) bool { return f.Fixed }) {
					t.Errorf("report mode fixed a difference: %+v", res.Differences)
				}
			}
		})
	}
}

// repositoryOf is the i-th repository of the test's project under cfg.
func repositoryOf(t *testing.T, cfg config.Config, i int) Desired {
	t.Helper()
	desired, err := ProjectRepositories(cfg, projects.Project{Name: "Fraud", ID: "p-1", Team: "Risk"})
	if err != nil {
		t.Fatal(err)
	}
	return desired[i]
}

// cfgWithPull is the test configuration with pull access granted.
func cfgWithPull(t *testing.T) config.Config {
	cfg := testConfig(t)
	cfg.PullAccounts = []string{"222233334444"}
	return cfg
}

func TestPlanEncryptionKeys(t *testing.T) {
	for _, tc := range []struct {
		want, have string
		differs    bool
	}{
		{"arn:aws:kms:us-east-1:123456789012:key/k-1", "arn:aws:kms:us-east-1:123456789012:key/k-1", false},
		{"arn:aws:kms:us-east-1:123456789012:key/k-1", "arn:aws:kms:us-east-1:123456789012:key/k-2", true},
		{"k-1", "arn:aws:kms:us-east-1:123456789012:key/k-1", false},
		{"k-1", "arn:aws:kms:us-east-1:123456789012:key/k-2", true},
		{"alias/ecr", "arn:aws:kms:us-east-1:123456789012:key/k-2", false}, // only KMS can resolve an alias
	} {
		diffs := encryptionDifferences(tc.want, registry.Encryption{Type: "KMS", KMSKey: tc.have})
		if got := len(diffs) > 0; got != tc.differs {
			t.Errorf("want %s, have %s: differs %v; want %v", tc.want, tc.have, got, tc.differs)
		}
		for _, d := range diffs {
			if d.Fixable {
				t.Errorf("an encryption difference is fixable: %+v", d)
			}
		}
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

// A Unified Studio project's repositories are named from its name with spaces made '-', and
// are whose their identity says.
func TestStudioProjects(t *testing.T) {
	cfg := testConfig(t)
	churn := projects.Project{Name: "Churn Model", ID: "5rpbc7vhrajx7b", Domain: "dzd_4p9n6sw4qt9xgn", Team: "data-science"}
	desired, err := ProjectRepositories(cfg, churn)
	if err != nil {
		t.Fatal(err)
	}
	if got := desired[1].Name; got != "acme-sm-data-science-churn-model/training" {
		t.Errorf("name: %s; want acme-sm-data-science-churn-model/training", got)
	}
	wantTags := map[string]string{naming.TagTeam: "data-science", naming.TagProjectName: "Churn Model",
		naming.TagDomainID: "dzd_4p9n6sw4qt9xgn", naming.TagStudioProjectID: "5rpbc7vhrajx7b"}
	for k, v := range wantTags {
		if desired[1].Tags[k] != v {
			t.Errorf("tag %s: %q; want %q", k, desired[1].Tags[k], v)
		}
	}
	if _, ok := desired[1].Tags[naming.TagProjectID]; ok {
		t.Errorf("a Unified Studio project's repository carries %s", naming.TagProjectID)
	}
	slash := churn
	slash.Name = "Churn/Model"
	if _, err := ProjectRepositories(cfg, slash); !Rejected(err) || !strings.Contains(err.Error(), "Churn/Model") {
		t.Errorf("Churn/Model: %v; want rejected, naming the project", err)
	}
	// Renamed: the repositories stay where they are, and their name tag follows.
	renamed := churn
	renamed.Name, renamed.Namespace = "Churn Forecast", "acme-sm-data-science-churn-model"
	moved, err := ProjectRepositories(cfg, renamed)
	if err != nil || moved[1].Name != "acme-sm-data-science-churn-model/training" {
		t.Fatalf("renamed: %v, %v; want the namespace kept", moved, err)
	}
	step := Plan(moved[1], observedAs(desired[1], nil))
	if step.Conflict != "" || !has(step, OpTag) || step.Writes[0].Tags[naming.TagProjectName] != "Churn Forecast" {
		t.Errorf("renamed project's own repository: %+v; want its name tag put right, no conflict", step)
	}
	outside := churn
	outside.Namespace = "other-sm-x"
	if _, err := ProjectRepositories(cfg, outside); err == nil {
		t.Error("a namespace outside the company's project namespaces was accepted")
	}

	classic, err := ProjectRepositories(cfg, projects.Project{Name: "churn-model", ID: "p-1", Team: "data-science"})
	if err != nil {
		t.Fatal(err)
	}
	other := churn
	other.ID = "9zzzzzzzzzzzzz"
	otherRepos, _ := ProjectRepositories(cfg, other)
	for _, tc := range []struct {
		name     string
		desired  Desired
		observed *registry.Repository
	}{
		{"another Unified Studio project of the same name", otherRepos[1], observedAs(desired[1], nil)},
		{"a classic project meets a Unified Studio repository", classic[1], observedAs(desired[1], nil)},
		{"a Unified Studio project meets a classic repository", desired[1], observedAs(classic[1], nil)},
		{"a Unified Studio project meets a classic repository without a project id", desired[1], observedAs(classic[1], func(o *registry.Repository) {
			delete(o.Tags.Value, naming.TagProjectID)
			o.Tags.Value[naming.TagProjectName] = "Churn Model" // even of a name that matches
		})},
		{"a classic project meets a repository with half an identity", classic[1], observedAs(classic[1], func(o *registry.Repository) {
			o.Tags.Value[naming.TagDomainID] = "dzd_4p9n6sw4qt9xgn"
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if step := Plan(tc.desired, tc.observed); step.Conflict == "" || len(step.Writes) > 0 {
				t.Errorf("plan %+v; want a conflict and no write", step)
			}
		})
	}
}

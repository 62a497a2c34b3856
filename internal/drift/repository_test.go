//go:build integration

package drift_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// The whole repository is the desired state: these tests change one setting by hand in moto
// and check what report mode says and what fix mode writes.

// managedRepository creates a repository as the product would have, tagged, with the default
// policy, and with any options applied to its CreateRepository call.
func managedRepository(t *testing.T, w *world.World, name string, opts ...func(*ecr.CreateRepositoryInput)) {
	t.Helper()
	ns, typ, _ := strings.Cut(name, "/")
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(name), Tags: []ecrtypes.Tag{
		{Key: aws.String("managed-by"), Value: aws.String("sagemaker-ecr-provisioner")},
		{Key: aws.String("repository-type"), Value: aws.String(typ)},
		{Key: aws.String("scope"), Value: aws.String("project")},
		{Key: aws.String("team"), Value: aws.String("risk")},
		{Key: aws.String("sagemaker:project-name"), Value: aws.String(strings.TrimPrefix(ns, "acme-sm-risk-"))},
	}}
	for _, o := range opts {
		o(in)
	}
	ctx := context.Background()
	if _, err := w.Setup.ECR.CreateRepository(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Setup.ECR.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(lifecycle.Policy(10))}); err != nil {
		t.Fatal(err)
	}
}

// difference is one difference of a drift event, as a subscriber reads it.
type difference struct {
	Setting, Path, Expected, Found string
	Fixable, Fixed                 bool
}

// driftDetail is a drift event's detail, as a subscriber reads it.
type driftDetail struct {
	Repository  string
	Fixed       bool
	Differences []difference
}

// driftDetails decodes the drift events' details, by repository.
func driftDetails(t *testing.T, events []account.Event) map[string]driftDetail {
	t.Helper()
	out := map[string]driftDetail{}
	for _, e := range events {
		if e.DetailType != publish.DriftDetected && e.DetailType != publish.DriftFixed {
			continue
		}
		var d driftDetail
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		out[d.Repository] = d
	}
	return out
}

func TestTagMutabilitySwitchedByHand(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false",
		"tag-mutability": "IMMUTABLE_WITH_EXCLUSION", "tag-mutability-exclusions": "latest"})
	const name = "acme-sm-risk-fraud/training"
	managedRepository(t, w, name) // MUTABLE, as someone switched it by hand
	sink := w.CaptureEvents(t)

	sum, err := service(w).Handle(world.Deadline(t), manual("report"))
	if err != nil || sum.Drifted != 1 || sum.Fixed != 0 {
		t.Fatalf("report run: %+v, %v; want 1 drifted, none fixed", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("report mode wrote %v", got)
	}
	details := driftDetails(t, sink.Drain(t))[name]
	if len(details.Differences) != 2 || details.Differences[0].Path != "imageTagMutability" ||
		details.Differences[0].Expected != "IMMUTABLE_WITH_EXCLUSION" || details.Differences[0].Found != "MUTABLE" ||
		details.Differences[1].Expected != "latest" {
		t.Errorf("drift detail %+v; want the mode and the filters, expected and found", details)
	}

	w.Rec.Clear()
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Fixed != 1 {
		t.Fatalf("fix run: %+v, %v; want 1 fixed", sum, err)
	}
	if got := writtenRepositories(w); !slices.Equal(got, []string{"PutImageTagMutability " + name}) {
		t.Errorf("fix run wrote %v; want one PutImageTagMutability", got)
	}
	if r := w.Repository(t, name); r.Mutability != "IMMUTABLE_WITH_EXCLUSION" || !slices.Equal(r.Exclusions, []string{"latest"}) {
		t.Errorf("after the fix: %s %v; want IMMUTABLE_WITH_EXCLUSION [latest]", r.Mutability, r.Exclusions)
	}
	w.Rec.Clear()
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Drifted != 0 || len(writtenRepositories(w)) != 0 {
		t.Errorf("second fix run: %+v, %v, writes %v; want nothing to do", sum, err, writtenRepositories(w))
	}
}

const foreignStatement = `{"Sid":"CiPush","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:role/ci"},"Action":["ecr:PutImage","ecr:InitiateLayerUpload"]}`

func TestPullAccessGrantedKeptAndWithdrawn(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "base-sklearn", "create-project-repos": "false",
		"pull-accounts": "222233334444", "overrides/acme-sm-risk-fraud/pull-accounts": "333344445555"})
	managedRepository(t, w, "acme-sm-risk-fraud/training")
	managedRepository(t, w, "acme-sm-risk-churn/training")
	// Someone gives a CI role push access to one repository by hand.
	foreignPolicy := `{"Version":"2012-10-17","Statement":[` + foreignStatement + `]}`
	if _, err := w.Setup.ECR.SetRepositoryPolicy(context.Background(), &ecr.SetRepositoryPolicyInput{
		RepositoryName: aws.String("acme-sm-risk-churn/training"), PolicyText: aws.String(foreignPolicy)}); err != nil {
		t.Fatal(err)
	}

	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Fixed != 2 || sum.Created != 1 {
		t.Fatalf("fix run: %+v, %v; want 2 fixed and the shared repository created", sum, err)
	}
	wantAccounts := map[string][]string{
		"acme-sm-risk-fraud/training":        {"222233334444", "333344445555"}, // and its namespace's
		"acme-sm-risk-churn/training":        {"222233334444"},
		"acme-sagemaker-shared/base-sklearn": {"222233334444"},
	}
	for name, accounts := range wantAccounts {
		p, err := access.Parse(w.Repository(t, name).Access)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := access.Differences(p.Ours(), access.Grant{Accounts: accounts}.Statements()); len(d) != 0 {
			t.Errorf("%s: our statements differ from a grant to %v: %+v", name, accounts, d)
		}
	}
	if !foreignKept(t, w.Repository(t, "acme-sm-risk-churn/training").Access) {
		t.Error("the hand-written CI statement did not survive the fix run unchanged")
	}

	// A second run over the compliant world: one GetRepositoryPolicy a repository, no write.
	w.Rec.Clear()
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Drifted != 0 {
		t.Errorf("second run: %+v, %v; want nothing drifted", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("second run wrote %v", got)
	}
	if got := w.Rec.Count("GetRepositoryPolicy"); got != 3 {
		t.Errorf("second run: %d GetRepositoryPolicy; want one a repository, 3", got)
	}

	// Unconfigured, and the Parameter Store Change of the deletion lost: the next scheduled
	// run sees that the scopes it granted are gone, and reads every repository policy. Ours
	// go; a policy that held only ours is deleted, the one with the CI statement keeps it.
	w.DeleteConfig(t, "pull-accounts", "overrides/acme-sm-risk-fraud/pull-accounts")
	w.Rec.Clear()
	if sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json")); err != nil || sum.Fixed != 3 {
		t.Fatalf("run after the withdrawal: %+v, %v; want 3 fixed", sum, err)
	}
	for _, name := range []string{"acme-sm-risk-fraud/training", "acme-sagemaker-shared/base-sklearn"} {
		if text := w.Repository(t, name).Access; text != "" {
			t.Errorf("%s still has a repository policy: %s", name, text)
		}
	}
	left, err := access.Parse(w.Repository(t, "acme-sm-risk-churn/training").Access)
	if err != nil || len(left.Ours()) != 0 || !foreignKept(t, w.Repository(t, "acme-sm-risk-churn/training").Access) {
		t.Errorf("acme-sm-risk-churn/training after the withdrawal: %v; want the CI statement alone, unchanged", err)
	}
	if got := w.Rec.Count("DeleteRepositoryPolicy"); got != 2 {
		t.Errorf("DeleteRepositoryPolicy calls: %d; want 2, never on the policy someone else wrote in", got)
	}

	// A scheduled run afterwards, with pull access unconfigured, reads no repository policy.
	w.Rec.Clear()
	if _, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json")); err != nil {
		t.Fatal(err)
	}
	if got := w.Rec.Count("GetRepositoryPolicy"); got != 0 {
		t.Errorf("scheduled run without pull access: %d GetRepositoryPolicy; want none", got)
	}
}

// foreignKept reports whether the policy text still holds the hand-written CI statement, as
// IAM reads it.
func foreignKept(t *testing.T, text string) bool {
	t.Helper()
	p, err := access.Parse(text)
	if err != nil {
		t.Fatalf("repository policy %s: %v", text, err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(foreignStatement), &want); err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(p.Others(), func(st map[string]any) bool { return access.Equal(st, want) })
}

// A withdrawal seen in report mode is reported; the fix run after it takes the grant back.
func TestWithdrawalReportedThenFixed(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false", "pull-accounts": "222233334444"})
	managedRepository(t, w, "acme-sm-risk-fraud/training")
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Fixed != 1 {
		t.Fatalf("granting run: %+v, %v", sum, err)
	}
	w.DeleteConfig(t, "pull-accounts")
	if sum, err := service(w).Handle(world.Deadline(t), manual("report")); err != nil || sum.Drifted != 1 || sum.Fixed != 0 {
		t.Errorf("report run: %+v, %v; want the statement reported, not removed", sum, err)
	}
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Fixed != 1 {
		t.Errorf("fix run: %+v, %v; want the statement removed", sum, err)
	}
	if text := w.Repository(t, "acme-sm-risk-fraud/training").Access; text != "" {
		t.Errorf("repository policy after the fix run: %s; want none", text)
	}
	// The withdrawal is taken back: later runs read no repository policy.
	w.Rec.Clear()
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	if got := w.Rec.Count("GetRepositoryPolicy"); got != 0 {
		t.Errorf("run after the clean-up: %d GetRepositoryPolicy; want none", got)
	}
}

// An exempt repository beside a missing sibling is not touched by the creation of the sibling.
func TestExemptSiblingOfAMissingRepositoryIsNotWritten(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "tag-mutability": "IMMUTABLE",
		"pull-accounts": "222233334444", "lifecycle-exempt": "acme-sm-risk-fraud/inference"})
	w.SageMaker.PutProject("fraud", "p-7", map[string]string{"team": "risk"})
	managedRepository(t, w, "acme-sm-risk-fraud/inference") // MUTABLE, no pull statement
	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Created != 2 || sum.Exempt != 1 {
		t.Fatalf("fix run: %+v, %v; want the 2 missing created, the exempt one counted", sum, err)
	}
	for _, r := range w.Rec.Writes() {
		if r.Repository == "acme-sm-risk-fraud/inference" {
			t.Errorf("write to the exempt repository: %s", r.Operation)
		}
	}
	if r := w.Repository(t, "acme-sm-risk-fraud/inference"); r.Mutability != "MUTABLE" || r.Access != "" {
		t.Errorf("exempt repository: %s, policy %q; want it as it was", r.Mutability, r.Access)
	}
}

func TestRemovedTeamTagIsPutBack(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "check-tags": "true"})
	w.SageMaker.PutProject("fraud", "p-7", map[string]string{"team": "risk"})
	svc := service(w)
	if sum, err := svc.Handle(world.Deadline(t), manual("fix")); err != nil || sum.Created != 3 {
		t.Fatalf("first run: %+v, %v; want the project's 3 repositories", sum, err)
	}
	const name = "acme-sm-risk-fraud/training"
	r := w.Repository(t, name)
	if _, err := w.Setup.ECR.UntagResource(context.Background(), &ecr.UntagResourceInput{ResourceArn: aws.String(r.ARN), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Setup.ECR.TagResource(context.Background(), &ecr.TagResourceInput{ResourceArn: aws.String(r.ARN),
		Tags: []ecrtypes.Tag{{Key: aws.String("cost-center"), Value: aws.String("cc-7")}}}); err != nil {
		t.Fatal(err)
	}

	w.Rec.Clear()
	sum, err := svc.Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Fixed != 1 {
		t.Fatalf("fix run: %+v, %v; want the one repository fixed", sum, err)
	}
	got := w.Repository(t, name).Tags
	if got["team"] != "risk" || got["cost-center"] != "cc-7" {
		t.Errorf("tags %v; want team put back and cost-center kept", got)
	}
	if got := writtenRepositories(w); !slices.Equal(got, []string{"TagResource " + name}) {
		t.Errorf("writes %v; want one TagResource", got)
	}
}

func TestEncryptionDifferenceIsReportedNeverFixed(t *testing.T) {
	w := world.New(t, server)
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false", "kms-key": key})
	const name = "acme-sm-risk-fraud/training"
	managedRepository(t, w, name) // AES256, made before the key was configured
	sink := w.CaptureEvents(t)
	for _, mode := range []string{"report", "fix"} {
		sum, err := service(w).Handle(world.Deadline(t), manual(mode))
		if err != nil || sum.Drifted != 1 || sum.Fixed != 0 {
			t.Errorf("%s run: %+v, %v; want 1 drifted, none fixed", mode, sum, err)
		}
		events := sink.Drain(t)
		if got := account.ByType(events); got[publish.DriftDetected] != 1 || got[publish.DriftFixed] != 0 {
			t.Errorf("%s run events: %v; want one Drift Detected", mode, got)
		}
		d := driftDetails(t, events)[name]
		want := []difference{{"encryption", "encryptionType", "KMS", "AES256", false, false}}
		if diff := cmp.Diff(want, d.Differences); diff != "" {
			t.Errorf("%s run: differences (-want +got):\n%s", mode, diff)
		}
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("writes %v; an encryption difference is never fixed (nor the repository re-created)", got)
	}
	if r := w.Repository(t, name); r.Encryption != "AES256" {
		t.Errorf("encryption %s; want it left as it is", r.Encryption)
	}
}

func TestProtectedAndUntaggedRules(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false",
		"protected-tag-patterns": "prod-* release-*-final", "untagged-expiry-days": "14", "image-retention": "20"})
	const name = "acme-sm-risk-fraud/training"
	managedRepository(t, w, name)
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Fixed != 1 {
		t.Fatalf("fix run: %+v, %v; want the policy rewritten", sum, err)
	}
	want := lifecycle.Spec{Keep: 20, UntaggedDays: 14, Protected: []string{"prod-*", "release-*-final"}}.Text()
	if got := w.Repository(t, name).Policy; got != want {
		t.Fatalf("policy moto holds:\n%s\nwant:\n%s", got, want)
	}

	// ECR hands rules back in its own order and spelling: the same policy, reordered and
	// re-spelt, is compliant.
	var doc map[string]any
	if err := json.Unmarshal([]byte(want), &doc); err != nil {
		t.Fatal(err)
	}
	rules := doc["rules"].([]any)
	slices.Reverse(rules)
	reordered, _ := json.MarshalIndent(doc, "", "  ")
	if _, err := w.Setup.ECR.PutLifecyclePolicy(context.Background(), &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(string(reordered))}); err != nil {
		t.Fatalf("moto refused the reordered policy: %v", err)
	}
	w.Rec.Clear()
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Drifted != 0 || sum.Compliant != 1 {
		t.Errorf("run over the reordered policy: %+v, %v; want it compliant", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("the reordered policy was rewritten: %v", got)
	}
}

// With every setting configured, a second run over a compliant world writes nothing.
func TestSecondRunWritesNothingAcrossEverySetting(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "check-tags": "true",
		"tag-mutability": "IMMUTABLE_WITH_EXCLUSION", "tag-mutability-exclusions": "latest dev-*",
		"pull-accounts": "222233334444", "pull-org-id": "o-a1b2c3d4e5",
		"protected-tag-patterns": "prod-*", "untagged-expiry-days": "7"})
	w.SageMaker.PutProject("fraud", "p-7", map[string]string{"team": "risk"})
	managedRepository(t, w, "acme-sm-risk-fraud/training") // adopted: every setting differs
	svc := service(w)
	if sum, err := svc.Handle(world.Deadline(t), manual("fix")); err != nil || sum.Created != 5 || sum.Fixed != 1 {
		t.Fatalf("first run: %+v, %v; want 5 created (3 shared, 2 of the project) and the adopted one fixed", sum, err)
	}
	w.Rec.Clear()
	sum, err := svc.Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Drifted != 0 || sum.Compliant != 6 {
		t.Errorf("second run: %+v, %v; want all 6 compliant", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("second run wrote %v", got)
	}
}

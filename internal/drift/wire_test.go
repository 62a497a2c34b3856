//go:build integration

package drift_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// The wire contract: the runs of the handler that the in-memory tests cannot stand for, on
// moto_server over HTTP with the real SDK clients, every request recorded and checked against
// the safety invariants. A full fix run and a report run over the mixed world, the repair of a
// hand edit (the exact ECR calls it makes), and a member-account run through STS, whose
// credentials act in the member's account. The other tagged files hold the faults of a proxy,
// the settings as ECR hands them back, the configuration checks and the stack's resource.

func service(w *world.World) *drift.Service {
	return &drift.Service{
		SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, DataZone: w.Studio, Tags: w.Tags, Region: account.Region,
		Publisher:   publish.New(w.EventBridge, "default"),
		ConfigPath:  configPath,
		Concurrency: 4,
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:     io.Discard,
	}
}

// repo creates a repository as a person or an older tool would, with a policy (or none).
func repo(t *testing.T, w *world.World, name, policy string) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.Setup.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name),
		Tags: []ecrtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("sagemaker-ecr-provisioner")}}}); err != nil {
		t.Fatal(err)
	}
	if policy == "" {
		return
	}
	if _, err := w.Setup.ECR.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}

func policyOf(t *testing.T, w *world.World, name string) string {
	t.Helper()
	out, err := w.Setup.ECR.GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	if err != nil {
		return ""
	}
	return aws.ToString(out.LifecyclePolicyText)
}

func retention(t *testing.T, w *world.World, name string) int {
	t.Helper()
	n, _ := lifecycle.Retention(policyOf(t, w, name))
	return n
}

// mixedWorld builds the mixed world of the drift tests and returns the repositories that drifted.
func mixedWorld(t *testing.T, w *world.World) (drifted []string) {
	t.Helper()
	w.PutConfig(t, mixedConfig)
	for _, r := range mixedRepositories {
		repo(t, w, r.name, r.policy)
	}
	return slices.Clone(mixedDrifted)
}

// writtenRepositories lists the product's ECR writes (see ecrWrites).
func writtenRepositories(w *world.World) []string { return ecrWrites(w.Rec) }

// churnWorld is a world with the Churn-Model project live in SageMaker and its repositories
// made by the product, as after its CreateProject.
func churnWorld(t *testing.T, extra map[string]string) *world.World {
	t.Helper()
	w := world.New(t, server)
	cfg := map[string]string{"company": "acme", "shared-repos": "none"}
	for k, v := range extra {
		cfg[k] = v
	}
	w.PutConfig(t, cfg)
	w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Created < 3 {
		t.Fatalf("set-up run: %+v, %v; want the project's 3 repositories (and the shared ones)", sum, err)
	}
	w.Rec.Clear()
	return w
}

// ecrCalls lists the ECR calls the product made, in order.
func ecrCalls(w *world.World) []string {
	var out []string
	for _, r := range w.Rec.Requests() {
		if r.Service == "ecr" {
			out = append(out, r.Operation)
		}
	}
	return out
}

// cycleWorld is a world of n compliant managed repositories and no shared ones.
func cycleWorld(t *testing.T, n int) (*world.World, []string) {
	t.Helper()
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none"})
	names := account.ProjectRepositoryNames("acme", n)
	if err := w.Setup.CreateManaged(context.Background(), names, lifecycle.Policy(10)); err != nil {
		t.Fatal(err)
	}
	return w, names
}

// state reads the sweep's state in the parameter name, as the product would.
func state(t *testing.T, w *world.World, name string) sweep.State {
	t.Helper()
	st, err := (&sweep.Store{API: w.Setup.SSM, Name: name}).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFixModeWritesExactlyTheDriftedPolicies(t *testing.T) {
	w := world.New(t, server)
	drifted := mixedWorld(t, w)
	sink := w.CaptureEvents(t)
	svc := service(w)

	sum, err := svc.Handle(world.Deadline(t), manual(""))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	want := drift.Summary{Mode: "fix", Trigger: "manual", Scanned: 8, Compliant: 3, Drifted: 5, Fixed: 5, Exempt: 2, Complete: true,
		Swept: 10, SweepTotal: 10, CycleComplete: true}
	if sum.OldestCheckAgeSeconds == nil || *sum.OldestCheckAgeSeconds > 60 {
		t.Errorf("oldest check age: got %v; want the seconds since this run started, the cycle it completed", sum.OldestCheckAgeSeconds)
	}
	sum.DurationMs, sum.OldestCheckAgeSeconds = 0, nil
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	var wantWrites []string
	for _, name := range drifted {
		wantWrites = append(wantWrites, "PutLifecyclePolicy "+name)
	}
	if diff := cmp.Diff(wantWrites, writtenRepositories(w)); diff != "" {
		t.Errorf("ECR writes (-want +got):\n%s", diff)
	}
	for name, n := range map[string]int{
		"acme-sm-risk-fraud/preprocessing": 10, "acme-sm-risk-churn/training": 10, "acme-sm-risk-churn/inference": 10,
		"acme-sm-vision-detector/inference": 3, "acme-sm-vision-detector/training": 50, "acme-sagemaker-shared/base-sklearn": 10,
	} {
		if got := retention(t, w, name); got != n {
			t.Errorf("%s retention: got %d; want %d", name, got, n)
		}
	}
	if got := policyOf(t, w, "acme-sm-risk-fraud/inference"); got != reformatted {
		t.Errorf("the equivalent policy was rewritten: got %s", got)
	}
	for _, name := range []string{"acme-sm-legal-hold/training", "other-team/app"} {
		if got := policyOf(t, w, name); got != otherN {
			t.Errorf("%s policy changed: got %s", name, got)
		}
	}
	for _, r := range w.Rec.Requests() {
		if r.Repository == "other-team/app" || r.Repository == "acme-smx/foo" || r.Repository == "acme-sm-ops-keep/training" {
			t.Errorf("call on a repository drift must not touch: %+v", r)
		}
	}
	events := account.ByType(sink.Drain(t))
	if events[publish.DriftFixed] != 5 || events[publish.ReconcileCompleted] != 1 || events[publish.DriftDetected] != 0 {
		t.Errorf("events: got %v; want 5 fixed and 1 completed", events)
	}

	// A second run finds nothing to do.
	w.Rec.Clear()
	sum, err = svc.Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Drifted != 0 || sum.Compliant != 8 {
		t.Errorf("second run: got %+v, %v; want 8 compliant, none drifted", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("second run ECR writes: got %v; want none", got)
	}
}

func TestReportModeWritesNothing(t *testing.T) {
	w := world.New(t, server)
	mixedWorld(t, w)
	w.PutConfig(t, map[string]string{"drift-mode": "report", "shared-repos": "base-sklearn base-pytorch"})
	w.SageMaker.PutProject("fraud-detect", "p-1", map[string]string{"team": "risk"})
	sink := w.CaptureEvents(t)

	sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Mode != "report" || sum.Drifted != 5 || sum.Fixed != 0 || sum.Missing != 4 || sum.Created != 0 {
		t.Errorf("summary: got %+v; want report mode, 5 drifted, 4 missing (1 shared, 3 of the project), none fixed or created", sum)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("ECR writes in report mode: got %v; want none", got)
	}
	events := sink.Drain(t)
	if got := account.ByType(events); got[publish.DriftDetected] != 9 || got[publish.DriftFixed] != 0 {
		t.Errorf("events: got %v; want 9 drift detected (5 policies, 4 missing)", got)
	}
	for _, e := range events {
		if e.DetailType != publish.DriftDetected {
			continue
		}
		var d struct {
			Repository, Reason string
			Differences        []struct{ Setting, Path, Expected, Found string }
		}
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		want := []struct{ Setting, Path, Expected, Found string }{{"lifecycle-policy", "rules[0].selection.countNumber", "10", "30"}}
		if d.Repository == "acme-sm-risk-fraud/preprocessing" && !cmp.Equal(want, d.Differences) {
			t.Errorf("drift detail: got %+v; want lifecycle-policy rules[0].selection.countNumber 10 against 30", d.Differences)
		}
	}

	// A manual fix run overrides drift-mode for that run only.
	sum, err = service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Mode != "fix" || sum.Fixed != 5 || sum.Created != 4 {
		t.Errorf("manual fix: got %+v, %v; want 5 fixed and 4 created", sum, err)
	}
}

func TestHandEditedLifecyclePolicyIsRestoredAtOnce(t *testing.T) {
	w := churnWorld(t, nil)
	sink := w.CaptureEvents(t)
	if err := w.Setup.EditRetentionByHand(context.Background(), edited, 99); err != nil {
		t.Fatal(err)
	}

	listed := w.SageMaker.Calls()["ListProjects"]
	sum, err := service(w).Handle(world.Deadline(t), record("ecr-put-lifecycle-policy.json", nil))
	if err != nil || sum.Trigger != "repair" || sum.Repository != edited || sum.Fixed != 1 || sum.Event != "PutLifecyclePolicy" {
		t.Fatalf("repair: %+v, %v; want %s fixed", sum, err, edited)
	}
	if n, _ := w.Repository(t, edited).Retention(); n != 10 {
		t.Errorf("retention after the repair: %d; want 10", n)
	}
	// One repository's reads and writes, not a sweep: no listing, no project discovery. What the
	// repository says of its owner is read first; then, the owner known, the repository is
	// observed and written with no SageMaker call in between.
	want := []string{"DescribeRepositories", "ListTagsForResource", "DescribeRepositories", "ListTagsForResource", "GetLifecyclePolicy", "PutLifecyclePolicy"}
	if diff := cmp.Diff(want, ecrCalls(w)); diff != "" {
		t.Errorf("ECR calls of the repair (-want +got):\n%s", diff)
	}
	if got := w.SageMaker.Calls()["ListProjects"] - listed; got != 0 {
		t.Errorf("ListProjects calls of the repair: %d; want none", got)
	}
	if got := account.ByType(sink.Drain(t)); got[publish.DriftFixed] != 1 || got[publish.ReconcileCompleted] != 1 {
		t.Errorf("events: %v; want one Drift Fixed and the completed event", got)
	}

	// The product's own PutLifecyclePolicy comes back as a record too: it finds the repository
	// as desired, and writes nothing.
	w.Rec.Clear()
	own := record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
		samples.Detail(ev)["userIdentity"] = map[string]any{"type": "AssumedRole",
			"arn": "arn:aws:sts::123456789012:assumed-role/stack-DriftFunctionRole-ABC/stack-drift"}
	})
	if sum, err := service(w).Handle(world.Deadline(t), own); err != nil || sum.Compliant != 1 || sum.Fixed != 0 {
		t.Errorf("repair of the product's own write: %+v, %v; want compliant", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("the product's own write caused a second write: %v", got)
	}
}

func TestMissedMemberProjectsAreCreatedAndUnreachableMembersAreOneError(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "base-sklearn", "member-accounts": member + " " + otherMember})
	w.SageMaker.PutProject("churn", "p-home", map[string]string{"team": "risk"})
	for i, name := range []string{"forecast", "demand-plan", "pricing"} { // several ListTags in one account
		w.SageMaker.Account(member).PutProject(name, "p-m"+string(rune('0'+i)), map[string]string{"team": "demand"})
	}
	w.SageMaker.Account(otherMember).PutProject("ledger", "p-o", map[string]string{"team": "finance"})
	w.STS.Deny(otherMember) // its member role is missing

	sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if sum.Errors != 1 || !slices.Equal(sum.Unreachable, []string{otherMember}) || err == nil || sum.Complete {
		t.Errorf("summary %+v, %v; want one error, %s unreachable, the run failing for it and incomplete", sum, err, otherMember)
	}
	for _, name := range []string{"acme-sm-risk-churn/training", "acme-sm-demand-forecast/training", "acme-sm-demand-demand-plan/training", "acme-sm-demand-pricing/inference"} {
		r := w.Repository(t, name)
		want := ""
		if name != "acme-sm-risk-churn/training" {
			want = member
		}
		if r.Tags["sagemaker:project-account"] != want {
			t.Errorf("%s account tag %q; want %q", name, r.Tags["sagemaker:project-account"], want)
		}
	}
	if got := w.Repositories(t); slices.Contains(got, "acme-sm-finance-ledger/training") {
		t.Errorf("the unreachable member's project got repositories: %v", got)
	}
	// The shared repositories grant pull to every member account.
	if got := w.Repository(t, "acme-sagemaker-shared/base-sklearn").PullAccounts(); !slices.Equal(got, []string{member, otherMember}) {
		t.Errorf("shared repository pull %v; want both member accounts", got)
	}
	// The member's role is assumed once a run, whatever it reads there.
	if calls := w.STS.AssumeRoleCalls(); calls[member] != 1 || calls[otherMember] != 1 {
		t.Errorf("AssumeRole calls %v; want one an account", calls)
	}

	// Once the role is there, the next run converges the rest.
	w.STS.Reset()
	again, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err != nil || again.Errors != 0 || again.Created != 3 {
		t.Errorf("run after the member role appeared: %+v, %v; want the ledger's 3 repositories created", again, err)
	}
	if r := w.Repository(t, "acme-sm-finance-ledger/training"); r.Tags["sagemaker:project-account"] != otherMember {
		t.Errorf("ledger account tag %q", r.Tags["sagemaker:project-account"])
	}
}

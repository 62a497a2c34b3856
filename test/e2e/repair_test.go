//go:build integration

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// The repository the sample hand-edit records name.
const handEdited = "acme-sm-data-science-churn-model/training"

// churnProvisioned is a world where the Churn-Model project is live and provisioned, with the
// ECR log emptied of the provisioning's calls.
func churnProvisioned(t *testing.T, ctx context.Context) {
	t.Helper()
	local.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	var created stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("create-project.json"), &created)
	if created.Status != "provisioned" {
		t.Fatalf("CreateProject: %+v; want provisioned", created)
	}
	drain(t, ctx)
	local.ECR.ResetLog()
}

// ecrCalls lists the ECR operations the functions made since the log was last emptied; writes
// only those that change a repository.
func ecrCalls() (all, writes []string) {
	for _, e := range local.ECR.Log() {
		all = append(all, e.Operation)
		switch e.Operation {
		case "DescribeRepositories", "ListTagsForResource", "GetLifecyclePolicy", "GetRepositoryPolicy", "DescribeImages", "ListImages":
		default:
			writes = append(writes, e.Operation+" "+e.Repository)
		}
	}
	return all, writes
}

// A person's PutLifecyclePolicy reaches DriftFunction as its CloudTrail record, and that one
// invocation puts the policy back: one repository's reads and one write.
func TestHandEditedPolicyIsRestoredByTheRecordsInvocation(t *testing.T) {
	ctx := fresh(t)
	churnProvisioned(t, ctx)
	if err := local.Account.EditRetentionByHand(ctx, handEdited, 99); err != nil {
		t.Fatal(err)
	}

	// How long from the record's invocation to the policy restored: moto is read every few
	// milliseconds while the invocation runs (the invocation itself also sends its events,
	// which moto delivers to the test's queue slowly).
	began := time.Now()
	restored := make(chan time.Duration, 1)
	watch, stop := context.WithCancel(ctx)
	go func() {
		defer close(restored)
		for watch.Err() == nil {
			if r, ok, err := local.Account.Repository(watch, handEdited); err == nil && ok {
				if n, _ := r.Retention(); n == defaultRetained {
					restored <- time.Since(began)
					return
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	sum := runDrift(t, ctx, string(samples.Event("ecr-put-lifecycle-policy.json")))
	took := time.Since(began)
	stop()
	t.Logf("policy restored %s after the invocation began; the invocation took %s (the handler reports %d ms before its events)",
		(<-restored).Round(time.Millisecond), took.Round(time.Millisecond), sum.DurationMs)
	if sum.Trigger != "repair" || sum.Repository != handEdited || sum.Event != "PutLifecyclePolicy" || sum.Fixed != 1 || sum.Errors != 0 {
		t.Errorf("summary %+v; want trigger repair, %s fixed after PutLifecyclePolicy", sum, handEdited)
	}
	wantKeepNewest(t, repositories(t, ctx)[handEdited], defaultRetained)
	all, writes := ecrCalls()
	if diff := cmp.Diff([]string{"PutLifecyclePolicy " + handEdited}, writes); diff != "" {
		t.Errorf("ECR writes (-want +got):\n%s", diff)
	}
	// The owner's tags are read first, then the repository observed: 5 reads and the write.
	if len(all) > 7 {
		t.Errorf("ECR calls %v; want one repository's reads and the write, not a sweep", all)
	}
	events := drain(t, ctx)
	wantEvents(t, events, map[string]int{driftFixed: 1, reconciled: 1})
	if !mentions(events, driftFixed, handEdited) {
		t.Errorf("no %q event names %s", driftFixed, handEdited)
	}

	// The function's own PutLifecyclePolicy is recorded too. In AWS the rule drops it by the
	// caller's role; should one arrive anyway, the repository is found as desired and nothing
	// is written: a repair cannot feed itself.
	local.ECR.ResetLog()
	own := samples.Edit("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
		samples.Detail(ev)["userIdentity"] = map[string]any{"type": "AssumedRole",
			"arn": "arn:aws:sts::123456789012:assumed-role/sagemaker-ecr-DriftFunctionRole-ABC/sagemaker-ecr-drift"}
	})
	again := runDrift(t, ctx, string(own))
	if again.Compliant != 1 || again.Fixed != 0 {
		t.Errorf("the function's own write: %+v; want the repository compliant", again)
	}
	if _, writes := ecrCalls(); len(writes) != 0 {
		t.Errorf("the function's own write caused writes: %v", writes)
	}
}

func TestRemovedTeamTagIsPutBack(t *testing.T) {
	ctx := fresh(t)
	churnProvisioned(t, ctx)
	if err := local.Account.UntagByHand(ctx, handEdited, "team"); err != nil {
		t.Fatal(err)
	}
	sum := runDrift(t, ctx, string(samples.Event("ecr-untag-resource.json")))
	if sum.Repository != handEdited || sum.Event != "UntagResource" || sum.Fixed != 1 {
		t.Errorf("summary %+v; want %s fixed after UntagResource", sum, handEdited)
	}
	if got := repositories(t, ctx)[handEdited].Tags["team"]; got != "data-science" {
		t.Errorf("team tag %q; want data-science, the project's own", got)
	}
	if _, writes := ecrCalls(); !cmp.Equal(writes, []string{"TagResource " + handEdited}) {
		t.Errorf("ECR writes %v; want the one TagResource", writes)
	}
}

// Records the function must not act on: each is answered "ignored", and nothing is written.
func TestRecordsOutsideTheManagedNamespacesWriteNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(ev map[string]any)
	}{
		{"unmanaged repository", func(ev map[string]any) {
			samples.RequestParameters(ev)["repositoryName"] = "other-team/app"
		}},
		{"the call failed", func(ev map[string]any) {
			samples.Detail(ev)["errorCode"] = "AccessDenied"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := fresh(t)
			churnProvisioned(t, ctx)
			if err := local.Account.EditRetentionByHand(ctx, handEdited, 99); err != nil {
				t.Fatal(err)
			}
			sum := runDrift(t, ctx, string(samples.Edit("ecr-put-lifecycle-policy.json", tc.edit)))
			if sum.Status != "ignored" || sum.Reason == "" {
				t.Errorf("summary %+v; want ignored, with the reason", sum)
			}
			if all, _ := ecrCalls(); len(all) != 0 {
				t.Errorf("ECR calls %v; want none", all)
			}
			wantKeepNewest(t, repositories(t, ctx)[handEdited], 99)
		})
	}
}

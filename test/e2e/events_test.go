//go:build integration

package e2e

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// The product's results reach an SQS queue through an EventBridge rule on the default bus that
// matches their source, as a subscriber in AWS would receive them. Each step's events are
// read back before the next step runs.
func TestEventsReachSQSWithTheirDetailTypes(t *testing.T) {
	ctx := fresh(t)
	local.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})

	provision := func(name string) func() {
		return func() {
			var sum stack.ProvisionSummary
			invoke(t, ctx, local.Provision, samples.Event(name), &sum)
		}
	}
	drift := func(payload string) func() { return func() { runDrift(t, ctx, payload) } }
	for _, step := range []struct {
		name string
		run  func()
		want []string
	}{
		{"CreateProject", provision("create-project.json"), []string{provisioned}},
		{"scheduled drift", drift(string(samples.Event("scheduled-event.json"))), []string{provisioned, reconciled}},
		{"hand edit", func() {
			if err := local.Account.EditRetentionByHand(ctx, "acme-sagemaker-shared/base-pytorch", 3); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"drift report", drift(`{"mode":"report"}`), []string{driftDetected, reconciled}},
		{"drift fix", drift(`{"mode":"fix"}`), []string{driftFixed, reconciled}},
		{"DeleteProject", func() {
			local.SageMaker.DeleteProject("Churn-Model") // gone from SageMaker, as the record says
			provision("delete-project.json")()
		}, []string{retained}},
	} {
		step.run()
		var got []string
		for _, ev := range drain(t, ctx) {
			got = append(got, ev.DetailType)
			var detail map[string]any
			if err := json.Unmarshal(ev.Detail, &detail); err != nil || len(detail) == 0 {
				t.Errorf("%s: %s event detail %s: want a JSON object (%v)", step.name, ev.DetailType, ev.Detail, err)
			}
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: detail-types in the order they arrived (-want +got):\n%s", step.name, diff)
		}
	}
}

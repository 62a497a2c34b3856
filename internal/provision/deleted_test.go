//go:build integration

package provision_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// A DeleteProject record whose deletion failed: SageMaker still has the project, DeleteFailed.
// It is live, however long ago it was created, and keeps its repositories as they are.
func TestDeleteProjectWhoseDeletionFailedLeavesRepositoriesAlone(t *testing.T) {
	w, sink, svc := setup(t, nil)
	ctx := world.Deadline(t)
	w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	if _, err := svc.Handle(ctx, event("create-project.json")); err != nil {
		t.Fatal(err)
	}
	if err := w.SageMaker.SetStatus("Churn-Model", "DeleteFailed"); err != nil {
		t.Fatal(err)
	}
	sink.Drain(t)
	w.Rec.Clear()

	// The record is newer than the project's creation (the stand-in stamps it now).
	recorded := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	deleteFailed := edit("delete-project.json", func(ev map[string]any) {
		ev["time"] = recorded
		detail(ev)["eventTime"] = recorded
	})
	sum, err := svc.Handle(ctx, deleteFailed)
	if err != nil || sum.Status != publish.StatusSkipped || !strings.Contains(sum.Reason, "live project") {
		t.Fatalf("got %q %q, %v; want %q: a live project of this name keeps its repositories", sum.Status, sum.Reason, err, publish.StatusSkipped)
	}
	if got := w.Rec.Count("DescribeProject"); got != 1 {
		t.Errorf("DescribeProject calls: got %d; want 1 (SageMaker is asked, not the record)", got)
	}
	if writes := w.Rec.Writes(); len(writes) != 0 {
		t.Errorf("writes: got %v; want none", writes)
	}
	if got := sorted(w.Repositories(t)); len(got) != len(churnRepos) {
		t.Fatalf("repositories: got %v; want %v untouched", got, churnRepos)
	}
	for _, name := range churnRepos {
		if v, ok := tagsOf(t, w, name)["sagemaker:project-deleted"]; ok {
			t.Errorf("%s tagged sagemaker:project-deleted=%s though its project's deletion failed", name, v)
		}
	}
	if got := sink.Drain(t); len(got) != 0 {
		t.Errorf("events: got %d; want none", len(got))
	}
}

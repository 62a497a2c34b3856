//go:build integration

package drift_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// Report mode names the writes a fix run would make: each drift event its repository's, the
// summary their count by operation. The fix run that follows makes exactly those writes.
func TestReportModeNamesTheWritesItWouldMake(t *testing.T) {
	w := world.New(t, server)
	mixedWorld(t, w)
	w.PutConfig(t, map[string]string{"drift-mode": "report", "shared-repos": "base-sklearn base-pytorch"})
	w.SageMaker.PutProject("fraud-detect", "p-1", map[string]string{"team": "risk"})
	sink := w.CaptureEvents(t, publish.DriftDetected)

	report, err := service(w).Handle(world.Deadline(t), manual("report"))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]int{}
	for _, e := range sink.Drain(t) {
		var d publish.DriftDetail
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		for _, write := range d.WouldWrite {
			op, _, _ := strings.Cut(write, " ")
			named[op]++
		}
		if d.Repository == "acme-sm-risk-fraud/preprocessing" && !cmp.Equal(d.WouldWrite, []string{"PutLifecyclePolicy"}) {
			t.Errorf("%s would write %v; want its lifecycle policy only", d.Repository, d.WouldWrite)
		}
		if d.Reason == "repository-missing" && (len(d.WouldWrite) == 0 || d.WouldWrite[0] != "CreateRepository") {
			t.Errorf("missing %s would write %v; want CreateRepository first", d.Repository, d.WouldWrite)
		}
	}
	if report.WouldWrite["CreateRepository"] != 4 || report.WouldWrite["PutLifecyclePolicy"] < 5 {
		t.Errorf("report summary would write %v; want 4 repositories created and at least the 5 drifted policies", report.WouldWrite)
	}
	if diff := cmp.Diff(report.WouldWrite, named); diff != "" {
		t.Errorf("the summary's writes against the events' (-summary +events):\n%s", diff)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("ECR writes in report mode: %v; want none", got)
	}

	w.Rec.Clear()
	fix, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || fix.WouldWrite != nil {
		t.Fatalf("fix run: %+v, %v; want it to write, naming nothing it would write", fix, err)
	}
	made := map[string]int{}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			made[r.Operation]++
		}
	}
	if diff := cmp.Diff(report.WouldWrite, made); diff != "" {
		t.Errorf("what report mode named against what the fix run wrote (-named +written):\n%s", diff)
	}
}

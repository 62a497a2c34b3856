//go:build integration

package provision_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// BenchmarkProvision handles CreateProject events against moto_server, through the recorder
// that counts every call. new-project: each event names a project not seen before, so three
// repositories are created. in-sync: the same project again, which must write nothing.
//
// Run with make bench, or: go test -tags integration -run=NONE -bench=Provision -benchtime=20x ./internal/provision
func BenchmarkProvision(b *testing.B) {
	b.Run("new-project", func(b *testing.B) {
		w, svc := benchSetup(b)
		events := make([]json.RawMessage, b.N)
		for i := range events {
			events[i] = benchProject(b, fmt.Sprintf("bench-%d", i))
		}
		w.Rec.Clear()
		b.ResetTimer()
		for i := range b.N {
			sum, err := svc.Handle(world.Deadline(b), events[i])
			if err != nil || sum.Status != publish.StatusProvisioned {
				b.Fatalf("event %d: got %q %q, %v; want %q", i, sum.Status, sum.Reason, err, publish.StatusProvisioned)
			}
		}
		b.StopTimer()
		reportCalls(b, w.Rec)
		if got := len(w.Repositories(b)); got != 3*b.N {
			b.Errorf("repositories: got %d; want %d", got, 3*b.N)
		}
	})

	b.Run("in-sync", func(b *testing.B) {
		w, svc := benchSetup(b)
		ev := benchProject(b, "churn-model")
		if sum, err := svc.Handle(world.Deadline(b), ev); err != nil || sum.Status != publish.StatusProvisioned {
			b.Fatalf("first event: got %q %q, %v", sum.Status, sum.Reason, err)
		}
		w.Rec.Clear()
		b.ResetTimer()
		for i := range b.N {
			sum, err := svc.Handle(world.Deadline(b), ev)
			if err != nil || sum.Status != publish.StatusInSync {
				b.Fatalf("event %d: got %q %q, %v; want %q", i, sum.Status, sum.Reason, err, publish.StatusInSync)
			}
		}
		b.StopTimer()
		reportCalls(b, w.Rec)
		if writes := w.Rec.Writes(); len(writes) != 0 {
			b.Errorf("writes for a project in sync: got %v; want none", writes)
		}
	})
}

// benchSetup is the world and service of a benchmark, without an event sink: an SQS queue
// filling up would only slow moto down.
func benchSetup(b *testing.B) (*world.World, *provision.Service) {
	b.Helper()
	w := configured(b, nil)
	return w, service(w)
}

// benchProject is the sample CreateProject event for another project of team data-science.
func benchProject(b *testing.B, project string) json.RawMessage {
	b.Helper()
	return edit("create-project.json", func(ev map[string]any) {
		requestParameters(ev)["projectName"] = project
		detail(ev)["responseElements"] = map[string]any{
			"projectArn": "arn:aws:sagemaker:us-east-1:123456789012:project/" + project,
			"projectId":  "p-" + project,
		}
	})
}

// reportCalls reports the recorded calls per handled event, and logs them by operation.
func reportCalls(b *testing.B, rec *wire.Recorder) {
	reqs := rec.Requests()
	b.ReportMetric(float64(len(reqs))/float64(b.N), "calls/op")
	b.ReportMetric(float64(len(rec.Writes()))/float64(b.N), "writes/op")
	byOp := map[string]int{}
	for _, r := range reqs {
		byOp[r.Service+" "+r.Operation]++
	}
	var lines []string
	for op, n := range byOp {
		lines = append(lines, fmt.Sprintf("%s %.2f", op, float64(n)/float64(b.N)))
	}
	sort.Strings(lines)
	b.Logf("N=%d, calls per event by operation: %s", b.N, strings.Join(lines, ", "))
}

package drift

import (
	"maps"
	"os"
	"strings"
	"sync"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/metrics"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// tally counts the differences of a run by setting: how many repositories differed in it, and
// in how many of them the run fixed it.
// It also counts, in report mode, the writes a fix run would make, by operation.
type tally struct {
	mu           sync.Mutex
	found, fixed map[reconcile.Setting]int
	would        map[string]int
}

func (t *tally) add(r reconcile.Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.found == nil {
		t.found, t.fixed, t.would = map[reconcile.Setting]int{}, map[reconcile.Setting]int{}, map[string]int{}
	}
	for _, w := range r.WouldWrite {
		op, _, _ := strings.Cut(w, " ")
		t.would[op]++
	}
	found, fixed := map[reconcile.Setting]bool{}, map[reconcile.Setting]bool{}
	for _, d := range r.Differences {
		found[d.Setting] = true
		fixed[d.Setting] = fixed[d.Setting] || d.Fixed
	}
	for s := range found {
		t.found[s]++
		if fixed[s] {
			t.fixed[s]++
		}
	}
}

// wouldWrite is how many writes of each operation a fix run would make; nil for none.
func (t *tally) wouldWrite() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.would) == 0 {
		return nil
	}
	return maps.Clone(t.would)
}

// writeMetrics writes the run's Embedded Metric Format lines: one for the run, with dimensions
// Function and Mode; for a repair that reconciled, one with dimensions Function and Event; one
// a setting that differed, with dimensions Function and Setting.
func (s *Service) writeMetrics(sum Summary, t *tally) {
	w := s.Metrics
	if w == nil {
		w = os.Stdout
	}
	count := func(name string, v int) metrics.Metric {
		return metrics.Metric{Name: name, Value: float64(v), Unit: "Count"}
	}
	flag := func(name string, v bool) metrics.Metric {
		return count(name, map[bool]int{false: 0, true: 1}[v])
	}
	values := []metrics.Metric{
		count("Scanned", sum.Scanned), count("Drifted", sum.Drifted), count("Fixed", sum.Fixed),
		count("Created", sum.Created), count("Errors", sum.Errors), count("Unpublished", sum.Unpublished),
		// A run that left the sweep to another is not incomplete: it had nothing to do.
		flag("Incomplete", !sum.Complete && sum.Status != publish.StatusSkipped),
		metrics.Metric{Name: "Duration", Value: float64(sum.DurationMs), Unit: "Milliseconds"},
	}
	if sum.InventoryComplete != nil {
		values = append(values, count("InUse", sum.InUse), count("Protected", sum.Protected), count("Released", sum.Released),
			// An inventory that goes on in the next run is not incomplete, nor is a record's
			// protection (it reads one resource, and releases nothing).
			flag("InventoryIncomplete", !*sum.InventoryComplete && !sum.InventoryContinues && sum.Event == ""),
			flag("InventoryContinues", sum.InventoryContinues))
	}
	reconciled := sum.Status == ""
	if sum.Event == "" && reconciled {
		progress := 100.0
		if sum.SweepTotal > 0 {
			progress = 100 * float64(sum.Swept) / float64(sum.SweepTotal)
		}
		values = append(values, metrics.Metric{Name: "SweepProgress", Value: progress, Unit: "Percent"},
			flag("CycleComplete", sum.CycleComplete))
		if sum.OldestCheckAgeSeconds != nil {
			values = append(values, metrics.Metric{Name: "OldestCheckAge", Value: float64(*sum.OldestCheckAgeSeconds), Unit: "Seconds"})
		}
	}
	_ = metrics.Write(w, s.now(), map[string]string{"Function": "drift", "Mode": string(sum.Mode)}, values...)
	if sum.Event != "" && reconciled {
		_ = metrics.Write(w, s.now(), map[string]string{"Function": "drift", "Event": sum.Event}, count("Repairs", 1))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for setting, n := range t.found {
		_ = metrics.Write(w, s.now(), map[string]string{"Function": "drift", "Setting": string(setting)},
			count("Differences", n), count("DifferencesFixed", t.fixed[setting]))
	}
}

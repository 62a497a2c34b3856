package drift_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

const stateParameter = configPath + "-state"

// memCycleWorld is a world of n compliant managed repositories and no shared ones.
func memCycleWorld(t *testing.T, n int) (*memworld.World, []string) {
	t.Helper()
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none"})
	names := account.ProjectRepositoryNames("acme", n)
	w.CreateManaged(t, names, lifecycle.Policy(10))
	return w, names
}

// small runs svc with a budget of about 5 repositories: a 3-second deadline (work stops after
// 1 s) at an assumed 5 ECR calls a second.
func small(t *testing.T, svc *drift.Service, payload json.RawMessage) drift.Summary {
	t.Helper()
	svc.ECRPerSecond = 5
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	sum, err := svc.Handle(ctx, payload)
	if err != nil || sum.Errors != 0 || sum.Status != "" {
		t.Fatalf("run: %+v, %v; want a sweep without errors", sum, err)
	}
	return sum
}

// memState reads the sweep's state in the parameter name, as the product would: a parameter
// that does not exist is the empty state.
func memState(t *testing.T, w *memworld.World, name string) sweep.State {
	t.Helper()
	var st sweep.State
	if text, ok := w.SSM.Value(name); ok {
		if err := json.Unmarshal([]byte(text), &st); err != nil {
			t.Fatalf("state %s: %v", name, err)
		}
	}
	return st
}

// putState writes the sweep's state, as another run would have.
func putState(t *testing.T, w *memworld.World, st sweep.State) {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	w.SSM.Set(stateParameter, string(b))
}

func TestSweepRunsContinueEachOthersCycle(t *testing.T) {
	w, names := memCycleWorld(t, 20)
	svc := w.Service()
	var swept []int
	for range 3 {
		sum := small(t, svc, event("scheduled-event.json"))
		swept = append(swept, sum.Swept)
		if sum.SweepTotal != len(names) || sum.CycleComplete {
			t.Fatalf("run %d: %+v; want part of a cycle of %d", len(swept), sum, len(names))
		}
	}
	if !(swept[0] > 0 && swept[1] > swept[0] && swept[2] > swept[1]) {
		t.Errorf("swept after each run: %v; want each run to go on from the last", swept)
	}

	// A report run has a cycle of its own: it does not move the fix cycle's cursor.
	report := small(t, svc, manual("report"))
	if report.Swept > swept[0]+1 || report.Swept == 0 {
		t.Errorf("first report run swept %d; want it to start its own cycle", report.Swept)
	}
	if next := small(t, svc, event("scheduled-event.json")); next.Swept <= swept[2] {
		t.Errorf("fix run after the report run swept %d; want more than %d, the fix cycle going on", next.Swept, swept[2])
	}
	if st := memState(t, w, stateParameter); st.Lease != nil || st.Cycles["fix"] == nil || st.Cycles["report"] == nil {
		t.Errorf("state %+v; want both cycles and no lease left", st)
	}
}

// A configuration change that finds another run sweeping asks for a restart; the next run
// starts the cycle over, and the run after it continues that new cycle (a restart is asked for
// once, not for ever).
func TestConfigurationChangeDuringASweepRestartsTheCycleOnce(t *testing.T) {
	w, names := memCycleWorld(t, 20)
	svc := w.Service()
	first := small(t, svc, event("scheduled-event.json"))
	st := memState(t, w, stateParameter)
	st.Lease = &sweep.Lease{Holder: "another-run", Until: time.Now().Add(10 * time.Minute)}
	putState(t, w, st)

	changed, err := svc.Handle(context.Background(), event("parameter-store-change.json"))
	if err != nil || changed.Status != "skipped" {
		t.Fatalf("configuration change during a sweep: %+v, %v; want skipped", changed, err)
	}
	st = memState(t, w, stateParameter)
	if st.Restarts != 1 || st.Lease == nil || st.Lease.Holder != "another-run" {
		t.Fatalf("state after the change: %+v; want a restart asked for, the other run's lease kept", st)
	}
	st.Lease = nil // the other run is done
	putState(t, w, st)

	restarted := small(t, svc, event("scheduled-event.json"))
	if restarted.Swept > first.Swept+1 {
		t.Errorf("run after the change swept %d; want the cycle started over (the run before swept %d)", restarted.Swept, first.Swept)
	}
	next := small(t, svc, event("scheduled-event.json"))
	if next.Swept <= restarted.Swept {
		t.Errorf("the run after swept %d of %d; want it to go on from %d", next.Swept, len(names), restarted.Swept)
	}
}

// A member account's own configuration change, forwarded to a bus that takes its events,
// neither restarts the cycle nor runs anything.
func TestAnotherAccountsConfigurationChangeIsIgnored(t *testing.T) {
	w, _ := memCycleWorld(t, 3)
	small(t, w.Service(), event("scheduled-event.json"))
	before := memState(t, w, stateParameter)
	sum, err := w.Service().Handle(context.Background(), samples.Edit("parameter-store-change.json", func(ev map[string]any) { ev["account"] = "222233334444" }))
	if err != nil || sum.Status != "ignored" {
		t.Errorf("another account's change: %+v, %v; want ignored", sum, err)
	}
	if after := memState(t, w, stateParameter); after.Restarts != before.Restarts {
		t.Errorf("restarts %d -> %d; want no restart", before.Restarts, after.Restarts)
	}
}

// The state goes where the service is told.
func TestStateParameterIsTheOneConfigured(t *testing.T) {
	w, _ := memCycleWorld(t, 3)
	svc := w.Service()
	svc.StateParameter = "/elsewhere/sweep-state"
	if sum, err := svc.Handle(context.Background(), manual("fix")); err != nil || !sum.CycleComplete {
		t.Fatalf("run: %+v, %v", sum, err)
	}
	if st := memState(t, w, "/elsewhere/sweep-state"); st.Cycles["fix"] == nil || st.Cycles["fix"].LastFinished.IsZero() {
		t.Errorf("state at the configured parameter: %+v; want the completed cycle", st)
	}
	if _, ok := w.SSM.Value(stateParameter); ok {
		t.Errorf("%s was written too", stateParameter)
	}
}

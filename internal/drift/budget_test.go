package drift_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
)

// TestSweepContinuesAcrossRunsOnASmallBudget gives every run a deliberately small budget (a
// 3-second timeout, ECR capped at 200 calls a second) over 300 managed repositories of which
// half drifted: no run can do it all. Each run continues where the last stopped, so after the
// number of runs the budget implies, every repository is fixed, and no run failed. A project
// that missed its event gets its repositories in the very first run, whose sweep does not
// finish.
func TestSweepContinuesAcrossRunsOnASmallBudget(t *testing.T) {
	const (
		repos   = 300
		timeout = 3 * time.Second
		cap     = 200.0
	)
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none"})
	names := account.ProjectRepositoryNames("acme", repos)
	w.CreateManaged(t, names, lifecycle.Policy(10))
	for i := 1; i < len(names); i += 2 { // every other one keeps 30, not 10
		w.Edit(t, names[i], func(r *ecrfake.Repository) { r.Policy = otherN })
	}
	w.SageMaker.PutProject("missed", "p-9", map[string]string{"team": "late"})

	svc := w.Service()
	svc.ECRPerSecond = cap
	w.ECR.SetRate(cap) // the client-side cap the function puts in front of ECR

	// What one run can do: the handler stops starting work 2 s (a tenth of the time left, at
	// least 2 s) before the deadline, so 1 s of calls at the cap; a drifted repository costs 2
	// calls, a compliant one 1, and each run lists the repositories once (one page).
	work := timeout - max(timeout/10, 2*time.Second)
	perRun := work.Seconds() * cap
	calls := float64(repos + repos/2)
	runs := int(math.Ceil(calls/(perRun-1))) + 1 // one more: the limiter's first second
	t.Logf("%d repositories, %d drifted; %.0f calls a run: at most %d runs", repos, repos/2, perRun, runs)

	var cycled bool
	for i := range runs {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		sum, err := svc.Handle(ctx, event("scheduled-event.json"))
		cancel()
		if err != nil || sum.Errors != 0 || sum.Status != "" {
			t.Fatalf("run %d failed or did not sweep: %+v, %v", i+1, sum, err)
		}
		t.Logf("run %d: swept %d of %d, fixed %d, cycle complete %v", i+1, sum.Swept, sum.SweepTotal, sum.Fixed, sum.CycleComplete)
		if i == 0 {
			if sum.CycleComplete {
				t.Fatalf("the first run completed the cycle: the budget is not small enough to prove anything")
			}
			for _, typ := range []string{"preprocessing", "training", "inference"} {
				if _, ok := w.ECR.Get("acme-sm-late-missed/" + typ); !ok {
					t.Errorf("the missed project's %s repository is not there after the first run", typ)
				}
			}
		}
		if sum.CycleComplete {
			cycled = true
			if sum.OldestCheckAgeSeconds == nil {
				t.Error("a completed cycle gives no age of the oldest check")
			}
			break
		}
	}
	if !cycled {
		t.Fatalf("no cycle completed in %d runs", runs)
	}
	for _, name := range names {
		if n, _ := w.Repository(t, name).Retention(); n != 10 {
			t.Errorf("%s keeps %d images after the cycle; want 10", name, n)
		}
	}
}

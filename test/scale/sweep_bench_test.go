//go:build integration

package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// The deployed budget (template.yaml): a 900 s timeout, of which the handler works until a
// tenth (at most 60 s) before the deadline, and ECR capped at 20 requests a second.
const (
	deployedWork = 840 * time.Second
	deployedCap  = 20.0
)

// BenchmarkSweep seeds BENCH_SWEEP_REPOS (default 100,000) managed repositories in moto, every
// other one without its lifecycle policy, and a SageMaker project that missed its event; then,
// timed, it invokes the drift bootstrap with the scheduled event until a fix cycle completes,
// then with {"mode":"report"} until a report cycle completes. The function runs with
// GOMEMLIMIT=100MiB and a budget scaled down from the deployed one so that the hour of bench
// time holds several cycles' runs: BENCH_SWEEP_TIMEOUT (default 90 s) and an ECR cap of
// BENCH_SWEEP_RPS (default 200) requests a second give 81 s × 200 = 16,200 calls a run, the
// deployed 840 s × 20 = 16,800 near enough, so a run covers about as many repositories as a
// deployed one.
//
// It fails unless every run succeeds, the missed project's repositories exist after the first
// run, the fix cycle leaves every repository compliant and the report cycle finds nothing.
//
// Run with: go test -tags integration -run=NONE -bench=Sweep -benchtime=1x -timeout=120m ./test/scale
func BenchmarkSweep(b *testing.B) {
	n := envInt(b, "BENCH_SWEEP_REPOS", 100_000)
	timeout := time.Duration(envInt(b, "BENCH_SWEEP_TIMEOUT", 90)) * time.Second
	rps := envInt(b, "BENCH_SWEEP_RPS", 200)
	ctx := context.Background()

	bins, err := rie.Build(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	st, err := stack.Start(ctx, stack.Options{Binaries: bins, DriftTimeout: timeout,
		DriftEnv: map[string]string{"ECR_MAX_RPS": strconv.Itoa(rps)}})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Stop()
	// Listing 100,000 repositories takes moto seconds (ECR: milliseconds a page); the pager
	// serves each run's listing from its last snapshot while the set is unchanged.
	st.Pager.Reuse = true
	// The default configuration, and no rule for the product's events: moto takes about a
	// second to deliver a PutEvents call to an SQS target, and a benchmark of the sweep would
	// measure that instead (EventBridge itself accepts PutEvents in milliseconds).
	if err := st.Account.PutConfig(ctx, account.DefaultConfig()); err != nil {
		b.Fatal(err)
	}

	names := account.ProjectRepositoryNames(account.Company, n)
	var even []string
	for i := 0; i < len(names); i += 2 {
		even = append(even, names[i])
	}
	began := time.Now()
	if err := st.Account.CreateManaged(ctx, names, ""); err != nil {
		b.Fatal(err)
	}
	if err := st.Account.PutPolicies(ctx, even, lifecycle.Policy(10)); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d repositories, %d of them with the desired policy, in %s", n, len(even), time.Since(began).Round(time.Second))
	st.SageMaker.PutProject("Missed-Model", "p-0123456789ab", map[string]string{"team": "late"})
	missed := []string{"acme-sm-late-missed-model/preprocessing", "acme-sm-late-missed-model/training", "acme-sm-late-missed-model/inference"}

	b.ResetTimer()
	for range b.N {
		st.Pager.ResetCalls()
		fix := cycle(b, st, string(samples.Event("scheduled-event.json")), func(run int, sum stack.DriftSummary) {
			if run == 1 {
				for _, name := range missed {
					if _, ok, err := st.Account.Repository(ctx, name); err != nil || !ok {
						b.Errorf("%s is not there after the first run (%v)", name, err)
					}
				}
			}
		})
		fixCalls := st.Pager.Calls()
		st.Pager.ResetCalls()
		report := cycle(b, st, `{"mode":"report"}`, nil)
		reportCalls := st.Pager.Calls()

		b.StopTimer()
		total := n + len(missed) + 3 // the shared repositories too
		if fix.fixed != n-len(even) || fix.created != len(missed)+3 {
			b.Errorf("the fix cycle fixed %d and created %d; want the %d without a policy fixed and %d created", fix.fixed, fix.created, n-len(even), len(missed)+3)
		}
		if report.drifted != 0 || report.compliant != total {
			b.Errorf("the report cycle found %d drifted, %d compliant; want none drifted, %d compliant", report.drifted, report.compliant, total)
		}
		peak, _ := st.Drift.PeakRSS()
		b.ReportMetric(float64(fix.runs), "fix-runs")
		b.ReportMetric(float64(report.runs), "report-runs")
		b.ReportMetric(float64(sum(fixCalls))/float64(total), "fix-ecr-calls/repo")
		b.ReportMetric(float64(sum(reportCalls))/float64(total), "report-ecr-calls/repo")
		b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MB")
		b.Logf("%d repositories; a run: %s timeout, ECR cap %d/s; ECR calls of the fix cycle: %v; of the report cycle: %v",
			total, timeout, rps, fixCalls, reportCalls)
		for _, c := range []struct {
			name  string
			calls map[string]int
			runs  int
		}{{"fix", fixCalls, fix.runs}, {"report", reportCalls, report.runs}} {
			// What the cycle costs at the deployed budget: the checks' calls, plus one listing
			// (a DescribeRepositories a page) for each run it takes.
			pages := float64(c.calls["DescribeRepositories"]) / float64(c.runs)
			checks := float64(sum(c.calls)) - float64(c.calls["DescribeRepositories"])
			perRun := deployedWork.Seconds()*deployedCap - pages
			runs := math.Ceil(checks / perRun)
			busy := time.Duration((checks + pages*runs) / deployedCap * float64(time.Second))
			b.Logf("%s cycle at the deployed budget (%s of work at %.0f/s a run): %.0f calls of checks, %.0f of listing a run: %.0f runs, %s of calls at the cap; at the default rate(1 hour), a cycle every %.0f h",
				c.name, deployedWork, deployedCap, checks, pages, runs, busy.Round(time.Minute), runs)
		}
		b.StartTimer()
	}
}

// cycleResult adds up the runs of one sweep cycle.
type cycleResult struct {
	runs                               int
	fixed, created, drifted, compliant int
}

// cycle invokes the drift function with payload until a run completes the sweep cycle, failing
// the benchmark on any failed run; after is called after each run.
func cycle(b *testing.B, st *stack.Stack, payload string, after func(run int, sum stack.DriftSummary)) cycleResult {
	var res cycleResult
	for res.runs < 100 {
		res.runs++
		calls := sum(st.Pager.Calls())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		body, err := st.Drift.Invoke(ctx, []byte(payload))
		cancel()
		if err != nil {
			b.Fatalf("run %d: %v\n%s", res.runs, err, st.Drift.Output().String()[max(0, len(st.Drift.Output().String())-4000):])
		}
		var s stack.DriftSummary
		if err := json.Unmarshal(body, &s); err != nil {
			b.Fatalf("run %d answered %s: %v", res.runs, body, err)
		}
		if s.Errors != 0 || s.Status != "" {
			b.Fatalf("run %d: %+v; want no errors, a sweep; the function printed:\n%s", res.runs, s, st.Drift.Output().String())
		}
		res.fixed, res.created, res.drifted, res.compliant = res.fixed+s.Fixed, res.created+s.Created, res.drifted+s.Drifted, res.compliant+s.Compliant
		// Straight to the output: the testing package keeps only the first lines of a benchmark's log.
		fmt.Printf("sweep: %s run %d: %s, swept %d of %d, checked %d (fixed %d, created %d), %d ECR calls, cycle complete %v\nsweep: its summary: %s\n",
			s.Mode, res.runs, (time.Duration(s.DurationMs) * time.Millisecond).Round(100*time.Millisecond), s.Swept, s.SweepTotal, s.Scanned, s.Fixed, s.Created, sum(st.Pager.Calls())-calls, s.CycleComplete, body)
		if after != nil {
			after(res.runs, s)
		}
		if s.CycleComplete {
			return res
		}
	}
	b.Fatalf("no cycle completed in %d runs", res.runs)
	return res
}

func sum(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

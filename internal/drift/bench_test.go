//go:build integration

package drift_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/awsclient"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// scale is one variant of BenchmarkDriftScale.
type scale struct {
	name    string
	company string // each namespace is seeded once and shared by the variants that use it
	repos   int
	latency time.Duration // > 0: the product's ECR client goes through a fault proxy
	cap     float64       // the product's ECR rate cap (awsclient.Pace); 0: none
	workers int           // the service's Concurrency; 0: 8, the deployed default
	pull    bool          // pull access configured: every repository policy is read too
}

// BenchmarkDriftScale seeds thousands of managed repositories in moto_server, half of them with
// a drifted lifecycle policy, and measures one op: a {"mode":"fix"} run that puts the drifted
// half right, then a {"mode":"report"} run that finds nothing left to do. Variants:
//
//   - latency=0: the product's clients straight to moto, no rate cap: what the code and moto
//     can do.
//   - latency=20ms: ECR through the fault proxy with 20 ms added to every request, the product's
//     default cap of 20 requests/s and concurrency 8, as deployed. A run is then about
//     calls/20 seconds, so it uses BENCH_PACED_REPOS (default 1,000) repositories, not
//     BENCH_REPOS.
//   - latency=20ms,cap=200: the same on BENCH_REPOS repositories with the cap raised to 200/s:
//     8 workers keep 200 requests/s going although one worker could do at most 50 with 20 ms
//     each, and the cap still holds the rate.
//   - latency=20ms,concurrency=1: no cap and one worker, on BENCH_PACED_REPOS repositories: what
//     the latency costs when nothing hides it.
//   - latency=0,pull-access: latency=0 with pull-accounts configured, so every repository's
//     policy is read (and, before the timed op, granted once, untimed): what pull access costs.
//
// Run with make bench, or: go test -tags integration -run=NONE -bench=DriftScale -benchtime=1x -timeout=60m ./internal/drift
func BenchmarkDriftScale(b *testing.B) {
	repos := envInt(b, "BENCH_REPOS", 10_000)
	paced := envInt(b, "BENCH_PACED_REPOS", min(repos, 1_000))
	w := world.New(b, server)
	seed := newSeeder()
	for _, sc := range []scale{
		{name: "latency=0", company: "acme", repos: repos},
		{name: "latency=0,pull-access", company: "acme", repos: repos, pull: true},
		{name: "latency=20ms", company: "paced", repos: paced, latency: 20 * time.Millisecond, cap: 20},
		{name: "latency=20ms,cap=200", company: "acme", repos: repos, latency: 20 * time.Millisecond, cap: 200},
		{name: "latency=20ms,concurrency=1", company: "paced", repos: paced, latency: 20 * time.Millisecond, workers: 1},
	} {
		b.Run(sc.name, func(b *testing.B) {
			names := seed.namespace(b, sc.company, sc.repos)
			w.PutConfig(b, map[string]string{"company": sc.company, "shared-repos": "none"})
			if sc.pull {
				w.PutConfig(b, map[string]string{"pull-accounts": "222233334444"})
				defer w.DeleteConfig(b, "pull-accounts")
			}
			runScale(b, w, sc, seed, names)
		})
	}
}

func runScale(b *testing.B, w *world.World, sc scale, seed *seeder, names []string) {
	// The product's clients share the SDK's own transport (http.DefaultTransport keeps only two
	// idle connections a host); ECR goes through the proxy when there is latency to add.
	w.Rec.Next = awshttp.NewBuildableClient().GetTransport()
	endpoint := server.URL
	if sc.latency > 0 {
		proxy := faultproxy.New(server.URL, faultproxy.Options{Latency: sc.latency})
		url, err := proxy.Start()
		if err != nil {
			b.Fatal(err)
		}
		defer proxy.Close()
		endpoint = url
	}
	cfg := account.SDK(endpoint, w.Rec)
	cfg.Retryer, cfg.RetryMaxAttempts = awsclient.NewRetryer, 0
	svc := service(w)
	svc.Concurrency = cmp.Or(sc.workers, 8)
	svc.ECR = ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if sc.cap > 0 {
			o.HTTPClient = awsclient.Pace(o.HTTPClient, sc.cap)
		}
	})

	if sc.pull {
		// Grant pull access once, untimed: the op then measures the steady state, one
		// GetRepositoryPolicy a repository.
		if sum, err := svc.Handle(context.Background(), manual("fix")); err != nil || sum.Errors != 0 {
			b.Fatalf("granting pull access: %+v, %v", sum, err)
		}
	}
	var fixCalls, reportCalls, ecrCalls, peak, peakLive int
	var elapsed time.Duration
	var last []wire.Request
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		seed.drift(b, names)
		w.Rec.Clear()
		runtime.GC()
		sampler := sampleHeap()
		b.StartTimer()

		began := time.Now()
		// Lambda's limit: the run stops itself before it, and must not need to.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		fix, err := svc.Handle(ctx, manual("fix"))
		if err != nil || !fix.Complete || fix.Scanned != len(names) || fix.Fixed != len(names)/2 || fix.Errors != 0 {
			b.Fatalf("fix run: got %+v, %v; want %d scanned, %d fixed, complete", fix, err, len(names), len(names)/2)
		}
		fixed := len(w.Rec.Requests())
		report, err := svc.Handle(ctx, manual("report"))
		cancel()
		if err != nil || !report.Complete || report.Compliant != len(names) || report.Drifted != 0 {
			b.Fatalf("report run: got %+v, %v; want %d compliant, none drifted", report, err, len(names))
		}
		elapsed += time.Since(began)

		b.StopTimer()
		inUse, live := sampler.stop()
		peak, peakLive = max(peak, inUse), max(peakLive, live)
		last = w.Rec.Requests()
		fixCalls += fixed
		reportCalls += len(last) - fixed
		for _, r := range last {
			if r.Service == "ecr" {
				ecrCalls++
			}
		}
		b.Logf("fix run %s, report run %s", time.Duration(fix.DurationMs)*time.Millisecond, time.Duration(report.DurationMs)*time.Millisecond)
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(2*float64(len(names))*n/elapsed.Seconds(), "repos/s")
	b.ReportMetric(float64(fixCalls)/n/float64(len(names)), "calls/repo")
	b.ReportMetric(float64(reportCalls)/n/float64(len(names)), "report-calls/repo")
	b.ReportMetric(float64(ecrCalls)/elapsed.Seconds(), "ecr-req/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MB")
	b.Logf("%d repositories, concurrency %d, ECR latency %s, ECR cap %v/s; calls of the last op (fix, then report) by operation: %s",
		len(names), svc.Concurrency, sc.latency, sc.cap, byOperation(last))
}

func byOperation(reqs []wire.Request) string {
	count := map[string]int{}
	for _, r := range reqs {
		count[r.Service+" "+r.Operation]++
	}
	var out []string
	for op, n := range count {
		out = append(out, fmt.Sprintf("%s %d", op, n))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 {
		b.Fatalf("%s=%q: want an integer of at least 2", name, v)
	}
	return n
}

// seeder arranges moto through its own client, several calls at a time and unrecorded.
type seeder struct {
	setup  *account.Account
	seeded map[string][]string
}

func newSeeder() *seeder {
	return &seeder{setup: account.New(server.URL), seeded: map[string][]string{}}
}

// namespace creates n managed repositories under company, the first time it is asked, each with
// the desired policy; drift then spoils every other one.
func (s *seeder) namespace(b testing.TB, company string, n int) []string {
	if names, ok := s.seeded[company]; ok {
		return names
	}
	names := account.ProjectRepositoryNames(company, n)
	began := time.Now()
	if err := s.setup.CreateManaged(context.Background(), names, lifecycle.Policy(10)); err != nil {
		b.Fatal(err)
	}
	took := time.Since(began)
	b.Logf("seeded %d repositories under %s in %s (%d calls, %.0f calls/s)", n, company, took.Round(time.Millisecond), 2*n, float64(2*n)/took.Seconds())
	s.seeded[company] = names
	return names
}

// drift puts a policy that keeps 30 images, not 10, on every other repository.
func (s *seeder) drift(b testing.TB, names []string) {
	began := time.Now()
	var odd []string
	for i := 1; i < len(names); i += 2 {
		odd = append(odd, names[i])
	}
	if err := s.setup.PutPolicies(context.Background(), odd, otherN); err != nil {
		b.Fatal(err)
	}
	b.Logf("drifted %d of %d repositories in %s", len(odd), len(names), time.Since(began).Round(time.Millisecond))
}

// heapSampler records, every 5 ms while a run goes on, the largest heap in use (runtime/metrics:
// objects plus unused space in in-use spans, MemStats' HeapInuse; garbage not yet collected
// included) and the largest live heap (what the last GC found reachable). It is the whole test
// process: the product, the SDK, the recorder's log and, in the proxied variants, the proxy.
type heapSampler struct {
	done       chan struct{}
	wg         sync.WaitGroup
	peak, live uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(samples)
		h.peak = max(h.peak, samples[0].Value.Uint64()+samples[1].Value.Uint64())
		h.live = max(h.live, samples[2].Value.Uint64())
	}
	h.wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			read()
			select {
			case <-h.done:
				read()
				return
			case <-tick.C:
			}
		}
	})
	return h
}

func (h *heapSampler) stop() (inUse, live int) {
	close(h.done)
	h.wg.Wait()
	return int(h.peak), int(h.live)
}

package drift_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

// inUseWorld is 10,000 managed repositories of which 2,000 hold an image: 1,000 endpoints use
// the first thousand by digest, 1,000 approved model package versions the second by tag.
func inUseWorld(b *testing.B, protect bool) *memworld.World {
	b.Helper()
	w := memworld.New(b)
	w.PutConfig(b, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false",
		"protect-in-use": fmt.Sprint(protect)})
	var names []string
	for i := range 10000 {
		names = append(names, fmt.Sprintf("acme-sm-team%02d-p%04d/inference", i%50, i))
	}
	w.CreateManaged(b, names, lifecycle.Spec{Keep: 10, Protected: protected(protect)}.Text())
	w.SageMaker.PutModelPackageGroup("models")
	for i := range 2000 {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:%064x"}]}`, strings.Repeat("a", 64), i)
		digest := w.ECR.PushImage(names[i], manifest, "v1")
		uri := account.ID + ".dkr.ecr." + account.Region + ".amazonaws.com/" + names[i]
		if i < 1000 {
			w.SageMaker.PutEndpoint(sagemakerfake.Endpoint{Name: fmt.Sprintf("endpoint-%04d", i), Variants: []sagemakerfake.Variant{{Name: "primary",
				Images: []sagemakerfake.DeployedImage{{SpecifiedImage: uri + ":v1", ResolvedImage: uri + "@" + digest}}}}})
		} else {
			w.SageMaker.PutModelPackage("models", sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{uri + ":v1"}})
		}
	}
	return w
}

func protected(on bool) []string {
	if on {
		return []string{"sagemaker-in-use-*"}
	}
	return nil
}

// BenchmarkInUseInventory measures a sweep run with protect-in-use over 1,000 endpoints and
// 1,000 approved model packages and 10,000 managed repositories, once the images are protected
// (the steady state; the first run's 2,000 PutImage come on top): the SageMaker calls, the
// tagging API calls, and the ECR calls beyond the sweep's own, against the same run with the
// option off. go test -run '^$' -bench InUseInventory -benchtime 3x ./internal/drift/
func BenchmarkInUseInventory(b *testing.B) {
	for _, protect := range []bool{false, true} {
		b.Run(fmt.Sprintf("protect-in-use=%v", protect), func(b *testing.B) {
			w := inUseWorld(b, protect)
			svc := w.Service()
			if sum, err := svc.Handle(memworld.Deadline(b), manual("fix")); err != nil || sum.Scanned != 10000 {
				b.Fatalf("first run: %+v, %v", sum, err)
			}
			w.ECR.ResetCalls()
			before := w.SageMaker.Calls()
			tagging := w.Tagging.Calls()
			start := time.Now()
			b.ResetTimer()
			for range b.N {
				sum, err := svc.Handle(memworld.Deadline(b), manual("fix"))
				if err != nil || sum.Scanned != 10000 || (protect && (sum.InUse != 2000 || sum.Protected != 0)) {
					b.Fatalf("run: %+v, %v", sum, err)
				}
			}
			b.StopTimer()
			n := float64(b.N)
			ecrCalls := 0
			for _, c := range w.ECR.Calls() {
				ecrCalls += c
			}
			sm := 0
			for op, c := range w.SageMaker.Calls() {
				if !strings.HasPrefix(op, "ListProjects") {
					sm += c - before[op]
				}
			}
			b.ReportMetric(float64(ecrCalls)/n/10000, "ecr-calls/repo")
			b.ReportMetric(float64(ecrCalls)/n, "ecr-calls/run")
			b.ReportMetric(float64(sm)/n, "sagemaker-calls/run")
			b.ReportMetric(float64(w.Tagging.Calls()-tagging)/n, "tagging-calls/run")
			b.ReportMetric(time.Since(start).Seconds()/n, "s/run")
		})
	}
}

// BenchmarkInventoryAcrossRuns measures an inventory that does not fit in one run: the world of
// BenchmarkInUseInventory (1,000 endpoints, 1,000 approved model packages, 10,000 managed
// repositories), its images protected, each SageMaker call taking 10 ms and each run given 5
// seconds (so a second and a half of reading), run until a run completes the inventory:
// the runs it took, and its SageMaker calls against one run's when it fits (listings are read
// again each run; every resource is described once). go test -run '^$' -bench
// InventoryAcrossRuns -benchtime 1x ./internal/drift/
func BenchmarkInventoryAcrossRuns(b *testing.B) {
	w := inUseWorld(b, true)
	svc := w.Service()
	smCalls := func() (describe, list int) {
		for op, c := range w.SageMaker.Calls() {
			switch {
			case strings.HasPrefix(op, "Describe"):
				describe += c
			case strings.HasPrefix(op, "List") && op != "ListProjects":
				list += c
			}
		}
		return describe, list
	}
	// The first run protects every image, reading everything in one go.
	sum, err := svc.Handle(memworld.Deadline(b), manual("fix"))
	if err != nil || sum.InventoryComplete == nil || !*sum.InventoryComplete {
		b.Fatalf("first run: %+v, %v", sum, err)
	}
	oneDescribe, oneList := smCalls()
	w.SageMaker.SetLatency(10 * time.Millisecond)
	b.ResetTimer()
	var runs, describes, lists int
	for range b.N {
		d0, l0 := smCalls()
		for done := false; !done; runs++ {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			sum, err := svc.Handle(ctx, manual("fix"))
			cancel()
			if err != nil || sum.InventoryComplete == nil || sum.Released != 0 {
				b.Fatalf("run: %+v, %v", sum, err)
			}
			done = *sum.InventoryComplete
			if runs > 100 {
				b.Fatal("no end after 100 runs")
			}
		}
		d1, l1 := smCalls()
		describes, lists = describes+d1-d0, lists+l1-l0
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(runs)/n, "runs/inventory")
	b.ReportMetric(float64(describes)/n, "describe-calls/inventory")
	b.ReportMetric(float64(oneDescribe), "describe-calls/one-run")
	b.ReportMetric(float64(lists)/n, "list-calls/inventory")
	b.ReportMetric(float64(oneList), "list-calls/one-run")
}

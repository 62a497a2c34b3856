//go:build integration

package resilience

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// TestFiftyProjectsUnderTwentyPercentFaults provisions 50 projects while a fifth of all
// requests are throttled, fail with 500 or lose their connection, with only 3 attempts a call
// so that some retries do run out. A project reported provisioned must really be complete; one
// that failed must say so; the next run, without faults, converges on exactly the 150
// repositories wanted, each with its policy.
func TestFiftyProjectsUnderTwentyPercentFaults(t *testing.T) {
	w, proxy := faulty(t, faultproxy.Options{}, 3)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none"})
	sink := w.CaptureEvents(t)
	proxy.SetOptions(twentyPercent)
	svc := provisioner(w)

	type outcome struct {
		sum provision.Summary
		err error
	}
	outcomes := make([]outcome, 50)
	var want []string
	for i := range outcomes {
		for _, typ := range []string{"inference", "preprocessing", "training"} {
			want = append(want, fmt.Sprintf("acme-sm-team%d-project-%02d/%s", i%5, i, typ))
		}
	}
	sort.Strings(want)
	var g errgroup.Group
	g.SetLimit(5)
	for i := range outcomes {
		g.Go(func() error {
			sum, err := svc.Handle(world.Deadline(t), createProject(t, fmt.Sprintf("project-%02d", i), fmt.Sprintf("team%d", i%5)))
			outcomes[i] = outcome{sum, err}
			return nil
		})
	}
	_ = g.Wait()

	failed, unpublished := 0, 0
	for i, o := range outcomes {
		unpublished += o.sum.Unpublished
		if o.err != nil {
			failed++
			if o.sum.Status != publish.StatusFailed || o.sum.Reason == "" {
				t.Errorf("project %d failed (%v) but its summary says %q %q", i, o.err, o.sum.Status, o.sum.Reason)
			}
			continue
		}
		// Reported done: it must be done, right now.
		for _, typ := range []string{"inference", "preprocessing", "training"} {
			name := fmt.Sprintf("acme-sm-team%d-project-%02d/%s", i%5, i, typ)
			if n := retentionOf(t, w, name); n != 10 {
				t.Errorf("project %d reported %q but %s has retention %d", i, o.sum.Status, name, n)
			}
		}
	}
	faults := 0
	for _, e := range proxy.Log() {
		if e.Fault != "" {
			faults++
		}
	}
	t.Logf("%d requests, %d faults injected, %d of 50 projects ran out of retries, %d events unpublished", len(proxy.Log()), faults, failed, unpublished)
	if faults == 0 {
		t.Fatal("no fault was injected; the test proves nothing")
	}

	// The next run, with the faults gone, converges.
	proxy.SetOptions(faultproxy.Options{})
	for i, o := range outcomes {
		if o.err == nil {
			continue
		}
		if sum, err := svc.Handle(world.Deadline(t), createProject(t, fmt.Sprintf("project-%02d", i), fmt.Sprintf("team%d", i%5))); err != nil {
			t.Errorf("project %d again: %+v, %v", i, sum, err)
		}
	}
	got := w.Repositories(t)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	for _, name := range got {
		if n := retentionOf(t, w, name); n != 10 {
			t.Errorf("%s retention: got %d; want 10", name, n)
		}
	}
	// Every project done at first announced it, or says it could not (the event is in the log).
	if events := account.ByType(sink.Drain(t)); events[publish.RepositoriesProvisioned] < 50-failed-unpublished {
		t.Errorf("events: got %v; want a provisioned event for each of the %d projects done at first, less %d unpublished",
			events, 50-failed, unpublished)
	}
}

// TestDriftOverAThousandRepositoriesUnderTwentyPercentFaults: 500 of 1,000 managed repositories
// drifted, a fifth of the policy calls faulted, two attempts a call. The run counts what it
// could not do, fixes the rest, never loses a policy, and the next run converges.
func TestDriftOverAThousandRepositoriesUnderTwentyPercentFaults(t *testing.T) {
	w, proxy := faulty(t, faultproxy.Options{}, 2)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false"})
	sink := w.CaptureEvents(t, publish.ReconcileCompleted)
	names := seed(t, w, 1000, func(i int) int {
		if i%2 == 0 {
			return 10
		}
		return 30 // drifted
	})

	// Faults on the per-repository calls. A failed listing fails the whole run, which the
	// next schedule retries; that path is exercised by the throttled-configuration test.
	opts := twentyPercent
	opts.Match = func(r wire.Request) bool {
		return r.Operation == "GetLifecyclePolicy" || r.Operation == "PutLifecyclePolicy" || r.Operation == "PutEvents"
	}
	proxy.SetOptions(opts)
	// A generous deadline: the run's time budget is not what this test is about.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	sum, err := reconciler(w).Handle(ctx, json.RawMessage(`{"mode":"fix"}`))
	t.Logf("faulty run: %+v", sum)
	// Every repository is taken on: each is checked or counted as an error, and a failed check
	// is not counted as checked, so the cycle (and the run) is not complete.
	if sum.Scanned+sum.Errors != 1000 || sum.Swept != sum.Scanned || sum.CycleComplete || sum.Complete {
		t.Fatalf("summary: got %+v; want 1,000 repositories checked or failed, the failed ones not counted as checked", sum)
	}
	if sum.Errors == 0 || err == nil || !strings.Contains(err.Error(), fmt.Sprint(sum.Errors)) {
		t.Errorf("errors: got %d, %v; want some errors, counted in the returned error", sum.Errors, err)
	}
	stillDrifted, lost := 0, 0
	for i, name := range names {
		switch n := retentionOf(t, w, name); {
		case n == 0:
			lost++
		case n == 30 && i%2 == 1:
			stillDrifted++
		}
	}
	if lost != 0 {
		t.Errorf("%d repositories lost their policy", lost)
	}
	if sum.Fixed+stillDrifted != 500 || stillDrifted > sum.Errors {
		t.Errorf("fixed %d + still drifted %d: want 500, and still drifted <= errors %d", sum.Fixed, stillDrifted, sum.Errors)
	}
	if sum.Compliant+sum.Drifted+sum.Errors < 1000 {
		t.Errorf("summary does not account for every repository: %+v", sum)
	}
	for _, e := range sink.Drain(t) {
		if e.DetailType != publish.ReconcileCompleted {
			continue
		}
		var got drift.Summary
		_ = json.Unmarshal(e.Detail, &got)
		if got.Errors != sum.Errors || got.Fixed != sum.Fixed {
			t.Errorf("completed event says %d errors, %d fixed; the summary %d, %d", got.Errors, got.Fixed, sum.Errors, sum.Fixed)
		}
	}

	// The next run converges.
	proxy.SetOptions(faultproxy.Options{})
	sum, err = reconciler(w).Handle(ctx, json.RawMessage(`{"mode":"fix"}`))
	if err != nil || sum.Errors != 0 || sum.Fixed != stillDrifted {
		t.Errorf("next run: got %+v, %v; want the %d still drifted fixed, no error", sum, err, stillDrifted)
	}
	for _, name := range names {
		if n := retentionOf(t, w, name); n != 10 {
			t.Fatalf("%s retention after convergence: got %d; want 10", name, n)
		}
	}
}

// seed creates n managed repositories straight in moto, with the retention retention(i).
func seed(t *testing.T, w *world.World, n int, retention func(i int) int) []string {
	t.Helper()
	names := make([]string, n)
	var g errgroup.Group
	g.SetLimit(8)
	var mu sync.Mutex
	var firstErr error
	for i := range names {
		names[i] = fmt.Sprintf("acme-sm-team%d-p%04d/training", i%7, i)
		g.Go(func() error {
			ctx := context.Background()
			_, err := w.Setup.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(names[i])})
			if err == nil {
				_, err = w.Setup.ECR.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(names[i]),
					LifecyclePolicyText: aws.String(lifecycle.Policy(retention(i)))})
			}
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return names
}

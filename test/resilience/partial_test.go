//go:build integration

package resilience

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

const broken = "acme-sm-data-science-churn-model/training"

// alwaysFailing makes every PutLifecyclePolicy on the broken repository answer 500.
var alwaysFailing = faultproxy.Options{Always: faultproxy.InternalError, Match: faultproxy.Only("PutLifecyclePolicy", broken)}

func TestProvisionWithOneRepositoryAlwaysFailing(t *testing.T) {
	w, proxy := faulty(t, alwaysFailing, 3)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none"})
	sink := w.CaptureEvents(t)
	svc := provisioner(w)
	event := createProject(t, "Churn-Model", "data-science")

	sum, err := svc.Handle(world.Deadline(t), event)
	if err == nil || !strings.Contains(err.Error(), broken) {
		t.Fatalf("error: got %v; want one naming %s, so Lambda retries and the dead-letter queue keeps the event", err, broken)
	}
	outcomes := map[string]reconcile.Outcome{}
	for _, r := range sum.Repositories {
		outcomes[r.Repository] = r.Outcome
	}
	if outcomes[broken] != reconcile.Failed || outcomes["acme-sm-data-science-churn-model/inference"] != reconcile.Created ||
		outcomes["acme-sm-data-science-churn-model/preprocessing"] != reconcile.Created {
		t.Errorf("outcomes: got %v; want the broken one failed, the others created", outcomes)
	}
	for _, name := range []string{"acme-sm-data-science-churn-model/inference", "acme-sm-data-science-churn-model/preprocessing"} {
		if n := retentionOf(t, w, name); n != 10 {
			t.Errorf("%s retention: got %d; want 10 (done despite its neighbour)", name, n)
		}
	}
	events := sink.Drain(t)
	if got := account.ByType(events); got[publish.ProvisioningFailed] != 1 {
		t.Errorf("events: got %v; want one %q", got, publish.ProvisioningFailed)
	} else if !strings.Contains(string(events[0].Detail), broken) {
		t.Errorf("failed event does not name %s: %s", broken, events[0].Detail)
	}

	// Lambda's retry, once the fault is gone, converges without re-creating anything.
	proxy.SetOptions(faultproxy.Options{})
	w.Rec.Clear()
	sum, err = svc.Handle(world.Deadline(t), event)
	if err != nil || sum.Status != publish.StatusProvisioned || w.Rec.Count("CreateRepository") != 0 || w.Rec.Count("PutLifecyclePolicy") != 1 {
		t.Errorf("retry: got %q, %v, %v; want provisioned with one PutLifecyclePolicy and no CreateRepository", sum.Status, err, w.Rec.Writes())
	}
}

func TestDriftWithOneRepositoryAlwaysFailing(t *testing.T) {
	w, _ := faulty(t, alwaysFailing, 3)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false"})
	sink := w.CaptureEvents(t)
	for _, name := range []string{broken, "acme-sm-data-science-churn-model/inference", "acme-sm-risk-fraud/training"} {
		if _, err := w.Setup.ECR.CreateRepository(world.Deadline(t), &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Setup.ECR.PutLifecyclePolicy(world.Deadline(t), &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(lifecycle.Policy(99))}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := reconciler(w).Handle(world.Deadline(t), json.RawMessage(`{"mode":"fix"}`))
	if err == nil || sum.Errors != 1 || sum.Fixed != 2 || sum.Drifted != 3 {
		t.Errorf("got %+v, %v; want 3 drifted, 2 fixed, 1 error, and an error returned", sum, err)
	}
	if n := retentionOf(t, w, broken); n != 99 {
		t.Errorf("broken repository retention: got %d; want its old 99 kept, not lost", n)
	}
	events := account.ByType(sink.Drain(t))
	if events[publish.DriftFixed] != 2 || events[publish.DriftDetected] != 1 || events[publish.ReconcileCompleted] != 1 {
		t.Errorf("events: got %v; want 2 fixed, 1 detected (the one that could not be fixed), 1 completed", events)
	}
}

// TestThrottledConfigurationIsRetried throttles half the SSM reads; the retryer rides it out.
func TestThrottledConfigurationIsRetried(t *testing.T) {
	w, proxy := faulty(t, faultproxy.Options{ThrottleRate: 0.5, Seed: 3, Match: faultproxy.Only("GetParametersByPath", "")}, 8)
	w.PutConfig(t, map[string]string{"company": "acme"})
	svc := provisioner(w)
	for i := range 10 {
		if sum, err := svc.Handle(world.Deadline(t), createProject(t, "Churn-Model", "data-science")); err != nil {
			t.Fatalf("run %d: %+v, %v", i, sum, err)
		}
	}
	throttled := 0
	for _, e := range proxy.Log() {
		if e.Fault == faultproxy.Throttle {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("no SSM call was throttled; the test proves nothing")
	}
}

// TestDriftListingFailureIsOneError: when DescribeRepositories fails for good, the run fails
// with that error, counted as one, and the project discovery running beside it, stopped, adds
// no errors of its own.
func TestDriftListingFailureIsOneError(t *testing.T) {
	w, _ := faulty(t, faultproxy.Options{Always: faultproxy.InternalError, Match: faultproxy.Only("DescribeRepositories", "")}, 1)
	w.PutConfig(t, map[string]string{"company": "acme"})
	for i := range 50 {
		w.SageMaker.PutProject(fmt.Sprintf("project-%02d", i), "", map[string]string{"team": "risk"})
	}
	sum, err := reconciler(w).Handle(world.Deadline(t), json.RawMessage(`{"mode":"fix"}`))
	if err == nil || !strings.Contains(err.Error(), "list repositories") {
		t.Errorf("error: got %v; want the listing's", err)
	}
	if sum.Complete || sum.Errors != 1 || sum.Created != 0 {
		t.Errorf("summary: got %+v; want incomplete, the listing's one error and no per-project errors, nothing created", sum)
	}
	if repos := w.Repositories(t); len(repos) != 0 {
		t.Errorf("repositories: got %v; want none", repos)
	}
}

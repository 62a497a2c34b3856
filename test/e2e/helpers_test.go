//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// The product's names the tests hold it to (the contract the README documents), spelt out here rather than
// imported, so that renaming one in the product fails a test.
const (
	source          = "sagemaker-ecr-provisioner"
	provisioned     = "ECR Repositories Provisioned"
	retained        = "ECR Project Repositories Retained"
	driftDetected   = "ECR Lifecycle Drift Detected"
	driftFixed      = "ECR Lifecycle Drift Fixed"
	reconciled      = "ECR Reconcile Completed"
	configInvalid   = "ECR Configuration Invalid"
	tagDeleted      = "sagemaker:project-deleted"
	defaultRetained = 10
)

// fresh resets the world for one test (moto, the stand-in, the default configuration and the
// events route) and returns the test's context. When the test fails, it logs what the
// functions printed meanwhile.
func fresh(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	if err := local.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*rie.Function{local.Provision, local.Drift} {
		mark := f.Output().Offset()
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s printed during the test:\n%s", f.Name, f.Output().Since(mark))
			}
		})
	}
	return ctx
}

// invoke runs one invocation and decodes the response into out; any error fails the test.
func invoke(t *testing.T, ctx context.Context, f *rie.Function, payload []byte, out any) {
	t.Helper()
	body, err := f.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke %s with %.80s: %v", f.Name, payload, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s answered %s: %v", f.Name, body, err)
	}
}

// invokeFail runs an invocation that must fail with a handler error, and returns it.
func invokeFail(t *testing.T, ctx context.Context, f *rie.Function, payload []byte) *rie.InvokeError {
	t.Helper()
	body, err := f.Invoke(ctx, payload)
	var failed *rie.InvokeError
	if !errors.As(err, &failed) {
		t.Fatalf("invoke %s: got response %s, error %v; want a handler error (errorType)", f.Name, body, err)
	}
	return failed
}

// runDrift invokes DriftFunction, checks the summary carries every key the contract names,
// and returns it.
func runDrift(t *testing.T, ctx context.Context, payload string) stack.DriftSummary {
	t.Helper()
	var raw map[string]any
	invoke(t, ctx, local.Drift, []byte(payload), &raw)
	for _, key := range []string{"mode", "scanned", "compliant", "drifted", "fixed", "exempt", "created", "errors", "complete"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("drift summary %v has no %q", raw, key)
		}
	}
	b, _ := json.Marshal(raw)
	var sum stack.DriftSummary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

// repositories returns every repository in moto, by name.
func repositories(t *testing.T, ctx context.Context) map[string]account.Repository {
	t.Helper()
	list, err := local.Account.Repositories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]account.Repository{}
	for _, r := range list {
		out[r.Name] = r
	}
	return out
}

// names lists the namespace's three types, sorted as moto lists them.
func names(namespace string, types ...string) []string {
	var out []string
	for _, typ := range types {
		out = append(out, namespace+"/"+typ)
	}
	slices.Sort(out)
	return out
}

var projectTypes = []string{"preprocessing", "training", "inference"}

// wantRepositories fails unless moto holds exactly want.
func wantRepositories(t *testing.T, ctx context.Context, want []string) map[string]account.Repository {
	t.Helper()
	repos := repositories(t, ctx)
	got := slices.Sorted(maps.Keys(repos))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("repositories in moto (-want +got):\n%s", diff)
	}
	return repos
}

// wantKeepNewest fails unless the policy is, semantically, the contract's single rule that
// keeps the newest n images: read here independently of internal/lifecycle.
func wantKeepNewest(t *testing.T, repo account.Repository, n int) {
	t.Helper()
	if !repo.HasPolicy {
		t.Errorf("%s has no lifecycle policy; want keep newest %d", repo.Name, n)
		return
	}
	var doc struct {
		Rules []struct {
			RulePriority int `json:"rulePriority"`
			Selection    struct {
				TagStatus   string `json:"tagStatus"`
				CountType   string `json:"countType"`
				CountNumber int    `json:"countNumber"`
			} `json:"selection"`
			Action struct {
				Type string `json:"type"`
			} `json:"action"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(repo.Policy), &doc); err != nil || len(doc.Rules) != 1 {
		t.Errorf("%s lifecycle policy %s: want exactly one rule (%v)", repo.Name, repo.Policy, err)
		return
	}
	r := doc.Rules[0]
	if r.RulePriority != 1 || r.Selection.TagStatus != "any" || r.Selection.CountType != "imageCountMoreThan" ||
		r.Selection.CountNumber != n || r.Action.Type != "expire" {
		t.Errorf("%s lifecycle policy %s: want priority 1, tagStatus any, imageCountMoreThan %d, expire", repo.Name, repo.Policy, n)
	}
}

// drain returns the events the product published since the last drain, checking their source.
func drain(t *testing.T, ctx context.Context) []account.Event {
	t.Helper()
	events, err := local.Events.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Source != source {
			t.Errorf("event %q has source %q; want %q", ev.DetailType, ev.Source, source)
		}
	}
	return events
}

// detailTypes counts events by detail-type.
func detailTypes(events []account.Event) map[string]int {
	out := map[string]int{}
	for _, ev := range events {
		out[ev.DetailType]++
	}
	return out
}

// wantEvents fails unless the events are exactly want, counted by detail-type.
func wantEvents(t *testing.T, events []account.Event, want map[string]int) {
	t.Helper()
	if diff := cmp.Diff(want, detailTypes(events)); diff != "" {
		t.Errorf("events by detail-type (-want +got):\n%s", diff)
	}
}

// mentions reports whether any event's detail contains s.
func mentions(events []account.Event, detailType, s string) bool {
	for _, ev := range events {
		if ev.DetailType == detailType && strings.Contains(string(ev.Detail), s) {
			return true
		}
	}
	return false
}

//go:build integration

package drift_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

const configPath = "/sagemaker-platform/ecr"

func service(w *world.World) *drift.Service {
	return &drift.Service{
		SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts,
		Publisher:   publish.New(w.EventBridge, "default"),
		ConfigPath:  configPath,
		Concurrency: 4,
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:     io.Discard,
	}
}

// repo creates a repository as a person or an older tool would, with a policy (or none).
func repo(t *testing.T, w *world.World, name, policy string) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.Setup.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name),
		Tags: []ecrtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("sagemaker-ecr-provisioner")}}}); err != nil {
		t.Fatal(err)
	}
	if policy == "" {
		return
	}
	if _, err := w.Setup.ECR.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}

func policyOf(t *testing.T, w *world.World, name string) string {
	t.Helper()
	out, err := w.Setup.ECR.GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	if err != nil {
		return ""
	}
	return aws.ToString(out.LifecyclePolicyText)
}

func retention(t *testing.T, w *world.World, name string) int {
	t.Helper()
	n, _ := lifecycle.Retention(policyOf(t, w, name))
	return n
}

// Variants of the desired keep-newest-10 policy as ECR and people produce them.
var (
	reformatted = "{\n  \"rules\": [\n    {\n      \"action\": {\"type\": \"expire\"},\n      \"selection\": {\"countNumber\": 10, \"countType\": \"imageCountMoreThan\", \"tagStatus\": \"any\"},\n      \"rulePriority\": 1,\n      \"description\": \"edited by hand\"\n    }\n  ]\n}"
	otherN      = strings.Replace(lifecycle.Policy(10), `"countNumber":10`, `"countNumber":30`, 1)
	extraRule   = `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"imageCountMoreThan","countNumber":100},"action":{"type":"expire"}},` +
		`{"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`
)

// mixedWorld builds the mixed world of the drift tests and returns the repositories that drifted.
func mixedWorld(t *testing.T, w *world.World) (drifted []string) {
	t.Helper()
	w.PutConfig(t, map[string]string{
		"company":          "acme",
		"shared-repos":     "none",
		"lifecycle-exempt": "acme-sm-legal-hold/* acme-sm-ops-keep/training",
		"overrides/acme-sm-vision-detector/image-retention":           "50",
		"overrides/acme-sm-vision-detector/inference/image-retention": "3",
	})
	repo(t, w, "acme-sm-risk-fraud/training", lifecycle.Policy(10))       // in sync
	repo(t, w, "acme-sm-risk-fraud/inference", reformatted)               // equivalent
	repo(t, w, "acme-sm-risk-fraud/preprocessing", otherN)                // drifted
	repo(t, w, "acme-sm-risk-churn/training", "")                         // no policy
	repo(t, w, "acme-sm-risk-churn/inference", extraRule)                 // extra rule
	repo(t, w, "acme-sm-legal-hold/training", otherN)                     // exempt by glob
	repo(t, w, "acme-sm-ops-keep/training", "")                           // exempt by name
	repo(t, w, "acme-sm-vision-detector/training", lifecycle.Policy(50))  // overridden, in sync
	repo(t, w, "acme-sm-vision-detector/inference", lifecycle.Policy(10)) // overridden, drifted
	repo(t, w, "acme-sagemaker-shared/base-sklearn", otherN)              // shared, drifted
	repo(t, w, "other-team/app", otherN)                                  // unmanaged
	repo(t, w, "acme-smx/foo", "")                                        // unmanaged look-alike
	return []string{"acme-sagemaker-shared/base-sklearn", "acme-sm-risk-churn/inference", "acme-sm-risk-churn/training",
		"acme-sm-risk-fraud/preprocessing", "acme-sm-vision-detector/inference"}
}

func manual(mode string) json.RawMessage {
	if mode == "" {
		return json.RawMessage(`{}`)
	}
	return json.RawMessage(`{"mode":"` + mode + `"}`)
}

func writtenRepositories(w *world.World) []string {
	var out []string
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			out = append(out, r.Operation+" "+r.Repository)
		}
	}
	sort.Strings(out)
	return out
}

func TestFixModeWritesExactlyTheDriftedPolicies(t *testing.T) {
	w := world.New(t, server)
	drifted := mixedWorld(t, w)
	sink := w.CaptureEvents(t)
	svc := service(w)

	sum, err := svc.Handle(world.Deadline(t), manual(""))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	want := drift.Summary{Mode: "fix", Trigger: "manual", Scanned: 8, Compliant: 3, Drifted: 5, Fixed: 5, Exempt: 2, Complete: true,
		Swept: 10, SweepTotal: 10, CycleComplete: true}
	if sum.OldestCheckAgeSeconds == nil || *sum.OldestCheckAgeSeconds > 60 {
		t.Errorf("oldest check age: got %v; want the seconds since this run started, the cycle it completed", sum.OldestCheckAgeSeconds)
	}
	sum.DurationMs, sum.OldestCheckAgeSeconds = 0, nil
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	var wantWrites []string
	for _, name := range drifted {
		wantWrites = append(wantWrites, "PutLifecyclePolicy "+name)
	}
	if diff := cmp.Diff(wantWrites, writtenRepositories(w)); diff != "" {
		t.Errorf("ECR writes (-want +got):\n%s", diff)
	}
	for name, n := range map[string]int{
		"acme-sm-risk-fraud/preprocessing": 10, "acme-sm-risk-churn/training": 10, "acme-sm-risk-churn/inference": 10,
		"acme-sm-vision-detector/inference": 3, "acme-sm-vision-detector/training": 50, "acme-sagemaker-shared/base-sklearn": 10,
	} {
		if got := retention(t, w, name); got != n {
			t.Errorf("%s retention: got %d; want %d", name, got, n)
		}
	}
	if got := policyOf(t, w, "acme-sm-risk-fraud/inference"); got != reformatted {
		t.Errorf("the equivalent policy was rewritten: got %s", got)
	}
	for _, name := range []string{"acme-sm-legal-hold/training", "other-team/app"} {
		if got := policyOf(t, w, name); got != otherN {
			t.Errorf("%s policy changed: got %s", name, got)
		}
	}
	for _, r := range w.Rec.Requests() {
		if r.Repository == "other-team/app" || r.Repository == "acme-smx/foo" || r.Repository == "acme-sm-ops-keep/training" {
			t.Errorf("call on a repository drift must not touch: %+v", r)
		}
	}
	events := account.ByType(sink.Drain(t))
	if events[publish.DriftFixed] != 5 || events[publish.ReconcileCompleted] != 1 || events[publish.DriftDetected] != 0 {
		t.Errorf("events: got %v; want 5 fixed and 1 completed", events)
	}

	// A second run finds nothing to do.
	w.Rec.Clear()
	sum, err = svc.Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Drifted != 0 || sum.Compliant != 8 {
		t.Errorf("second run: got %+v, %v; want 8 compliant, none drifted", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("second run ECR writes: got %v; want none", got)
	}
}

func TestReportModeWritesNothing(t *testing.T) {
	w := world.New(t, server)
	mixedWorld(t, w)
	w.PutConfig(t, map[string]string{"drift-mode": "report", "shared-repos": "base-sklearn base-pytorch"})
	w.SageMaker.PutProject("fraud-detect", "p-1", map[string]string{"team": "risk"})
	sink := w.CaptureEvents(t)

	sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Mode != "report" || sum.Drifted != 5 || sum.Fixed != 0 || sum.Missing != 4 || sum.Created != 0 {
		t.Errorf("summary: got %+v; want report mode, 5 drifted, 4 missing (1 shared, 3 of the project), none fixed or created", sum)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("ECR writes in report mode: got %v; want none", got)
	}
	events := sink.Drain(t)
	if got := account.ByType(events); got[publish.DriftDetected] != 9 || got[publish.DriftFixed] != 0 {
		t.Errorf("events: got %v; want 9 drift detected (5 policies, 4 missing)", got)
	}
	for _, e := range events {
		if e.DetailType != publish.DriftDetected {
			continue
		}
		var d struct {
			Repository, Reason string
			Differences        []struct{ Setting, Path, Expected, Found string }
		}
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		want := []struct{ Setting, Path, Expected, Found string }{{"lifecycle-policy", "rules[0].selection.countNumber", "10", "30"}}
		if d.Repository == "acme-sm-risk-fraud/preprocessing" && !cmp.Equal(want, d.Differences) {
			t.Errorf("drift detail: got %+v; want lifecycle-policy rules[0].selection.countNumber 10 against 30", d.Differences)
		}
	}

	// A manual fix run overrides drift-mode for that run only.
	sum, err = service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Mode != "fix" || sum.Fixed != 5 || sum.Created != 4 {
		t.Errorf("manual fix: got %+v, %v; want 5 fixed and 4 created", sum, err)
	}
}

func TestRetentionChangeReachesEveryManagedPolicy(t *testing.T) {
	w := world.New(t, server)
	mixedWorld(t, w)
	svc := service(w)
	if _, err := svc.Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	w.PutConfig(t, map[string]string{"image-retention": "20"})
	sum, err := svc.Handle(world.Deadline(t), event("parameter-store-change.json"))
	if err != nil || sum.Trigger != "config-change" {
		t.Fatalf("got %+v, %v", sum, err)
	}
	want := map[string]int{
		"acme-sm-risk-fraud/training": 20, "acme-sm-risk-fraud/inference": 20, "acme-sm-risk-fraud/preprocessing": 20,
		"acme-sm-risk-churn/training": 20, "acme-sm-risk-churn/inference": 20, "acme-sagemaker-shared/base-sklearn": 20,
		"acme-sm-vision-detector/training": 50, "acme-sm-vision-detector/inference": 3, // overrides
		"acme-sm-legal-hold/training": 30, "acme-sm-ops-keep/training": 0, // exempt: as they were
	}
	for name, n := range want {
		if got := retention(t, w, name); got != n {
			t.Errorf("%s retention: got %d; want %d", name, got, n)
		}
	}
}

func TestInvalidConfigurationWritesNothing(t *testing.T) {
	w := world.New(t, server)
	mixedWorld(t, w)
	w.PutConfig(t, map[string]string{"image-retention": "ten"})
	sink := w.CaptureEvents(t)
	_, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err == nil || !strings.Contains(err.Error(), `image-retention has invalid value "ten"`) {
		t.Errorf("error: got %v; want one naming image-retention and its value", err)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service != "events" {
			t.Errorf("write with an invalid configuration: %+v", r)
		}
	}
	if got := account.ByType(sink.Drain(t)); got[publish.ConfigurationInvalid] != 1 || len(got) != 1 {
		t.Errorf("events: got %v; want one %q", got, publish.ConfigurationInvalid)
	}
}

func TestMissingSharedAndMissedProjectAreCreated(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme"})
	repo(t, w, "acme-sagemaker-shared/base-pytorch", lifecycle.Policy(10))
	w.SageMaker.PutProject("Churn-Model", "p-churn", map[string]string{"team": "data-science"})
	w.SageMaker.PutProject("no-team-yet", "p-2", map[string]string{"cost-center": "x"})
	w.SageMaker.PutProject("bad-team", "p-3", map[string]string{"team": "a/b"})
	sink := w.CaptureEvents(t)

	sum, err := service(w).Handle(world.Deadline(t), manual(""))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 5 || sum.Missing != 5 || sum.Rejected != 1 {
		t.Errorf("summary: got %+v; want 5 created (2 shared, 3 project), 1 rejected", sum)
	}
	names := w.Repositories(t)
	sort.Strings(names)
	want := []string{"acme-sagemaker-shared/base-pytorch", "acme-sagemaker-shared/base-sklearn", "acme-sagemaker-shared/base-xgboost",
		"acme-sm-data-science-churn-model/inference", "acme-sm-data-science-churn-model/preprocessing", "acme-sm-data-science-churn-model/training"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	for _, n := range want {
		if got := retention(t, w, n); got != 10 {
			t.Errorf("%s retention: got %d; want 10", n, got)
		}
	}
	events := account.ByType(sink.Drain(t))
	if events[publish.RepositoriesProvisioned] != 2 || events[publish.ProvisioningFailed] != 1 {
		t.Errorf("events: got %v; want 2 provisioned (shared, project) and 1 failed (bad team)", events)
	}

	// Everything exists now: a second run creates nothing and makes no ECR write.
	w.Rec.Clear()
	sum, err = service(w).Handle(world.Deadline(t), manual(""))
	if err != nil || sum.Created != 0 || sum.Missing != 0 || len(writtenRepositories(w)) != 0 {
		t.Errorf("second run: got %+v, %v, writes %v", sum, err, writtenRepositories(w))
	}
}

func TestPayloads(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none"})
	for _, tc := range []struct {
		name, payload, status, reason string
		err                           bool
	}{
		{name: "unknown mode", payload: `{"mode":"delete"}`, status: "rejected", reason: `mode "delete"`, err: true},
		{name: "unknown field", payload: `{"mode":"fix","force":true}`, status: "rejected", reason: `unknown field "force"`, err: true},
		{name: "not JSON", payload: `mode=fix`, status: "rejected", reason: "not a JSON object", err: true},
		{name: "null", payload: `null`, status: "rejected", reason: "not a JSON object", err: true},
		{name: "other parameter", payload: `{"version":"0","detail-type":"Parameter Store Change","source":"aws.ssm","detail":{"name":"/other/app/x"}}`, status: "ignored", reason: `"/other/app/x" is not under`},
		{name: "sibling path", payload: `{"version":"0","detail-type":"Parameter Store Change","source":"aws.ssm","detail":{"name":"/sagemaker-platform/ecr-staging/company"}}`, status: "ignored", reason: "is not under"},
		{name: "other event", payload: `{"version":"0","detail-type":"Object Created","source":"aws.s3","detail":{}}`, status: "ignored", reason: `source "aws.s3"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.Rec.Clear()
			sum, err := service(w).Handle(world.Deadline(t), json.RawMessage(tc.payload))
			if (err != nil) != tc.err || string(sum.Status) != tc.status || !strings.Contains(sum.Reason, tc.reason) {
				t.Errorf("got %q %q, %v; want %q containing %q, error %v", sum.Status, sum.Reason, err, tc.status, tc.reason, tc.err)
			}
			if got := len(w.Rec.Requests()); got != 0 {
				t.Errorf("calls: got %d; want none", got)
			}
		})
	}
}

func event(name string) json.RawMessage { return samples.Event(name) }

func TestStopsCleanlyBeforeTheDeadline(t *testing.T) {
	w := world.New(t, server)
	mixedWorld(t, w)
	svc := service(w)
	// The service's clock stands 20 minutes ahead of the invocation's 15-minute deadline: the
	// time budget is spent before the first repository, whatever the machine's speed.
	svc.Now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	sum, err := svc.Handle(ctx, manual("fix"))
	if err != nil || sum.Complete || sum.Scanned != 0 {
		t.Errorf("got %+v, %v; want complete=false, nothing scanned, no error", sum, err)
	}
	if got := writtenRepositories(w); len(got) != 0 {
		t.Errorf("ECR writes: got %v; want none", got)
	}
}

// slowProjects is the SageMaker stand-in's client, with every ListTags held until release is
// closed, and then the clock pushed past the run's budget: the discovery runs out of time
// while the scan has long finished.
type slowProjects struct {
	accounts.SageMaker
	release <-chan struct{}
	late    *atomic.Bool
}

func (s slowProjects) ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	select {
	case <-s.release:
	case <-time.After(10 * time.Second):
	}
	s.late.Store(true)
	return s.SageMaker.ListTags(ctx, in, opts...)
}

func TestDiscoveryOutOfTimeStillCompletesTheSharedRepositories(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme"})
	for i := range 5 {
		w.SageMaker.PutProject(fmt.Sprintf("project-%d", i), "", map[string]string{"team": "risk"})
	}
	release := make(chan struct{})
	var once sync.Once
	check := w.Rec.Check
	w.Rec.Check = func(r wire.Request) { // the scan is over once the shared repositories are being made
		check(r)
		if r.Operation == "CreateRepository" {
			once.Do(func() { close(release) })
		}
	}
	late := &atomic.Bool{}
	svc := service(w)
	slow := *w.Accounts
	slow.HomeSageMaker = slowProjects{SageMaker: w.Projects, release: release, late: late}
	svc.Accounts = &slow
	start := time.Now()
	svc.Now = func() time.Time {
		if late.Load() {
			return start.Add(time.Hour)
		}
		return time.Now()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	sum, err := svc.Handle(ctx, manual("fix"))
	if err != nil || sum.Complete || sum.Errors != 0 {
		t.Errorf("got %+v, %v; want complete=false, no error: running out of time is not a failure", sum, err)
	}
	var shared int
	for _, name := range w.Repositories(t) {
		if strings.HasPrefix(name, "acme-sagemaker-shared/") {
			shared++
		} else {
			t.Errorf("%s created after the budget was spent", name)
		}
	}
	if shared != 3 {
		t.Errorf("shared repositories: got %d; want 3, created as soon as the scan was done", shared)
	}
}

package drift_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// The tests of this package run the handler, drift.Service.Handle, against one of two worlds:
//   - the files without a build tag, in memory (internal/testing/memworld): the cycle, the
//     discovery, the budget, the repair, member accounts and ownership, in seconds;
//   - the files tagged integration, on moto_server over HTTP (internal/testing/world): what goes
//     over the wire, the faults of a proxy, the settings as ECR hands them back, the stack.
// What needs no world is here. What arranges or reads the in-memory world is named mem... where
// moto's world has its own function of the same purpose (wire_test.go), which keeps its name.

const configPath = "/sagemaker-platform/ecr"

func manual(mode string) json.RawMessage {
	if mode == "" {
		return json.RawMessage(`{}`)
	}
	return json.RawMessage(`{"mode":"` + mode + `"}`)
}

func event(name string) json.RawMessage { return samples.Event(name) }

// ecrWrites lists the recorded ECR writes as "Operation repository", sorted.
func ecrWrites(rec *wire.Recorder) []string {
	var out []string
	for _, r := range rec.Writes() {
		if r.Service == "ecr" {
			out = append(out, r.Operation+" "+r.Repository)
		}
	}
	sort.Strings(out)
	return out
}

// Variants of the desired keep-newest-10 policy as ECR and people produce them.
var (
	reformatted = "{\n  \"rules\": [\n    {\n      \"action\": {\"type\": \"expire\"},\n      \"selection\": {\"countNumber\": 10, \"countType\": \"imageCountMoreThan\", \"tagStatus\": \"any\"},\n      \"rulePriority\": 1,\n      \"description\": \"edited by hand\"\n    }\n  ]\n}"
	otherN      = strings.Replace(lifecycle.Policy(10), `"countNumber":10`, `"countNumber":30`, 1)
	extraRule   = `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"imageCountMoreThan","countNumber":100},"action":{"type":"expire"}},` +
		`{"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`
)

// The mixed world of the drift tests: its configuration, its repositories as a person or an
// older tool made them, each with its lifecycle policy ("" for none), and those that drifted.
var (
	mixedConfig = map[string]string{
		"company":          "acme",
		"shared-repos":     "none",
		"lifecycle-exempt": "acme-sm-legal-hold/* acme-sm-ops-keep/training",
		"overrides/acme-sm-vision-detector/image-retention":           "50",
		"overrides/acme-sm-vision-detector/inference/image-retention": "3",
	}
	mixedRepositories = []struct{ name, policy string }{
		{"acme-sm-risk-fraud/training", lifecycle.Policy(10)},       // in sync
		{"acme-sm-risk-fraud/inference", reformatted},               // equivalent
		{"acme-sm-risk-fraud/preprocessing", otherN},                // drifted
		{"acme-sm-risk-churn/training", ""},                         // no policy
		{"acme-sm-risk-churn/inference", extraRule},                 // extra rule
		{"acme-sm-legal-hold/training", otherN},                     // exempt by glob
		{"acme-sm-ops-keep/training", ""},                           // exempt by name
		{"acme-sm-vision-detector/training", lifecycle.Policy(50)},  // overridden, in sync
		{"acme-sm-vision-detector/inference", lifecycle.Policy(10)}, // overridden, drifted
		{"acme-sagemaker-shared/base-sklearn", otherN},              // shared, drifted
		{"other-team/app", otherN},                                  // unmanaged
		{"acme-smx/foo", ""},                                        // unmanaged look-alike
	}
	mixedDrifted = []string{"acme-sagemaker-shared/base-sklearn", "acme-sm-risk-churn/inference", "acme-sm-risk-churn/training",
		"acme-sm-risk-fraud/preprocessing", "acme-sm-vision-detector/inference"}
)

// memMixedWorld builds the mixed world of the drift tests in w and returns the repositories that
// drifted.
func memMixedWorld(t *testing.T, w *memworld.World) (drifted []string) {
	t.Helper()
	w.PutConfig(t, mixedConfig)
	for _, r := range mixedRepositories {
		w.CreateManaged(t, []string{r.name}, r.policy)
	}
	return slices.Clone(mixedDrifted)
}

func TestRetentionChangeReachesEveryManagedPolicy(t *testing.T) {
	w := memworld.New(t)
	memMixedWorld(t, w)
	svc := w.Service()
	if _, err := svc.Handle(memworld.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	w.PutConfig(t, map[string]string{"image-retention": "20"})
	sum, err := svc.Handle(memworld.Deadline(t), event("parameter-store-change.json"))
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
		if got, _ := w.Repository(t, name).Retention(); got != n {
			t.Errorf("%s retention: got %d; want %d", name, got, n)
		}
	}
}

func TestInvalidConfigurationWritesNothing(t *testing.T) {
	w := memworld.New(t)
	memMixedWorld(t, w)
	w.PutConfig(t, map[string]string{"image-retention": "ten"})
	sink := w.CaptureEvents(t)
	_, err := w.Service().Handle(memworld.Deadline(t), manual("fix"))
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
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme"})
	w.CreateManaged(t, []string{"acme-sagemaker-shared/base-pytorch"}, lifecycle.Policy(10))
	w.SageMaker.PutProject("Churn-Model", "p-churn", map[string]string{"team": "data-science"})
	w.SageMaker.PutProject("no-team-yet", "p-2", map[string]string{"cost-center": "x"})
	w.SageMaker.PutProject("bad-team", "p-3", map[string]string{"team": "a/b"})
	sink := w.CaptureEvents(t)

	sum, err := w.Service().Handle(memworld.Deadline(t), manual(""))
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
		if got, _ := w.Repository(t, n).Retention(); got != 10 {
			t.Errorf("%s retention: got %d; want 10", n, got)
		}
	}
	events := account.ByType(sink.Drain(t))
	if events[publish.RepositoriesProvisioned] != 2 || events[publish.ProvisioningFailed] != 1 {
		t.Errorf("events: got %v; want 2 provisioned (shared, project) and 1 failed (bad team)", events)
	}

	// Everything exists now: a second run creates nothing and makes no ECR write.
	w.Rec.Clear()
	sum, err = w.Service().Handle(memworld.Deadline(t), manual(""))
	if err != nil || sum.Created != 0 || sum.Missing != 0 || len(ecrWrites(w.Rec)) != 0 {
		t.Errorf("second run: got %+v, %v, writes %v", sum, err, ecrWrites(w.Rec))
	}
}

func TestPayloads(t *testing.T) {
	w := memworld.New(t)
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
			sum, err := w.Service().Handle(memworld.Deadline(t), json.RawMessage(tc.payload))
			if (err != nil) != tc.err || string(sum.Status) != tc.status || !strings.Contains(sum.Reason, tc.reason) {
				t.Errorf("got %q %q, %v; want %q containing %q, error %v", sum.Status, sum.Reason, err, tc.status, tc.reason, tc.err)
			}
			if got := len(w.Rec.Requests()); got != 0 {
				t.Errorf("calls: got %d; want none", got)
			}
		})
	}
}

func TestStopsCleanlyBeforeTheDeadline(t *testing.T) {
	w := memworld.New(t)
	memMixedWorld(t, w)
	svc := w.Service()
	// The service's clock stands 20 minutes ahead of the invocation's 15-minute deadline: the
	// time budget is spent before the first repository, whatever the machine's speed.
	svc.Now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	sum, err := svc.Handle(ctx, manual("fix"))
	if err != nil || sum.Complete || sum.Scanned != 0 {
		t.Errorf("got %+v, %v; want complete=false, nothing scanned, no error", sum, err)
	}
	if got := ecrWrites(w.Rec); len(got) != 0 {
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
	w := memworld.New(t)
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
	svc := w.Service()
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

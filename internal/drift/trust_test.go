package drift_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

// A repository made exempt after it was granted loses the product's statement: exempt means
// its lifecycle policy is its owners', not that our grant survives. Its lifecycle policy and
// tags stay as its owners made them.
func TestExemptRepositoryLosesTheProductsGrant(t *testing.T) {
	w := memChurnWorld(t, map[string]string{"pull-accounts": "111122223333"})
	if got := w.Repository(t, edited).PullAccounts(); !slices.Equal(got, []string{"111122223333"}) {
		t.Fatalf("set-up: pull %v", got)
	}
	w.EditRetentionByHand(t, edited, 99)
	w.PutConfig(t, map[string]string{"lifecycle-exempt": edited})
	sum, err := w.Service().Handle(memworld.Deadline(t), samples.Edit("parameter-store-change.json", func(ev map[string]any) {
		samples.Detail(ev)["name"] = configPath + "/lifecycle-exempt"
	}))
	if err != nil || sum.Exempt != 1 || sum.Fixed != 1 {
		t.Errorf("run after the exemption: %+v, %v; want the exempt repository's grant removed", sum, err)
	}
	r := w.Repository(t, edited)
	if got := r.PullAccounts(); len(got) != 0 {
		t.Errorf("exempt repository pull %v; want the product's grant gone", got)
	}
	if n, _ := r.Retention(); n != 99 {
		t.Errorf("exempt repository retention %d; want its owners' 99 kept", n)
	}
	if got := w.Repository(t, "acme-sm-data-science-churn-model/inference").PullAccounts(); !slices.Equal(got, []string{"111122223333"}) {
		t.Errorf("a repository not exempt: pull %v; want it kept", got)
	}
}

// A member whose SageMaker refuses ListProjects (an SCP, while its role can be assumed) is
// named in unreachable, counted once, and skipped; the other accounts go on, the window of
// recent projects moves on, and the discovery cycle still ends.
func TestDiscoveryNeverStallsOnOneAccount(t *testing.T) {
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "member-accounts": member + " " + otherMember})
	w.SageMaker.PutProject("churn", "p-home", map[string]string{"team": "risk"})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	// A project made long before, which only the walk down through older projects finds.
	w.SageMaker.Account(otherMember).PutProject("ledger", "p-o", map[string]string{"team": "finance"})
	if err := w.SageMaker.Account(otherMember).SetCreated("ledger", time.Now().Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	w.SageMaker.Account(otherMember).Refuse("ListProjects")

	var newest []time.Time
	for run := range 2 {
		sum, err := w.Service().Handle(memworld.Deadline(t), event("scheduled-event.json"))
		if err == nil || sum.Errors != 1 || !slices.Equal(sum.Unreachable, []string{otherMember}) {
			t.Errorf("run %d: %+v, %v; want one error, %s unreachable", run+1, sum, err, otherMember)
		}
		st := memState(t, w, stateParameter)
		d := st.Discoveries["fix"]
		if d == nil || d.LastFinished.IsZero() {
			t.Fatalf("run %d: discovery %+v; want its cycle ended, the refusing account skipped", run+1, d)
		}
		newest = append(newest, d.Newest)
	}
	if !newest[1].After(newest[0]) {
		t.Errorf("the window of recent projects starts at %v, then %v; want it to move on", newest[0], newest[1])
	}
	for _, name := range []string{"acme-sm-risk-churn/training", forecastRepository} {
		w.Repository(t, name) // fails the test if missing
	}
	if got := w.Repositories(t); slices.Contains(got, "acme-sm-finance-ledger/training") {
		t.Errorf("the refusing member's project got repositories: %v", got)
	}
	if calls := w.SageMaker.Account(otherMember).Calls()["ListProjects"]; calls != 2 {
		t.Errorf("ListProjects calls in the refusing account: %d; want one a run", calls)
	}

	// Once it answers again, its project is found by the next cycle's walk.
	w.SageMaker.Account(otherMember).Allow("ListProjects")
	if sum, err := w.Service().Handle(memworld.Deadline(t), event("scheduled-event.json")); err != nil || sum.Created != 3 {
		t.Errorf("run after the refusal was lifted: %+v, %v; want the ledger's 3 repositories", sum, err)
	}
}

// countingProjects is the stand-in's client whose ListTags calls are counted: past after of
// them, late is set (and the run's clock jumps past its budget).
type countingProjects struct {
	accounts.SageMaker
	after int32
	n     *atomic.Int32
	late  *atomic.Bool
}

func (c countingProjects) ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	if c.n.Add(1) > c.after {
		c.late.Store(true)
	}
	return c.SageMaker.ListTags(ctx, in, opts...)
}

// budgeted runs the reconciler with its clock ahead by offset, and out of time once the
// discovery has read after projects' tags (0: never). It visits one project at a time, so
// which ones a run gets to is the same every time.
func budgeted(t *testing.T, w *memworld.World, payload []byte, offset time.Duration, after int32) drift.Summary {
	t.Helper()
	svc := w.Service()
	svc.Concurrency = 1
	late := &atomic.Bool{}
	if after > 0 {
		acc := *w.Accounts
		acc.HomeSageMaker = countingProjects{SageMaker: w.Projects, after: after, n: &atomic.Int32{}, late: late}
		svc.Accounts = &acc
	}
	svc.Now = func() time.Time {
		if late.Load() {
			return time.Now().Add(offset + 10*time.Hour)
		}
		return time.Now().Add(offset)
	}
	ctx, cancel := context.WithTimeout(context.Background(), offset+15*time.Minute)
	defer cancel()
	sum, _ := svc.Handle(ctx, payload)
	return sum
}

// A report run never moves the cursor the fix runs rely on: a project it only reported is
// still created by the next fix run, though the report run's window of recent projects had
// moved past it.
func TestReportRunNeverMovesTheFixRunsDiscovery(t *testing.T) {
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none"})
	for i := range 10 {
		name := fmt.Sprintf("old-%d", i)
		w.SageMaker.PutProject(name, "", map[string]string{"team": "risk"})
		if err := w.SageMaker.SetCreated(name, time.Now().Add(-48*time.Hour+time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// A fix run that runs out of time in the middle of its discovery cycle.
	if sum := budgeted(t, w, manual("fix"), 0, 2); sum.Complete {
		t.Fatalf("first fix run: %+v; want it cut short", sum)
	}
	// A project made since, missed by its events.
	w.SageMaker.PutProject("fresh", "p-fresh", map[string]string{"team": "risk"})
	// A report run whose clock is a little ahead, itself cut short: it reports the project.
	if sum := budgeted(t, w, manual("report"), 2*time.Minute, 2); sum.Missing < 3 {
		t.Fatalf("report run: %+v; want the fresh project's repositories reported missing", sum)
	}
	if got := w.Repositories(t); slices.Contains(got, "acme-sm-risk-fresh/training") {
		t.Fatal("the report run created repositories")
	}
	// The next fix run creates them.
	budgeted(t, w, event("scheduled-event.json"), 0, 0)
	if got := w.Repositories(t); !slices.Contains(got, "acme-sm-risk-fresh/training") {
		t.Errorf("repositories after the next fix run: %v; want the fresh project's", got)
	}
}

// The sweep's state fits in its parameter however many pull access scopes there are: with
// 600 namespace overrides (each a scope), the run saves its state and the next one goes on.
func TestStateFitsWithManyPullScopes(t *testing.T) {
	w, _ := memCycleWorld(t, 3)
	overrides := map[string]string{}
	for i := range 600 {
		overrides[fmt.Sprintf("overrides/acme-sm-team%03d-project/pull-accounts", i)] = "111122223333"
	}
	w.PutConfig(t, overrides)
	for run := range 2 {
		if sum, err := w.Service().Handle(memworld.Deadline(t), event("scheduled-event.json")); err != nil || sum.Errors != 0 || !sum.CycleComplete {
			t.Fatalf("run %d: %+v, %v; want the state saved", run+1, sum, err)
		}
	}
	if st := memState(t, w, stateParameter); len(st.Scopes) != 32 || st.Cycles["fix"] == nil || st.Cycles["fix"].LastFinished.IsZero() {
		t.Errorf("state %+v; want one fingerprint and the completed cycle", st)
	}
}

// The exemption is seen even when its Parameter Store Change event was lost: the next run
// finds the exempt patterns changed in the state's fingerprint, and reads every policy.
func TestExemptionIsSeenWithoutItsEvent(t *testing.T) {
	w := memChurnWorld(t, map[string]string{"pull-accounts": "111122223333"})
	w.PutConfig(t, map[string]string{"lifecycle-exempt": edited})
	if _, err := w.Service().Handle(memworld.Deadline(t), event("scheduled-event.json")); err != nil {
		t.Fatal(err)
	}
	if got := w.Repository(t, edited).PullAccounts(); len(got) != 0 {
		t.Errorf("exempt repository pull %v after a scheduled run; want the product's grant gone", got)
	}
}

//go:build integration

package drift_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// failing routes the product's ECR calls through a proxy that answers an InternalFailure to
// every request match accepts, once each (no retries); lift lets them through again.
func failing(t *testing.T, w *world.World, match func(r wire.Request) bool) (lift func()) {
	t.Helper()
	proxy := faultproxy.New(server.URL, faultproxy.Options{Match: match, Always: faultproxy.InternalError})
	url, err := proxy.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	w.Route(url, func() aws.Retryer { return aws.NopRetryer{} })
	return func() { proxy.SetOptions(faultproxy.Options{}) }
}

// A withdrawal of pull access ends only when every removal succeeded: a member taken out of
// member-accounts whose grant could not be removed from one repository loses it at the next
// run, because that run still reads every repository policy.
func TestWithdrawalEndsOnlyWhenEveryRemovalSucceeded(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "member-accounts": member + " " + otherMember})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Created != 3 {
		t.Fatalf("set-up run: %+v, %v", sum, err)
	}
	w.PutConfig(t, map[string]string{"member-accounts": otherMember})
	lift := failing(t, w, faultproxy.Only("DeleteRepositoryPolicy", forecastRepository))

	first, err := service(w).Handle(world.Deadline(t), samples.Edit("parameter-store-change.json", func(ev map[string]any) {
		samples.Detail(ev)["name"] = configPath + "/member-accounts"
	}))
	if err == nil || first.Errors != 1 || first.CycleComplete {
		t.Errorf("run with a failed removal: %+v, %v; want one error and the cycle not complete", first, err)
	}
	if st := state(t, w, stateParameter); !st.Withdrawn {
		t.Errorf("state after the failed removal: %+v; want the withdrawal still under way", st)
	}
	for _, name := range []string{"acme-sm-demand-forecast/preprocessing", "acme-sm-demand-forecast/inference"} {
		if got := w.Repository(t, name).PullAccounts(); len(got) != 0 {
			t.Errorf("%s pull %v; want the removed member's grant gone", name, got)
		}
	}

	lift()
	second, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err != nil || second.Errors != 0 || !second.CycleComplete {
		t.Errorf("next run: %+v, %v", second, err)
	}
	if got := w.Repository(t, forecastRepository).PullAccounts(); len(got) != 0 {
		t.Errorf("%s pull %v after the next run; want the removed member's grant gone", forecastRepository, got)
	}
	if st := state(t, w, stateParameter); st.Withdrawn {
		t.Errorf("state after every removal succeeded: %+v; want the withdrawal ended", st)
	}
}

// A repository made exempt after it was granted loses the product's statement: exempt means
// its lifecycle policy is its owners', not that our grant survives. Its lifecycle policy and
// tags stay as its owners made them.
func TestExemptRepositoryLosesTheProductsGrant(t *testing.T) {
	w := churnWorld(t, map[string]string{"pull-accounts": "111122223333"})
	if got := w.Repository(t, edited).PullAccounts(); !slices.Equal(got, []string{"111122223333"}) {
		t.Fatalf("set-up: pull %v", got)
	}
	if err := w.Setup.EditRetentionByHand(context.Background(), edited, 99); err != nil {
		t.Fatal(err)
	}
	w.PutConfig(t, map[string]string{"lifecycle-exempt": edited})
	sum, err := service(w).Handle(world.Deadline(t), samples.Edit("parameter-store-change.json", func(ev map[string]any) {
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
	w := world.New(t, server)
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
		sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
		if err == nil || sum.Errors != 1 || !slices.Equal(sum.Unreachable, []string{otherMember}) {
			t.Errorf("run %d: %+v, %v; want one error, %s unreachable", run+1, sum, err, otherMember)
		}
		st := state(t, w, stateParameter)
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
	if sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json")); err != nil || sum.Created != 3 {
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
func budgeted(t *testing.T, w *world.World, payload []byte, offset time.Duration, after int32) drift.Summary {
	t.Helper()
	svc := service(w)
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
	w := world.New(t, server)
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

// A repository whose check failed is not counted as checked: the cycle it failed in is not
// complete and does not vouch for the age of the oldest check; the next one is.
func TestFailedCheckIsNotCountedAsChecked(t *testing.T) {
	w, names := cycleWorld(t, 3)
	lift := failing(t, w, faultproxy.Only("GetLifecyclePolicy", names[1]))
	sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err == nil || sum.Errors != 1 || sum.Scanned != 2 || sum.Swept != 2 || sum.CycleComplete || sum.OldestCheckAgeSeconds != nil {
		t.Errorf("run with one failed check: %+v, %v; want 2 scanned and swept, the cycle not complete, no oldest check age", sum, err)
	}
	lift()
	sum, err = service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err != nil || sum.Scanned != 3 || sum.Swept != 3 || !sum.CycleComplete || sum.OldestCheckAgeSeconds == nil {
		t.Errorf("next run: %+v, %v; want every repository checked and the cycle complete", sum, err)
	}
}

// A listing of the repositories that fails is an error of the run, counted as such.
func TestListingFailureIsCounted(t *testing.T) {
	w, _ := cycleWorld(t, 3)
	failing(t, w, faultproxy.Only("DescribeRepositories", ""))
	sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json"))
	if err == nil || sum.Errors != 1 || sum.Complete {
		t.Errorf("run whose listing failed: %+v, %v; want one error", sum, err)
	}
}

// The sweep's state fits in its parameter however many pull access scopes there are: with
// 600 namespace overrides (each a scope), the run saves its state and the next one goes on.
func TestStateFitsWithManyPullScopes(t *testing.T) {
	w, _ := cycleWorld(t, 3)
	overrides := map[string]string{}
	for i := range 600 {
		overrides[fmt.Sprintf("overrides/acme-sm-team%03d-project/pull-accounts", i)] = "111122223333"
	}
	w.PutConfig(t, overrides)
	for run := range 2 {
		if sum, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json")); err != nil || sum.Errors != 0 || !sum.CycleComplete {
			t.Fatalf("run %d: %+v, %v; want the state saved", run+1, sum, err)
		}
	}
	if st := state(t, w, stateParameter); len(st.Scopes) != 32 || st.Cycles["fix"] == nil || st.Cycles["fix"].LastFinished.IsZero() {
		t.Errorf("state %+v; want one fingerprint and the completed cycle", st)
	}
}

// The exemption is seen even when its Parameter Store Change event was lost: the next run
// finds the exempt patterns changed in the state's fingerprint, and reads every policy.
func TestExemptionIsSeenWithoutItsEvent(t *testing.T) {
	w := churnWorld(t, map[string]string{"pull-accounts": "111122223333"})
	w.PutConfig(t, map[string]string{"lifecycle-exempt": edited})
	if _, err := service(w).Handle(world.Deadline(t), event("scheduled-event.json")); err != nil {
		t.Fatal(err)
	}
	if got := w.Repository(t, edited).PullAccounts(); len(got) != 0 {
		t.Errorf("exempt repository pull %v after a scheduled run; want the product's grant gone", got)
	}
}

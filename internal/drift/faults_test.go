//go:build integration

package drift_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// Runs that meet a failed ECR call: a fault proxy between the product's SDK client and moto
// answers InternalFailure to the requests a test names.

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

//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/function"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// completed is the run summary of the last Reconcile Completed event: what a run that ends in
// a handler error says of itself.
func completed(t *testing.T, ctx context.Context) stack.DriftSummary {
	t.Helper()
	var sum stack.DriftSummary
	found := false
	for _, ev := range drain(t, ctx) {
		if ev.DetailType == reconciled {
			found = true
			if err := json.Unmarshal(ev.Detail, &sum); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !found {
		t.Fatalf("no %q event", reconciled)
	}
	return sum
}

// configChanged is the Parameter Store Change event of the parameter name.
func configChanged(name string) []byte {
	return samples.Edit("parameter-store-change.json", func(ev map[string]any) {
		samples.Detail(ev)["name"] = account.ConfigPath + "/" + name
	})
}

// failECR makes the ECR proxy answer InternalFailure to every request match accepts, until the
// test ends or the returned function is called.
func failECR(t *testing.T, match func(r wire.Request) bool) (lift func()) {
	local.ECR.SetOptions(faultproxy.Options{Match: match, Always: faultproxy.InternalError})
	lift = func() { local.ECR.SetOptions(faultproxy.Options{}) }
	t.Cleanup(lift)
	return lift
}

// The real DriftFunction never hands a retired repository of this account to a member project
// of the same name, and a member whose SageMaker refuses ListProjects is named, counted once
// and passed over while the others converge.
func TestDriftKeepsThisAccountsRepositoriesAndNeverStallsOnOneAccount(t *testing.T) {
	ctx := fresh(t)
	if err := local.Account.PutConfig(ctx, map[string]string{"member-accounts": member + " " + otherMember, "shared-repos": "none"}); err != nil {
		t.Fatal(err)
	}
	local.SageMaker.PutProject("Forecast", "p-home", map[string]string{"team": "demand"})
	if sum := runDrift(t, ctx, `{"mode":"fix"}`); sum.Created != 3 {
		t.Fatalf("set-up run: %+v", sum)
	}
	local.SageMaker.DeleteProject("Forecast")
	for _, name := range forecastRepos {
		if err := local.Account.TagByHand(ctx, name, map[string]string{"sagemaker:project-deleted": "2026-11-30T10:00:00Z"}); err != nil {
			t.Fatal(err)
		}
	}
	local.SageMaker.Account(member).PutProject("Forecast", "p-9z8y7x6w5v4u", map[string]string{"team": "demand"})
	local.SageMaker.Account(otherMember).PutProject("Ledger", "p-ledger", map[string]string{"team": "finance"})
	local.SageMaker.Account(otherMember).Refuse("ListProjects")
	local.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	drain(t, ctx)

	invokeFail(t, ctx, local.Drift, samples.Event("scheduled-event.json"))
	sum := completed(t, ctx)
	if sum.Errors != 1 || !slices.Equal(sum.Unreachable, []string{otherMember}) || sum.Created != 3 {
		t.Errorf("summary %+v; want the Churn-Model's 3 repositories created, one error, %s unreachable", sum, otherMember)
	}
	repos := repositories(t, ctx)
	for _, name := range forecastRepos {
		r := repos[name]
		if _, ok := r.Tags["sagemaker:project-account"]; ok || len(r.PullAccounts()) != 0 {
			t.Errorf("%s tags %v, pull %v; want it left this account's retired repository", name, r.Tags, r.PullAccounts())
		}
	}
	if _, ok := repos["acme-sm-finance-ledger/training"]; ok {
		t.Error("the refusing member's project got repositories")
	}
}

// The real DriftFunction puts back a member repository's removed account tag before any
// access change, and a withdrawal of a member's pull access that failed on one repository is
// finished by the next run.
func TestDriftRestoresTheAccountTagAndFinishesAWithdrawal(t *testing.T) {
	ctx := fresh(t)
	if err := local.Account.PutConfig(ctx, map[string]string{"member-accounts": member, "shared-repos": "none", "pull-accounts": "111122223333"}); err != nil {
		t.Fatal(err)
	}
	local.SageMaker.Account(member).PutProject("Forecast", "p-9z8y7x6w5v4u", map[string]string{"team": "demand"})
	if sum := runDrift(t, ctx, `{"mode":"fix"}`); sum.Created != 3 {
		t.Fatalf("set-up run: %+v", sum)
	}
	training := "acme-sm-demand-forecast/training"
	if err := local.Account.UntagByHand(ctx, training, "sagemaker:project-account"); err != nil {
		t.Fatal(err)
	}
	if sum := runDrift(t, ctx, `{"mode":"fix"}`); sum.Errors != 0 {
		t.Fatalf("run after the account tag was removed: %+v", sum)
	}
	r := repositories(t, ctx)[training]
	if r.Tags["sagemaker:project-account"] != member || !slices.Equal(r.PullAccounts(), []string{"111122223333", member}) {
		t.Errorf("tags %v, pull %v; want the member's account tag back and its pull kept", r.Tags, r.PullAccounts())
	}

	// The member leaves; removing its grant fails on one repository.
	if err := local.Account.PutConfig(ctx, map[string]string{"member-accounts": otherMember}); err != nil {
		t.Fatal(err)
	}
	lift := failECR(t, faultproxy.Only("SetRepositoryPolicy", training))
	drain(t, ctx)
	invokeFail(t, ctx, local.Drift, configChanged("member-accounts"))
	if sum := completed(t, ctx); sum.Errors != 1 || sum.CycleComplete {
		t.Errorf("run with a failed removal: %+v; want one error and the cycle not complete", sum)
	}
	lift()
	if sum := runDrift(t, ctx, string(samples.Event("scheduled-event.json"))); sum.Errors != 0 || !sum.CycleComplete {
		t.Errorf("next run: %+v", sum)
	}
	for name, r := range repositories(t, ctx) {
		if got := r.PullAccounts(); !slices.Equal(got, []string{"111122223333"}) {
			t.Errorf("%s pull %v; want only pull-accounts' account left", name, got)
		}
	}
}

// A report run of the real DriftFunction reports a missed project without moving the fix
// runs' discovery cursor; the next fix run creates the project's repositories.
func TestReportRunLeavesTheFixRunsDiscoveryAlone(t *testing.T) {
	ctx := fresh(t)
	if err := local.Account.PutConfig(ctx, map[string]string{"shared-repos": "none"}); err != nil {
		t.Fatal(err)
	}
	hourAgo := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	mid := sweep.State{Discoveries: map[string]*sweep.Discovery{"fix": {Newest: hourAgo, Started: hourAgo, Before: hourAgo, Account: "123456789012"}}}
	b, _ := json.Marshal(mid)
	stateName := function.StateParameter(account.ConfigPath)
	if _, err := local.Account.SSM.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(stateName), Value: aws.String(string(b)),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	local.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})

	if sum := runDrift(t, ctx, `{"mode":"report"}`); sum.Missing != 3 || sum.Created != 0 {
		t.Fatalf("report run: %+v; want the project's 3 repositories reported missing", sum)
	}
	out, err := local.Account.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(stateName)})
	if err != nil {
		t.Fatal(err)
	}
	var st sweep.State
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &st); err != nil {
		t.Fatal(err)
	}
	if fix := st.Discoveries["fix"]; fix == nil || !fix.Newest.Equal(hourAgo) || !fix.Before.Equal(hourAgo) || st.Discoveries["report"] == nil {
		t.Errorf("discoveries after the report run: fix %+v, report %+v; want the fix cursor as it was and one of its own for report", st.Discoveries["fix"], st.Discoveries["report"])
	}
	if sum := runDrift(t, ctx, string(samples.Event("scheduled-event.json"))); sum.Created != 3 {
		t.Errorf("next fix run: %+v; want the project's 3 repositories created", sum)
	}
}

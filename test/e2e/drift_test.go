//go:build integration

package e2e

import (
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

var sharedTypes = []string{"base-sklearn", "base-pytorch", "base-xgboost"}

func TestScheduledDriftCreatesTheSharedRepositories(t *testing.T) {
	ctx := fresh(t)
	sum := runDrift(t, ctx, string(samples.Event("scheduled-event.json")))
	if sum.Mode != "fix" || sum.Created != 3 || sum.Errors != 0 || !sum.Complete {
		t.Errorf("summary %+v; want mode fix, created 3, errors 0, complete", sum)
	}
	repos := wantRepositories(t, ctx, names("acme-sagemaker-shared", sharedTypes...))
	for name, repo := range repos {
		if repo.Tags["scope"] != "shared" || repo.Tags["managed-by"] != "sagemaker-ecr-provisioner" {
			t.Errorf("%s tags %v; want scope shared, managed-by sagemaker-ecr-provisioner", name, repo.Tags)
		}
		wantKeepNewest(t, repo, defaultRetained)
	}
	wantEvents(t, drain(t, ctx), map[string]int{provisioned: 1, reconciled: 1})

	// A second run has nothing left to do.
	again := runDrift(t, ctx, string(samples.Event("scheduled-event.json")))
	if again.Created != 0 || again.Compliant != 3 || again.Scanned != 3 {
		t.Errorf("second run %+v; want scanned 3, compliant 3, created 0", again)
	}
}

func TestDriftReportsThenFixesAPolicyEditedByHand(t *testing.T) {
	ctx := fresh(t)
	const edited = "acme-sm-data-science-churn-model/training"
	var created stack.ProvisionSummary
	invoke(t, ctx, local.Provision, samples.Event("create-project.json"), &created)
	runDrift(t, ctx, `{"mode":"fix"}`) // the shared repositories
	drain(t, ctx)
	if err := local.Account.EditRetentionByHand(ctx, edited, 99); err != nil {
		t.Fatal(err)
	}

	report := runDrift(t, ctx, `{"mode":"report"}`)
	if report.Mode != "report" || report.Scanned != 6 || report.Drifted != 1 || report.Fixed != 0 {
		t.Errorf("report run %+v; want mode report, scanned 6, drifted 1, fixed 0", report)
	}
	wantKeepNewest(t, repositories(t, ctx)[edited], 99) // report mode writes nothing
	events := drain(t, ctx)
	wantEvents(t, events, map[string]int{driftDetected: 1, reconciled: 1})
	if !mentions(events, driftDetected, edited) {
		t.Errorf("no %q event names %s", driftDetected, edited)
	}

	fix := runDrift(t, ctx, `{"mode":"fix"}`)
	if fix.Mode != "fix" || fix.Drifted != 1 || fix.Fixed != 1 {
		t.Errorf("fix run %+v; want mode fix, drifted 1, fixed 1", fix)
	}
	wantKeepNewest(t, repositories(t, ctx)[edited], defaultRetained)
	events = drain(t, ctx)
	wantEvents(t, events, map[string]int{driftFixed: 1, reconciled: 1})
	if !mentions(events, driftFixed, edited) {
		t.Errorf("no %q event names %s", driftFixed, edited)
	}

	clean := runDrift(t, ctx, `{"mode":"report"}`)
	if clean.Drifted != 0 || clean.Compliant != 6 || clean.Scanned != 6 {
		t.Errorf("report after fix %+v; want scanned 6, compliant 6, drifted 0", clean)
	}
}

// An invalid configuration stops a run before any write, and the failure names the parameter.
func TestInvalidConfigurationFailsWithoutWriting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fn      *rie.Function
		payload string
	}{
		{name: "drift, scheduled", fn: local.Drift, payload: "scheduled-event.json"},
		{name: "provision, CreateProject", fn: local.Provision, payload: "create-project.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := fresh(t)
			if err := local.Account.PutConfig(ctx, map[string]string{"image-retention": "0"}); err != nil {
				t.Fatal(err)
			}
			failed := invokeFail(t, ctx, tc.fn, samples.Event(tc.payload))
			t.Logf("errorType %q, errorMessage %q", failed.Type, failed.Message)
			if failed.Type != "ValidationError" || !strings.Contains(failed.Message, "/sagemaker-platform/ecr/image-retention") {
				t.Errorf("error %q (type %q); want a ValidationError naming /sagemaker-platform/ecr/image-retention", failed.Message, failed.Type)
			}
			wantRepositories(t, ctx, nil)
			events := drain(t, ctx)
			wantEvents(t, events, map[string]int{configInvalid: 1})
			if !mentions(events, configInvalid, "image-retention") {
				t.Errorf("the %q event does not name image-retention", configInvalid)
			}
		})
	}
}

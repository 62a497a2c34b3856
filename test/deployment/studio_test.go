//go:build integration

package deployment

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// grantedWith is every action a function is granted with the CloudFormation condition cond
// true: the unconditional grants and those under cond.
func grantedWith(t testing.TB, logicalID, cond string) (all, conditional map[string]bool) {
	t.Helper()
	all, conditional = map[string]bool{}, map[string]bool{}
	for _, st := range policyStatements(t, loadTemplate(t), logicalID) {
		if st.Effect != "Allow" || (st.If != "" && st.If != cond) {
			continue
		}
		for _, a := range st.Actions {
			all[a] = true
			if st.If == cond {
				conditional[a] = true
			}
		}
	}
	return all, conditional
}

// TestStudioCallsExactlyWhatIsGranted runs both functions' SageMaker Unified Studio paths
// (provision, rename, delete-if-empty; the reconciler's discovery and its retirement of a
// deleted project) and checks that every call made is granted with DataZoneDomains set, and
// that every grant made only for it is called.
func TestStudioCallsExactlyWhatIsGranted(t *testing.T) {
	const domain, unit = "dzd_4p9n6sw4qt9xgn", "3thg1pbxn6pz9j"
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			w := world.New(t, server)
			w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "datazone-domains": domain,
				"on-project-delete": "delete-if-empty"})
			w.DataZone.PutDomainUnit(domain, unit, "Data Science")
			w.DataZone.PutProject(domain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unit})
			ctx := world.Deadline(t)
			switch fn {
			case provisionID:
				svc := &provision.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, DataZone: w.Studio, Tags: w.Tags,
					Publisher: publish.New(w.EventBridge, "default"), ConfigPath: configPath, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
				for _, ev := range []string{"datazone-create-project.json", "datazone-delete-project.json"} {
					if ev == "datazone-delete-project.json" {
						w.DataZone.Delete(domain, "5rpbc7vhrajx7b")
					}
					if sum, err := svc.Handle(ctx, samples.Event(ev)); err != nil || sum.Status == publish.StatusRejected || sum.Status == publish.StatusSkipped {
						t.Fatalf("%s: %+v, %v", ev, sum, err)
					}
				}
			case driftID:
				svc := &drift.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, DataZone: w.Studio, Tags: w.Tags,
					Publisher: publish.New(w.EventBridge, "default"), ConfigPath: configPath, Concurrency: 2,
					Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard}
				if sum, err := svc.Handle(ctx, json.RawMessage(`{"mode":"fix"}`)); err != nil || sum.Created != 3 {
					t.Fatalf("discovery: %+v, %v; want the project's 3 repositories", sum, err)
				}
				w.DataZone.Delete(domain, "5rpbc7vhrajx7b")
				if _, err := svc.Handle(ctx, json.RawMessage(`{"mode":"fix"}`)); err != nil {
					t.Fatalf("retirement: %v", err)
				}
				if n := len(w.Repositories(t)); n != 0 {
					t.Fatalf("%d repositories left; want the empty ones deleted", n)
				}
			}
			all, conditional := grantedWith(t, fn, "HasDataZone")
			called := calledActions(w)
			for a := range called {
				if !all[a] {
					t.Errorf("%s was called; the template does not grant it with DataZoneDomains set", a)
				}
			}
			missing := map[string]bool{}
			for a := range conditional {
				if !called[a] {
					missing[a] = true
				}
			}
			if diff := cmp.Diff([]string{}, keys(missing)); diff != "" {
				t.Errorf("granted only for Unified Studio, never called (-want +got):\n%s", diff)
			}
		})
	}
}

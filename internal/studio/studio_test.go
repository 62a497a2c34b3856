package studio_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datazone"
	dztypes "github.com/aws/aws-sdk-go-v2/service/datazone/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/studio"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
)

const domain = "dzd_4p9n6sw4qt9xgn"

// client is the SDK's own DataZone client on the stand-in.
func client(t *testing.T) (*datazone.Client, *datazonefake.Server) {
	t.Helper()
	fake := datazonefake.New()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return datazone.New(datazone.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}), fake
}

func TestGet(t *testing.T) {
	api, fake := client(t)
	fake.PutDomainUnit(domain, "unit1", "Data Science")
	p := fake.PutProject(domain, datazonefake.Project{Name: "Churn Model", DomainUnitID: "unit1"})
	ctx := context.Background()

	out, gone, err := studio.Get(ctx, api, domain, p.ID)
	if err != nil || gone || aws.ToString(out.Name) != "Churn Model" || !studio.Active(out.ProjectStatus) {
		t.Fatalf("Get: %+v, gone %v, %v; want the ACTIVE project", out, gone, err)
	}
	for _, status := range []string{datazonefake.StatusUpdating, datazonefake.StatusMoving, datazonefake.StatusDeleteFailed} {
		if err := fake.SetStatus(domain, p.ID, status); err != nil {
			t.Fatal(err)
		}
		if out, gone, err := studio.Get(ctx, api, domain, p.ID); err != nil || gone || studio.Active(out.ProjectStatus) {
			t.Errorf("%s: gone %v, %v; want a live project that is not ACTIVE", status, gone, err)
		}
	}
	if err := fake.SetStatus(domain, p.ID, datazonefake.StatusDeleting); err != nil {
		t.Fatal(err)
	}
	if _, gone, err := studio.Get(ctx, api, domain, p.ID); err != nil || !gone {
		t.Errorf("DELETING: gone %v, %v; want gone", gone, err)
	}
	fake.Delete(domain, p.ID)
	if _, gone, err := studio.Get(ctx, api, domain, p.ID); err != nil || !gone {
		t.Errorf("deleted: gone %v, %v; want gone", gone, err)
	}
	fake.Refuse(domain, "GetProject", "AccessDeniedException")
	if _, gone, err := studio.Get(ctx, api, domain, p.ID); err == nil || gone {
		t.Errorf("refused: gone %v, %v; want an error, not gone", gone, err)
	}
}

func TestTeams(t *testing.T) {
	api, fake := client(t)
	fake.PutDomainUnit(domain, "unit1", "Data Science")
	byUnit := fake.PutProject(domain, datazonefake.Project{Name: "Churn Model", DomainUnitID: "unit1"})
	byTag := fake.PutProject(domain, datazonefake.Project{Name: "Fraud", DomainUnitID: "unit1",
		ResourceTags: datazonefake.Tags(map[string]string{"team": "Risk Ops"})})
	ctx := context.Background()
	read := func(id string) *datazone.GetProjectOutput {
		out, _, err := studio.Get(ctx, api, domain, id)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	units := &studio.Teams{API: api}
	p, err := units.Project(ctx, read(byUnit.ID))
	if err != nil || p.Team != "data-science" || p.Domain != domain || p.ID != byUnit.ID || p.Name != "Churn Model" {
		t.Errorf("team from the domain unit: %+v, %v; want data-science", p, err)
	}
	if _, err := units.Project(ctx, read(byUnit.ID)); err != nil || fake.Calls()["GetDomainUnit"] != 1 {
		t.Errorf("second project of the unit: %v, %d GetDomainUnit; want the unit read once", err, fake.Calls()["GetDomainUnit"])
	}

	tags := &studio.Teams{API: api, TeamTag: "team"}
	if p, err := tags.Project(ctx, read(byTag.ID)); err != nil || p.Team != "risk-ops" {
		t.Errorf("team from the resource tag: %+v, %v; want risk-ops", p, err)
	}
	if _, err := tags.Project(ctx, read(byUnit.ID)); !reconcile.Rejected(err) {
		t.Errorf("no team tag: %v; want rejected", err)
	}

	fake.PutProject(domain, datazonefake.Project{ID: "nounit", Name: "Loose"})
	if _, err := units.Project(ctx, read("nounit")); !reconcile.Rejected(err) {
		t.Errorf("no domain unit: %v; want rejected", err)
	}
	fake.PutProject(domain, datazonefake.Project{ID: "gone1unit", Name: "Orphan", DomainUnitID: "unit9"})
	if _, err := units.Project(ctx, read("gone1unit")); err == nil || reconcile.Rejected(err) {
		t.Errorf("unit not found: %v; want an error to retry, not a rejection", err)
	}
}

func TestWalk(t *testing.T) {
	api, fake := client(t)
	fake.SetPageSize(7)
	for range 20 {
		fake.PutProject(domain, datazonefake.Project{Name: "P"})
	}
	ctx := context.Background()
	n := 0
	all, err := studio.Walk(ctx, api, domain, func(dztypes.ProjectSummary) bool { n++; return true })
	if err != nil || !all || n != 20 || fake.Calls()["ListProjects"] != 3 {
		t.Errorf("walk: %d projects, all %v, %v, %d pages; want 20 in 3 pages", n, all, err, fake.Calls()["ListProjects"])
	}
	n = 0
	if all, err := studio.Walk(ctx, api, domain, func(dztypes.ProjectSummary) bool { n++; return n < 5 }); err != nil || all || n != 5 {
		t.Errorf("stopped walk: %d, all %v, %v; want stopped at 5", n, all, err)
	}
	fake.Refuse(domain, "ListProjects", "AccessDeniedException")
	if _, err := studio.Walk(ctx, api, domain, func(dztypes.ProjectSummary) bool { return true }); err == nil {
		t.Error("refused walk: no error")
	}
}

func TestNamespace(t *testing.T) {
	repo := func(name string) registry.Tagged { return registry.Tagged{Summary: registry.Summary{Name: name}} }
	if ns, err := studio.Namespace(nil); ns != "" || err != nil {
		t.Errorf("none: %q, %v", ns, err)
	}
	if ns, err := studio.Namespace([]registry.Tagged{repo("acme-sm-ds-churn/training"), repo("acme-sm-ds-churn/inference")}); ns != "acme-sm-ds-churn" || err != nil {
		t.Errorf("one: %q, %v", ns, err)
	}
	if _, err := studio.Namespace([]registry.Tagged{repo("acme-sm-ds-churn/training"), repo("acme-sm-ds-other/inference")}); err == nil {
		t.Error("two namespaces: no error")
	}
}

//go:build integration

package drift_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

const (
	studioDomain = "dzd_4p9n6sw4qt9xgn"
	refusing     = "dzd_refusing00001"
	unitDS       = "3thg1pbxn6pz9j"
)

// studioWorld has two configured domains, the shared repositories off, and a unit "Data
// Science" in each.
func studioWorld(t *testing.T, extra map[string]string) *world.World {
	t.Helper()
	w := world.New(t, server)
	cfg := map[string]string{"company": "acme", "shared-repos": "none", "datazone-domains": refusing + " " + studioDomain}
	for k, v := range extra {
		cfg[k] = v
	}
	w.PutConfig(t, cfg)
	for _, d := range []string{studioDomain, refusing} {
		w.DataZone.PutDomainUnit(d, unitDS, "Data Science")
	}
	return w
}

func namespace(t *testing.T, w *world.World, ns string) []string {
	t.Helper()
	var out []string
	for _, name := range w.Repositories(t) {
		if strings.HasPrefix(name, ns+"/") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

var churnModel = []string{
	"acme-sm-data-science-churn-model/inference", "acme-sm-data-science-churn-model/preprocessing", "acme-sm-data-science-churn-model/training"}

// A Unified Studio project whose events were missed gets its repositories from the next
// reconcile; a domain that refuses ListProjects is one error, and stops neither the other
// domain nor SageMaker's discovery.
func TestMissedStudioProjectIsCreatedByTheNextReconcile(t *testing.T) {
	w := studioWorld(t, nil)
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "notyet00000001", Name: "Later", DomainUnitID: unitDS,
		Status: datazonefake.StatusUpdating})
	w.DataZone.PutProject(refusing, datazonefake.Project{ID: "hidden00000001", Name: "Hidden", DomainUnitID: unitDS})
	w.DataZone.Refuse(refusing, "ListProjects", "AccessDeniedException")
	w.SageMaker.PutProject("fraud-detect", "p-1", map[string]string{"team": "risk"})
	sink := w.CaptureEvents(t, publish.RepositoriesProvisioned)

	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err == nil || sum.Errors != 1 || !slices.Equal(sum.Unreachable, []string{refusing}) || sum.Complete {
		t.Errorf("summary %+v, %v; want one error, %s unreachable, incomplete", sum, err, refusing)
	}
	if diff := cmp.Diff(churnModel, namespace(t, w, "acme-sm-data-science-churn-model")); diff != "" {
		t.Errorf("the missed project's repositories (-want +got):\n%s", diff)
	}
	if got := namespace(t, w, "acme-sm-risk-fraud-detect"); len(got) != 3 {
		t.Errorf("SageMaker's missed project: %v; want its 3 repositories", got)
	}
	if got := namespace(t, w, "acme-sm-data-science-later"); len(got) != 0 {
		t.Errorf("a project that is not ACTIVE got %v", got)
	}
	if got := namespace(t, w, "acme-sm-data-science-hidden"); len(got) != 0 {
		t.Errorf("a project of the refusing domain got %v", got)
	}
	if got := account.ByType(sink.Drain(t)); got[publish.RepositoriesProvisioned] != 2 {
		t.Errorf("events %v; want two Repositories Provisioned", got)
	}

	// The next run finds the projects with their repositories: no DataZone read of them.
	w.DataZone.Allow(refusing, "ListProjects")
	before := w.DataZone.Calls()["GetProject"]
	sum, err = service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Errors != 0 || !sum.Complete {
		t.Errorf("second run: %+v, %v; want complete", sum, err)
	}
	if got := namespace(t, w, "acme-sm-data-science-hidden"); len(got) != 3 {
		t.Errorf("the domain read again: %v; want its project's 3 repositories", got)
	}
	if got := w.DataZone.Calls()["GetProject"] - before; got != 1 {
		t.Errorf("GetProject calls of the second run: %d; want 1, for the one project that lacked repositories", got)
	}
}

// The reconciler retires the repositories of a deleted Unified Studio project only as its
// DeleteProject would: once DataZone says it is gone, and never in report mode.
func TestReconcilerRetiresADeletedStudioProject(t *testing.T) {
	w := studioWorld(t, map[string]string{"on-project-delete": "retain"})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	w.DataZone.Delete(studioDomain, "5rpbc7vhrajx7b")

	w.Rec.Clear()
	if _, err := service(w).Handle(world.Deadline(t), manual("report")); err != nil {
		t.Fatal(err)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("report run wrote %s %s", r.Operation, r.Repository)
		}
	}
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	for _, name := range churnModel {
		repo := w.Repository(t, name)
		if repo.Tags["sagemaker:project-deleted"] == "" {
			t.Errorf("%s not retired: %v", name, repo.Tags)
		}
	}
	// Retired once: the next run writes nothing.
	w.Rec.Clear()
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("a retired project's repositories written again: %s %s", r.Operation, r.Repository)
		}
	}
}

// Owner tags removed by hand from a Unified Studio project's repository are put back from
// DataZone, by its identity: never from a SageMaker project its name could also make.
func TestStudioOwnerTagsArePutBackByIdentity(t *testing.T) {
	w := studioWorld(t, map[string]string{"check-tags": "true"})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	// A classic project whose team and name make the same namespace.
	w.SageMaker.PutProject("churn-model", "p-1", map[string]string{"team": "data-science"})
	if err := w.Setup.UntagByHand(world.Deadline(t), churnModel[1], "team", "sagemaker:project-name"); err != nil {
		t.Fatal(err)
	}
	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Fixed != 1 || sum.Rejected != 0 {
		t.Errorf("summary %+v, %v; want the repository fixed, no conflict", sum, err)
	}
	tags := w.Repository(t, churnModel[1]).Tags
	if tags["team"] != "data-science" || tags["sagemaker:project-name"] != "Churn Model" || tags["datazone:project-id"] != "5rpbc7vhrajx7b" {
		t.Errorf("tags %v; want the Unified Studio project's put back", tags)
	}
}

// A Unified Studio project's repository deleted by hand is never made again as a SageMaker
// project's whose team and name make the same namespace: its siblings' identity stops it.
func TestRepairNeverRecreatesAStudioRepositoryForAClassicProject(t *testing.T) {
	w := studioWorld(t, nil)
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	w.SageMaker.PutProject("churn-model", "p-1", map[string]string{"team": "data-science"})
	if _, err := w.Setup.ECR.DeleteRepository(world.Deadline(t), &ecr.DeleteRepositoryInput{RepositoryName: aws.String(churnModel[2]), Force: true}); err != nil {
		t.Fatal(err)
	}
	sum, err := service(w).Handle(world.Deadline(t), record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
		samples.Detail(ev)["eventName"] = "DeleteRepository"
		samples.Detail(ev)["requestParameters"] = map[string]any{"repositoryName": churnModel[2], "force": true}
	}))
	if err != nil || sum.Created != 0 || sum.Rejected != 1 {
		t.Errorf("repair: %+v, %v; want nothing created, the classic project rejected", sum, err)
	}
	for _, name := range w.Repositories(t) {
		if tags := w.Repository(t, name).Tags; tags["datazone:project-id"] == "" {
			t.Errorf("%s carries no Unified Studio identity: %v", name, tags)
		}
	}
}

// A Unified Studio project that cannot have repositories is rejected once, not every run; it
// is looked at again when it changes.
func TestRejectedStudioProjectIsNotRejectedEveryRun(t *testing.T) {
	w := studioWorld(t, map[string]string{"datazone-domains": studioDomain})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "slash00000001", Name: "Churn/Model", DomainUnitID: unitDS,
		CreatedAt: time.Now().Add(-time.Hour)})
	run := func() (rejected, reads int) {
		t.Helper()
		before := w.DataZone.Calls()["GetProject"]
		sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
		if err != nil {
			t.Fatal(err)
		}
		return sum.Rejected, w.DataZone.Calls()["GetProject"] - before
	}
	if rejected, reads := run(); rejected != 1 || reads != 1 {
		t.Errorf("first run: %d rejected, %d GetProject; want 1 and 1", rejected, reads)
	}
	if rejected, reads := run(); rejected != 0 || reads != 0 {
		t.Errorf("second run: %d rejected, %d GetProject; want neither", rejected, reads)
	}
	if err := w.DataZone.Rename(studioDomain, "slash00000001", "Churn Model"); err != nil {
		t.Fatal(err)
	}
	run()
	if got := namespace(t, w, "acme-sm-data-science-churn-model"); len(got) != 3 {
		t.Errorf("renamed to a valid name: %v; want its 3 repositories", got)
	}
}

// Someone copies a Unified Studio project's identity tags onto another team's repository whose
// owner tags are gone: the reconciler does not put the Unified Studio project's tags there (its
// repositories are in two namespaces: a conflict, reported), and writes nothing to it.
func TestStudioIdentityOnAnotherTeamsRepositoryIsNotAdopted(t *testing.T) {
	w := studioWorld(t, map[string]string{"check-tags": "true"})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	const foreign = "acme-sm-risk-fraud-detect/training"
	ctx := world.Deadline(t)
	if err := w.Setup.CreateManaged(ctx, []string{foreign}, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.Setup.TagByHand(ctx, foreign, map[string]string{"datazone:domain-id": studioDomain, "datazone:project-id": "5rpbc7vhrajx7b"}); err != nil {
		t.Fatal(err)
	}
	w.Rec.Clear()
	sum, _ := service(w).Handle(world.Deadline(t), manual("fix"))
	if sum.Rejected == 0 {
		t.Errorf("summary %+v; want the repository reported as a conflict", sum)
	}
	for _, r := range w.Rec.Writes() {
		if r.Repository == foreign {
			t.Errorf("wrote %s to %s; want nothing written to another team's repository", r.Operation, foreign)
		}
	}
	if tags := w.Repository(t, foreign).Tags; tags["team"] != "" || tags["sagemaker:project-name"] != "" {
		t.Errorf("tags of the other team's repository %v; want no project's tags put there", tags)
	}
}

// The reconciler retires a Unified Studio project's repositories only when it knows the project
// is gone: not those of a project in a domain it could not list, nor of a project ListProjects
// left out while GetProject still answers it, even with delete-if-empty and the repositories
// empty.
func TestReconcilerRetiresOnlyWhatItKnowsIsGone(t *testing.T) {
	w := studioWorld(t, map[string]string{"on-project-delete": "delete-if-empty"})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	w.DataZone.PutProject(refusing, datazonefake.Project{ID: "hidden00000001", Name: "Hidden", DomainUnitID: unitDS})
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS, Unlisted: true})
	w.DataZone.Refuse(refusing, "ListProjects", "AccessDeniedException")
	w.Rec.Clear()
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err == nil {
		t.Error("the run over a refusing domain reported no error")
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("wrote %s %s; want no repository retired", r.Operation, r.Repository)
		}
	}
	for _, ns := range []string{"acme-sm-data-science-churn-model", "acme-sm-data-science-hidden"} {
		if got := namespace(t, w, ns); len(got) != 3 {
			t.Errorf("%s: %v; want its 3 repositories kept", ns, got)
		}
	}
}

//go:build integration

package provision_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// The SageMaker Unified Studio (DataZone) domain the tests configure, and its units.
const (
	studioDomain = "dzd_4p9n6sw4qt9xgn"
	otherDomain  = "dzd_other0000001"
	unitDS       = "3thg1pbxn6pz9j"
	unitRisk     = "8kzq2mwx1vb3fd"
)

// studioWorld is a world with studioDomain configured (and extra parameters), its domain units
// named "Data Science" and "Risk", the service and a sink.
func studioWorld(t *testing.T, extra map[string]string) (*world.World, *world.Sink, *provision.Service) {
	t.Helper()
	params := map[string]string{"datazone-domains": studioDomain}
	for k, v := range extra {
		params[k] = v
	}
	w, sink, svc := setup(t, params)
	w.DataZone.PutDomainUnit(studioDomain, unitDS, "Data Science")
	w.DataZone.PutDomainUnit(studioDomain, unitRisk, "Risk")
	return w, sink, svc
}

// studioEvent is a DataZone record (a sample) about the project id of domain.
func studioEvent(sample, domain, id string) json.RawMessage {
	return edit(sample, func(ev map[string]any) {
		rp := requestParameters(ev)
		rp["domainIdentifier"] = domain
		if _, ok := rp["identifier"]; ok || sample != "datazone-create-project.json" {
			rp["identifier"] = id
		}
		if resp, ok := detail(ev)["responseElements"].(map[string]any); ok {
			resp["id"], resp["domainId"] = id, domain
		}
	})
}

// repositoriesOf lists the repositories of the namespace.
func repositoriesOf(t *testing.T, w *world.World, namespace string) []string {
	t.Helper()
	var out []string
	for _, name := range w.Repositories(t) {
		if strings.HasPrefix(name, namespace+"/") {
			out = append(out, name)
		}
	}
	return sorted(out)
}

func handleStudio(t *testing.T, svc *provision.Service, ev json.RawMessage, want publish.Status) provision.Summary {
	t.Helper()
	sum, err := svc.Handle(world.Deadline(t), ev)
	if err != nil || sum.Status != want {
		t.Fatalf("Handle: %+v, %v; want status %s", sum, err, want)
	}
	return sum
}

func TestStudioProjectGetsRepositoriesWithItsIdentity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  map[string]string
		project datazonefake.Project
		team    string
	}{
		{"team from a resource tag", map[string]string{"datazone-team-tag": "team"},
			datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitRisk,
				ResourceTags: datazonefake.Tags(map[string]string{"team": "Data Science"})}, "data-science"},
		{"team from the domain unit", nil,
			datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS}, "data-science"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, sink, svc := studioWorld(t, tc.config)
			w.DataZone.PutProject(studioDomain, tc.project)
			sum := handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, tc.project.ID), publish.StatusProvisioned)
			if sum.Team != tc.team || sum.Domain != studioDomain || sum.Project != "Churn Model" {
				t.Errorf("summary %+v; want team %s, domain %s, project Churn Model", sum, tc.team, studioDomain)
			}
			if diff := cmp.Diff(churnRepos, repositoriesOf(t, w, "acme-sm-data-science-churn-model")); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
			for _, name := range churnRepos {
				tags := tagsOf(t, w, name)
				for k, v := range map[string]string{"datazone:domain-id": studioDomain, "datazone:project-id": tc.project.ID,
					"team": tc.team, "sagemaker:project-name": "Churn Model", "managed-by": "sagemaker-ecr-provisioner"} {
					if tags[k] != v {
						t.Errorf("%s tag %s: %q; want %q", name, k, tags[k], v)
					}
				}
				if _, ok := tags["sagemaker:project-id"]; ok {
					t.Errorf("%s carries a SageMaker project id", name)
				}
			}
			events := sink.Drain(t)
			if got := account.ByType(events); got[publish.RepositoriesProvisioned] != 1 {
				t.Errorf("events %v; want one Repositories Provisioned", got)
			}
			// The native event of the same creation finds it done: no write.
			w.Rec.Clear()
			handleStudio(t, svc, edit("datazone-project-creation-succeeded.json", func(ev map[string]any) {
				detail(ev)["data"].(map[string]any)["projectId"] = tc.project.ID
			}), publish.StatusInSync)
			if writes := w.Rec.Writes(); len(writes) != 0 {
				t.Errorf("writes of a repeated event: %v", writes)
			}
		})
	}
}

func TestStudioProjectNames(t *testing.T) {
	w, sink, svc := studioWorld(t, nil)
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "slash1", Name: "Churn/Model", DomainUnitID: unitDS})
	sum := handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, "slash1"), publish.StatusRejected)
	if !strings.Contains(sum.Reason, `"Churn/Model"`) {
		t.Errorf("reason %q does not name the project", sum.Reason)
	}
	if got := len(w.Repositories(t)); got != 0 {
		t.Errorf("%d repositories after a rejected name; want none", got)
	}
	if got := account.ByType(sink.Drain(t)); got[publish.ProvisioningFailed] != 1 {
		t.Errorf("events %v; want one Provisioning Failed", got)
	}
	// No team: a team tag is configured and the project has none.
	w.PutConfig(t, map[string]string{"datazone-team-tag": "team"})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "noteam1", Name: "Churn Model", DomainUnitID: unitDS})
	sum = handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, "noteam1"), publish.StatusRejected)
	if !strings.Contains(sum.Reason, "Churn Model") || !strings.Contains(sum.Reason, `"team"`) {
		t.Errorf("reason %q; want the project and the missing tag named", sum.Reason)
	}
	if got := len(w.Repositories(t)); got != 0 {
		t.Errorf("%d repositories for a project without a team; want none", got)
	}
}

func TestStudioDomainNotConfiguredWritesNothing(t *testing.T) {
	w, _, svc := studioWorld(t, nil)
	w.DataZone.PutDomainUnit(otherDomain, unitDS, "Data Science")
	w.DataZone.PutProject(otherDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	w.Rec.Clear()
	sum := handleStudio(t, svc, studioEvent("datazone-create-project.json", otherDomain, "5rpbc7vhrajx7b"), publish.StatusIgnored)
	if !strings.Contains(sum.Reason, otherDomain) {
		t.Errorf("reason %q does not name the domain", sum.Reason)
	}
	for _, r := range w.Rec.Requests() {
		if r.Service == "ecr" || r.Service == "datazone" {
			t.Errorf("call for a domain not configured: %s:%s", r.Service, r.Operation)
		}
	}
}

func TestStudioProjectRenamedAndMovedKeepsItsRepositories(t *testing.T) {
	w, _, svc := studioWorld(t, nil)
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, "5rpbc7vhrajx7b"), publish.StatusProvisioned)

	if err := w.DataZone.Rename(studioDomain, "5rpbc7vhrajx7b", "Churn Forecast"); err != nil {
		t.Fatal(err)
	}
	handleStudio(t, svc, studioEvent("datazone-update-project.json", studioDomain, "5rpbc7vhrajx7b"), publish.StatusProvisioned)
	if err := w.DataZone.Move(studioDomain, "5rpbc7vhrajx7b", unitRisk); err != nil {
		t.Fatal(err)
	}
	handleStudio(t, svc, edit("datazone-project-moved.json", func(ev map[string]any) {}), publish.StatusProvisioned)

	if diff := cmp.Diff(churnRepos, sorted(w.Repositories(t))); diff != "" {
		t.Errorf("repositories after a rename and a move (-want +got):\n%s", diff)
	}
	for _, name := range churnRepos {
		tags := tagsOf(t, w, name)
		if tags["sagemaker:project-name"] != "Churn Forecast" || tags["team"] != "risk" {
			t.Errorf("%s tags %v; want the project's name and team as they are now", name, tags)
		}
	}
}

func TestStudioProjectDeleted(t *testing.T) {
	for _, tc := range []struct {
		policy   string
		wantLeft []string
	}{
		{"retain", churnRepos},
		{"delete-if-empty", []string{"acme-sm-data-science-churn-model/training"}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			w, sink, svc := studioWorld(t, map[string]string{"on-project-delete": tc.policy})
			w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
			handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, "5rpbc7vhrajx7b"), publish.StatusProvisioned)
			pushImage(t, w, "acme-sm-data-science-churn-model/training")
			// A classic project of the same name and team: never retired with it.
			w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
			handleStudio(t, svc, edit("create-project.json", func(ev map[string]any) {
				requestParameters(ev)["projectName"] = "churn-model-v2"
				detail(ev)["responseElements"] = nil
			}), publish.StatusProvisioned)
			sink.Drain(t)

			// Not deleted yet: the record is early, or the deletion failed.
			handleStudio(t, svc, studioEvent("datazone-delete-project.json", studioDomain, "5rpbc7vhrajx7b"), publish.StatusSkipped)
			w.DataZone.Delete(studioDomain, "5rpbc7vhrajx7b")
			sum := handleStudio(t, svc, studioEvent("datazone-delete-project.json", studioDomain, "5rpbc7vhrajx7b"), publish.StatusRetired)
			if sum.Project != "Churn Model" {
				t.Errorf("summary project %q; want Churn Model", sum.Project)
			}
			left := repositoriesOf(t, w, "acme-sm-data-science-churn-model")
			if diff := cmp.Diff(tc.wantLeft, left); diff != "" {
				t.Errorf("repositories left (-want +got):\n%s", diff)
			}
			for _, name := range left {
				if tagsOf(t, w, name)["sagemaker:project-deleted"] == "" {
					t.Errorf("%s is not tagged as its project's deleted", name)
				}
			}
			for _, name := range repositoriesOf(t, w, "acme-sm-data-science-churn-model-v2") {
				if _, ok := tagsOf(t, w, name)["sagemaker:project-deleted"]; ok {
					t.Errorf("%s of the classic project was retired", name)
				}
			}
			if got := len(repositoriesOf(t, w, "acme-sm-data-science-churn-model-v2")); got != 3 {
				t.Errorf("the classic project has %d repositories; want its 3", got)
			}
			if got := w.Rec.Count("BatchDeleteImage"); got != 0 {
				t.Errorf("images deleted: %d calls; want none", got)
			}
		})
	}
}

func TestStudioProjectsWhoseNamesCollide(t *testing.T) {
	w, sink, svc := studioWorld(t, nil)
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "first000000001", Name: "Churn Model", DomainUnitID: unitDS})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "second00000002", Name: "churn   model", DomainUnitID: unitDS})
	handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, "first000000001"), publish.StatusProvisioned)
	sink.Drain(t)
	w.Rec.Clear()

	sum := handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, "second00000002"), publish.StatusRejected)
	if !strings.Contains(sum.Reason, "first000000001") {
		t.Errorf("reason %q; want the owner's identity named", sum.Reason)
	}
	if writes := w.Rec.Writes(); len(writes) != 1 || writes[0].Operation != "PutEvents" {
		t.Errorf("writes of the colliding project: %v; want only its failure event", writes)
	}
	for _, name := range churnRepos {
		if got := tagsOf(t, w, name)["datazone:project-id"]; got != "first000000001" {
			t.Errorf("%s identity %q; want the first project's", name, got)
		}
	}
	// A classic SageMaker project that makes the same names: a conflict too.
	w.SageMaker.PutProject("churn-model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	sum, err := svc.Handle(world.Deadline(t), edit("create-project.json", func(ev map[string]any) {
		requestParameters(ev)["projectName"] = "churn-model"
		detail(ev)["responseElements"] = nil
	}))
	if err != nil || sum.Status != publish.StatusRejected || !strings.Contains(sum.Reason, "Unified Studio project first000000001") {
		t.Errorf("classic project meeting a Unified Studio one: %+v, %v; want rejected, naming the owner", sum, err)
	}
}

// Someone copies a Unified Studio project's identity tags onto another team's repository: when
// the project is deleted (delete-if-empty), none of its repositories is retired, the other
// team's is not touched, and the deletion is rejected with the reason.
func TestStudioProjectDeletedWithItsIdentityOnAnotherTeamsRepository(t *testing.T) {
	w, sink, svc := studioWorld(t, map[string]string{"on-project-delete": "delete-if-empty"})
	w.DataZone.PutProject(studioDomain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unitDS})
	handleStudio(t, svc, studioEvent("datazone-create-project.json", studioDomain, "5rpbc7vhrajx7b"), publish.StatusProvisioned)
	const foreign = "acme-sm-risk-fraud-detect/training"
	ctx := world.Deadline(t)
	if err := w.Setup.CreateManaged(ctx, []string{foreign}, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.Setup.TagByHand(ctx, foreign, map[string]string{"datazone:domain-id": studioDomain, "datazone:project-id": "5rpbc7vhrajx7b"}); err != nil {
		t.Fatal(err)
	}
	sink.Drain(t)
	w.Rec.Clear()

	w.DataZone.Delete(studioDomain, "5rpbc7vhrajx7b")
	sum := handleStudio(t, svc, studioEvent("datazone-delete-project.json", studioDomain, "5rpbc7vhrajx7b"), publish.StatusRejected)
	if !strings.Contains(sum.Reason, "two namespaces") {
		t.Errorf("reason %q; want the two namespaces named", sum.Reason)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("wrote %s %s; want no ECR write", r.Operation, r.Repository)
		}
	}
	if got := repositoriesOf(t, w, "acme-sm-data-science-churn-model"); len(got) != 3 {
		t.Errorf("the project's repositories left: %v; want all 3", got)
	}
	if _, ok := tagsOf(t, w, foreign)["sagemaker:project-deleted"]; ok || len(repositoriesOf(t, w, "acme-sm-risk-fraud-detect")) != 1 {
		t.Errorf("the other team's repository was retired")
	}
}

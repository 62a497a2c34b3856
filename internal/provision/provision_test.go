//go:build integration

package provision_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

const configPath = "/sagemaker-platform/ecr"

var churnRepos = []string{
	"acme-sm-data-science-churn-model/inference",
	"acme-sm-data-science-churn-model/preprocessing",
	"acme-sm-data-science-churn-model/training",
}

// setup returns a world with company acme configured (plus extra parameters), a sink for the
// product's events, and the service under test.
func setup(t testing.TB, extra map[string]string) (*world.World, *world.Sink, *provision.Service) {
	t.Helper()
	w := configured(t, extra)
	return w, w.CaptureEvents(t), service(w)
}

// configured returns a fresh world with company acme configured, plus extra parameters.
func configured(t testing.TB, extra map[string]string) *world.World {
	t.Helper()
	w := world.New(t, server)
	params := map[string]string{"company": "acme"}
	for k, v := range extra {
		params[k] = v
	}
	w.PutConfig(t, params)
	return w
}

// service is the handler under test on the world's recorded clients, with a fixed clock.
func service(w *world.World) *provision.Service {
	return &provision.Service{
		SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, DataZone: w.Studio, Tags: w.Tags,
		Publisher:  publish.New(w.EventBridge, "default"),
		ConfigPath: configPath,
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:        func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) },
	}
}

func event(name string) json.RawMessage { return samples.Event(name) }

// edit returns the sample event with fn applied to its decoded form.
func edit(name string, fn func(ev map[string]any)) json.RawMessage { return samples.Edit(name, fn) }

var (
	detail            = samples.Detail
	requestParameters = samples.RequestParameters
)

func sorted(names []string) []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	return out
}

func tagsOf(t *testing.T, w *world.World, name string) map[string]string {
	t.Helper()
	ctx := context.Background()
	d, err := w.Setup.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := w.Setup.ECR.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: d.Repositories[0].RepositoryArn})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tag := range out.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags
}

func policyOf(t *testing.T, w *world.World, name string) string {
	t.Helper()
	out, err := w.Setup.ECR.GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	if err != nil {
		t.Fatalf("lifecycle policy of %s: %v", name, err)
	}
	return aws.ToString(out.LifecyclePolicyText)
}

func TestCreateProjectProvisionsRepositories(t *testing.T) {
	w, sink, svc := setup(t, nil)
	ctx := world.Deadline(t)

	sum, err := svc.Handle(ctx, event("create-project.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if sum.Status != publish.StatusProvisioned {
		t.Fatalf("status: got %q; want %q (%s)", sum.Status, publish.StatusProvisioned, sum.Reason)
	}
	if diff := cmp.Diff(churnRepos, sorted(w.Repositories(t))); diff != "" {
		t.Fatalf("repositories (-want +got):\n%s", diff)
	}
	for _, name := range churnRepos {
		repoType := name[strings.LastIndex(name, "/")+1:]
		want := map[string]string{
			"managed-by": "sagemaker-ecr-provisioner", "repository-type": repoType, "scope": "project",
			"team": "data-science", "sagemaker:project-name": "Churn-Model", "sagemaker:project-id": "p-1a2b3c4d5e6f",
		}
		if diff := cmp.Diff(want, tagsOf(t, w, name)); diff != "" {
			t.Errorf("tags of %s (-want +got):\n%s", name, diff)
		}
		if same, err := lifecycle.Equal(lifecycle.Policy(10), policyOf(t, w, name)); err != nil || !same {
			t.Errorf("policy of %s: got %s; want keep-newest-10 (%v)", name, policyOf(t, w, name), err)
		}
		d, err := w.Setup.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		if err != nil {
			t.Fatal(err)
		}
		r := d.Repositories[0]
		if !r.ImageScanningConfiguration.ScanOnPush || r.ImageTagMutability != ecrtypes.ImageTagMutabilityMutable ||
			r.EncryptionConfiguration.EncryptionType != ecrtypes.EncryptionTypeAes256 {
			t.Errorf("settings of %s: got scan %v, mutability %s, encryption %s; want true, MUTABLE, AES256",
				name, r.ImageScanningConfiguration.ScanOnPush, r.ImageTagMutability, r.EncryptionConfiguration.EncryptionType)
		}
	}
	// At most two writes per new repository: CreateRepository carrying everything, then the policy.
	if got := w.Rec.Count("CreateRepository"); got != 3 {
		t.Errorf("CreateRepository calls: got %d; want 3", got)
	}
	if got := len(w.Rec.Writes()); got != 3*2+1 { // + one PutEvents
		t.Errorf("write calls: got %d (%v); want 7", got, w.Rec.Writes())
	}
	if got := account.ByType(sink.Drain(t)); got[publish.RepositoriesProvisioned] != 1 || len(got) != 1 {
		t.Errorf("events: got %v; want one %q", got, publish.RepositoriesProvisioned)
	}

	// The same event again: the project is in sync, so not a single write call.
	w.Rec.Clear()
	sum, err = svc.Handle(ctx, event("create-project.json"))
	if err != nil || sum.Status != publish.StatusInSync {
		t.Fatalf("second Handle: got %q, %v; want %q, nil", sum.Status, err, publish.StatusInSync)
	}
	if writes := w.Rec.Writes(); len(writes) != 0 {
		t.Errorf("second run writes: got %v; want none", writes)
	}
	if got := len(w.Rec.Requests()); got != 1+3*3 {
		t.Errorf("second run calls: got %d (%v); want 10 (config + describe, tags, policy per repository)", got, w.Rec.Requests())
	}
	if got := sink.Drain(t); len(got) != 0 {
		t.Errorf("second run events: got %v; want none", account.ByType(got))
	}
}

func TestProjectWithoutTeamTagWaitsForAddTags(t *testing.T) {
	w, _, svc := setup(t, nil)
	ctx := world.Deadline(t)

	noTeam := edit("create-project.json", func(ev map[string]any) {
		rp := requestParameters(ev)
		rp["projectName"] = "fraud-detect"
		rp["tags"] = []any{map[string]any{"key": "cost-center", "value": "cc-7"}}
	})
	sum, err := svc.Handle(ctx, noTeam)
	if err != nil || sum.Status != publish.StatusSkipped || !strings.Contains(sum.Reason, `"team" tag`) {
		t.Fatalf("CreateProject without team: got %q %q, %v; want %q naming the team tag", sum.Status, sum.Reason, err, publish.StatusSkipped)
	}
	if repos := w.Repositories(t); len(repos) != 0 {
		t.Fatalf("repositories: got %v; want none", repos)
	}

	// AddTags adds the team. The event is only a trigger: the tags are read from SageMaker.
	w.SageMaker.PutProject("fraud-detect", "p-fraud", map[string]string{"team": "risk", "cost-center": "cc-7"})
	sum, err = svc.Handle(ctx, event("add-tags.json"))
	if err != nil || sum.Status != publish.StatusProvisioned {
		t.Fatalf("AddTags: got %q %q, %v; want %q", sum.Status, sum.Reason, err, publish.StatusProvisioned)
	}
	want := []string{"acme-sm-risk-fraud-detect/inference", "acme-sm-risk-fraud-detect/preprocessing", "acme-sm-risk-fraud-detect/training"}
	if diff := cmp.Diff(want, sorted(w.Repositories(t))); diff != "" {
		t.Fatalf("repositories (-want +got):\n%s", diff)
	}
	if got := tagsOf(t, w, want[0])["sagemaker:project-id"]; got != "" {
		t.Errorf("project id tag: got %q; want none (the event does not carry it, nor do the project's tags)", got)
	}

	// DeleteTags removed another tag; the current tags still name the team: nothing to do.
	w.Rec.Clear()
	sum, err = svc.Handle(ctx, event("delete-tags.json"))
	if err != nil || sum.Status != publish.StatusInSync || len(w.Rec.Writes()) != 0 {
		t.Errorf("DeleteTags: got %q, %v, writes %v; want %q and no write", sum.Status, err, w.Rec.Writes(), publish.StatusInSync)
	}
}

func TestTagChangeOnResourceProvisions(t *testing.T) {
	w, _, svc := setup(t, nil)
	sum, err := svc.Handle(world.Deadline(t), event("tag-change-on-resource.json"))
	if err != nil || sum.Status != publish.StatusProvisioned || sum.Team != "risk" {
		t.Fatalf("got %+v, %v; want provisioned for team risk", sum, err)
	}
	if got := len(w.Repositories(t)); got != 3 {
		t.Errorf("repositories: got %d; want 3", got)
	}
	if got := w.Rec.Count("ListTags"); got != 0 {
		t.Errorf("ListTags calls: got %d; want 0 (the event carries the full tag set)", got)
	}
}

func TestDeleteProject(t *testing.T) {
	for _, tc := range []struct {
		policy      string
		wantLeft    []string
		wantDeleted int
	}{
		{"retain", churnRepos, 0},
		{"delete-if-empty", []string{"acme-sm-data-science-churn-model/training"}, 2},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			w, sink, svc := setup(t, map[string]string{"on-project-delete": tc.policy})
			ctx := world.Deadline(t)
			if _, err := svc.Handle(ctx, event("create-project.json")); err != nil {
				t.Fatal(err)
			}
			pushImage(t, w, "acme-sm-data-science-churn-model/training")
			// A neighbour that is not the project's must not be touched.
			other := edit("create-project.json", func(ev map[string]any) {
				requestParameters(ev)["projectName"] = "churn-model-v2"
				detail(ev)["responseElements"] = nil
			})
			if _, err := svc.Handle(ctx, other); err != nil {
				t.Fatal(err)
			}
			sink.Drain(t)

			sum, err := svc.Handle(ctx, event("delete-project.json"))
			if err != nil || sum.Status != publish.StatusRetired {
				t.Fatalf("DeleteProject: got %q %q, %v; want %q", sum.Status, sum.Reason, err, publish.StatusRetired)
			}
			var left []string
			for _, name := range w.Repositories(t) {
				if strings.HasPrefix(name, "acme-sm-data-science-churn-model/") {
					left = append(left, name)
					if got := tagsOf(t, w, name)["sagemaker:project-deleted"]; got != "2026-11-21T09:00:00Z" {
						t.Errorf("%s project-deleted tag: got %q; want 2026-11-21T09:00:00Z", name, got)
					}
				}
			}
			if diff := cmp.Diff(tc.wantLeft, sorted(left)); diff != "" {
				t.Errorf("repositories left (-want +got):\n%s", diff)
			}
			if got := len(w.Repositories(t)) - len(left); got != 3 {
				t.Errorf("the other project's repositories: got %d; want 3 untouched", got)
			}
			for _, name := range w.Repositories(t) {
				if strings.HasPrefix(name, "acme-sm-data-science-churn-model-v2/") {
					if _, ok := tagsOf(t, w, name)["sagemaker:project-deleted"]; ok {
						t.Errorf("%s was tagged as deleted; it belongs to another project", name)
					}
				}
			}
			if got := w.Rec.Count("BatchDeleteImage"); got != 0 {
				t.Errorf("images deleted: got %d calls; want none", got)
			}
			events := account.ByType(sink.Drain(t))
			if (tc.wantDeleted > 0) != (events[publish.RepositoriesDeleted] == 1) || events[publish.RepositoriesRetained] != 1 {
				t.Errorf("events: got %v", events)
			}

			// The same event again changes nothing.
			w.Rec.Clear()
			if _, err := svc.Handle(ctx, event("delete-project.json")); err != nil {
				t.Fatal(err)
			}
			if writes := w.Rec.Writes(); len(writes) != 0 {
				t.Errorf("repeated DeleteProject writes: got %v; want none", writes)
			}
		})
	}
}

// pushImage puts a minimal image into the repository.
func pushImage(t *testing.T, w *world.World, repo string) {
	t.Helper()
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:` + strings.Repeat("a", 64) + `"},"layers":[]}`
	_, err := w.Setup.ECR.PutImage(context.Background(), &ecr.PutImageInput{
		RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest), ImageTag: aws.String("v1"),
	})
	if err != nil {
		t.Fatalf("push image to %s: %v", repo, err)
	}
}

func TestTenCopiesInParallel(t *testing.T) {
	w, _, svc := setup(t, nil)
	ctx := world.Deadline(t)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = svc.Handle(ctx, event("create-project.json"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("copy %d: %v", i, err)
		}
	}
	if diff := cmp.Diff(churnRepos, sorted(w.Repositories(t))); diff != "" {
		t.Fatalf("repositories (-want +got):\n%s", diff)
	}
	for _, name := range churnRepos {
		if n, ok := lifecycle.Retention(policyOf(t, w, name)); !ok || n != 10 {
			t.Errorf("policy of %s: got %d, %v; want 10", name, n, ok)
		}
	}
}

func TestExistingRepositoryConverges(t *testing.T) {
	w, _, svc := setup(t, nil)
	ctx := world.Deadline(t)
	// Made by the old scripts: no tags, no policy.
	name := "acme-sm-data-science-churn-model/training"
	if _, err := w.Setup.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name),
		Tags: []ecrtypes.Tag{{Key: aws.String("owner"), Value: aws.String("platform")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Handle(ctx, event("create-project.json")); err != nil {
		t.Fatal(err)
	}
	if got := w.Rec.Count("CreateRepository"); got != 2 {
		t.Errorf("CreateRepository calls: got %d; want 2 (the existing one is not re-created)", got)
	}
	tags := tagsOf(t, w, name)
	if tags["managed-by"] != "sagemaker-ecr-provisioner" || tags["team"] != "data-science" || tags["owner"] != "platform" {
		t.Errorf("tags: got %v; want managed tags added and owner kept", tags)
	}
	if n, ok := lifecycle.Retention(policyOf(t, w, name)); !ok || n != 10 {
		t.Errorf("policy: got %d, %v; want 10", n, ok)
	}
}

func TestCollidingProjectIsAConflict(t *testing.T) {
	w, sink, svc := setup(t, nil)
	ctx := world.Deadline(t)
	// Team data, project science-churn-model owns acme-sm-data-science-churn-model/*.
	first := edit("create-project.json", func(ev map[string]any) {
		rp := requestParameters(ev)
		rp["projectName"] = "science-churn-model"
		rp["tags"] = []any{map[string]any{"key": "team", "value": "data"}}
		detail(ev)["responseElements"] = nil
	})
	if sum, err := svc.Handle(ctx, first); err != nil || sum.Status != publish.StatusProvisioned {
		t.Fatalf("first project: %q %v", sum.Status, err)
	}
	before := map[string]map[string]string{}
	for _, name := range churnRepos {
		before[name] = tagsOf(t, w, name)
	}
	sink.Drain(t)
	w.Rec.Clear()

	// Team data-science, project churn-model maps onto the same names.
	sum, err := svc.Handle(ctx, event("create-project.json"))
	if err != nil || sum.Status != publish.StatusRejected || !strings.Contains(sum.Reason, "belongs to team \"data\"") {
		t.Fatalf("colliding project: got %q %q, %v; want rejected as a conflict", sum.Status, sum.Reason, err)
	}
	for _, wr := range w.Rec.Writes() {
		if wr.Service == "ecr" {
			t.Errorf("write to ECR on conflict: %+v", wr)
		}
	}
	for _, name := range churnRepos {
		if diff := cmp.Diff(before[name], tagsOf(t, w, name)); diff != "" {
			t.Errorf("%s tags changed (-before +after):\n%s", name, diff)
		}
	}
	if got := account.ByType(sink.Drain(t)); got[publish.ProvisioningFailed] != 1 {
		t.Errorf("events: got %v; want one %q", got, publish.ProvisioningFailed)
	}
}

func TestSwitchedOff(t *testing.T) {
	for _, param := range []string{"enabled", "create-project-repos"} {
		t.Run(param, func(t *testing.T) {
			w, _, svc := setup(t, map[string]string{param: "false"})
			sum, err := svc.Handle(world.Deadline(t), event("create-project.json"))
			if err != nil || sum.Status != publish.StatusDisabled || !strings.Contains(sum.Reason, param) {
				t.Errorf("got %q %q, %v; want %q naming %s", sum.Status, sum.Reason, err, publish.StatusDisabled, param)
			}
			if writes := w.Rec.Writes(); len(writes) != 0 {
				t.Errorf("writes: got %v; want none", writes)
			}
		})
	}
}

func TestUnsupportedEventsAreIgnored(t *testing.T) {
	w, _, svc := setup(t, nil)
	for _, name := range []string{"scheduled-event.json", "parameter-store-change.json"} {
		sum, err := svc.Handle(world.Deadline(t), event(name))
		if err != nil || sum.Status != publish.StatusIgnored {
			t.Errorf("%s: got %q, %v; want %q", name, sum.Status, err, publish.StatusIgnored)
		}
	}
	if reqs := w.Rec.Requests(); len(reqs) != 0 {
		t.Errorf("calls for ignored events: got %v; want none", reqs)
	}
}

func TestDeleteProjectTouchesOnlyThatProject(t *testing.T) {
	w, _, svc := setup(t, nil)
	ctx := world.Deadline(t)
	// Team data, project science-churn: acme-sm-data-science-churn/*, whose names end in
	// "-churn" like those a project "churn" of team data-science would have. Only the tags tell.
	neighbour := edit("create-project.json", func(ev map[string]any) {
		rp := requestParameters(ev)
		rp["projectName"] = "science-churn"
		rp["tags"] = []any{map[string]any{"key": "team", "value": "data"}}
		detail(ev)["responseElements"] = nil
	})
	if _, err := svc.Handle(ctx, neighbour); err != nil {
		t.Fatal(err)
	}
	deleteChurn := edit("delete-project.json", func(ev map[string]any) { requestParameters(ev)["projectName"] = "churn" })
	w.Rec.Clear()
	if sum, err := svc.Handle(ctx, deleteChurn); err != nil || sum.Status != publish.StatusRetired || len(sum.Repositories) != 0 {
		t.Fatalf("DeleteProject churn: got %+v, %v; want retired with no repository", sum, err)
	}
	if got := w.Rec.Count("ListTagsForResource"); got != 3 {
		t.Errorf("ListTagsForResource calls: got %d; want 3 (the candidates by name, then rejected by tag)", got)
	}
	if writes := w.Rec.Writes(); len(writes) != 0 {
		t.Errorf("writes: got %v; want none", writes)
	}
}

func TestLateDeleteProjectLeavesARecreatedProjectAlone(t *testing.T) {
	w, sink, svc := setup(t, nil)
	ctx := world.Deadline(t)
	if _, err := svc.Handle(ctx, event("create-project.json")); err != nil {
		t.Fatal(err)
	}
	// The project was deleted and created again; the DeleteProject record arrives only now.
	w.SageMaker.PutProject("Churn-Model", "p-new", map[string]string{"team": "data-science"})
	sink.Drain(t)
	w.Rec.Clear()
	sum, err := svc.Handle(ctx, event("delete-project.json"))
	if err != nil || sum.Status != publish.StatusSkipped || !strings.Contains(sum.Reason, "created after the deletion") {
		t.Fatalf("got %q %q, %v; want skipped because the project was created again", sum.Status, sum.Reason, err)
	}
	if writes := w.Rec.Writes(); len(writes) != 0 {
		t.Errorf("writes: got %v; want none", writes)
	}
	for _, name := range churnRepos {
		if _, ok := tagsOf(t, w, name)["sagemaker:project-deleted"]; ok {
			t.Errorf("%s tagged as deleted though its project exists", name)
		}
	}
}

func TestDeleteProjectWhileSageMakerIsStillDeleting(t *testing.T) {
	w, _, svc := setup(t, nil)
	ctx := world.Deadline(t)
	if _, err := svc.Handle(ctx, event("create-project.json")); err != nil {
		t.Fatal(err)
	}
	// SageMaker deletes a project asynchronously: when the record arrives, the project may
	// still be there, DeleteInProgress. It is deleted all the same.
	w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	if err := w.SageMaker.SetStatus("Churn-Model", "DeleteInProgress"); err != nil {
		t.Fatal(err)
	}
	sum, err := svc.Handle(ctx, event("delete-project.json"))
	if err != nil || sum.Status != publish.StatusRetired || len(sum.Repositories) != 3 {
		t.Fatalf("got %+v, %v; want the 3 repositories retired", sum, err)
	}
}

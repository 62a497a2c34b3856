package drift_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

const roundRepo = "acme-sm-data-science-churn/inference"

// roundWorld is a world whose inventory cannot fit in one run: protect-in-use on, a member
// account, roundRepo holding v1 to v6, and every SageMaker call taking 20 ms. This account
// runs endpoints "a-first" (v2) and n "e-NNN" (v1); the member runs n "m-NNN" (v3). v4 and
// v5 carry protecting tags from an earlier inventory; nothing uses them any more, and v5 was
// pulled a moment ago (a use that began after its account was read). v4's only tag is the
// protecting one.
func roundWorld(t *testing.T, n int) (*memworld.World, map[string]string) {
	t.Helper()
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false",
		"protect-in-use": "true", "member-accounts": member})
	w.CreateManaged(t, []string{roundRepo}, lifecycle.Spec{Keep: 10, Protected: []string{"sagemaker-in-use-*"}}.Text())
	digests := map[string]string{}
	for i := 1; i <= 6; i++ {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:%064x"}]}`, strings.Repeat("a", 64), i)
		v := fmt.Sprintf("v%d", i)
		tags := []string{v}
		if v == "v4" {
			tags = nil
		}
		d := w.ECR.PushImage(roundRepo, manifest, tags...)
		digests[v] = d
		if v == "v4" || v == "v5" {
			tag, _ := registry.InUseTag(d)
			w.ECR.PushImage(roundRepo, manifest, tag)
		}
	}
	w.ECR.Pulled(roundRepo, digests["v5"], time.Now())
	w.TagByHand(t, roundRepo, map[string]string{drift.TagImagesInUse: "2"})
	uri := account.ID + ".dkr.ecr." + account.Region + ".amazonaws.com/" + roundRepo
	ep := func(name, digest string) sagemakerfake.Endpoint {
		return sagemakerfake.Endpoint{Name: name, Variants: []sagemakerfake.Variant{{Name: "primary",
			Images: []sagemakerfake.DeployedImage{{SpecifiedImage: uri + ":latest", ResolvedImage: uri + "@" + digest}}}}}
	}
	w.SageMaker.PutEndpoint(ep("a-first", digests["v2"]))
	for i := range n {
		w.SageMaker.PutEndpoint(ep(fmt.Sprintf("e-%03d", i), digests["v1"]))
		w.SageMaker.Account(member).PutEndpoint(ep(fmt.Sprintf("m-%03d", i), digests["v3"]))
	}
	w.SageMaker.SetLatency(20 * time.Millisecond)
	return w, digests
}

func roundTags(t *testing.T, w *memworld.World, digest string) []string {
	t.Helper()
	img, ok := w.ECR.Image(roundRepo, digest)
	if !ok {
		t.Fatalf("image %s is gone", digest)
	}
	return img.Tags
}

// An inventory that does not fit in one run goes on in the next, account by account and
// resource by resource, and releases only in the run that completes it: there, an image that
// only an earlier run of the round found in use (v2, named by the endpoint read first) keeps
// its protection, an image pulled since the round began (v5) keeps it, and the protection that
// nothing justifies (v4) is released, the image kept with its released tag. Every endpoint is
// described once over the whole round.
func TestInventoryGoesOnAcrossRuns(t *testing.T) {
	const n = 150
	w, digests := roundWorld(t, n)
	svc := w.Service()
	calls := func(op string) int { return w.SageMaker.Calls()[op] + w.SageMaker.Account(member).Calls()[op] }
	describes, lists := calls("DescribeEndpoint"), calls("ListEndpoints")
	var runs int
	for runs = 1; ; runs++ {
		if runs > 30 {
			t.Fatal("the inventory did not complete in 30 runs")
		}
		sum := shortRun(t, svc)
		t.Logf("run %d: in use %d, protected %d, released %d, complete %v, continues %v", runs, sum.InUse, sum.Protected, sum.Released,
			*sum.InventoryComplete, sum.InventoryContinues)
		if *sum.InventoryComplete {
			if sum.Released != 1 || sum.InventoryContinues {
				t.Errorf("the completing run: released %d, continues %v; want v4 released", sum.Released, sum.InventoryContinues)
			}
			break
		}
		if !sum.InventoryContinues || sum.Released != 0 {
			t.Fatalf("run %d: continues %v, released %d; a run that does not complete the inventory goes on and releases nothing",
				runs, sum.InventoryContinues, sum.Released)
		}
		if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
			t.Fatalf("run %d released v4 before the inventory was complete: %v", runs, tags)
		}
	}
	if runs < 3 {
		t.Fatalf("the inventory completed in %d runs: the world is too small to prove it goes on", runs)
	}
	for _, v := range []string{"v1", "v2", "v3", "v5"} {
		if tags := roundTags(t, w, digests[v]); !slices.Contains(tags, inUseTagOf(t, digests[v])) {
			t.Errorf("%s tags %v: want its protection", v, tags)
		}
	}
	released, _ := registry.ReleasedTag(digests["v4"])
	if tags := roundTags(t, w, digests["v4"]); !slices.Equal(tags, []string{released}) {
		t.Errorf("v4 tags %v; want only %s", tags, released)
	}
	if got := calls("DescribeEndpoint") - describes; got != 2*n+1 {
		t.Errorf("DescribeEndpoint called %d times over %d runs; want each of the %d endpoints once", got, runs, 2*n+1)
	}
	if got := calls("ListEndpoints") - lists; got > 2*2*runs {
		t.Errorf("ListEndpoints called %d times over %d runs; want at most two pages an account a run", got, runs)
	}
}

// A round in which one account could not be read releases nothing, even in the run that
// completes it; the next round, with every account read, does.
func TestInventoryRoundWithAFailureReleasesNothing(t *testing.T) {
	w, digests := roundWorld(t, 3)
	w.SageMaker.SetLatency(0)
	w.STS.Deny(member)
	svc := w.Service()
	sum, err := svc.Handle(memworld.Deadline(t), manual("fix"))
	if err == nil || sum.InventoryComplete == nil || *sum.InventoryComplete || sum.InventoryContinues || sum.Released != 0 {
		t.Fatalf("run with the member unreadable: %+v, %v; want an error, the inventory incomplete and over, nothing released", sum, err)
	}
	if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
		t.Fatalf("a round with an unreadable account released v4: %v", tags)
	}
	w.STS.Reset()
	sum, err = svc.Handle(memworld.Deadline(t), manual("fix"))
	if err != nil || sum.InventoryComplete == nil || !*sum.InventoryComplete || sum.Released != 1 {
		t.Fatalf("the next round: %+v, %v; want v4 released", sum, err)
	}
}

func inUseTagOf(t *testing.T, digest string) string {
	t.Helper()
	tag, err := registry.InUseTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// A run whose time ends before it has protected everything it read moves the cursor only as
// far as it protected: here SageMaker is read in a moment, but ECR is capped so that a run
// protects a few of the 48 repositories whose images endpoints use. Every image ends up
// protected, nothing is released by a run whose inventory is not complete, and the stale
// protection is released.
func TestInventoryMovesOnOnlyAsFarAsItProtected(t *testing.T) {
	const repos = 48
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "create-project-repos": "false", "protect-in-use": "true"})
	names := account.ProjectRepositoryNames("acme", repos)
	w.CreateManaged(t, names, lifecycle.Spec{Keep: 10, Protected: []string{"sagemaker-in-use-*"}}.Text())
	digests := make([]string, repos)
	for i, name := range names {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:%064x"}]}`, strings.Repeat("b", 64), i)
		digests[i] = w.ECR.PushImage(name, manifest, "v1")
		uri := account.ID + ".dkr.ecr." + account.Region + ".amazonaws.com/" + name
		w.SageMaker.PutEndpoint(sagemakerfake.Endpoint{Name: fmt.Sprintf("e-%03d", i), Variants: []sagemakerfake.Variant{{Name: "primary",
			Images: []sagemakerfake.DeployedImage{{SpecifiedImage: uri + ":v1", ResolvedImage: uri + "@" + digests[i]}}}}})
	}
	stale := w.ECR.PushImage(names[0], `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1,"digest":"sha256:`+strings.Repeat("c", 64)+`"},"layers":[]}`, "old")
	w.ECR.PushImage(names[0], mustImage(t, w, names[0], stale).Manifest, inUseTagOf(t, stale))
	w.TagByHand(t, names[0], map[string]string{drift.TagImagesInUse: "1"})

	svc := w.Service()
	svc.ECRPerSecond = 150
	w.ECR.SetRate(150)
	var runs int
	for runs = 1; ; runs++ {
		if runs > 40 {
			t.Fatal("the inventory did not complete in 40 runs")
		}
		sum := shortRun(t, svc)
		t.Logf("run %d: in use %d, protected %d, released %d, complete %v, continues %v", runs, sum.InUse, sum.Protected, sum.Released,
			*sum.InventoryComplete, sum.InventoryContinues)
		if !*sum.InventoryComplete && (sum.Released != 0 || !slices.Contains(mustImage(t, w, names[0], stale).Tags, inUseTagOf(t, stale))) {
			t.Fatalf("run %d released without a complete inventory", runs)
		}
		if !sum.InventoryContinues {
			if !*sum.InventoryComplete {
				t.Fatalf("run %d ended the inventory without completing it", runs)
			}
			break
		}
	}
	if slices.Contains(mustImage(t, w, names[0], stale).Tags, inUseTagOf(t, stale)) {
		t.Error("the stale protection was not released")
	}
	if runs < 2 {
		t.Fatal("one run protected everything: the cap is not low enough to prove anything")
	}
	for i, name := range names {
		if !slices.Contains(mustImage(t, w, name, digests[i]).Tags, inUseTagOf(t, digests[i])) {
			t.Errorf("%s: the image endpoint e-%03d uses is not protected", name, i)
		}
	}
	// SageMaker is read in a moment: what made the runs more than one is protections cut
	// short, and what they did not protect was read again.
	if got := w.SageMaker.Calls()["DescribeEndpoint"]; got <= repos {
		t.Errorf("DescribeEndpoint %d times for %d endpoints: no run read again what it had not protected", got, repos)
	}
}

func mustImage(t *testing.T, w *memworld.World, repo, digest string) ecrfake.Image {
	t.Helper()
	img, ok := w.ECR.Image(repo, digest)
	if !ok {
		t.Fatalf("%s has no image %s", repo, digest)
	}
	return img
}

// An inventory state that does not parse (edited by hand) fails the run with the parameter's
// name, and nothing is released; the sweep itself goes on.
func TestABrokenInventoryStateReleasesNothing(t *testing.T) {
	w, digests := roundWorld(t, 1)
	w.SageMaker.SetLatency(0)
	w.SSM.Set(stateParameter+"-inventory", `{"rounds":`)
	svc := w.Service()
	var log strings.Builder
	svc.Logger = slog.New(slog.NewJSONHandler(&log, nil))
	sum, err := svc.Handle(memworld.Deadline(t), manual("fix"))
	if err == nil || sum.Released != 0 || sum.Scanned != 1 {
		t.Fatalf("run over a broken inventory state: %+v, %v; want an error, nothing released, the sweep done", sum, err)
	}
	if !strings.Contains(log.String(), stateParameter+"-inventory does not parse") {
		t.Errorf("the log does not name the broken parameter:\n%s", log.String())
	}
	if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
		t.Errorf("v4 released over a broken inventory state: %v", tags)
	}
}

// A use that begins after the inventory read its account, of an image still protected for a
// use that ended: the endpoint churn-model-prod (read before the cursor) is created with v4,
// whose old protection nothing else justifies, and its CreateEndpoint record arrives while the
// inventory goes on. The record stamps the repository, and the run that completes the
// inventory releases nothing in it; without the stamp, v4 would lose its protection until the
// next inventory.
func TestARecordDuringTheInventoryKeepsItsRepositorysProtections(t *testing.T) {
	w, digests := roundWorld(t, 80)
	svc := w.Service()
	if sum := shortRun(t, svc); *sum.InventoryComplete {
		t.Fatal("the first run completed the inventory: the world is too small to prove anything")
	}
	uri := account.ID + ".dkr.ecr." + account.Region + ".amazonaws.com/" + roundRepo
	w.SageMaker.PutEndpoint(sagemakerfake.Endpoint{Name: "churn-model-prod", Variants: []sagemakerfake.Variant{{Name: "primary",
		Images: []sagemakerfake.DeployedImage{{SpecifiedImage: uri + ":v4", ResolvedImage: uri + "@" + digests["v4"]}}}}})
	if sum, err := svc.Handle(memworld.Deadline(t), event("create-endpoint.json")); err != nil || sum.InUse != 1 {
		t.Fatalf("the record: %+v, %v", sum, err)
	}
	if stamp := w.Repository(t, roundRepo).Tags[drift.TagInUseRecorded]; stamp == "" {
		t.Fatal("the record did not stamp the repository")
	}
	for runs := 2; ; runs++ {
		if runs > 30 {
			t.Fatal("the inventory did not complete in 30 runs")
		}
		w.Rec.Clear()
		sum := shortRun(t, svc)
		if *sum.InventoryComplete {
			if sum.Released != 0 {
				t.Errorf("the completing run released %d; want nothing in a repository a record touched", sum.Released)
			}
			// Not released and protected again: not released at all.
			if n := w.Rec.Count("BatchDeleteImage"); n != 0 {
				t.Errorf("the completing run made %d BatchDeleteImage calls; want none", n)
			}
			break
		}
	}
	if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
		t.Errorf("v4, in use by churn-model-prod, lost its protection: %v", tags)
	}
	// The next inventory reads churn-model-prod from the start: v4 is justified, and stays.
	for runs := 1; ; runs++ {
		if runs > 30 {
			t.Fatal("the next inventory did not complete in 30 runs")
		}
		if sum := shortRun(t, svc); *sum.InventoryComplete {
			break
		}
	}
	if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
		t.Errorf("v4 lost its protection in the next inventory: %v", tags)
	}
}

// A record that comes while a run is under way, between the run's look at the marks and its
// protections in the same repository: the run writes the repository's count from what it
// looked at, and must not take the record's stamp back. The run that completes the inventory
// then releases nothing there.
func TestARecordDuringARunKeepsItsStamp(t *testing.T) {
	w, digests := roundWorld(t, 80)
	svc := w.Service()
	uri := account.ID + ".dkr.ecr." + account.Region + ".amazonaws.com/" + roundRepo
	recorded := make(chan error, 1)
	var once sync.Once
	// The record is handled while the first run reads SageMaker: after its look at the marks.
	w.SageMaker.OnCall(func(op string) {
		if op != "DescribeEndpoint" {
			return
		}
		once.Do(func() {
			go func() {
				w.SageMaker.PutEndpoint(sagemakerfake.Endpoint{Name: "churn-model-prod", Variants: []sagemakerfake.Variant{{Name: "primary",
					Images: []sagemakerfake.DeployedImage{{SpecifiedImage: uri + ":v4", ResolvedImage: uri + "@" + digests["v4"]}}}}})
				_, err := w.Service().Handle(memworld.Deadline(t), event("create-endpoint.json"))
				recorded <- err
			}()
		})
	})
	for runs := 1; ; runs++ {
		if runs > 30 {
			t.Fatal("the inventory did not complete in 30 runs")
		}
		sum := shortRun(t, svc)
		if runs == 1 {
			if err := <-recorded; err != nil {
				t.Fatalf("the record: %v", err)
			}
			if stamp := w.Repository(t, roundRepo).Tags[drift.TagInUseRecorded]; stamp == "" {
				t.Fatal("the first run took the record's stamp back")
			}
		}
		if *sum.InventoryComplete {
			break
		}
	}
	if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
		t.Errorf("v4, in use by churn-model-prod, lost its protection: %v", tags)
	}
}

// stampOnDelete is the ECR of a world in which a record stamps the repository right after the
// run's BatchDeleteImage: between the run's last look at the stamp and its releases.
type stampOnDelete struct {
	*ecrfake.Registry
}

func (s stampOnDelete) BatchDeleteImage(ctx context.Context, in *ecr.BatchDeleteImageInput, opts ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error) {
	out, err := s.Registry.BatchDeleteImage(ctx, in, opts...)
	s.Edit(aws.ToString(in.RepositoryName), func(r *ecrfake.Repository) {
		r.Tags[drift.TagInUseRecorded] = time.Now().UTC().Format(time.RFC3339)
	})
	return out, err
}

// A record that stamps the repository while the run releases in it (it may have seen the
// image still protected, and added nothing): the run sees the stamp after its releases and
// protects again what it released.
func TestAStampDuringTheReleaseProtectsAgain(t *testing.T) {
	w, digests := roundWorld(t, 3)
	w.SageMaker.SetLatency(0)
	svc := w.Service()
	svc.ECR = stampOnDelete{w.ECR}
	sum, err := svc.Handle(memworld.Deadline(t), manual("fix"))
	if err != nil || sum.InventoryComplete == nil || !*sum.InventoryComplete || sum.Released != 0 {
		t.Fatalf("run: %+v, %v; want the inventory complete and nothing left released", sum, err)
	}
	if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
		t.Errorf("v4 released while a record stamped its repository: %v", tags)
	}
}

// shortRun is one fix run given 2.5 seconds, the least that leaves a run time to work (the
// handler stops starting work 2 s before its deadline); an error, or a run without an
// inventory, fails the test.
func shortRun(t *testing.T, svc *drift.Service) drift.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	sum, err := svc.Handle(ctx, manual("fix"))
	if err != nil || sum.Errors != 0 || sum.InventoryComplete == nil {
		t.Fatalf("run: %+v, %v", sum, err)
	}
	return sum
}

// A lifecycle-exempt repository is its owners' to keep as they like: images SageMaker uses in it
// get no protecting tag, and the protections someone left there are not released.
func TestImagesInUseOfAnExemptRepositoryAreLeftAlone(t *testing.T) {
	w, digests := roundWorld(t, 3)
	w.SageMaker.SetLatency(0)
	w.PutConfig(t, map[string]string{"lifecycle-exempt": roundRepo})
	w.Rec.Clear()
	sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix"))
	if err != nil || sum.InUse != 0 || sum.Protected != 0 || sum.Released != 0 {
		t.Fatalf("run: %+v, %v; want nothing in use, protected or released", sum, err)
	}
	for _, r := range w.Rec.Requests() {
		if r.Operation == "PutImage" || r.Operation == "BatchDeleteImage" {
			t.Errorf("%s %s: want no image written in an exempt repository", r.Operation, r.Repository)
		}
	}
	if tags := roundTags(t, w, digests["v4"]); !slices.Contains(tags, inUseTagOf(t, digests["v4"])) {
		t.Errorf("v4's protection, left by someone in an exempt repository, was released: %v", tags)
	}
}

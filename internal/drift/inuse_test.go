//go:build integration

package drift_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/lifecycleeval"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

const (
	servingRepo = "acme-sm-data-science-churn/inference"
	inUseMember = "444455556666"
)

// servingWorld has protect-in-use on, a member account, and servingRepo holding n images
// tagged v1 (oldest) to v<n>; it returns their digests by tag.
func servingWorld(t *testing.T, n int, extra map[string]string) (*world.World, map[string]string) {
	t.Helper()
	w := world.New(t, server)
	cfg := map[string]string{"company": "acme", "shared-repos": "none", "protect-in-use": "true", "member-accounts": inUseMember}
	for k, v := range extra {
		cfg[k] = v
	}
	w.PutConfig(t, cfg)
	ctx := context.Background()
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(servingRepo),
		Tags: []ecrtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("sagemaker-ecr-provisioner")}}}
	if cfg["tag-mutability"] == "IMMUTABLE" {
		in.ImageTagMutability = ecrtypes.ImageTagMutabilityImmutable
	}
	if _, err := w.Setup.ECR.CreateRepository(ctx, in); err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	for i := 1; i <= n; i++ {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
			`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:%s"},`+
			`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:%064x"}]}`, strings.Repeat("a", 64), i)
		out, err := w.Setup.ECR.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(servingRepo), ImageManifest: aws.String(manifest),
			ImageTag: aws.String(fmt.Sprintf("v%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		digests[fmt.Sprintf("v%d", i)] = aws.ToString(out.Image.ImageId.ImageDigest)
	}
	return w, digests
}

func imageURI(ref string) string {
	return account.ID + ".dkr.ecr." + account.Region + ".amazonaws.com/" + servingRepo + ref
}

func endpoint(name, digest string) sagemakerfake.Endpoint {
	return sagemakerfake.Endpoint{Name: name, Variants: []sagemakerfake.Variant{{Name: "primary",
		Images: []sagemakerfake.DeployedImage{{SpecifiedImage: imageURI(":latest"), ResolvedImage: imageURI("@" + digest)}}}}}
}

// imagesOf reads the repository's images as moto holds them: digest -> tags.
func imagesOf(t *testing.T, w *world.World) map[string][]string {
	t.Helper()
	out, err := w.Setup.ECR.DescribeImages(context.Background(), &ecr.DescribeImagesInput{RepositoryName: aws.String(servingRepo)})
	if err != nil {
		t.Fatal(err)
	}
	images := map[string][]string{}
	for _, d := range out.ImageDetails {
		images[aws.ToString(d.ImageDigest)] = slices.Sorted(slices.Values(d.ImageTags))
	}
	return images
}

func inUseTag(t *testing.T, digest string) string {
	t.Helper()
	tag, err := registry.InUseTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// Endpoints in this account and in a member account, and an approved model package naming an
// image by tag: after one fix run each image they use carries its protecting tag, and the
// lifecycle policy, evaluated as the ECR user guide describes, expires none of them while it
// still expires the images beyond the newest 10 that nothing uses. A rejected package's image
// is not protected.
func TestImagesInUseAreProtectedFromTheLifecyclePolicy(t *testing.T) {
	w, digests := servingWorld(t, 14, nil)
	w.SageMaker.PutEndpoint(endpoint("churn-prod", digests["v1"]))
	w.SageMaker.Account(inUseMember).PutEndpoint(endpoint("churn-member", digests["v2"]))
	w.SageMaker.PutModelPackageGroup("churn")
	w.SageMaker.PutModelPackage("churn", sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{imageURI(":v3")}})
	w.SageMaker.PutModelPackage("churn", sagemakerfake.ModelPackage{Approval: "Rejected", Images: []string{imageURI(":v4")}})

	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.InUse != 3 || sum.Protected != 3 || sum.InventoryComplete == nil || !*sum.InventoryComplete {
		t.Fatalf("fix run: %+v, %v; want 3 images in use protected, the inventory complete", sum, err)
	}
	images := imagesOf(t, w)
	for _, v := range []string{"v1", "v2", "v3"} {
		if !slices.Contains(images[digests[v]], inUseTag(t, digests[v])) {
			t.Errorf("%s (%s) tags %v; want its protecting tag", v, digests[v], images[digests[v]])
		}
	}
	if got := images[digests["v4"]]; len(got) != 1 {
		t.Errorf("the rejected package's image tags %v; want only v4", got)
	}

	// What the lifecycle policy now on the repository would expire.
	policy := w.Repository(t, servingRepo).Policy
	var eval []lifecycleeval.Image
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 14; i++ {
		d := digests[fmt.Sprintf("v%d", i)]
		eval = append(eval, lifecycleeval.Image{Digest: d, Tags: images[d], PushedAt: base.Add(time.Duration(i) * time.Hour)})
	}
	expired, err := lifecycleeval.Evaluate(policy, eval, base.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var gone []string
	for _, e := range expired {
		for v, d := range digests {
			if d == e.Digest {
				gone = append(gone, v)
			}
		}
	}
	if !slices.Equal(gone, []string{"v4"}) {
		t.Errorf("expired by the policy: %v; want only v4 (beyond the newest 10, and used by nothing)", gone)
	}

	// A second run over a protected world writes nothing.
	w.Rec.Clear()
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Protected != 0 || sum.Released != 0 {
		t.Errorf("second run: %+v, %v", sum, err)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("second run wrote %s %s", r.Operation, r.Repository)
		}
	}
}

// The endpoint is deleted: the next complete inventory releases its image, which still exists;
// an image whose only tag was the protecting one is tagged released first. With a member
// account unreadable, nothing is released.
func TestReleaseNeedsACompleteInventoryAndKeepsTheImage(t *testing.T) {
	w, digests := servingWorld(t, 3, map[string]string{"tag-mutability": "IMMUTABLE"})
	w.SageMaker.PutEndpoint(endpoint("churn-prod", digests["v1"]))
	w.SageMaker.PutEndpoint(endpoint("churn-canary", digests["v2"]))
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Protected != 2 {
		t.Fatalf("fix run: %+v, %v", sum, err)
	}
	// v1's own tag is removed by hand: the protecting tag is its only one.
	if _, err := w.Setup.ECR.BatchDeleteImage(context.Background(), &ecr.BatchDeleteImageInput{RepositoryName: aws.String(servingRepo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}}); err != nil {
		t.Fatal(err)
	}
	w.SageMaker.DeleteEndpoint("churn-prod")
	w.SageMaker.DeleteEndpoint("churn-canary")

	w.STS.Deny(inUseMember)
	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err == nil || sum.Released != 0 || sum.InventoryComplete == nil || *sum.InventoryComplete {
		t.Errorf("with a member unreadable: %+v, %v; want nothing released, the inventory incomplete", sum, err)
	}
	w.STS.Reset()
	sum, err = service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Released != 2 {
		t.Fatalf("complete inventory: %+v, %v; want both released", sum, err)
	}
	images := imagesOf(t, w)
	released, _ := registry.ReleasedTag(digests["v1"])
	if got := images[digests["v1"]]; !slices.Equal(got, []string{released}) {
		t.Errorf("v1 tags %v; want only its released tag, the image still there", got)
	}
	if got := images[digests["v2"]]; !slices.Equal(got, []string{"v2"}) {
		t.Errorf("v2 tags %v; want v2 only", got)
	}
}

// Report mode writes nothing and reports an unprotected image in use as a difference.
func TestReportModeReportsAnUnprotectedImageInUse(t *testing.T) {
	w, digests := servingWorld(t, 2, nil)
	w.SageMaker.PutEndpoint(endpoint("churn-prod", digests["v1"]))
	sink := w.CaptureEvents(t, "ECR Lifecycle Drift Detected")
	w.Rec.Clear()
	sum, err := service(w).Handle(world.Deadline(t), manual("report"))
	if err != nil || sum.InUse != 1 || sum.Protected != 0 {
		t.Fatalf("report run: %+v, %v", sum, err)
	}
	for _, r := range w.Rec.Writes() {
		if r.Service == "ecr" {
			t.Errorf("report mode wrote %s", r.Operation)
		}
	}
	found := false
	events := sink.Drain(t)
	for _, e := range events {
		var d publish.DriftDetail
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		for _, diff := range d.Differences {
			found = found || diff.Setting == "image-in-use" && diff.Path == digests["v1"] && slices.Contains(d.WouldWrite, "PutImage "+inUseTag(t, digests["v1"]))
		}
	}
	if !found {
		t.Errorf("no drift event names the image in use and the write that would protect it (%d events)", len(events))
	}
}

// A CreateEndpoint record protects the endpoint's image within the record's invocation; a
// forwarded member's record reads the endpoint in the member account.
func TestCreateEndpointRecordProtectsItsImageAtOnce(t *testing.T) {
	w, digests := servingWorld(t, 2, nil)
	w.SageMaker.PutEndpoint(endpoint("churn-model-prod", digests["v1"]))
	w.SageMaker.Account(inUseMember).PutEndpoint(endpoint("churn-model-prod", digests["v2"]))

	w.Rec.Clear()
	sum, err := service(w).Handle(world.Deadline(t), samples.Event("create-endpoint.json"))
	if err != nil || sum.Trigger != "in-use" || sum.Protected != 1 || sum.Event != "CreateEndpoint" {
		t.Fatalf("record: %+v, %v; want its one image protected", sum, err)
	}
	// The record looks up the mark of the repository it names only: no walk of every
	// repository holding protections.
	if n := w.Rec.Count("GetResources"); n != 0 {
		t.Errorf("the record made %d GetResources calls; want none", n)
	}
	if stamp := w.Repository(t, servingRepo).Tags[drift.TagInUseRecorded]; stamp == "" {
		t.Error("the record did not stamp the repository it protected images in")
	}
	if got := imagesOf(t, w)[digests["v1"]]; !slices.Contains(got, inUseTag(t, digests["v1"])) {
		t.Errorf("v1 tags %v; want its protecting tag", got)
	}
	if got := imagesOf(t, w)[digests["v2"]]; len(got) != 1 {
		t.Errorf("v2 tags %v; want it untouched by this account's record", got)
	}
	sum, err = service(w).Handle(world.Deadline(t), samples.Edit("create-endpoint.json", func(ev map[string]any) { ev["account"] = inUseMember }))
	if err != nil || sum.Protected != 1 {
		t.Fatalf("member's record: %+v, %v", sum, err)
	}
	if got := imagesOf(t, w)[digests["v2"]]; !slices.Contains(got, inUseTag(t, digests["v2"])) {
		t.Errorf("v2 tags %v; want its protecting tag", got)
	}
	// With protect-in-use off, the record is ignored.
	w.PutConfig(t, map[string]string{"protect-in-use": "false"})
	if sum, err := service(w).Handle(world.Deadline(t), samples.Event("create-endpoint.json")); err != nil || sum.Status != "ignored" {
		t.Errorf("with the option off: %+v, %v; want ignored", sum, err)
	}
}

// A repository whose policy someone edited, taking the rule of the images in use out: the
// next fix run puts the whole policy back, that rule first.
func TestEditedPolicyGetsTheInUseRuleBack(t *testing.T) {
	w, digests := servingWorld(t, 1, nil)
	w.SageMaker.PutEndpoint(endpoint("churn-prod", digests["v1"]))
	if _, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Setup.ECR.PutLifecyclePolicy(context.Background(), &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(servingRepo),
		LifecyclePolicyText: aws.String(lifecycle.Policy(99))}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.Repository(t, servingRepo).Policy, "sagemaker-in-use-*") {
		t.Fatal("the hand edit kept the rule; the test wants it gone")
	}
	sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.Fixed != 1 || sum.Protected != 0 {
		t.Fatalf("fix run: %+v, %v; want the policy fixed, the image still protected", sum, err)
	}
	policy := w.Repository(t, servingRepo).Policy
	if i := strings.Index(policy, "sagemaker-in-use-*"); i < 0 || !strings.Contains(policy[:i], `"rulePriority":1`) {
		t.Errorf("policy %s; want the rule of the images in use first", policy)
	}
}

// On moto: an inventory that does not fit in one run (every SageMaker call takes 15 ms, a run
// has 2.5 seconds) goes on across runs through its own parameter beside the sweep's state; a
// protection that an earlier inventory made and nothing justifies any more is released only by
// the run that completes the inventory, and the image is kept.
func TestInventoryAcrossRunsOnMoto(t *testing.T) {
	w, digests := servingWorld(t, 4, nil)
	w.SageMaker.PutEndpoint(endpoint("old", digests["v4"]))
	if sum, err := service(w).Handle(world.Deadline(t), manual("fix")); err != nil || sum.Protected != 1 {
		t.Fatalf("first run: %+v, %v", sum, err)
	}
	w.SageMaker.DeleteEndpoint("old")
	w.SageMaker.PutEndpoint(endpoint("a-first", digests["v2"]))
	for i := range 80 {
		w.SageMaker.PutEndpoint(endpoint(fmt.Sprintf("e-%02d", i), digests["v1"]))
		w.SageMaker.Account(inUseMember).PutEndpoint(endpoint(fmt.Sprintf("m-%02d", i), digests["v3"]))
	}
	// Each account's 80 describes take 0.3 s four at a time, after its listings; a run reads for 0.25 s at most.
	w.SageMaker.SetLatency(15 * time.Millisecond)

	runs := 0
	for complete := false; !complete; {
		if runs++; runs > 20 {
			t.Fatal("no complete inventory in 20 runs")
		}
		sum := shortRun(t, service(w))
		complete = *sum.InventoryComplete
		if !complete && (sum.Released != 0 || !sum.InventoryContinues) {
			t.Fatalf("run %d: released %d, continues %v; a run that does not complete the inventory goes on and releases nothing", runs, sum.Released, sum.InventoryContinues)
		}
		if complete && sum.Released != 1 {
			t.Errorf("the completing run released %d; want v4's protection", sum.Released)
		}
	}
	if runs < 3 {
		t.Fatalf("the inventory completed in %d runs: not enough to prove it goes on", runs)
	}
	images := imagesOf(t, w)
	for _, v := range []string{"v1", "v2", "v3"} {
		if !slices.Contains(images[digests[v]], inUseTag(t, digests[v])) {
			t.Errorf("%s tags %v; want its protection", v, images[digests[v]])
		}
	}
	if got := images[digests["v4"]]; !slices.Equal(got, []string{"v4"}) {
		t.Errorf("v4 tags %v; want v4 only, the image kept", got)
	}
	// The inventory's state is in its own parameter, a standard one.
	out, err := w.Setup.SSM.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(stateParameter + "-inventory")})
	if err != nil {
		t.Fatal(err)
	}
	var st sweep.Inventory
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &st); err != nil || st.Rounds["fix"] == nil || st.Rounds["fix"].LastFinished.IsZero() {
		t.Errorf("the inventory's state: %s, %v; want a fix round that finished", aws.ToString(out.Parameter.Value), err)
	}
	t.Logf("%d runs; the inventory's state is %d bytes", runs, len(aws.ToString(out.Parameter.Value)))
}

// A member account's endpoint running an image of the member's own registry, in a repository of
// the same name as a managed one here: that is not this registry's image, and nothing is
// protected here for it.
func TestAMembersOwnRegistryIsNotThisOne(t *testing.T) {
	w, digests := servingWorld(t, 2, nil)
	own := inUseMember + ".dkr.ecr." + account.Region + ".amazonaws.com/" + servingRepo
	w.SageMaker.Account(inUseMember).PutEndpoint(sagemakerfake.Endpoint{Name: "member-own", Variants: []sagemakerfake.Variant{{Name: "primary",
		Images: []sagemakerfake.DeployedImage{{SpecifiedImage: own + ":v1", ResolvedImage: own + "@" + digests["v1"]}}}}})
	w.Rec.Clear()
	svc := service(w)
	var log strings.Builder
	svc.Logger = slog.New(slog.NewJSONHandler(&log, nil))
	sum, err := svc.Handle(world.Deadline(t), manual("fix"))
	if err != nil || sum.InUse != 0 || sum.Protected != 0 {
		t.Fatalf("run: %+v, %v; want nothing in use here", sum, err)
	}
	if !strings.Contains(log.String(), `"otherRegistry":1`) {
		t.Errorf("the reference to the member's registry is not counted in the log:\n%s", log.String())
	}
	for _, op := range []string{"PutImage", "BatchDeleteImage"} {
		if n := w.Rec.Count(op); n != 0 {
			t.Errorf("%d %s calls; want none", n, op)
		}
	}
	if got := imagesOf(t, w)[digests["v1"]]; !slices.Equal(got, []string{"v1"}) {
		t.Errorf("v1 tags %v; want v1 only", got)
	}
}

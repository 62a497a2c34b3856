package ecrfake_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// The fake stands where the product's ECR client stands.
var _ registry.API = (*ecrfake.Registry)(nil)

// Calls are observed in order, as the wire recorder would see them; arranging the registry is
// not a call.
func TestCallsAreObservedAndHandEditsAreNot(t *testing.T) {
	r := ecrfake.New()
	var seen []wire.Request
	r.Observe(func(q wire.Request) { seen = append(seen, q) })
	r.Put(ecrfake.Repository{Name: "acme-sm-t-p/training"})
	r.Edit("acme-sm-t-p/training", func(repo *ecrfake.Repository) { repo.Tags["team"] = "t" })
	ctx := context.Background()
	if _, err := r.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: aws.String(ecrfake.ARN("acme-sm-t-p/training")), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("acme-sm-t-p/training"), Force: true}); err != nil {
		t.Fatal(err)
	}
	want := []wire.Request{
		{Service: "ecr", Operation: "DescribeRepositories"},
		{Service: "ecr", Operation: "UntagResource", Repository: "acme-sm-t-p/training"},
		{Service: "ecr", Operation: "DeleteRepository", Repository: "acme-sm-t-p/training", Force: true},
	}
	if !slices.Equal(seen, want) {
		t.Errorf("observed %v; want %v", seen, want)
	}
	if r.Delete("acme-sm-t-p/training") || r.Edit("acme-sm-t-p/training", func(*ecrfake.Repository) {}) {
		t.Error("Delete or Edit of a repository that is gone reported success")
	}
}

func TestTypedErrors(t *testing.T) {
	r := ecrfake.New()
	ctx := context.Background()
	var missing *ecrtypes.RepositoryNotFoundException
	if _, err := r.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("none")}); !errors.As(err, &missing) {
		t.Errorf("GetLifecyclePolicy of no repository: %v; want RepositoryNotFoundException", err)
	}
	if _, err := r.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("a/b")}); err != nil {
		t.Fatal(err)
	}
	var exists *ecrtypes.RepositoryAlreadyExistsException
	if _, err := r.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("a/b")}); !errors.As(err, &exists) {
		t.Errorf("CreateRepository twice: %v; want RepositoryAlreadyExistsException", err)
	}
	var noPolicy *ecrtypes.LifecyclePolicyNotFoundException
	if _, err := r.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("a/b")}); !errors.As(err, &noPolicy) {
		t.Errorf("GetLifecyclePolicy without a policy: %v; want LifecyclePolicyNotFoundException", err)
	}
}

// SetRate paces the calls as the product's rate cap does: a second's worth at once, then the
// rate; a call whose context ends while it waits fails.
func TestSetRatePacesCalls(t *testing.T) {
	r := ecrfake.New()
	r.SetRate(20)
	ctx := context.Background()
	start := time.Now()
	for range 30 {
		if _, err := r.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("30 calls at 20 a second (a burst of 20) took %s; want about half a second", took)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := r.DescribeRepositories(short, &ecr.DescribeRepositoriesInput{}); err == nil {
		t.Error("a call that cannot get its turn before its deadline succeeded")
	}
	r.SetRate(0)
	start = time.Now()
	for range 30 {
		if _, err := r.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("30 calls without a cap took %s; want no wait", took)
	}
}

func manifest(n int) string {
	return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"digest":"sha256:%064x"},"layers":[]}`, n)
}

// Images is a count a test can set: the repository holds that many images, and DeleteRepository
// without force refuses while it holds any.
func TestImagesCount(t *testing.T) {
	r := ecrfake.New()
	ctx := context.Background()
	r.Put(ecrfake.Repository{Name: "a/b", Images: 2})
	out, err := r.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("a/b")})
	if err != nil || len(out.ImageDetails) != 2 || aws.ToString(out.ImageDetails[0].ImageDigest) == aws.ToString(out.ImageDetails[1].ImageDigest) {
		t.Fatalf("DescribeImages: %+v, %v; want 2 distinct images", out, err)
	}
	digest := r.PushImage("a/b", manifest(1), "v1")
	if repo, _ := r.Get("a/b"); repo.Images != 3 {
		t.Errorf("Images %d after a push; want 3", repo.Images)
	}
	r.Edit("a/b", func(repo *ecrfake.Repository) { repo.Images = 1 })
	if images := r.ImagesOf("a/b"); len(images) != 1 || images[0].Digest == digest {
		t.Errorf("images %+v; want the oldest one left", images)
	}
	var notEmpty *ecrtypes.RepositoryNotEmptyException
	if _, err := r.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("a/b")}); !errors.As(err, &notEmpty) {
		t.Errorf("DeleteRepository of a repository holding an image: %v; want RepositoryNotEmptyException", err)
	}
	repo, _ := r.Get("a/b")
	repo.Images = 0
	r.Put(repo)
	if _, err := r.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("a/b")}); err != nil {
		t.Errorf("DeleteRepository of an empty repository: %v", err)
	}
}

// PutImage and BatchDeleteImage answer as ECR does.
func TestImageCalls(t *testing.T) {
	r := ecrfake.New()
	ctx := context.Background()
	r.Put(ecrfake.Repository{Name: "mutable"})
	r.Put(ecrfake.Repository{Name: "immutable", Mutability: "IMMUTABLE"})
	r.Put(ecrfake.Repository{Name: "excluded", Mutability: "IMMUTABLE_WITH_EXCLUSION", Exclusions: []string{"latest*"}})
	put := func(repo, manifest, tag string) error {
		_, err := r.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest), ImageTag: aws.String(tag)})
		return err
	}
	var exists *ecrtypes.ImageAlreadyExistsException
	var tagExists *ecrtypes.ImageTagAlreadyExistsException
	for _, repo := range []string{"mutable", "immutable", "excluded"} {
		r.PushImage(repo, manifest(1), "v1", "latest-x")
		if err := put(repo, manifest(1), "v1"); !errors.As(err, &exists) {
			t.Errorf("%s: a tag already on the digest: %v; want ImageAlreadyExistsException", repo, err)
		}
		if err := put(repo, manifest(1), "v1b"); err != nil {
			t.Errorf("%s: a new tag on an image: %v", repo, err)
		}
		err := put(repo, manifest(2), "v1")
		switch {
		case repo == "mutable" && err != nil:
			t.Errorf("%s: moving a tag: %v", repo, err)
		case repo != "mutable" && !errors.As(err, &tagExists):
			t.Errorf("%s: moving a tag: %v; want ImageTagAlreadyExistsException", repo, err)
		}
		if err := put(repo, manifest(3), "latest-x"); (repo == "immutable") != errors.As(err, &tagExists) {
			t.Errorf("%s: moving latest-x: %v", repo, err)
		}
	}
	if img, _ := r.Image("mutable", ecrfake.Digest(manifest(1))); !slices.Equal(img.Tags, []string{"v1b"}) {
		t.Errorf("tags %v after v1 and latest-x moved away; want [v1b]", img.Tags)
	}
	var mismatch *ecrtypes.ImageDigestDoesNotMatchException
	if _, err := r.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("mutable"), ImageManifest: aws.String(manifest(1) + " "),
		ImageDigest: aws.String(ecrfake.Digest(manifest(1))), ImageTag: aws.String("v9")}); !errors.As(err, &mismatch) {
		t.Errorf("PutImage of other bytes under a digest: %v; want ImageDigestDoesNotMatchException", err)
	}

	r.Put(ecrfake.Repository{Name: "del"})
	one := r.PushImage("del", manifest(1), "a", "b")
	two := r.PushImage("del", manifest(2), "c")
	three := r.PushImage("del", manifest(3), "d", "e")
	out, err := r.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("del"), ImageIds: []ecrtypes.ImageIdentifier{
		{ImageTag: aws.String("a")},
		{ImageTag: aws.String("c")},
		{ImageDigest: aws.String(three), ImageTag: aws.String("d")},
		{ImageTag: aws.String("zz")},
		{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, f := range out.Failures {
		codes = append(codes, string(f.FailureCode))
	}
	if !slices.Equal(codes, []string{"ImageNotFound", "MissingDigestAndTag"}) {
		t.Errorf("failures %v; want ImageNotFound, MissingDigestAndTag", codes)
	}
	if len(out.ImageIds) != 4 {
		t.Errorf("image ids %+v; want a, c, and three's d and e", out.ImageIds)
	}
	if img, ok := r.Image("del", one); !ok || !slices.Equal(img.Tags, []string{"b"}) {
		t.Errorf("image one: %+v, %v; want it with b", img, ok)
	}
	if _, ok := r.Image("del", two); ok {
		t.Error("image two lost its last tag and is still there")
	}
	if _, ok := r.Image("del", three); ok {
		t.Error("image three, named by digest, is still there")
	}
}

// The fake reports image calls as wire.Describe reads them.
func TestImageCallsAreObservedWithTheirImages(t *testing.T) {
	r := ecrfake.New()
	r.Put(ecrfake.Repository{Name: "a/b"})
	digest := r.PushImage("a/b", manifest(1), "v1", "v2")
	var seen []wire.Request
	r.Observe(func(q wire.Request) { seen = append(seen, q) })
	ctx := context.Background()
	if _, err := r.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("a/b"), ImageManifest: aws.String(manifest(1)), ImageDigest: aws.String(digest), ImageTag: aws.String("v3")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("a/b"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v2")}}}); err != nil {
		t.Fatal(err)
	}
	want := []wire.Request{
		{Service: "ecr", Operation: "PutImage", Repository: "a/b", Images: wire.EncodeImages(wire.ImageID{Digest: digest, Tag: "v3"})},
		{Service: "ecr", Operation: "BatchDeleteImage", Repository: "a/b", Images: wire.EncodeImages(wire.ImageID{Tag: "v2"})},
	}
	if _, err := r.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("a/b"), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}}}); err != nil {
		t.Fatal(err)
	}
	want = append(want, wire.Request{Service: "ecr", Operation: "BatchGetImage", Repository: "a/b", Images: wire.EncodeImages(wire.ImageID{Digest: digest})})
	if !slices.Equal(seen, want) {
		t.Errorf("observed %v; want %v", seen, want)
	}
	if got := r.Writes(); len(got) != 2 || got["PutImage"] != 1 || got["BatchDeleteImage"] != 1 {
		t.Errorf("writes %v; want PutImage and BatchDeleteImage, BatchGetImage being a read", got)
	}
}

//go:build integration

package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

var server *moto.Server

func TestMain(m *testing.M) { world.Main(m, &server) }

const repo = "acme-sm-risk-fraud/inference"

// imageWorld is a moto world with the default configuration and an IMMUTABLE managed
// repository, and the registry on the product's recorded client.
func imageWorld(t *testing.T) (*world.World, *registry.Registry) {
	t.Helper()
	w := world.New(t, server)
	w.PutConfig(t, account.DefaultConfig())
	if _, err := w.Setup.ECR.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{
		RepositoryName: aws.String(repo), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable,
	}); err != nil {
		t.Fatal(err)
	}
	return w, registry.New(w.ECR, func(name string) bool { return naming.Managed(account.Company, name) })
}

// push puts a minimal image, one of its own for each n (moto's digest is the sha256 of the
// layer digests, so each has a layer of its own), and returns its digest. Without mediaType the
// manifest carries no media type of its own, and the request gives it.
func push(t *testing.T, w *world.World, n int, mediaType bool, tag string) string {
	t.Helper()
	typ := ""
	if mediaType {
		typ = `"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,%s"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:%s"},`+
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:%064x"}]}`, typ, strings.Repeat("a", 64), n)
	in := &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest), ImageTag: aws.String(tag)}
	if !mediaType {
		in.ImageManifestMediaType = aws.String("application/vnd.oci.image.manifest.v1+json")
	}
	out, err := w.Setup.ECR.PutImage(context.Background(), in)
	if err != nil {
		t.Fatalf("push image %d: %v", n, err)
	}
	return aws.ToString(out.Image.ImageId.ImageDigest)
}

// described returns the image's tags as moto describes it, sorted; ok is false when it is gone.
func described(t *testing.T, w *world.World, digest string) (tags []string, ok bool) {
	t.Helper()
	out, err := w.Setup.ECR.DescribeImages(context.Background(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}},
	})
	var none *ecrtypes.ImageNotFoundException
	switch {
	case errors.As(err, &none):
		return nil, false
	case err != nil:
		t.Fatal(err)
	}
	if len(out.ImageDetails) != 1 || aws.ToString(out.ImageDetails[0].ImageDigest) != digest {
		t.Fatalf("describe %s: %+v", digest, out.ImageDetails)
	}
	return slices.Sorted(slices.Values(out.ImageDetails[0].ImageTags)), true
}

func manifestOf(t *testing.T, w *world.World, digest string) string {
	t.Helper()
	out, err := w.Setup.ECR.BatchGetImage(context.Background(), &ecr.BatchGetImageInput{
		RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}},
	})
	if err != nil || len(out.Images) != 1 {
		t.Fatalf("get %s: %+v, %v", digest, out, err)
	}
	return aws.ToString(out.Images[0].ImageManifest)
}

func tags(t *testing.T, digest string) (inUse, released string) {
	t.Helper()
	inUse, err := registry.InUseTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	released, _ = registry.ReleasedTag(digest)
	return inUse, released
}

// In an IMMUTABLE repository the in-use tag is added to the image as it is (same digest, same
// manifest, its tag kept), twice without harm, and removed again, the image staying.
func TestInUseTagOnMoto(t *testing.T) {
	for _, mediaType := range []bool{true, false} {
		t.Run(fmt.Sprintf("mediaType in the manifest %v", mediaType), func(t *testing.T) {
			w, r := imageWorld(t)
			ctx := world.Deadline(t)
			digest := push(t, w, 1, mediaType, "v1")
			manifest := manifestOf(t, w, digest)
			inUse, _ := tags(t, digest)
			for range 2 {
				if err := r.AddImageTag(ctx, repo, digest, inUse); err != nil {
					t.Fatalf("AddImageTag: %v", err)
				}
			}
			if got, ok := described(t, w, digest); !ok || !slices.Equal(got, []string{inUse, "v1"}) {
				t.Errorf("tags %v, exists %v; want v1 and %s on the same digest", got, ok, inUse)
			}
			if got := manifestOf(t, w, digest); got != manifest {
				t.Errorf("manifest %s; want %s, unchanged", got, manifest)
			}
			images, err := r.Images(ctx, repo)
			if err != nil || len(images) != 1 || images[0].Digest != digest {
				t.Errorf("images %+v, %v; want the one image", images, err)
			}
			if err := r.RemoveInUseTag(ctx, repo, digest); err != nil {
				t.Fatalf("RemoveInUseTag: %v", err)
			}
			if got, ok := described(t, w, digest); !ok || !slices.Equal(got, []string{"v1"}) {
				t.Errorf("tags %v, exists %v; want the image there with v1", got, ok)
			}
			if got := w.Rec.Count("BatchDeleteImage"); got != 1 {
				t.Errorf("BatchDeleteImage called %d times; want 1", got)
			}
		})
	}
}

// An image whose only tag is the in-use one keeps it until it has the released tag.
func TestTheOnlyTagIsNotRemovedOnMoto(t *testing.T) {
	w, r := imageWorld(t)
	ctx := world.Deadline(t)
	digest := push(t, w, 2, true, "build-2")
	inUse, released := tags(t, digest)
	if err := r.AddImageTag(ctx, repo, digest, inUse); err != nil {
		t.Fatal(err)
	}
	// A person removes the image's own tag.
	if out, err := w.Setup.ECR.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("build-2")}}}); err != nil || len(out.Failures) != 0 {
		t.Fatalf("untag build-2: %+v, %v", out, err)
	}
	if err := r.RemoveInUseTag(ctx, repo, digest); !errors.Is(err, registry.ErrWouldDeleteImage) {
		t.Errorf("RemoveInUseTag of the only tag: %v; want ErrWouldDeleteImage", err)
	}
	if got := w.Rec.Count("BatchDeleteImage"); got != 0 {
		t.Errorf("BatchDeleteImage called %d times; want none", got)
	}
	if got, ok := described(t, w, digest); !ok || !slices.Equal(got, []string{inUse}) {
		t.Errorf("tags %v, exists %v; want the image there with its in-use tag", got, ok)
	}
	if err := r.AddImageTag(ctx, repo, digest, released); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveInUseTag(ctx, repo, digest); err != nil {
		t.Fatalf("RemoveInUseTag beside the released tag: %v", err)
	}
	if got, ok := described(t, w, digest); !ok || !slices.Equal(got, []string{released}) {
		t.Errorf("tags %v, exists %v; want the image there with its released tag", got, ok)
	}
	missing := "sha256:" + strings.Repeat("0", 64)
	if err := r.AddImageTag(ctx, repo, missing, registry.InUsePrefix+strings.Repeat("0", 64)); !errors.Is(err, registry.ErrImageNotFound) {
		t.Errorf("AddImageTag of a digest moto does not hold: %v; want ErrImageNotFound", err)
	}
	if err := r.RemoveInUseTag(ctx, repo, missing); !errors.Is(err, registry.ErrImageNotFound) {
		t.Errorf("RemoveInUseTag of a digest moto does not hold: %v; want ErrImageNotFound", err)
	}
}

// Why RemoveInUseTag names the image by tag alone: moto, given an id with both the digest and a
// tag, deletes the image with every tag, where ECR documents an id as one or the other.
func TestMotoDeletesTheImageForADigestAndTag(t *testing.T) {
	w, _ := imageWorld(t)
	ctx := world.Deadline(t)
	digest := push(t, w, 3, true, "v3")
	if _, err := w.Setup.ECR.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo),
		ImageManifest: aws.String(manifestOf(t, w, digest)), ImageTag: aws.String("keep")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Setup.ECR.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest), ImageTag: aws.String("v3")}}}); err != nil {
		t.Fatal(err)
	}
	if got, ok := described(t, w, digest); ok {
		t.Errorf("moto left the image with %v: it no longer deletes the image for a digest and a tag; "+
			"RemoveInUseTag and the invariants refuse an id with a digest because it did", got)
	}
}

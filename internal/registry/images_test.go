package registry

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

const (
	mutableRepo   = "acme-sm-risk-fraud/inference"
	immutableRepo = "acme-sm-risk-fraud/training"
)

// recording is the fake ECR with the inputs of the image calls kept, to check what was sent.
type recording struct {
	*ecrfake.Registry
	gets []*ecr.BatchGetImageInput
	puts []*ecr.PutImageInput
}

func (r *recording) BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, opts ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	r.gets = append(r.gets, in)
	return r.Registry.BatchGetImage(ctx, in, opts...)
}

func (r *recording) PutImage(ctx context.Context, in *ecr.PutImageInput, opts ...func(*ecr.Options)) (*ecr.PutImageOutput, error) {
	r.puts = append(r.puts, in)
	return r.Registry.PutImage(ctx, in, opts...)
}

// imagesOn returns a registry on a fake that holds a MUTABLE and an IMMUTABLE managed repository
// and another team's, with every call observed in seen.
func imagesOn(t *testing.T) (*Registry, *recording, *[]wire.Request) {
	t.Helper()
	fake := ecrfake.New()
	fake.Put(ecrfake.Repository{Name: mutableRepo, Mutability: "MUTABLE"})
	fake.Put(ecrfake.Repository{Name: immutableRepo, Mutability: "IMMUTABLE"})
	fake.Put(ecrfake.Repository{Name: "other-team/app"})
	seen := &[]wire.Request{}
	fake.Observe(func(q wire.Request) { *seen = append(*seen, q) })
	rec := &recording{Registry: fake}
	return New(rec, func(name string) bool { return strings.HasPrefix(name, "acme-sm-") }), rec, seen
}

// manifest is a small image manifest, a different one for each n. Its odd spacing and key order
// are kept byte for byte by a correct retag: anything re-serialised is another digest.
func manifest(n int) string {
	return fmt.Sprintf(`{"schemaVersion": 2,  "config":{"size":1,"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%064x"},"layers":[]}`, n)
}

func inUse(t *testing.T, digest string) string {
	t.Helper()
	tag, err := InUseTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func released(t *testing.T, digest string) string {
	t.Helper()
	tag, err := ReleasedTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func TestInUseTagAndReleasedTag(t *testing.T) {
	hex := strings.Repeat("0123456789abcdef", 4)
	if got, err := InUseTag("sha256:" + hex); err != nil || got != "sagemaker-in-use-"+hex {
		t.Errorf("InUseTag: %q, %v", got, err)
	}
	if got, err := ReleasedTag("sha256:" + hex); err != nil || got != "sagemaker-released-"+hex {
		t.Errorf("ReleasedTag: %q, %v", got, err)
	}
	for _, bad := range []string{"", hex, "sha256:" + strings.ToUpper(hex), "sha256:" + hex[1:], "sha256:" + hex + "0",
		"sha512:" + hex, "sha256:" + strings.Repeat("g", 64), " sha256:" + hex} {
		if _, err := InUseTag(bad); !errors.Is(err, ErrInvalidDigest) {
			t.Errorf("InUseTag(%q): %v; want ErrInvalidDigest", bad, err)
		}
		if _, err := ReleasedTag(bad); !errors.Is(err, ErrInvalidDigest) {
			t.Errorf("ReleasedTag(%q): %v; want ErrInvalidDigest", bad, err)
		}
	}
	if got := len("sagemaker-released-" + hex); got > 128 {
		t.Errorf("the released tag is %d characters; ECR takes at most 128", got)
	}
}

func TestAddImageTag(t *testing.T) {
	for _, repo := range []string{mutableRepo, immutableRepo} {
		t.Run(repo, func(t *testing.T) {
			r, fake, _ := imagesOn(t)
			ctx := context.Background()
			digest := fake.PushImage(repo, manifest(1), "v1")
			for _, tag := range []string{inUse(t, digest), released(t, digest)} {
				for range 2 { // the second time ECR answers ImageAlreadyExistsException
					if err := r.AddImageTag(ctx, repo, digest, tag); err != nil {
						t.Fatalf("AddImageTag %s: %v", tag, err)
					}
				}
			}
			images := fake.ImagesOf(repo)
			if len(images) != 1 || images[0].Digest != digest || images[0].Manifest != manifest(1) {
				t.Fatalf("images %+v; want the one image, unchanged", images)
			}
			if want := []string{"v1", inUse(t, digest), released(t, digest)}; !slices.Equal(images[0].Tags, want) {
				t.Errorf("tags %v; want %v", images[0].Tags, want)
			}
			if got := fake.Calls(); got["BatchGetImage"] != 4 || got["PutImage"] != 4 || got["BatchDeleteImage"] != 0 {
				t.Errorf("calls %v; want 4 BatchGetImage and 4 PutImage", got)
			}
			get := fake.gets[0]
			if len(get.ImageIds) != 1 || aws.ToString(get.ImageIds[0].ImageDigest) != digest || get.ImageIds[0].ImageTag != nil {
				t.Errorf("BatchGetImage ids %+v; want the digest alone", get.ImageIds)
			}
			for _, mt := range []string{"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
				"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"} {
				if !slices.Contains(get.AcceptedMediaTypes, mt) {
					t.Errorf("acceptedMediaTypes %v lack %s", get.AcceptedMediaTypes, mt)
				}
			}
			put := fake.puts[0]
			if aws.ToString(put.ImageManifest) != manifest(1) || aws.ToString(put.ImageDigest) != digest ||
				aws.ToString(put.ImageManifestMediaType) != ecrfake.OCIManifest || aws.ToString(put.ImageTag) != inUse(t, digest) {
				t.Errorf("PutImage %+v; want the manifest byte for byte, its digest and media type, the in-use tag", put)
			}
		})
	}
}

// A tag that is neither the image's in-use nor its released tag is refused before any call.
func TestAddImageTagRefusesOtherTags(t *testing.T) {
	r, fake, _ := imagesOn(t)
	digest := fake.PushImage(mutableRepo, manifest(1), "v1")
	other := fake.PushImage(mutableRepo, manifest(2), "v2")
	fake.ResetCalls()
	for _, tag := range []string{"latest", "v2", "", inUse(t, other), released(t, other), InUsePrefix, inUse(t, digest) + "x"} {
		if err := r.AddImageTag(context.Background(), mutableRepo, digest, tag); !errors.Is(err, ErrNotProductTag) {
			t.Errorf("AddImageTag %q: %v; want ErrNotProductTag", tag, err)
		}
	}
	if err := r.AddImageTag(context.Background(), mutableRepo, "sha256:abc", InUsePrefix+"abc"); !errors.Is(err, ErrInvalidDigest) {
		t.Errorf("AddImageTag with a bad digest: %v; want ErrInvalidDigest", err)
	}
	if got := fake.Calls(); len(got) != 0 {
		t.Errorf("calls %v; want none", got)
	}
	if img, _ := fake.Image(mutableRepo, digest); !slices.Equal(img.Tags, []string{"v1"}) {
		t.Errorf("tags %v; want [v1]", img.Tags)
	}
}

func TestAddImageTagOnAnUnknownDigest(t *testing.T) {
	r, fake, _ := imagesOn(t)
	fake.PushImage(immutableRepo, manifest(1), "v1")
	missing := ecrfake.Digest(manifest(2))
	err := r.AddImageTag(context.Background(), immutableRepo, missing, inUse(t, missing))
	if !errors.Is(err, ErrImageNotFound) {
		t.Errorf("AddImageTag: %v; want ErrImageNotFound", err)
	}
	if got := fake.Calls()["PutImage"]; got != 0 {
		t.Errorf("PutImage called %d times; want none", got)
	}
	if err := r.AddImageTag(context.Background(), "acme-sm-risk-fraud/gone", missing, inUse(t, missing)); err == nil || errors.Is(err, ErrImageNotFound) {
		t.Errorf("AddImageTag in no repository: %v; want the repository's error", err)
	}
}

func TestRemoveInUseTag(t *testing.T) {
	r, fake, seen := imagesOn(t)
	ctx := context.Background()
	digest := fake.PushImage(immutableRepo, manifest(1), "v1")
	if err := r.AddImageTag(ctx, immutableRepo, digest, inUse(t, digest)); err != nil {
		t.Fatal(err)
	}
	*seen = nil
	if err := r.RemoveInUseTag(ctx, immutableRepo, digest); err != nil {
		t.Fatalf("RemoveInUseTag: %v", err)
	}
	img, ok := fake.Image(immutableRepo, digest)
	if !ok || !slices.Equal(img.Tags, []string{"v1"}) {
		t.Errorf("image %+v, exists %v; want it there with [v1]", img, ok)
	}
	want := []wire.Request{
		{Service: "ecr", Operation: "DescribeImages", Repository: immutableRepo, Images: wire.EncodeImages(wire.ImageID{Digest: digest})},
		{Service: "ecr", Operation: "BatchDeleteImage", Repository: immutableRepo, Images: wire.EncodeImages(wire.ImageID{Tag: inUse(t, digest)})},
	}
	if !slices.Equal(*seen, want) {
		t.Errorf("calls %v; want %v: the image read, then its in-use tag removed by tag alone", *seen, want)
	}
}

// The released tag is what keeps an image whose only other tag was the in-use one.
func TestRemoveInUseTagAfterTheReleasedTag(t *testing.T) {
	r, fake, _ := imagesOn(t)
	ctx := context.Background()
	digest := ecrfake.Digest(manifest(1))
	fake.PushImage(mutableRepo, manifest(1), inUse(t, digest))
	if err := r.RemoveInUseTag(ctx, mutableRepo, digest); !errors.Is(err, ErrWouldDeleteImage) {
		t.Fatalf("RemoveInUseTag of the only tag: %v; want ErrWouldDeleteImage", err)
	}
	if err := r.AddImageTag(ctx, mutableRepo, digest, released(t, digest)); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveInUseTag(ctx, mutableRepo, digest); err != nil {
		t.Fatalf("RemoveInUseTag with the released tag beside it: %v", err)
	}
	if img, ok := fake.Image(mutableRepo, digest); !ok || !slices.Equal(img.Tags, []string{released(t, digest)}) {
		t.Errorf("image %+v, exists %v; want it there with its released tag", img, ok)
	}
}

func TestRemoveInUseTagRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		// arrange pushes the image and returns its digest.
		arrange func(t *testing.T, fake *recording) string
		want    error
	}{
		{name: "the in-use tag is its only tag", want: ErrWouldDeleteImage, arrange: func(t *testing.T, fake *recording) string {
			digest := ecrfake.Digest(manifest(1))
			fake.PushImage(immutableRepo, manifest(1), inUse(t, digest))
			return digest
		}},
		{name: "it does not carry the in-use tag", want: ErrWouldDeleteImage, arrange: func(t *testing.T, fake *recording) string {
			return fake.PushImage(immutableRepo, manifest(1), "v1", "latest")
		}},
		{name: "another image carries its in-use tag", want: ErrWouldDeleteImage, arrange: func(t *testing.T, fake *recording) string {
			digest := fake.PushImage(immutableRepo, manifest(1), "v1")
			fake.PushImage(immutableRepo, manifest(2), inUse(t, digest))
			return digest
		}},
		{name: "it is untagged", want: ErrWouldDeleteImage, arrange: func(t *testing.T, fake *recording) string {
			return fake.PushImage(immutableRepo, manifest(1))
		}},
		{name: "there is no such image", want: ErrImageNotFound, arrange: func(t *testing.T, fake *recording) string {
			fake.PushImage(immutableRepo, manifest(1), "v1")
			return ecrfake.Digest(manifest(2))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, fake, _ := imagesOn(t)
			digest := tc.arrange(t, fake)
			before := fake.ImagesOf(immutableRepo)
			if err := r.RemoveInUseTag(context.Background(), immutableRepo, digest); !errors.Is(err, tc.want) {
				t.Errorf("RemoveInUseTag: %v; want %v", err, tc.want)
			}
			if got := fake.Calls(); got["BatchDeleteImage"] != 0 || got["DescribeImages"] != 1 {
				t.Errorf("calls %v; want the image read and no BatchDeleteImage", got)
			}
			if after := fake.ImagesOf(immutableRepo); !slices.EqualFunc(before, after, func(a, b ecrfake.Image) bool {
				return a.Digest == b.Digest && slices.Equal(a.Tags, b.Tags)
			}) {
				t.Errorf("images %+v; want %+v, untouched", after, before)
			}
		})
	}
	r, fake, _ := imagesOn(t)
	if err := r.RemoveInUseTag(context.Background(), immutableRepo, "sha256:ABC"); !errors.Is(err, ErrInvalidDigest) {
		t.Errorf("RemoveInUseTag with a bad digest: %v; want ErrInvalidDigest", err)
	}
	if got := fake.Calls(); len(got) != 0 {
		t.Errorf("calls %v; want none", got)
	}
}

// cannedDelete answers BatchDeleteImage with out, whatever it is asked.
type cannedDelete struct {
	*ecrfake.Registry
	out *ecr.BatchDeleteImageOutput
}

func (f cannedDelete) BatchDeleteImage(context.Context, *ecr.BatchDeleteImageInput, ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error) {
	return f.out, nil
}

// An answer with a failure (the tag went between the read and the delete, say), or that names
// another image, is an error.
func TestRemoveInUseTagChecksTheAnswer(t *testing.T) {
	digest := ecrfake.Digest(manifest(1))
	tag := inUse(t, digest)
	for name, out := range map[string]*ecr.BatchDeleteImageOutput{
		"ImageNotFound": {Failures: []ecrtypes.ImageFailure{{ImageId: &ecrtypes.ImageIdentifier{ImageTag: aws.String(tag)},
			FailureCode: ecrtypes.ImageFailureCodeImageNotFound, FailureReason: aws.String("Requested image not found")}}},
		ecrfake.Digest(manifest(2)): {ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(ecrfake.Digest(manifest(2))), ImageTag: aws.String(tag)}}},
	} {
		fake := ecrfake.New()
		fake.Put(ecrfake.Repository{Name: mutableRepo})
		fake.PushImage(mutableRepo, manifest(1), "v1", tag)
		r := New(cannedDelete{fake, out}, func(string) bool { return true })
		if err := r.RemoveInUseTag(context.Background(), mutableRepo, digest); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("RemoveInUseTag: %v; want an error naming %s", err, name)
		}
	}
}

func TestImagesReadsEveryPage(t *testing.T) {
	r, fake, _ := imagesOn(t)
	fake.SetImagePageSize(2)
	want := map[string][]string{}
	for n := range 5 {
		var tags []string
		if n%2 == 0 {
			tags = []string{fmt.Sprintf("v%d", n)}
		}
		want[fake.PushImage(mutableRepo, manifest(n), tags...)] = tags
	}
	fake.ResetCalls()
	images, err := r.Images(context.Background(), mutableRepo)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, img := range images {
		got[img.Digest] = img.Tags
		if img.PushedAt.IsZero() {
			t.Errorf("%s: no push time", img.Digest)
		}
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("images %v; want %v", got, want)
	}
	if n := fake.Calls()["DescribeImages"]; n != 3 {
		t.Errorf("DescribeImages called %d times; want 3 pages of at most 2", n)
	}
	if images, err := r.Images(context.Background(), immutableRepo); err != nil || len(images) != 0 {
		t.Errorf("images of an empty repository: %v, %v", images, err)
	}
}

// RemoveInUseTag is the one way to BatchDeleteImage: no other code of the package calls it.
func TestBatchDeleteImageHasOneCaller(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var callers []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			ast.Inspect(decl, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "BatchDeleteImage" {
					fn, _ := decl.(*ast.FuncDecl)
					if fn == nil {
						callers = append(callers, fset.Position(sel.Pos()).String())
					} else {
						callers = append(callers, fn.Name.Name)
					}
				}
				return true
			})
		}
	}
	if !slices.Equal(callers, []string{"RemoveInUseTag"}) {
		t.Errorf("BatchDeleteImage is used by %v; want RemoveInUseTag alone", callers)
	}
}

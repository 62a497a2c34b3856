package invariants

import (
	"context"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

const repo = "acme-sm-risk-fraud/inference"

func configured() *Checker {
	c := New()
	c.Configure(account.ConfigPath, account.DefaultConfig())
	return c
}

// The registry's image calls keep the invariants: they add and remove the product's own tags.
func TestTheRegistryImageCallsKeepTheInvariants(t *testing.T) {
	c := configured()
	fake := ecrfake.New()
	fake.Observe(c.Check)
	fake.Put(ecrfake.Repository{Name: repo, Mutability: "IMMUTABLE"})
	digest := fake.PushImage(repo, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`, "v1")
	r := registry.New(fake, func(name string) bool { return naming.Managed(account.Company, name) })
	ctx := context.Background()
	inUse, _ := registry.InUseTag(digest)
	released, _ := registry.ReleasedTag(digest)
	for _, step := range []func() error{
		func() error { return r.AddImageTag(ctx, repo, digest, inUse) },
		func() error { return r.AddImageTag(ctx, repo, digest, released) },
		func() error { return r.RemoveInUseTag(ctx, repo, digest) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if fake.Calls()["BatchDeleteImage"] != 1 || fake.Calls()["PutImage"] != 2 {
		t.Fatalf("calls %v; want the image calls made", fake.Calls())
	}
	if len(c.violations) != 0 {
		t.Errorf("violations %q; want none", c.violations)
	}
}

func TestImageCallsThatBreakTheInvariants(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	other := "sha256:" + strings.Repeat("cd", 32)
	inUse, _ := registry.InUseTag(digest)
	released, _ := registry.ReleasedTag(digest)
	for _, tc := range []struct {
		name string
		op   string
		repo string
		ids  []wire.ImageID
		ok   bool
	}{
		{name: "an in-use tag by tag", op: "BatchDeleteImage", ids: []wire.ImageID{{Tag: inUse}}, ok: true},
		{name: "two in-use tags by tag", op: "BatchDeleteImage", ids: []wire.ImageID{{Tag: inUse}, {Tag: registry.InUsePrefix + strings.Repeat("cd", 32)}}, ok: true},
		{name: "no image ids", op: "BatchDeleteImage"},
		{name: "by digest", op: "BatchDeleteImage", ids: []wire.ImageID{{Digest: digest}}},
		{name: "by digest and in-use tag", op: "BatchDeleteImage", ids: []wire.ImageID{{Digest: digest, Tag: inUse}}},
		{name: "another tag", op: "BatchDeleteImage", ids: []wire.ImageID{{Tag: "v1"}}},
		{name: "a released tag", op: "BatchDeleteImage", ids: []wire.ImageID{{Tag: released}}},
		{name: "the prefix alone", op: "BatchDeleteImage", ids: []wire.ImageID{{Tag: registry.InUsePrefix}}},
		{name: "an in-use tag and another", op: "BatchDeleteImage", ids: []wire.ImageID{{Tag: inUse}, {Tag: "latest"}}},
		{name: "an in-use tag outside the namespaces", op: "BatchDeleteImage", repo: "other-team/app", ids: []wire.ImageID{{Tag: inUse}}},
		{name: "put the in-use tag", op: "PutImage", ids: []wire.ImageID{{Digest: digest, Tag: inUse}}, ok: true},
		{name: "put the released tag", op: "PutImage", ids: []wire.ImageID{{Digest: digest, Tag: released}}, ok: true},
		{name: "put the in-use tag without a digest", op: "PutImage", ids: []wire.ImageID{{Tag: inUse}}},
		{name: "put another digest's tag", op: "PutImage", ids: []wire.ImageID{{Digest: other, Tag: inUse}}},
		{name: "put another tag", op: "PutImage", ids: []wire.ImageID{{Digest: digest, Tag: "latest"}}},
		{name: "put no tag", op: "PutImage", ids: []wire.ImageID{{Digest: digest}}},
		{name: "put nothing", op: "PutImage"},
		{name: "put the in-use tag outside the namespaces", op: "PutImage", repo: "other-team/app", ids: []wire.ImageID{{Digest: digest, Tag: inUse}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := configured()
			name := repo
			if tc.repo != "" {
				name = tc.repo
			}
			c.Check(wire.Request{Service: "ecr", Operation: tc.op, Repository: name, Images: wire.EncodeImages(tc.ids...)})
			if got := len(c.violations) == 0; got != tc.ok {
				t.Errorf("violations %q; want allowed %v", c.violations, tc.ok)
			}
		})
	}
	c := New()
	c.Check(wire.Request{Service: "ecr", Operation: "BatchDeleteImage", Repository: repo, Images: wire.EncodeImages(wire.ImageID{Tag: inUse})})
	if len(c.violations) != 1 {
		t.Errorf("violations %q; want the write before any configuration", c.violations)
	}
}

package drift

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// TagImagesInUse marks a repository that holds protected images (protect-in-use): its value is
// how many, and, once a record has protected an image in it, when it last did (RFC 3339):
// "3" or "3 2026-12-02T15:04:05Z". The sweep finds the repositories to release protections in
// by it (one GetResources a page of 100), never by reading every managed repository's images;
// and an inventory does not release in a repository a record touched since it began.
const TagImagesInUse = "sagemaker:images-in-use"

// mark is a repository's TagImagesInUse as found, and, for a record's protection, the time to
// write in it (touch).
type mark struct {
	arn, value string
	touch      time.Time
}

// recorded is when a record last protected an image in the repository, by the mark's value;
// zero when none did (or the value is not the product's).
func (m mark) recorded() time.Time {
	_, stamp, _ := strings.Cut(m.value, " ")
	t, _ := time.Parse(time.RFC3339, stamp)
	return t
}

// want is the mark's value for a repository holding n protections: the record's time, or the
// one it already holds.
func (m mark) want(n int) string {
	if n == 0 {
		return ""
	}
	stamp := m.touch
	if stamp.IsZero() {
		stamp = m.recorded()
	}
	if stamp.IsZero() {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(n) + " " + stamp.UTC().Format(time.RFC3339)
}

// marked returns the managed repositories that carry TagImagesInUse.
func (r *run) marked(ctx context.Context) (map[string]mark, error) {
	out := map[string]mark{}
	if r.svc.Tags == nil {
		return out, fmt.Errorf("the function has no tagging API client")
	}
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(r.svc.Tags, &resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []tagtypes.TagFilter{{Key: aws.String(TagImagesInUse)}}, ResourceTypeFilters: []string{"ecr:repository"}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, m := range page.ResourceTagMappingList {
			a, err := arn.Parse(aws.ToString(m.ResourceARN))
			name, ok := strings.CutPrefix(a.Resource, "repository/")
			if err != nil || !ok || !r.cfg.Managed(name) {
				continue
			}
			for _, t := range m.Tags {
				if aws.ToString(t.Key) == TagImagesInUse {
					out[name] = mark{arn: a.String(), value: aws.ToString(t.Value)}
				}
			}
		}
	}
	return out, nil
}

// releaser is what a run releases: nothing when it is the zero value.
type releaser struct {
	on bool
	// seen holds what earlier runs of the round found in use (nil: nothing).
	seen *sweep.Filter
	// pulledSince: an image pulled since is kept.
	pulledSince time.Time
	// since is when the inventory began: a repository in which a record protected an image
	// since releases nothing (a use that began after the inventory read its account, such as
	// a package approved, which pulls nothing).
	since time.Time
}

// keeps reports whether an image of repository name that this run did not find in use is
// kept all the same: an earlier run of the round found it in use (by digest, or by one of its
// tags), or ECR recorded a pull of it since pulledSince.
func (rel releaser) keeps(name string, img registry.Image) bool {
	if !img.PulledAt.IsZero() && !img.PulledAt.Before(rel.pulledSince) {
		return true
	}
	if rel.seen == nil {
		return false
	}
	if rel.seen.Has(name + "@" + img.Digest) {
		return true
	}
	return slices.ContainsFunc(img.Tags, func(t string) bool { return rel.seen.Has(name + ":" + t) })
}

// markOf reads one repository's TagImagesInUse from ECR (DescribeRepositories and
// ListTagsForResource): what a record's protection costs, whatever the number of repositories
// holding protections, where marked walks them all. A repository that does not exist has none.
func (r *run) markOf(ctx context.Context, name string) (mark, error) {
	repo, found, err := r.engine.Registry.Describe(ctx, name)
	if err != nil || !found {
		return mark{}, err
	}
	tags, err := r.engine.Registry.Tags(ctx, repo.ARN)
	if err != nil {
		return mark{}, err
	}
	return mark{arn: repo.ARN, value: tags[TagImagesInUse]}, nil
}

// protectRepository brings the protections of one repository in line with the inventory.
func (r *run) protectRepository(ctx context.Context, name string, found inuse.Inventory, m mark, rel releaser) (inv inventory, err error) {
	reg := r.engine.Registry
	images, err := reg.Images(ctx, name)
	if registry.IsNotFound(err) {
		return inv, nil
	}
	if err != nil {
		return inv, err
	}
	byTag := map[string]string{}
	protectedNow := map[string]bool{}
	imageOf := map[string]registry.Image{}
	for _, img := range images {
		imageOf[img.Digest] = img
		protecting, _ := registry.InUseTag(img.Digest)
		for _, t := range img.Tags {
			byTag[t] = img.Digest
			if t == protecting {
				protectedNow[img.Digest] = true
			}
		}
	}
	uses := map[string][]inuse.Use{} // digest -> what uses it
	for _, d := range found.Digests(name) {
		if _, ok := imageOf[d]; ok {
			uses[d] = append(uses[d], found.Uses(name, d)...)
		}
	}
	for _, t := range found.Tags(name) {
		if d, ok := byTag[t]; ok {
			uses[d] = append(uses[d], found.Uses(name, t)...)
		}
	}
	inv.inUse = len(uses)
	var diffs []reconcile.Finding
	var would []string
	for _, d := range slices.Sorted(maps.Keys(uses)) {
		if protectedNow[d] {
			continue
		}
		tag, _ := registry.InUseTag(d)
		diff := reconcile.Finding{Difference: reconcile.Difference{Setting: reconcile.SettingInUse, Path: d, Expected: tag, Found: "(absent)", Fixable: true}}
		if r.fix() {
			if err := reg.AddImageTag(ctx, name, d, tag); err != nil {
				return inv, err
			}
			diff.Fixed = true
			inv.protected++
			r.log.InfoContext(ctx, "image in use protected", "repository", name, "digest", d, "usedBy", uses[d])
		} else {
			would = append(would, "PutImage "+tag)
		}
		diffs = append(diffs, diff)
	}
	if len(diffs) > 0 {
		r.announce(ctx, reconcile.Result{Repository: name, Outcome: reconcile.Drifted, Differences: diffs, WouldWrite: would})
	}
	held := len(protectedNow) + inv.protected // the protections the repository holds after this run
	if rel.on && r.fix() {
		var release []string
		for _, d := range slices.Sorted(maps.Keys(protectedNow)) {
			if _, used := uses[d]; !used && !rel.keeps(name, imageOf[d]) {
				release = append(release, d)
			}
		}
		if len(release) > 0 {
			// The mark is read again now: a record may have touched it since the run began.
			if m, err = r.markOf(ctx, name); err != nil {
				return inv, err
			}
			// The stamp is to the second: the record was at most a second after it.
			if t := m.recorded(); !t.IsZero() && t.Add(time.Second).After(rel.since) {
				r.log.InfoContext(ctx, "protections kept: a record protected images in the repository since the inventory began",
					"repository", name, "recorded", t, "kept", len(release))
				release = nil
			}
		}
		for _, d := range release {
			if err := r.releaseImage(ctx, name, d, imageOf[d].Tags); err != nil {
				return inv, err
			}
			inv.released++
			held--
		}
	}
	return inv, r.mark(ctx, name, m, held)
}

// releaseImage removes the protection of an image nothing uses any more. An image whose only tag
// is the protecting one first gets sagemaker-released-<hex>: the lifecycle policy then decides
// its fate like any other tagged image, and removing the protection never deletes it.
func (r *run) releaseImage(ctx context.Context, name, digest string, tags []string) error {
	if len(tags) == 1 {
		released, _ := registry.ReleasedTag(digest)
		if err := r.engine.Registry.AddImageTag(ctx, name, digest, released); err != nil {
			return err
		}
	}
	if err := r.engine.Registry.RemoveInUseTag(ctx, name, digest); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "image no longer in use released", "repository", name, "digest", digest)
	return nil
}

// mark keeps TagImagesInUse true in fix mode: how many protected images the repository holds
// and when a record last protected one (see mark.want), or no tag when it holds none (only a
// complete inventory releases, so only it lowers the count).
func (r *run) mark(ctx context.Context, name string, m mark, n int) error {
	want := m.want(n)
	if !r.fix() || m.value == want {
		return nil
	}
	repo := registry.Summary{Name: name, ARN: m.arn}
	if repo.ARN == "" {
		described, found, err := r.engine.Registry.Describe(ctx, name)
		if err != nil || !found {
			return err
		}
		repo = described
	}
	if want == "" {
		return r.engine.Registry.Untag(ctx, repo, []string{TagImagesInUse})
	}
	return r.engine.Registry.Tag(ctx, repo, map[string]string{TagImagesInUse: want})
}

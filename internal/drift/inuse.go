package drift

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// TagImagesInUse marks a repository that holds protected images (protect-in-use): its value is
// how many. The sweep finds the repositories to release protections in by it (one GetResources
// a page of 100), never by reading every managed repository's images.
const TagImagesInUse = "sagemaker:images-in-use"

// TagInUseRecorded is when a record (the fast path) last protected images in the repository,
// RFC 3339 to the second. Only records write it, before they look at the repository's images,
// so that no other write can take it back; an inventory does not release in a repository a
// record stamped since the inventory began (see protectRepository).
const TagInUseRecorded = "sagemaker:images-in-use-recorded"

// mark is a repository's TagImagesInUse and TagInUseRecorded as found.
type mark struct {
	arn, value string
	recorded   time.Time
}

// stamped reports whether a record protected images in the repository since since: the stamp
// is to the second, so the record was at most a second after it.
func (m mark) stamped(since time.Time) bool {
	return !m.recorded.IsZero() && m.recorded.Add(time.Second).After(since)
}

// parseRecorded reads a TagInUseRecorded value; zero when it is not one.
func parseRecorded(value string) time.Time {
	t, _ := time.Parse(time.RFC3339, value)
	return t
}

// marked returns the managed repositories that carry TagImagesInUse, lifecycle-exempt ones left
// out: their owners keep them as they like, protections included.
func (r *run) marked(ctx context.Context) (map[string]mark, error) {
	out := map[string]mark{}
	if r.svc.Tags == nil {
		return out, fmt.Errorf("the function has no tagging API client")
	}
	found, err := registry.FindTagged(ctx, r.svc.Tags, []tagtypes.TagFilter{{Key: aws.String(TagImagesInUse)}})
	if err != nil {
		return out, err
	}
	for _, t := range found {
		if r.cfg.Managed(t.Name) && !r.cfg.Exempt(t.Name) {
			out[t.Name] = mark{arn: t.ARN, value: t.Tags[TagImagesInUse], recorded: parseRecorded(t.Tags[TagInUseRecorded])}
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
	// since is when the inventory began: a repository a record stamped since releases
	// nothing (a use that began after the inventory read its account, such as a package
	// approved, which pulls nothing).
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
	return mark{arn: repo.ARN, value: tags[TagImagesInUse], recorded: parseRecorded(tags[TagInUseRecorded])}, nil
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
			// The marks are read again now: a record may have stamped the repository since
			// the run began.
			if m, err = r.markOf(ctx, name); err != nil {
				return inv, err
			}
			if m.stamped(rel.since) {
				r.log.InfoContext(ctx, "protections kept: a record protected images in the repository since the inventory began",
					"repository", name, "recorded", m.recorded, "kept", len(release))
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
		if len(release) > 0 {
			// A record that stamped the repository between the look above and the releases
			// may have seen its image still protected: it is protected again. (A record that
			// stamps it after this look reads the images after its stamp, and protects what it
			// finds released.)
			again, err := r.markOf(ctx, name)
			if err != nil {
				return inv, err
			}
			if again.stamped(rel.since) {
				for _, d := range release {
					tag, _ := registry.InUseTag(d)
					if err := r.engine.Registry.AddImageTag(ctx, name, d, tag); err != nil {
						return inv, err
					}
					inv.released--
					held++
				}
				r.log.InfoContext(ctx, "protections restored: a record protected images in the repository while they were released",
					"repository", name, "recorded", again.recorded, "restored", len(release))
			}
			m.value = again.value
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

// mark keeps TagImagesInUse true in fix mode: how many protected images the repository holds,
// or no tag when it holds none (only a complete inventory releases, so only it lowers the
// count). It never writes TagInUseRecorded.
func (r *run) mark(ctx context.Context, name string, m mark, n int) error {
	want := ""
	if n > 0 {
		want = strconv.Itoa(n)
	}
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

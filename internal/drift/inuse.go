package drift

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// TagImagesInUse marks a repository that holds protected images (protect-in-use): its value is
// how many. The sweep finds the repositories to release protections in by it (one GetResources
// a page of 100), never by reading every managed repository's images.
const TagImagesInUse = "sagemaker:images-in-use"

// inventory is what the sweep's inventory of images in use found and did.
type inventory struct {
	inUse, protected, released int
	complete                   bool
}

// protectInUse is the sweep's inventory of the images SageMaker uses (protect-in-use): every
// account's SageMaker is read (internal/inuse: endpoints, inference components, approved
// model packages, running jobs, Studio image versions), the references to this registry's
// managed repositories are collected, and each image in use gets its tag
// sagemaker-in-use-<hex> (fix mode; report mode reports it as an image-in-use difference). A
// protection that a complete inventory (every account read without an error) no longer
// justifies is released: an image whose only tag is the protecting one first gets
// sagemaker-released-<hex>, so that removing the protection never deletes it. A partial
// inventory releases nothing. It costs the SageMaker reads, one GetResources a page of
// marked repositories, and one DescribeImages walk for each repository that holds or needs a
// protection: nothing for any other managed repository.
func (r *run) protectInUse(ctx context.Context) (o outcome, inv inventory) {
	if !r.cfg.ProtectInUse {
		return o, inventory{complete: true}
	}
	inv.complete = true
	// The accounts are read side by side (each account's SageMaker is paced on its own), each
	// into its own slot.
	all := r.accounts.Accounts()
	reads := make([][]inuse.Reference, len(all))
	errs := make([]error, len(all))
	var g errgroup.Group
	g.SetLimit(max(1, r.svc.Concurrency))
	for i, account := range all {
		g.Go(func() error {
			if ctx.Err() != nil || r.stopped() {
				errs[i] = context.DeadlineExceeded
				return nil
			}
			reads[i], errs[i] = r.readInUse(ctx, account)
			return nil
		})
	}
	_ = g.Wait()
	var refs []inuse.Reference
	for i, account := range all {
		if err := errs[i]; err != nil {
			inv.complete = false
			if ctx.Err() == nil && !r.stopped() && o.passOver(account) {
				r.log.ErrorContext(ctx, "images in use not read; nothing is released this run", "account", account, "error", err.Error())
			}
			continue
		}
		refs = append(refs, reads[i]...)
	}
	found := inuse.Collect(refs, r.svc.Accounts.Home, r.svc.Region, func(name string) bool { return r.cfg.Managed(name) && !r.cfg.Exempt(name) })
	marked, err := r.marked(ctx)
	if err != nil {
		inv.complete = false // without the marks, what to release is unknown
		o.errors++
		r.log.ErrorContext(ctx, "repositories holding protected images not looked up; nothing is released this run", "error", err.Error())
	}
	repos := found.Repositories()
	for name := range marked {
		if !slices.Contains(repos, name) {
			repos = append(repos, name)
		}
	}
	slices.Sort(repos)
	for _, name := range repos {
		if ctx.Err() != nil || r.stopped() {
			inv.complete = false
			break
		}
		p, err := r.protectRepository(ctx, name, found, marked[name], inv.complete)
		if err != nil {
			o.errors++
			r.log.ErrorContext(ctx, "images in use not protected", "repository", name, "error", err.Error())
		}
		inv.inUse, inv.protected, inv.released = inv.inUse+p.inUse, inv.protected+p.protected, inv.released+p.released
	}
	return o, inv
}

// readInUse reads what one account's SageMaker uses.
func (r *run) readInUse(ctx context.Context, account string) ([]inuse.Reference, error) {
	api, err := r.accounts.SageMaker(ctx, account)
	if err != nil {
		return nil, err
	}
	sm, ok := api.(inuse.SageMaker)
	if !ok {
		return nil, fmt.Errorf("the SageMaker client of account %s cannot read what SageMaker uses", account)
	}
	return inuse.Read(ctx, sm, r.accounts.ProjectAccount(account))
}

// mark is a repository's TagImagesInUse as GetResources found it.
type mark struct{ arn, value string }

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

// protectRepository brings the protections of one repository in line with the inventory.
func (r *run) protectRepository(ctx context.Context, name string, found inuse.Inventory, m mark, release bool) (inv inventory, err error) {
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
	tagsOf := map[string][]string{}
	for _, img := range images {
		tagsOf[img.Digest] = img.Tags
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
		if _, ok := tagsOf[d]; ok {
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
	if release && r.fix() {
		for _, d := range slices.Sorted(maps.Keys(protectedNow)) {
			if _, used := uses[d]; used {
				continue
			}
			if err := r.releaseImage(ctx, name, d, tagsOf[d]); err != nil {
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

// mark keeps TagImagesInUse true in fix mode: how many protected images the repository holds,
// or no tag when it holds none (only a complete inventory releases, so only it lowers the
// count).
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

package inuse

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
)

// DefaultLimit is how many describe calls Read has in flight at once.
const DefaultLimit = 4

// pageSize is the MaxResults of every listing: the most each List call accepts.
const pageSize = 100

// Read returns every image one account's SageMaker uses, sorted and without duplicates; it is
// ReadLimit with DefaultLimit.
func Read(ctx context.Context, api SageMaker, account string) (refs []Reference, err error) {
	return ReadLimit(ctx, api, account, DefaultLimit)
}

// ReadLimit returns every image one account's SageMaker uses: ReadFrom from the first resource
// to the last, without a stop.
func ReadLimit(ctx context.Context, api SageMaker, account string, limit int) (refs []Reference, err error) {
	part, err := ReadFrom(ctx, api, account, "", limit, nil)
	return part.Refs, err
}

// Part is what one ReadFrom read of an account: the references of the resources it described,
// and where the next read goes on.
type Part struct {
	// Refs is what the resources described use, sorted and without duplicates.
	Refs []Reference
	// Done says the read reached the last resource. Otherwise Next is the key of the last
	// resource read (or the cursor it was given, when it read none): the next ReadFrom goes on
	// after it.
	Done bool
	Next string
	// Keys is the key of the resource each Use of Refs is (its place in the read's order).
	Keys map[Use]string
}

// ReadFrom reads what one account's SageMaker uses, through api, recording account ("" for
// this account) in each Use, in a fixed order of its resources, from the first after the
// cursor after ("": from the first), until stop (nil: never) says to stop: no resource is
// started after that, and no group listed but the first one the read comes to. An image of another registry is returned too
// (Collect sorts them out).
//
// What is read:
//   - Every endpoint whose status is live: any but OutOfService, Deleting and Failed (so
//     InService, Creating, Updating, SystemUpdating, RollingBack, and UpdateRollbackFailed, in
//     which SageMaker says the endpoint serves a mix of the old and new configurations; a
//     status SageMaker adds later counts too, so that it protects rather than releases).
//     DescribeEndpoint gives the images its production and shadow variants run
//     (DeployedImages: ResolvedImage, or SpecifiedImage when that is empty), and those of
//     its PendingDeploymentSummary. The models of the endpoint configurations it is being
//     deployed with are read too (DescribeEndpointConfig, then DescribeModel of each
//     variant's and shadow variant's model: PrimaryContainer.Image and Containers[].Image):
//     the pending deployment's configuration, and the endpoint's own configuration when the
//     endpoint is not InService (being created, updated, patched or rolled back, its images
//     may not be deployed yet) or when a variant reports no deployed image.
//   - Every inference component not Failed or Deleting: its Specification.Container's
//     DeployedImage (ResolvedImage, else SpecifiedImage), or, with none, the images of its
//     Specification.ModelName.
//   - Every model package version whose ModelApprovalStatus is Approved, group by group:
//     InferenceSpecification.Containers[].Image.
//   - Every InProgress training job (AlgorithmSpecification.TrainingImage) and processing job
//     (AppSpecification.ImageUri).
//   - Every CREATED version of every SageMaker image: its BaseImage.
//
// The listings of endpoints, inference components, model package groups, jobs and SageMaker
// images are read to their last page first (a call a page of 100), those of the kinds the
// cursor has not passed: a read that does not fit in one run repeats only that. The resources listed are then read in the order of
// their keys (Use.Key), those after the cursor, up to limit at a time (at least 1): an
// endpoint, component or job by its describe call, a model package group by listing its
// approved versions and describing each, a SageMaker image by listing its versions and
// describing each created one. A resource already started when stop says to stop is waited
// for, so what was read is always everything up to Next. api is paced by the caller.
//
// A resource that is gone by the time it is described (SageMaker answers ResourceNotFound, or
// a ValidationException saying it could not be found) is skipped; any other error ends the
// read with that error and no references, so that an incomplete read is never taken for a
// complete one.
func ReadFrom(ctx context.Context, api SageMaker, account, after string, limit int, stop func() bool) (Part, error) {
	r := &reader{api: api, account: account, ctx: ctx}
	fail := func(err error) (Part, error) {
		if account == "" {
			return Part{}, fmt.Errorf("read the images SageMaker uses: %w", err)
		}
		return Part{}, fmt.Errorf("read the images SageMaker uses in account %s: %w", account, err)
	}
	if err := r.list(after); err != nil {
		return fail(err)
	}
	slices.SortFunc(r.items, func(a, b item) int { return cmp.Compare(a.key, b.key) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	r.ctx = gctx
	part := Part{Done: true, Next: after}
	stopped := func() bool { return gctx.Err() != nil || (stop != nil && stop()) }
	// start starts reading it unless the read is to stop; false when it is.
	start := func(it item) bool {
		if stopped() {
			part.Done = false
			return false
		}
		g.Go(func() error { return it.read(context.WithValue(gctx, readingKey{}, it.key)) })
		part.Next = it.key
		return true
	}
read:
	for _, it := range r.items {
		if it.expand == nil {
			if it.key > after && !start(it) {
				break
			}
			continue
		}
		// A group of resources (a model package group, a SageMaker image) is listed when the
		// read comes to it, and its resources read one by one: a read may stop inside it.
		end := it.key + groupEnd
		if end <= after {
			continue
		}
		// Once stop has said so, no more groups are listed (but the first the read comes to).
		if gctx.Err() != nil || (part.Next != after && stopped()) {
			part.Done = false
			break
		}
		members, err := it.expand(gctx)
		if err != nil {
			g.Go(func() error { return err })
			break
		}
		for _, m := range members {
			if m.key > after && !start(m) {
				break read
			}
		}
		part.Next = end
	}
	if err := g.Wait(); err != nil {
		return fail(err)
	}
	if part.Done {
		part.Next = ""
	}
	slices.SortFunc(r.refs, Reference.Compare)
	part.Refs, part.Keys = slices.Compact(r.refs), r.keys
	return part, nil
}

// reader is one Read: the listings gather the resources to describe (items), which ReadFrom
// then describes in order.
type reader struct {
	api     SageMaker
	account string
	ctx     context.Context // the listings', then the describes' group's (ends at the first error)
	items   []item

	mu   sync.Mutex
	refs []Reference
	keys map[Use]string // see Part.Keys
}

// readingKey is the context key of the key of the resource being read (see reader.add).
type readingKey struct{}

// item is one resource to read, or a group of them to list: its key orders the read (see
// ReadFrom).
type item struct {
	key  string
	read func(ctx context.Context) error
	// expand, for a group, lists its members.
	expand func(ctx context.Context) ([]item, error)
}

// The keys of a group's members are the group's key, memberSep and the member's number,
// zero-padded to 10 digits; groupEnd after the group's key comes after every one of them.
// Both sort before any character of a SageMaker name ([a-zA-Z0-9-]) may follow the group's
// key, so that a group's members come before a group whose name starts with this one's.
const (
	memberSep = " "
	groupEnd  = " ~"
)

// memberKey is the key of the member number n of the group with key group.
func memberKey(group, n string) string {
	if len(n) < 10 {
		n = strings.Repeat("0", 10-len(n)) + n
	}
	return group + memberSep + n
}

// keyPrefixes are the key prefixes of the kinds of resource, in the order ReadFrom reads them.
// A resource's key is its kind's prefix and its name; a model package version's or image
// version's is its number's place in its group (memberKey). At most 76 characters: SageMaker's
// names are at most 63.
var keyPrefixes = map[string]string{
	KindEndpoint:           "0/",
	KindInferenceComponent: "1/",
	KindModelPackage:       "2/",
	KindTrainingJob:        "3/",
	KindProcessingJob:      "4/",
	KindImageVersion:       "5/",
}

// list reads the listings, in turn, but those of a kind whose every key comes before the
// cursor after: an earlier part of the read has read all of them.
func (r *reader) list(after string) error {
	for _, l := range []struct {
		kind string
		list func() error
	}{{KindEndpoint, r.endpoints}, {KindInferenceComponent, r.inferenceComponents}, {KindModelPackage, r.modelPackages},
		{KindTrainingJob, r.trainingJobs}, {KindProcessingJob, r.processingJobs}, {KindImageVersion, r.images}} {
		if p := keyPrefixes[l.kind]; after > p && !strings.HasPrefix(after, p) {
			continue
		}
		if err := l.list(); err != nil {
			return err
		}
	}
	return nil
}

// describe adds the resource of kind and name to what is to be read, by fn.
func (r *reader) describe(kind, name string, fn func(ctx context.Context) error) {
	r.items = append(r.items, item{key: keyPrefixes[kind] + name, read: fn})
}

// group adds the group of resources of kind named name to what is to be read: list lists
// its members, each a number within the group and how to read it.
func (r *reader) group(kind, name string, list func(ctx context.Context) (map[string]func(context.Context) error, error)) {
	key := keyPrefixes[kind] + name
	r.items = append(r.items, item{key: key, expand: func(ctx context.Context) ([]item, error) {
		members, err := list(ctx)
		if err != nil {
			return nil, err
		}
		items := make([]item, 0, len(members))
		for n, read := range members {
			items = append(items, item{key: memberKey(key, n), read: read})
		}
		slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.key, b.key) })
		return items, nil
	}})
}

// use is the Use of the resource kind name in the account read.
func (r *reader) use(kind, name string) Use {
	return Use{Kind: kind, Name: name, Account: r.account}
}

// add records that use names images; empty ones are left out. The key of the resource being
// read (in ctx, from ReadFrom) is recorded as use's.
func (r *reader) add(ctx context.Context, use Use, images ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key, ok := ctx.Value(readingKey{}).(string); ok {
		if r.keys == nil {
			r.keys = map[Use]string{}
		}
		r.keys[use] = key
	}
	for _, image := range images {
		if image != "" {
			r.refs = append(r.refs, Reference{Image: image, Use: use})
		}
	}
}

// pager is what the SDK's paginators have in common.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*sagemaker.Options)) (O, error)
}

// pages calls fn with every page p reads, to the last; what names the listing in an error.
func pages[O any](ctx context.Context, what string, p pager[O], fn func(O) error) error {
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

// gone reports whether err is SageMaker saying the resource asked about does not exist (any
// more), by the product's one rule (projects.NotFound): ResourceNotFound, or a
// ValidationException such as "Could not find endpoint ...", "ModelPackage ... does not
// exist.", "Requested resource not found.".
func gone(err error) bool { return projects.NotFound(err) }

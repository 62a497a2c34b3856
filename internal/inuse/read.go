package inuse

import (
	"context"
	"fmt"
	"slices"
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

// ReadLimit returns every image one account's SageMaker uses, through api, recording account
// ("" for this account) in each Use. The references are sorted and without duplicates; an
// image of another registry is returned too (Collect sorts them out).
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
// Every listing is read to its last page. A resource that is gone by the time it is described
// (SageMaker answers ResourceNotFound, or a ValidationException saying it could not be found)
// is skipped; any other error ends Read with that error and no references, so that an
// incomplete read is never taken for a complete one. The listings are read one after the
// other and the describe calls up to limit at a time (at least 1); api is paced by the caller.
func ReadLimit(ctx context.Context, api SageMaker, account string, limit int) (refs []Reference, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	r := &reader{api: api, account: account, g: g, ctx: gctx}
	if err := r.list(); err != nil {
		// Recorded in the group: the first error wins, whether a describe's or this one, and
		// a listing cut short by a describe's failure does not hide the failure.
		g.Go(func() error { return err })
	}
	if err := g.Wait(); err != nil {
		if account == "" {
			return nil, fmt.Errorf("read the images SageMaker uses: %w", err)
		}
		return nil, fmt.Errorf("read the images SageMaker uses in account %s: %w", account, err)
	}
	slices.SortFunc(r.refs, Reference.Compare)
	return slices.Compact(r.refs), nil
}

// reader is one Read: the listings run on the caller's goroutine and hand each describe to
// the group.
type reader struct {
	api     SageMaker
	account string
	g       *errgroup.Group
	ctx     context.Context // the group's: ends at the first error

	mu   sync.Mutex
	refs []Reference
}

// list reads every listing, in turn.
func (r *reader) list() error {
	for _, l := range []func() error{r.endpoints, r.inferenceComponents, r.modelPackages,
		r.trainingJobs, r.processingJobs, r.images} {
		if err := l(); err != nil {
			return err
		}
	}
	return nil
}

// describe runs fn in the group, once a slot is free; it fails when the read is already over.
func (r *reader) describe(fn func(ctx context.Context) error) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	r.g.Go(func() error { return fn(r.ctx) })
	return nil
}

// use is the Use of the resource kind name in the account read.
func (r *reader) use(kind, name string) Use {
	return Use{Kind: kind, Name: name, Account: r.account}
}

// add records that use names images; empty ones are left out.
func (r *reader) add(use Use, images ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
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

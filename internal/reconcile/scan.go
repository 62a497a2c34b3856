package reconcile

import (
	"context"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// ScanOptions steer one drift scan: how each repository is checked, and the scan around it.
type ScanOptions struct {
	Checking
	// Concurrency bounds how many repositories are checked at once.
	Concurrency int
	// Stop, when it returns true, stops the scan from starting new work (nil: never). Work
	// under way finishes, so nothing is cut off mid-write; the scan reports itself incomplete.
	Stop func() bool
	// OnDrift is called, from any goroutine, with the result of every repository that is not
	// as desired (fixed or not).
	OnDrift func(Result)
	// OnError is called, from any goroutine, for every repository that could not be checked
	// or fixed.
	OnError func(repository string, err error)
}

// ScanResult counts what a scan saw. Scanned counts the repositories checked, which a check
// that failed is not: it is counted in Errors. Exempt ones are counted in Exempt only (and in
// Drifted and Fixed when the product's statements were taken out of their policy).
type ScanResult struct {
	Scanned   int
	Compliant int
	Drifted   int
	Fixed     int
	Exempt    int
	Errors    int
	// Rejected counts repositories that belong to another project (a conflict): reported and
	// left as they are, which no retry changes, so not an error.
	Rejected int
	// Gone counts repositories deleted between the listing and the end of their check (before
	// it, or between its reads and its writes): nothing to do.
	Gone int
	// Complete is true when every repository of the batch was checked. Last is the name of
	// the last one up to which every check finished, "" when none did: a check cut off by the
	// end of ctx (the run's own time) is not passed, so the next run checks it again. A check
	// that failed otherwise is passed and counted in Errors: a repository that always fails
	// must not hold up the ones after it.
	Complete bool
	Last     string
}

// Scan reconciles the repositories of a batch (as DescribeRepositories described them, so
// their tag mutability and encryption are known), in order, each through the one plan: one
// GetLifecyclePolicy a repository, and only where the options or the configuration ask for
// them a ListTagsForResource and a GetRepositoryPolicy (and, for a repository whose owner
// tags are gone, what the owner lookup and a second observation cost); one write a drifted
// setting in fix mode. Repositories outside the managed namespaces are skipped without a call;
// exempt ones are counted, and only in a cycle that reads every policy is theirs read, to take
// the product's statements out of it (see checkExempt).
func (e *Engine) Scan(ctx context.Context, cfg config.Config, batch []registry.Summary, opts ScanOptions) ScanResult {
	res := ScanResult{Complete: true}
	var mu sync.Mutex
	count := func(f func()) { mu.Lock(); f(); mu.Unlock() }

	g := errgroup.Group{}
	g.SetLimit(max(1, opts.Concurrency))
	taken, cut := 0, len(batch) // batch[:taken] were taken on; batch[cut] is the first cut off
	for i, s := range batch {
		if opts.Stop != nil && opts.Stop() {
			break
		}
		taken = i + 1
		if !cfg.Managed(s.Name) {
			continue
		}
		check := func() (Result, error) { return e.Check(ctx, cfg, s.Name, &s, opts.Checking) }
		if cfg.Exempt(s.Name) {
			count(func() { res.Exempt++ })
			if !opts.Access {
				continue
			}
			check = func() (Result, error) { return e.checkExempt(ctx, cfg, s, opts.Fix) }
		}
		g.Go(func() error {
			r, err := check()
			fixed := r.Fixed()
			if err != nil && ctx.Err() != nil {
				// Out of time, not a failure: checked again next run. What was written before
				// the end is counted and announced all the same.
				count(func() {
					cut = min(cut, i)
					if fixed {
						res.Drifted++
						res.Fixed++
					}
				})
				if fixed && opts.OnDrift != nil {
					opts.OnDrift(r)
				}
				return nil
			}
			if r.Outcome == Gone || registry.IsNotFound(err) { // deleted before, or during, its check
				count(func() { res.Gone++ })
				return nil
			}
			rejected := Rejected(err)
			count(func() {
				switch {
				case rejected:
					res.Rejected++
				case err != nil:
					res.Errors++
				case cfg.Exempt(s.Name):
				case len(r.Differences) == 0:
					res.Scanned++
					res.Compliant++
				default:
					res.Scanned++
				}
				if len(r.Differences) > 0 {
					res.Drifted++
					if fixed {
						res.Fixed++
					}
				}
			})
			if err != nil && !rejected && opts.OnError != nil {
				opts.OnError(s.Name, err)
			}
			if len(r.Differences) > 0 && opts.OnDrift != nil {
				opts.OnDrift(r)
			}
			return nil
		})
	}
	_ = g.Wait()
	done := min(taken, cut)
	res.Complete = done == len(batch)
	for _, s := range slices.Backward(batch[:done]) {
		if cfg.Managed(s.Name) {
			res.Last = s.Name
			break
		}
	}
	return res
}

// checkExempt reads an exempt repository's policy, in a cycle that reads every policy, and
// removes the product's statements from it: exempt means the lifecycle policy is its owners',
// not that a grant of ours survives. Nothing else of it is read, compared or written.
func (e *Engine) checkExempt(ctx context.Context, cfg config.Config, s registry.Summary, fix bool) (Result, error) {
	d := Named(cfg, s.Name) // exempt: no pull access of ours
	doc, err := e.Registry.AccessPolicy(ctx, s.Name)
	if err != nil {
		return Result{Repository: s.Name, URI: s.URI, Outcome: Failed, Error: err.Error()}, err
	}
	o := &registry.Repository{Summary: registry.Summary{Name: s.Name, ARN: s.ARN, URI: s.URI}, Access: registry.Known(doc)}
	return e.Apply(ctx, Plan(d, o), fix)
}

package reconcile

import (
	"context"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// ScanOptions steer one drift scan.
type ScanOptions struct {
	// Fix writes every fixable difference; otherwise differences are only reported.
	Fix bool
	// Concurrency bounds how many repositories are checked at once.
	Concurrency int
	// Tags reads every managed repository's tags (one ListTagsForResource each) and compares
	// the managed ones; without it, tags are not read by the scan.
	Tags bool
	// Access reads every managed repository's policy, not only where pull access is granted:
	// the product's statements may still be there to remove.
	Access bool
	// Owner, when set, is asked for the owner of a project repository whose tags were read,
	// so that owner tags removed or changed by hand can be put back (see Desired.Owner). It
	// returns d unchanged when it cannot tell; an error fails the repository's check.
	Owner func(ctx context.Context, d Desired, o *registry.Repository) (Desired, error)
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
	// Gone counts repositories deleted between the listing and their check: nothing to do.
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
// them a ListTagsForResource and a GetRepositoryPolicy; one write a drifted setting in fix
// mode, nothing else. Repositories outside the managed namespaces are skipped without a call;
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
		check := e.check
		if cfg.Exempt(s.Name) {
			count(func() { res.Exempt++ })
			if !opts.Access {
				continue
			}
			check = e.checkExempt
		}
		g.Go(func() error {
			r, err := check(ctx, cfg, s, opts)
			fixed := slices.ContainsFunc(r.Differences, func(d Difference) bool { return d.Fixed })
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
			if registry.IsNotFound(err) {
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
func (e *Engine) checkExempt(ctx context.Context, cfg config.Config, s registry.Summary, opts ScanOptions) (Result, error) {
	d := Named(cfg, s.Name) // exempt: no pull access of ours
	d.CheckAccess = true
	doc, err := e.Registry.AccessPolicy(ctx, s.Name)
	if err != nil {
		return Result{Repository: s.Name, URI: s.URI, Outcome: Failed, Error: err.Error()}, err
	}
	o := &registry.Repository{Summary: registry.Summary{Name: s.Name, ARN: s.ARN, URI: s.URI}, Access: registry.Known(doc)}
	return e.Apply(ctx, Plan(d, o, opts.Fix))
}

// check observes one listed repository, plans it and applies the plan. The result carries the
// differences found, also when the fix failed.
func (e *Engine) check(ctx context.Context, cfg config.Config, s registry.Summary, opts ScanOptions) (Result, error) {
	d := Named(cfg, s.Name)
	d.CheckAccess = d.CheckAccess || opts.Access
	o, err := e.Registry.Complete(ctx, s, d.Reads(opts.Tags))
	if err != nil {
		return Result{Repository: s.Name, URI: s.URI, Outcome: Failed, Error: err.Error()}, err
	}
	if opts.Owner != nil && o.Tags.Known && d.Scope == naming.ScopeProject {
		if d, err = opts.Owner(ctx, d, o); err != nil {
			return Result{Repository: s.Name, URI: s.URI, Outcome: Failed, Error: err.Error()}, err
		}
		if d.CheckAccess && !o.Access.Known {
			// The owner grants pull access (a member account's project): read the policy now.
			doc, err := e.Registry.AccessPolicy(ctx, s.Name)
			if err != nil {
				return Result{Repository: s.Name, URI: s.URI, Outcome: Failed, Error: err.Error()}, err
			}
			o.Access = registry.Known(doc)
		}
	}
	return e.Apply(ctx, Plan(d, o, opts.Fix))
}

package reconcile

import (
	"context"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Owner completes the desired state of a project repository known by its name from what the
// repository says of its owner (its tags, and its policy where Reads reads it: see AccountOf),
// so that owner tags removed or changed by hand are put back as the live owner wants them. It
// returns d unchanged when it cannot tell, and reports whether the owner it found took asking
// someone beyond the repository (SageMaker, say): that takes time, and the repository is then
// observed again before it is planned. An error fails the repository's check.
type Owner func(ctx context.Context, d Desired, o *registry.Repository) (_ Desired, asked bool, err error)

// Checking is how a repository is checked, whoever asked for it.
type Checking struct {
	// Fix writes every fixable difference; otherwise differences are only reported, with the
	// writes that would fix them.
	Fix bool
	// Tags reads the repository's tags (one ListTagsForResource) and compares the managed ones,
	// and lets Owner say whose the repository is.
	Tags bool
	// Access reads the repository policy whatever Reads says: the product's statements may
	// still be there to remove, or someone edited it.
	Access bool
	// Owner, when set, is asked for the owner of a project repository whose tags were read.
	Owner Owner
}

// Check is the one way a managed repository is reconciled, whoever asked: the sweep, for one
// it listed (listed is then its listing, so DescribeRepositories is not called again), or the
// repair of one a hand edit touched (listed is nil). It reads first what says whose the
// repository is (its tags, and its policy where that may say it), asks Owner, observes the
// rest (all of it again, after an Owner that asked SageMaker: nothing slow stands between the
// observation and the write), plans, and applies the plan as how.Fix says. A repository that
// does not exist is Gone, not an error. The result carries the differences found, also when
// the fix failed.
func (e *Engine) Check(ctx context.Context, cfg config.Config, name string, listed *registry.Summary, how Checking) (Result, error) {
	d := Named(cfg, name)
	reads := Reads(cfg, d)
	reads.Tags, reads.Access = how.Tags, reads.Access || how.Access
	observe := func(r registry.Reads) (*registry.Repository, error) {
		if listed == nil {
			return e.Registry.Observe(ctx, name, r)
		}
		o, err := e.Registry.Complete(ctx, *listed, r)
		if registry.IsNotFound(err) {
			return nil, nil
		}
		return o, err
	}
	fail := func(err error) (Result, error) {
		r := Result{Repository: name, Outcome: Failed, Error: err.Error()}
		if listed != nil {
			r.URI = listed.URI
		}
		return r, err
	}

	o, err := observe(registry.Reads{Tags: reads.Tags, Access: reads.Access})
	switch {
	case err != nil:
		return fail(err)
	case o == nil:
		return Result{Repository: name, Outcome: Gone}, nil
	}
	if how.Owner != nil && o.Tags.Known && d.Scope == naming.ScopeProject {
		var asked bool
		if d, asked, err = how.Owner(ctx, d, o); err != nil {
			return fail(err)
		}
		if owned := Reads(cfg, d); owned.Access {
			reads.Access = true // the owner grants pull access: its policy is compared too
		}
		if asked {
			listed = nil // observed again, whole
			o, err = observe(reads)
			switch {
			case err != nil:
				return fail(err)
			case o == nil:
				return Result{Repository: name, Outcome: Gone}, nil
			}
		}
	}
	rest := registry.Reads{Lifecycle: reads.Lifecycle && !o.Lifecycle.Known, Access: reads.Access && !o.Access.Known}
	if rest.Lifecycle || rest.Access {
		more, err := e.Registry.Complete(ctx, o.Summary, rest)
		if registry.IsNotFound(err) {
			return Result{Repository: name, Outcome: Gone}, nil
		}
		if err != nil {
			return fail(err)
		}
		if rest.Lifecycle {
			o.Lifecycle = more.Lifecycle
		}
		if rest.Access {
			o.Access = more.Access
		}
	}
	return e.Apply(ctx, Plan(d, o), how.Fix)
}

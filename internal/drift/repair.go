package drift

import (
	"context"
	"fmt"
	"slices"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// repair reconciles the one repository a hand edit touched, at once, through the same check
// as the sweep's (reconcile.Engine.Check, with the same owner rule) and as the mode says: the
// edit is undone seconds after CloudTrail reports it, not at the next sweep. It costs that
// repository's reads (describe, tags, lifecycle policy, and the repository policy where pull
// access is configured or the edit was to it), the owner's (one ListTags a candidate project
// in SageMaker of the repository's own account, or for a repository with a Unified Studio
// identity one GetProject in DataZone, after which the repository is observed again) and the
// writes of what differs. A deleted repository is made again with its project's other
// repositories, so that the creation sees whose they are. A repository deleted by hand has no account tag left to read
// and is looked for in this account only: a member's is made again by the discovery. The
// product's own writes come back as such records too (the rule excludes its roles, see
// template.yaml), and find the repository as desired: no second write.
func (r *run) repair(ctx context.Context, e *edit, at place) (Summary, error) {
	name := e.Repository
	sum := Summary{Repository: name}
	switch {
	case !r.cfg.Managed(name):
		sum.Status, sum.Reason = publish.StatusIgnored, fmt.Sprintf("%s is not in the managed namespaces", name)
		return sum, nil
	case r.cfg.Exempt(name) && e.Call != "DeleteRepository":
		sum.Status, sum.Reason, sum.Exempt = publish.StatusIgnored, exemptReason(name), 1
		return sum, nil
	}
	res, err := r.check(ctx, name, e)
	switch {
	case err == nil && res.Outcome == reconcile.Gone:
		return r.recreate(ctx, sum, name, at)
	case err == nil && res.Outcome == reconcile.Unchanged && r.cfg.Exempt(name):
		// Deleted and made again meanwhile: as it is now, it is its owners' to keep.
		sum.Status, sum.Reason, sum.Exempt = publish.StatusIgnored, exemptReason(name), 1
		return sum, nil
	}
	if len(res.Differences) > 0 {
		r.announce(ctx, res)
	}
	checked(res, err).fold(&sum)
	if reconcile.Rejected(err) {
		return sum, nil // reported, never adopted: no retry changes it
	}
	return sum, err
}

// check is the repair's check of name: an exempt repository (its deletion was recorded) is
// only looked for; any other is reconciled whole.
func (r *run) check(ctx context.Context, name string, e *edit) (reconcile.Result, error) {
	if r.cfg.Exempt(name) {
		o, err := r.engine.Registry.Observe(ctx, name, registry.Reads{})
		switch {
		case err != nil:
			return reconcile.Result{Repository: name, Outcome: reconcile.Failed, Error: err.Error()}, err
		case o == nil:
			return reconcile.Result{Repository: name, Outcome: reconcile.Gone}, nil
		}
		return reconcile.Result{Repository: name, Outcome: reconcile.Unchanged}, nil
	}
	return r.engine.Check(ctx, r.cfg, name, nil, reconcile.Checking{
		Fix:    r.fix(),
		Tags:   true,
		Access: e.Call == "SetRepositoryPolicy" || e.Call == "DeleteRepositoryPolicy",
		Owner:  r.ownerOf(true),
	})
}

// recreate creates again, empty, a repository that was deleted by hand: a shared one the
// configuration wants, or one of a live project's. Report mode reports it missing.
func (r *run) recreate(ctx context.Context, sum Summary, name string, at place) (Summary, error) {
	d, set, err := r.lost(ctx, name, at)
	if err != nil {
		sum.Errors = 1
		return sum, err
	}
	if set == nil {
		sum.Status = publish.StatusIgnored
		sum.Reason = fmt.Sprintf("%s is gone and nothing wants it back: no live project or shared type owns it (or create-project-repos is false)", name)
		return sum, nil
	}
	o := outcome{missing: 1}
	if r.fix() {
		// With its siblings: the creation reads their tags, and rejects the whole set when
		// they are another project's (a Unified Studio one, say), instead of mixing owners in
		// one namespace.
		o.add(r.create(ctx, set))
	} else {
		r.reportMissing(ctx, d)
	}
	o.fold(&sum)
	if sum.Errors > 0 {
		return sum, fmt.Errorf("repository %s not created again", name)
	}
	return sum, nil
}

// lost is the desired state of a managed repository that was deleted, and the set it is to
// be made again with, nil when nothing wants it back: a shared type in shared-repos (alone),
// or a live project of this account that owns it (a deleted repository has no tags left to
// say whose it was) with create-project-repos (with the project's other repositories). Whether
// the project is on its way out is asked before it is made again. It fails when that cannot
// be told: whether to create the repository again then waits for the sweep.
func (r *run) lost(ctx context.Context, name string, at place) (_ reconcile.Desired, set []reconcile.Desired, err error) {
	d := reconcile.Named(r.cfg, name)
	if d.Scope == naming.ScopeShared {
		if slices.Contains(r.cfg.SharedRepos, d.Type) {
			set = []reconcile.Desired{d}
		}
		return d, set, nil
	}
	fail := func(err error) (reconcile.Desired, []reconcile.Desired, error) {
		return d, nil, fmt.Errorf("owner of %s not read; the repository is left as it is: %w", name, err)
	}
	p, err := owner(ctx, r.accounts, r.cfg, at, name, "", nil)
	if err != nil {
		return fail(err)
	}
	if p == nil || !r.cfg.CreateProjectRepos {
		return d, nil, nil
	}
	want, ok := projectDesired(r.cfg, *p, name)
	if !ok {
		return d, nil, nil
	}
	api, err := r.accounts.SageMaker(ctx, p.Account)
	if err != nil {
		return fail(err)
	}
	gone, err := projects.Gone(ctx, api, p.Name)
	if err != nil {
		return fail(err)
	}
	if gone {
		return want, nil, nil
	}
	set, _ = reconcile.ProjectRepositories(r.cfg, *p) // projectDesired made it: it cannot fail
	return want, set, nil
}

func exemptReason(name string) string {
	return fmt.Sprintf("%s is lifecycle-exempt: the reconciler leaves it alone", name)
}

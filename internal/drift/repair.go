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

// repair reconciles the one repository a hand edit touched, at once, with the whole desired
// repository and as the mode says: the edit is undone seconds after CloudTrail reports it, not
// at the next sweep. It costs that repository's reads (describe, tags, lifecycle policy, and
// the repository policy where pull access is configured or the edit was to it) and the writes
// of what differs. A project repository's owner is read first, before that observation: its
// tags (and in a central registry its policy) once more, and one ListTags a candidate project
// in SageMaker of the repository's own account. A repository deleted by hand has no account
// tag left to read and is looked for in this account only: a member's is made again by the
// discovery. The product's own writes come back as such records too (the rule
// excludes its roles, see template.yaml), and find the repository as desired: no second write.
func (r *run) repair(ctx context.Context, e *edit, at place, sum *Summary) error {
	name := e.Repository
	sum.Repository = name
	switch {
	case !r.cfg.Managed(name):
		sum.Status, sum.Reason = publish.StatusIgnored, fmt.Sprintf("%s is not in the managed namespaces", name)
		return nil
	case r.cfg.Exempt(name) && e.Call != "DeleteRepository":
		sum.Status, sum.Reason, sum.Exempt = publish.StatusIgnored, exemptReason(name), 1
		return nil
	}
	d, wanted := r.desiredFor(name)
	d.CheckAccess = d.CheckAccess || e.Call == "SetRepositoryPolicy" || e.Call == "DeleteRepositoryPolicy"
	if d.Scope == naming.ScopeProject {
		// The owner first, from what the repository says of it now; then the repository is
		// observed, planned and written with nothing slow in between.
		var err error
		if d, wanted, err = r.repairOwner(ctx, d, at); err != nil {
			sum.Errors = 1
			return err
		}
	}
	o, err := r.engine.Registry.Observe(ctx, name, d.Reads(true))
	if err != nil {
		sum.Errors = 1
		return err
	}
	if o != nil && d.Exempt {
		// Deleted and made again meanwhile: as it is now, it is its owners' to keep.
		sum.Status, sum.Reason, sum.Exempt = publish.StatusIgnored, exemptReason(name), 1
		return nil
	}
	if o == nil {
		return r.recreate(ctx, d, wanted, sum)
	}
	res, err := r.engine.Apply(ctx, reconcile.Plan(d, o, r.fix()))
	sum.Scanned = 1
	switch {
	case err != nil:
		sum.Errors = 1
	case len(res.Differences) == 0:
		sum.Compliant = 1
	default:
		sum.Drifted = 1
		if slices.ContainsFunc(res.Differences, func(d reconcile.Difference) bool { return d.Fixed }) {
			sum.Fixed = 1
		}
	}
	if len(res.Differences) > 0 {
		r.tally.add(res)
		r.events.Add(ctx, publish.DriftEvent(res))
	}
	if reconcile.Rejected(err) {
		// A repository that names another project is reported, never adopted: not a failure
		// to retry.
		sum.Errors, sum.Rejected = 0, 1
		return nil
	}
	return err
}

// repairOwner reads what the project repository d says of its owner (its tags, and in a
// central registry its policy: see reconcile.AccountOf), asks SageMaker of that account for
// the owner, and returns the repository as the owner wants it, and whether it wants it at all
// (a live project's, with create-project-repos). It fails when that cannot be told and it
// matters: the repository is gone, and whether to create it again waits for the sweep.
func (r *run) repairOwner(ctx context.Context, d reconcile.Desired, at place) (_ reconcile.Desired, wanted bool, err error) {
	fail := func(err error) (reconcile.Desired, bool, error) {
		return d, false, fmt.Errorf("owner of %s not read; the repository is left as it is: %w", d.Name, err)
	}
	pre, err := r.engine.Registry.Observe(ctx, d.Name, registry.Reads{Tags: true, Access: d.CheckAccess})
	if err != nil {
		return fail(err)
	}
	var tags map[string]string
	account := ""
	if pre != nil {
		tags, account = pre.Tags.Value, reconcile.AccountOf(pre)
	}
	if account != "" {
		d = reconcile.InAccount(r.cfg, d, account) // a member's project: its account pulls, whoever owns it
	}
	p, err := owner(ctx, r.accounts, r.cfg, at, d.Name, account, tags)
	switch {
	case err != nil && pre == nil:
		return fail(err)
	case err != nil:
		r.log.WarnContext(ctx, "owner of a repository not read from SageMaker", "repository", d.Name, "error", err.Error())
	}
	if p == nil {
		return d, false, nil
	}
	want, ok := projectDesired(r.cfg, *p, d.Name)
	if !ok {
		return d, false, nil
	}
	want.CheckAccess = want.CheckAccess || d.CheckAccess
	if pre != nil || !r.cfg.CreateProjectRepos {
		return want, r.cfg.CreateProjectRepos, nil
	}
	// Before a deleted repository is made again: is its project on its way out?
	api, err := r.accounts.SageMaker(ctx, p.Account)
	if err != nil {
		return fail(err)
	}
	gone, err := projects.Gone(ctx, api, p.Name)
	if err != nil {
		return fail(err)
	}
	return want, !gone, nil
}

func exemptReason(name string) string {
	return fmt.Sprintf("%s is lifecycle-exempt: the reconciler leaves it alone", name)
}

// desiredFor is the desired state of a managed repository known by its name, and whether the
// configuration wants it at all: a shared type in shared-repos (a project repository's answer
// comes from its owner).
func (r *run) desiredFor(name string) (reconcile.Desired, bool) {
	d := reconcile.Named(r.cfg, name)
	if d.Scope == naming.ScopeShared {
		return d, slices.Contains(r.cfg.SharedRepos, d.Type)
	}
	return d, false
}

// recreate creates again, empty, a repository that was deleted by hand: a shared one the
// configuration wants, or one of a live project's. Report mode reports it missing.
func (r *run) recreate(ctx context.Context, d reconcile.Desired, wanted bool, sum *Summary) error {
	if !wanted {
		sum.Status = publish.StatusIgnored
		sum.Reason = fmt.Sprintf("%s is gone and nothing wants it back: no live project or shared type owns it (or create-project-repos is false)", d.Name)
		return nil
	}
	sum.Missing = 1
	if !r.fix() {
		r.reportMissing(ctx, d)
		return nil
	}
	r.create(ctx, []reconcile.Desired{d}, sum)
	if sum.Errors > 0 {
		return fmt.Errorf("repository %s not created again", d.Name)
	}
	return nil
}

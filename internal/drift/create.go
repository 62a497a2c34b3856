package drift

import (
	"context"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// complete creates what the listing lacks of desired (fix mode) or reports it (report mode).
// started is false when the run's time was spent before it could start.
func (r *run) complete(ctx context.Context, desired []reconcile.Desired, listing *sweep.Listing) (o outcome, started bool) {
	var missing []reconcile.Desired
	for _, d := range desired {
		if !listing.Has(d.Name) {
			missing = append(missing, d)
		}
	}
	switch {
	case len(missing) == 0:
		return o, true
	case r.stopped():
		return o, false
	}
	o.missing = len(missing)
	if !r.fix() {
		for _, d := range missing {
			r.reportMissing(ctx, d)
		}
		return o, true
	}
	o.add(r.create(ctx, desired))
	return o, true
}

// reportMissing reports, in report mode, a repository that should exist and does not, with
// the writes that would create it.
func (r *run) reportMissing(ctx context.Context, d reconcile.Desired) {
	res, _ := r.engine.Apply(ctx, reconcile.Plan(d, nil), false) // report mode: no call, no error
	r.announce(ctx, res)
}

// announce reports a repository that is not as desired: in the metrics' tally and as a drift
// event.
func (r *run) announce(ctx context.Context, res reconcile.Result) {
	r.tally.add(res)
	r.events.Add(ctx, publish.DriftEvent(res))
}

// create creates what is missing of desired, and announces it.
func (r *run) create(ctx context.Context, desired []reconcile.Desired) outcome {
	results, err := r.engine.CreateMissing(ctx, r.cfg, desired)
	var o outcome
	for _, res := range results {
		if res.Outcome == reconcile.Created {
			o.created++
		}
	}
	var project, projectID, team, account string
	scope := naming.ScopeShared
	if p := desired[0].Owner; p != nil {
		scope, project, projectID, team, account = naming.ScopeProject, p.Name, p.ID, p.Team, p.Account
	}
	failed := func(status publish.Status) publish.Event {
		return publish.Event{DetailType: publish.ProvisioningFailed, Detail: publish.FailedDetail{
			Scope: scope, Project: project, Team: team, Account: account, Trigger: publish.TriggerDrift, Status: status, Error: err.Error(), Repositories: results}}
	}
	switch {
	case reconcile.Rejected(err):
		o.rejected++
		r.events.Add(ctx, failed(publish.StatusRejected))
	case err != nil:
		o.errors++
		r.events.Add(ctx, failed(publish.StatusFailed))
		r.log.ErrorContext(ctx, "repositories not created", "error", err.Error())
	case o.created > 0:
		r.events.Add(ctx, publish.Event{DetailType: publish.RepositoriesProvisioned, Detail: publish.ProvisionedDetail{
			Scope: scope, Project: project, ProjectID: projectID, Team: team, Account: account, Trigger: publish.TriggerDrift, Repositories: results}})
	}
	return o
}

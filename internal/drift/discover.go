package drift

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// discover is this invocation's share of the discovery, in this account and every member
// account: in each, the projects created since the last run first (the heads), then, account
// after account, on down from the cursor (the tail), newest first, until the time is spent or
// every project of every account has been seen. For each live project with a team tag that
// makes valid names, the repositories the listing lacks are created (fix mode) or reported.
// The cursors move only over projects whose visit finished: one cut off by the end of the
// run's time is looked at again by the next run. An account that cannot be read (a member role
// that cannot be assumed, a ListProjects refused by an SCP) is one error, named in the
// summary's unreachable and passed over for the run: the other accounts go on, the heads'
// window still moves on (so that it stays bounded however long the account stays unreadable),
// and the tail goes past it, so the cycle ends; its projects are found by the first cycle
// whose tail reads it again, and the run is not complete. done is true when the discovery
// cycle completed in this run with every account read; o is what the visits did.
func (r *run) discover(ctx context.Context, d *sweep.Discovery, listing *sweep.Listing) (o outcome, done bool) {
	now := r.svc.now()
	if d.Started.IsZero() {
		d.Begin(now)
	}
	going := func() bool { return ctx.Err() == nil && !r.stopped() }
	// visits walks the projects of account in window, visiting each concurrently; it returns
	// whether the walk saw every project of the window, and the visits in walk order with
	// whether each finished.
	type visited struct {
		project  smtypes.ProjectSummary
		finished bool
		outcome  outcome
	}
	visits := func(api accounts.SageMaker, account string, w projects.Window, skip func(smtypes.ProjectSummary) bool) (bool, []*visited, error) {
		var out []*visited // in walk order; each finished is read after g.Wait
		g := errgroup.Group{}
		g.SetLimit(max(1, r.svc.Concurrency))
		all, err := projects.Walk(ctx, api, w, func(p smtypes.ProjectSummary) bool {
			if skip != nil && skip(p) {
				return true
			}
			if !going() {
				return false
			}
			v := &visited{project: p}
			out = append(out, v)
			g.Go(func() error {
				v.outcome, v.finished = r.visit(ctx, api, account, p, listing)
				return nil
			})
			return true
		})
		_ = g.Wait()
		for _, v := range out {
			o.add(v.outcome)
		}
		return all, out, err
	}
	unread := map[string]bool{} // accounts passed over this run: counted, and named in the summary
	pass := func(account string, err error) {
		unread[account] = true
		if ctx.Err() == nil && o.passOver(account) { // not when the run is only out of time: no fault of the account's
			r.log.ErrorContext(ctx, "account unreadable; its projects wait", "account", account, "error", err.Error())
		}
	}

	// The heads overlap the last run's by a minute: ListProjects may show a project a little
	// after its creation time.
	all := r.accounts.Accounts()
	byHead := map[string]bool{}
	headsDone := true
	for _, account := range all {
		api, err := r.accounts.SageMaker(ctx, account)
		if err != nil {
			pass(account, err)
			continue
		}
		head, seen, err := visits(api, account, projects.Window{After: d.Newest.Add(-headOverlap)}, nil)
		if err != nil && ctx.Err() == nil {
			pass(account, err)
			continue
		}
		if !head {
			return o, false // out of time
		}
		for _, v := range seen {
			byHead[aws.ToString(v.project.ProjectArn)] = true
			headsDone = headsDone && v.finished
		}
	}
	if headsDone {
		d.Newest = now
	}

	// The tail, account after account: below the cursor, and at the cursor's own creation time
	// those not yet done (projects can share a creation time); not again those a head just
	// looked at.
	skipped := false
	for i := d.TailStart(all); i < len(all); i++ {
		account := all[i]
		if d.Account != account {
			d.Account, d.Before, d.Done = account, d.Started, nil
		}
		if unread[account] {
			skipped = true
			continue // its error is counted; its older projects wait for the next cycle
		}
		api, err := r.accounts.SageMaker(ctx, account)
		if err != nil {
			pass(account, err)
			skipped = true
			continue
		}
		cursor := *d
		tail, seen, err := visits(api, account, projects.Window{Before: d.Before.Add(time.Millisecond)}, func(p smtypes.ProjectSummary) bool {
			return byHead[aws.ToString(p.ProjectArn)] ||
				aws.ToTime(p.CreationTime).Equal(cursor.Before) && slices.Contains(cursor.Done, aws.ToString(p.ProjectName))
		})
		finishedAll := true
		for _, v := range seen {
			if !v.finished {
				finishedAll = false
				break
			}
			d.Visited(aws.ToTime(v.project.CreationTime), aws.ToString(v.project.ProjectName))
		}
		if err != nil && ctx.Err() == nil {
			pass(account, err)
			skipped = true
			continue
		}
		if err != nil || !tail || !finishedAll || !going() {
			return o, false // out of time
		}
	}
	d.LastFinished, d.Started, d.Account = r.svc.now(), time.Time{}, ""
	return o, !skipped
}

// headOverlap is how far back before the last run's start the discovery's heads look again.
const headOverlap = time.Minute

// visit looks at one listed project of account and completes its repositories; finished is
// false when the run's time ran out before it could.
func (r *run) visit(ctx context.Context, api accounts.SageMaker, account string, p smtypes.ProjectSummary, listing *sweep.Listing) (o outcome, finished bool) {
	if ctx.Err() != nil || r.stopped() {
		return o, false
	}
	project, ok, o := r.project(ctx, api, account, p)
	switch {
	case ctx.Err() != nil:
		return o, false
	case !ok:
		return o, true // nothing to do for it, or its failure is counted
	}
	desired, err := reconcile.ProjectRepositories(r.cfg, project)
	if err != nil {
		return o, true
	}
	made, started := r.complete(ctx, desired, listing)
	o.add(made)
	return o, started && ctx.Err() == nil
}

// project reads one project's tags and says whether it is to have repositories.
func (r *run) project(ctx context.Context, api accounts.SageMaker, account string, p smtypes.ProjectSummary) (_ projects.Project, ok bool, o outcome) {
	name := aws.ToString(p.ProjectName)
	tags, gone, err := projects.Tags(ctx, api, aws.ToString(p.ProjectArn))
	switch {
	case gone:
		return projects.Project{}, false, o // deleted since it was listed
	case err != nil && ctx.Err() != nil:
		return projects.Project{}, false, o // the run stopped reading projects: not this one's fault
	case err != nil:
		o.errors++
		r.log.ErrorContext(ctx, "project tags not read", "project", name, "error", err.Error())
		return projects.Project{}, false, o
	}
	project := projects.Identify(name, aws.ToString(p.ProjectId), tags, r.cfg.TeamTag)
	project.Account = r.accounts.ProjectAccount(account)
	if project.Team == "" {
		return projects.Project{}, false, o // not ready yet: provisioning starts when the team tag arrives
	}
	if _, err := reconcile.ProjectRepositories(r.cfg, project); err != nil {
		o.add(r.rejectProject(ctx, project, err))
		return projects.Project{}, false, o
	}
	return project, true, o
}

// rejectProject reports a project the discovery found that cannot have repositories as it is:
// its Provisioning Failed event, and one rejection.
func (r *run) rejectProject(ctx context.Context, project projects.Project, err error) outcome {
	r.events.Add(ctx, publish.Event{DetailType: publish.ProvisioningFailed,
		Detail: publish.FailedDetail{Scope: naming.ScopeProject, Project: project.Name, Team: project.Team, Account: project.Account,
			Domain: project.Domain, Trigger: publish.TriggerDrift, Status: publish.StatusRejected, Error: err.Error()}})
	return outcome{rejected: 1}
}

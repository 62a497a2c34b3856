package drift

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// run is one invocation's state.
type run struct {
	svc      *Service
	cfg      config.Config
	accounts *accounts.Session
	mode     config.Mode
	trigger  trigger
	log      *slog.Logger
	engine   reconcile.Engine
	events   *publish.Buffer
	// stopBy is when to stop starting work; finalBy when the state and the last events must
	// be out (see budget).
	stopBy, finalBy time.Time
	// tally counts differences found and fixed by setting, for the metrics.
	tally tally

	mu sync.Mutex // guards the summary's counters while goroutines update them
}

func (r *run) fix() bool { return r.mode == config.ModeFix }

// stopped reports whether the run's time budget is spent.
func (r *run) stopped() bool {
	return !r.stopBy.IsZero() && r.svc.now().After(r.stopBy)
}

func (r *run) count(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// sweep is a scheduled, configuration-change or manual run: one invocation's share of the sweep
// cycle over every managed repository, and of the discovery of SageMaker projects whose
// repositories are missing. The two run side by side, each waiting on its own service's rate
// cap, and each continues across invocations from the cursor kept in the state parameter, so
// neither waits for the other to finish: every repository is checked at least once a cycle,
// however many there are, and a missed project's repositories are created in the first run
// that finds it.
func (r *run) sweep(ctx, invocation context.Context, sum *Summary, holder string, deadline time.Time) error {
	store := r.svc.store()
	now := r.svc.now()
	scopes := sweep.Fingerprint(r.cfg.AccessScopes())
	st, held, err := store.Acquire(ctx, holder, now, deadline, func(st *sweep.State) {
		st.Prepare(scopes, r.trigger.access, r.trigger.kind == publish.TriggerConfigChange)
	})
	if err != nil {
		return err
	}
	if !held {
		sum.Status = publish.StatusSkipped
		sum.Reason = "another run sweeps; this one leaves the sweep to it"
		if st.Lease != nil {
			sum.Reason = fmt.Sprintf("another run sweeps until %s; this one leaves the sweep to it", st.Lease.Until.Format(time.RFC3339))
		}
		if r.trigger.kind == publish.TriggerConfigChange {
			// The run under way read the old configuration: the next one starts over with the new.
			sum.Reason += ", and the next run starts the cycle over with the new configuration"
			return r.svc.restartLater(ctx, store, r.trigger.access)
		}
		return nil
	}
	restarts := st.Restarts
	cycle := st.CycleOf(string(r.mode), now)
	listing, err := sweep.List(ctx, r.engine.Registry, r.cfg.Managed, cycle.After, r.batchLimit(now))
	if err != nil {
		r.count(func() { sum.Errors++ })
		r.log.ErrorContext(ctx, "repositories not listed", "error", err.Error())
		return errors.Join(err, r.release(invocation, store, holder, nil, sum))
	}

	discovery := *st.Discovery(string(r.mode))
	var discovered bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		if r.cfg.CreateProjectRepos {
			discovered = r.discover(ctx, &discovery, listing, sum)
		} else {
			discovered = true
		}
	}()
	// The shared repositories need nothing from the discovery: complete them now.
	r.complete(ctx, reconcile.Shared(r.cfg), listing, sum)
	scan := r.engine.Scan(ctx, r.cfg, listing.Batch, reconcile.ScanOptions{
		Fix:         r.fix(),
		Concurrency: r.svc.Concurrency,
		// In a central registry every project repository's tags are read: the account tag says
		// which member account may pull it.
		Tags:   r.cfg.CheckTags || len(r.cfg.MemberAccounts) > 0,
		Access: cycle.Access,
		Owner:  r.owner,
		Stop:   r.stopped,
		OnDrift: func(res reconcile.Result) {
			r.tally.add(res)
			r.events.Add(ctx, publish.DriftEvent(res))
		},
		OnError: func(repo string, err error) {
			r.log.ErrorContext(ctx, "repository not reconciled", "repository", repo, "error", err.Error())
		},
	})
	<-done

	if scan.Last != "" {
		cycle.After = scan.Last
	}
	// A failed check is passed (it must not hold up the ones after it) but not counted as
	// checked: the cycle it failed in is not complete.
	cycle.Failed += scan.Errors
	cycle.Checked = max(0, listing.Position(cycle.After)-cycle.Failed)
	cycleEnd := scan.Complete && !listing.Rest
	cycleDone := cycleEnd && cycle.Failed == 0
	r.count(func() {
		sum.Scanned, sum.Compliant, sum.Drifted, sum.Fixed = scan.Scanned, scan.Compliant, scan.Drifted, scan.Fixed
		sum.Exempt, sum.Errors, sum.Rejected = scan.Exempt, sum.Errors+scan.Errors, sum.Rejected+scan.Rejected
		sum.Swept, sum.SweepTotal, sum.CycleComplete = cycle.Checked, listing.Total(), cycleDone
		sum.Complete = cycleDone && discovered
	})
	finished := r.svc.now()
	// A withdrawal of pull access ends only with a fix cycle that read every repository
	// policy and removed what it had to without one failure; any other keeps it, and the next
	// cycle reads every policy again.
	withdrawn := !(cycleDone && r.fix() && cycle.Access)
	if cycleEnd {
		if cycleDone {
			cycle.Finish(finished)
		}
		*cycle = sweep.Cycle{LastStarted: cycle.LastStarted, LastFinished: cycle.LastFinished}
	}
	if oldest, ok := cycle.OldestCheck(); ok {
		age := int64(finished.Sub(oldest).Seconds())
		sum.OldestCheckAgeSeconds = &age
	}
	saveErr := r.release(invocation, store, holder, func(st *sweep.State) {
		*st.Discovery(string(r.mode)), st.Scopes = discovery, scopes
		if st.Restarts != restarts {
			return // a restart was asked for while this run swept: the next run starts over
		}
		st.Cycles[string(r.mode)] = cycle
		st.Withdrawn = st.Withdrawn && withdrawn
	}, sum)
	return saveErr
}

// batchLimit is how many repositories this invocation can check at most: every check costs
// at least one ECR call, and the calls are capped. Without a cap or a deadline, all of them.
func (r *run) batchLimit(now time.Time) int {
	if r.svc.ECRPerSecond <= 0 || r.stopBy.IsZero() {
		return 0
	}
	return max(1, int(r.stopBy.Sub(now).Seconds()*r.svc.ECRPerSecond))
}

// release writes what the run changed back through change (nil: nothing) and gives up the
// lease (see sweep.Store.Release), even when the calls' context has ended, up to the run's
// finalBy. A state that cannot be written is an error of the run: the next run checks this
// run's share again, and the lease holds the sweep until this run's deadline.
func (r *run) release(invocation context.Context, store *sweep.Store, holder string, change func(*sweep.State), sum *Summary) error {
	ctx, cancel := finalContext(invocation, r.finalBy)
	defer cancel()
	err := store.Release(ctx, holder, func(st *sweep.State) {
		if st.Cycles == nil {
			st.Cycles = map[string]*sweep.Cycle{}
		}
		if change != nil {
			change(st)
		}
	})
	if err != nil {
		r.count(func() { sum.Errors++ })
		r.log.ErrorContext(ctx, "sweep state not saved", "error", err.Error())
	}
	return err
}

// restartLater asks the next run that sweeps to start its cycles over, and to read every
// repository policy when a pull access parameter changed. (A release under way may write over
// it; the scopes the next run compares still find a scope that went.)
func (s *Service) restartLater(ctx context.Context, store *sweep.Store, access bool) error {
	st, err := store.Load(ctx)
	if err != nil {
		return err
	}
	st.Restarts++
	st.Withdrawn = st.Withdrawn || access
	return store.Save(ctx, st)
}

// complete creates what the listing lacks of desired (fix mode) or reports it (report mode).
// It is false when the run's time was spent before it could start.
func (r *run) complete(ctx context.Context, desired []reconcile.Desired, listing *sweep.Listing, sum *Summary) bool {
	var missing []reconcile.Desired
	for _, d := range desired {
		if !listing.Has(d.Name) {
			missing = append(missing, d)
		}
	}
	switch {
	case len(missing) == 0:
		return true
	case r.stopped():
		return false
	}
	r.count(func() { sum.Missing += len(missing) })
	if !r.fix() {
		for _, d := range missing {
			r.reportMissing(ctx, d)
		}
		return true
	}
	r.create(ctx, desired, sum)
	return true
}

// reportMissing reports, in report mode, a repository that should exist and does not.
func (r *run) reportMissing(ctx context.Context, d reconcile.Desired) {
	res := reconcile.Result{Repository: d.Name, Retention: d.Retention(), Differences: reconcile.Plan(d, nil, false).Differences}
	r.tally.add(res)
	r.events.Add(ctx, publish.DriftEvent(res))
}

// create creates what is missing of desired, and announces it.
func (r *run) create(ctx context.Context, desired []reconcile.Desired, sum *Summary) {
	results, err := r.engine.CreateMissing(ctx, desired)
	created := 0
	for _, res := range results {
		if res.Outcome == reconcile.Created {
			created++
		}
	}
	r.count(func() { sum.Created += created })
	var project, projectID, team, account string
	scope := naming.ScopeShared
	if o := desired[0].Owner; o != nil {
		scope, project, projectID, team, account = naming.ScopeProject, o.Name, o.ID, o.Team, o.Account
	}
	failed := func(status publish.Status) publish.Event {
		return publish.Event{DetailType: publish.ProvisioningFailed, Detail: publish.FailedDetail{
			Scope: scope, Project: project, Team: team, Account: account, Trigger: publish.TriggerDrift, Status: status, Error: err.Error(), Repositories: results}}
	}
	switch {
	case reconcile.Rejected(err):
		r.count(func() { sum.Rejected++ })
		r.events.Add(ctx, failed(publish.StatusRejected))
	case err != nil:
		r.count(func() { sum.Errors++ })
		r.events.Add(ctx, failed(publish.StatusFailed))
		r.log.ErrorContext(ctx, "repositories not created", "error", err.Error())
	case created > 0:
		r.events.Add(ctx, publish.Event{DetailType: publish.RepositoriesProvisioned, Detail: publish.ProvisionedDetail{
			Scope: scope, Project: project, ProjectID: projectID, Team: team, Account: account, Trigger: publish.TriggerDrift, Repositories: results}})
	}
}

// owner completes, for a sweep that reads tags, the desired state of a project repository of a
// member account (reconcile.AccountOf: its account tag, or the product's own grant to that
// member when the tag was removed, which is then put back), and of one whose owner tags someone
// removed or whose project was deleted (it may be back), so that the plan puts the tags back as
// the live owner wants them. Repositories whose owner tags are whole and whose project is not
// deleted cost no call. The owner is looked for in the repository's own account only.
func (r *run) owner(ctx context.Context, d reconcile.Desired, o *registry.Repository) (reconcile.Desired, error) {
	tags := o.Tags.Value
	account := reconcile.AccountOf(o)
	if account != "" {
		d = reconcile.InAccount(r.cfg, d, account) // a member's project: its account pulls
	}
	_, retired := tags[naming.TagProjectDeleted]
	if !retired && tags[naming.TagTeam] != "" && tags[naming.TagProjectName] != "" {
		return d, nil
	}
	at, ok := placeOf(o.ARN)
	if !ok {
		return d, nil
	}
	p, err := owner(ctx, r.accounts, r.cfg, at, d.Name, account, tags)
	if err != nil {
		// The rest of the repository is still checked, as its account wants it; its owner tags
		// wait for the next cycle.
		r.log.WarnContext(ctx, "owner of a repository not read from SageMaker", "repository", d.Name, "error", err.Error())
		return d, nil
	}
	if p == nil {
		return d, nil
	}
	if want, ok := projectDesired(r.cfg, *p, d.Name); ok {
		want.CheckAccess = want.CheckAccess || d.CheckAccess
		return want, nil
	}
	return d, nil
}

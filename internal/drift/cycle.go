package drift

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// sweep is a scheduled, configuration-change or manual run: one invocation's share of the sweep
// cycle over every managed repository, and of the discovery of SageMaker projects whose
// repositories are missing. The two run side by side, each waiting on its own service's rate
// cap, and each continues across invocations from the cursor kept in the state parameter, so
// neither waits for the other to finish: every repository is checked at least once a cycle,
// however many there are, and a missed project's repositories are created in the first run
// that finds it. The lease, the cursors and the time budget are this function's; the work of
// each repository is reconcile.Engine.Check's, and of each project the discovery's.
func (r *run) sweep(ctx, invocation context.Context, holder string, deadline time.Time) (Summary, error) {
	var sum Summary
	store := r.svc.store()
	now := r.svc.now()
	scopes := sweep.Fingerprint(r.cfg.AccessScopes())
	st, held, err := store.Acquire(ctx, holder, now, deadline, func(st *sweep.State) {
		st.Prepare(scopes, r.trigger.access, r.trigger.kind == publish.TriggerConfigChange)
	})
	if err != nil {
		return sum, err
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
			return sum, r.svc.restartLater(ctx, store, r.trigger.access)
		}
		return sum, nil
	}
	restarts := st.Restarts
	cycle := st.CycleOf(string(r.mode), now)
	listing, err := sweep.List(ctx, r.engine.Registry, r.cfg.Managed, cycle.After, r.batchLimit(now))
	if err != nil {
		sum.Errors++
		r.log.ErrorContext(ctx, "repositories not listed", "error", err.Error())
		if saveErr := r.release(invocation, store, holder, nil); saveErr != nil {
			sum.Errors++
			err = errors.Join(err, saveErr)
		}
		return sum, err
	}

	// The discoveries of SageMaker's projects and of Unified Studio's run beside the sweep, each
	// on its own: none waits for another to finish.
	discovery := *st.Discovery(string(r.mode))
	studioCursor := st.StudioOf(string(r.mode))
	type found struct {
		outcome
		done bool
	}
	discovered, studioFound := make(chan found, 1), make(chan found, 1)
	go func() {
		if !r.cfg.CreateProjectRepos {
			discovered <- found{done: true}
			return
		}
		o, done := r.discover(ctx, &discovery, listing)
		discovered <- found{o, done}
	}()
	go func() {
		o, done := r.discoverStudio(ctx, &studioCursor, now, listing)
		studioFound <- found{o, done}
	}()
	type protected struct {
		outcome
		inventory
	}
	inUse := make(chan protected, 1)
	go func() {
		o, inv := r.protectInUse(ctx, invocation, restarts)
		inUse <- protected{o, inv}
	}()
	// The shared repositories need nothing from the discovery: complete them now.
	shared, _ := r.complete(ctx, reconcile.Shared(r.cfg), listing)
	scan := r.engine.Scan(ctx, r.cfg, listing.Batch, reconcile.ScanOptions{
		Checking: reconcile.Checking{
			Fix: r.fix(),
			// In a central registry every project repository's tags are read: the account tag
			// says which member account may pull it.
			Tags:   r.cfg.CheckTags || len(r.cfg.MemberAccounts) > 0,
			Access: cycle.Access,
			Owner:  r.ownerOf(false),
		},
		Concurrency: r.svc.Concurrency,
		Stop:        r.stopped,
		OnDrift:     func(res reconcile.Result) { r.announce(ctx, res) },
		OnError: func(repo string, err error) {
			r.log.ErrorContext(ctx, "repository not reconciled", "repository", repo, "error", err.Error())
		},
	})
	projects, studioProjects, images := <-discovered, <-studioFound, <-inUse

	if scan.Last != "" {
		cycle.After = scan.Last
	}
	// A failed check is passed (it must not hold up the ones after it) but not counted as
	// checked: the cycle it failed in is not complete.
	cycle.Failed += scan.Errors
	cycle.Checked = max(0, listing.Position(cycle.After)-cycle.Failed)
	cycleEnd := scan.Complete && !listing.Rest
	cycleDone := cycleEnd && cycle.Failed == 0

	shared.add(projects.outcome)
	shared.add(studioProjects.outcome)
	shared.add(images.outcome)
	shared.add(outcome{scanned: scan.Scanned, compliant: scan.Compliant, drifted: scan.Drifted, fixed: scan.Fixed,
		exempt: scan.Exempt, errors: scan.Errors, rejected: scan.Rejected})
	shared.fold(&sum)
	sum.Swept, sum.SweepTotal, sum.CycleComplete = cycle.Checked, listing.Total(), cycleDone
	sum.Complete = cycleDone && projects.done && studioProjects.done && images.complete
	if r.cfg.ProtectInUse {
		sum.InUse, sum.Protected, sum.Released = images.inUse, images.protected, images.released
		sum.InventoryComplete, sum.InventoryContinues = &images.complete, images.continues
	}

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
	err = r.release(invocation, store, holder, func(st *sweep.State) {
		*st.Discovery(string(r.mode)), st.Scopes = discovery, scopes
		if len(r.cfg.DataZoneDomains) > 0 || st.Studio != nil {
			if st.Studio == nil {
				st.Studio = map[string]*sweep.StudioCursor{}
			}
			studioCursor.Restarts = restarts
			st.Studio[string(r.mode)] = &studioCursor
		}
		if st.Restarts != restarts {
			return // a restart was asked for while this run swept: the next run starts over
		}
		st.Cycles[string(r.mode)] = cycle
		st.Withdrawn = st.Withdrawn && withdrawn
	})
	if err != nil {
		sum.Errors++
	}
	return sum, err
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
func (r *run) release(invocation context.Context, store *sweep.Store, holder string, change func(*sweep.State)) error {
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

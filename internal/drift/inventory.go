package drift

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// recentPull is how long after its last recorded pull an image is not released: ECR refreshes
// an image's lastRecordedPullTime at least once every 24 hours, so a pull by a use that began
// after the round read its account shows there within a day.
const recentPull = 24 * time.Hour

// inventory is what the sweep's inventory of images in use found and did in one run.
type inventory struct {
	inUse, protected, released int
	// complete: the run completed the inventory's round with every account read, and
	// released what it justified no more. continues: the round goes on in the next run.
	complete, continues bool
}

// protectInUse is the sweep's inventory of the images SageMaker uses (protect-in-use): every
// account's SageMaker is read (internal/inuse: endpoints, inference components, approved
// model packages, running jobs, Studio image versions), the references to this registry's
// managed repositories are collected, and each image in use gets its tag
// sagemaker-in-use-<hex> (fix mode; report mode reports it as an image-in-use difference).
//
// An inventory is a round (sweep.Round) that goes on across runs when it does not fit in one:
// each run reads the accounts from where the last stopped, for half its time at most (the
// rest is for the protections), adds what it found to the round's filter of what is in use,
// and protects it, account by account and resource by resource in the order they were read.
// A run whose time ends before it has protected all it read moves each account's cursor only
// as far as it protected: the next run reads the rest again.
//
// The run whose reads complete a round without a failure releases each protection that
// neither it nor the filter justifies, unless a use may have begun after its account was read:
// ECR recorded a pull of the image within recentPull before the round began, or a record
// stamped its repository since (TagInUseRecorded). An image whose only tag is the protecting
// one first gets sagemaker-released-<hex>, so that removing the protection never deletes it.
// A round with a failure releases nothing.
//
// It costs the SageMaker reads, one GetResources a page of the repositories that hold
// protections, and one DescribeImages walk for each repository that holds or needs a
// protection: nothing for any other managed repository.
func (r *run) protectInUse(ctx, invocation context.Context, restarts int) (o outcome, inv inventory) {
	if !r.cfg.ProtectInUse {
		return o, inventory{complete: true}
	}
	store := r.svc.inventoryStore()
	state, err := store.Load(ctx)
	if err != nil {
		o.errors++
		r.log.ErrorContext(ctx, "images in use not read; nothing is released this run", "error", err.Error())
		return o, inv
	}
	start := r.svc.now()
	accounts := slices.Sorted(slices.Values(r.accounts.Accounts()))
	round := state.RoundOf(string(r.mode), start, restarts, accounts, r.fix())
	round.Runs++

	// The repositories holding protections are looked up while SageMaker is read.
	type marks struct {
		by  map[string]mark
		err error
	}
	marking := make(chan marks, 1)
	go func() {
		by, err := r.marked(ctx)
		marking <- marks{by, err}
	}()
	reads := r.readRound(ctx, round.Work(accounts), start)
	var refs []inuse.Reference
	for _, rd := range reads {
		if rd.err != nil && !rd.cut && o.passOver(rd.at.Account) {
			r.log.ErrorContext(ctx, "images in use not read; nothing is released this round", "account", rd.at.Account, "error", rd.err.Error())
		}
		refs = append(refs, rd.part.Refs...)
	}
	found := r.collect(refs)
	if ig := found.Ignored; ig.Total() > 0 {
		r.log.InfoContext(ctx, "images SageMaker uses outside the managed repositories of this registry, left alone",
			"otherRegistry", ig.OtherRegistry, "otherRegion", ig.OtherRegion, "unmanaged", ig.Unmanaged, "notECR", ig.NotECR)
	}
	remember(round.Seen, found) // before any ECR call: kept even if this run protects none of it
	// What the round would be with all this run read protected: it releases only if that
	// completes it without a failure.
	whole := *round
	whole.Open = slices.Clone(round.Open)
	record(&whole, reads, len(reads), "")
	complete := whole.Complete(accounts) && !whole.Failed
	m := <-marking
	marked := m.by
	if m.err != nil {
		// Without the marks, what to release is unknown. The round ends all the same when this
		// run completes it, so that a lookup that keeps failing does not stop the next
		// inventories from finding new uses.
		marked, complete = nil, false
		o.errors++
		r.log.ErrorContext(ctx, "repositories holding protected images not looked up; nothing is released this run", "error", m.err.Error())
	}

	// A fix round keeps a filter; one without (a state edited by hand) releases nothing.
	release := complete && r.fix() && round.Seen != nil
	p := protecting{run: r, found: found, marked: marked, done: map[string]bool{}}
	if release {
		// Released as the repositories come, before every protection is done: what makes a
		// release safe is the inventory being complete, which it is with this run's reads.
		p.rel = releaser{on: true, seen: round.Seen, pulledSince: round.Started.Add(-recentPull), since: round.Started}
	}
	stoppedAt, upTo := len(reads), ""
	for i, rd := range reads {
		var ok bool
		if upTo, ok = p.account(ctx, rd); !ok {
			stoppedAt = i
			break
		}
	}
	record(round, reads, stoppedAt, upTo)
	done := stoppedAt == len(reads)
	if done && release {
		done = p.releaseMarked(ctx, round)
	}
	o.errors += p.errors
	inv.inUse, inv.protected, inv.released, inv.complete = p.inUse, p.protected, p.released, complete
	switch {
	case !done:
		// The next run reads again what this one did not protect, and completes the
		// inventory (and its release) again.
		inv.continues = true
		r.log.InfoContext(ctx, "images in use not all protected or released in time; the next run goes on")
	case round.Complete(accounts):
		r.log.InfoContext(ctx, "inventory of images in use ended", "runs", round.Runs, "started", round.Started,
			"complete", complete, "filtered", filtered(round.Seen))
		round.Finish(r.svc.now(), complete)
	default:
		inv.continues = true
	}
	final, cancel := finalContext(invocation, r.finalBy)
	defer cancel()
	if err := store.Save(final, state); err != nil {
		o.errors++
		r.log.ErrorContext(ctx, "inventory state not saved", "error", err.Error())
	}
	return o, inv
}

// remember adds what found names to the round's filter (nil: none), by repository and digest
// or repository and tag (see releaser.keeps).
func remember(seen *sweep.Filter, found inuse.Inventory) {
	if seen == nil {
		return
	}
	for _, name := range found.Repositories() {
		for _, d := range found.Digests(name) {
			seen.Add(name + "@" + d)
		}
		for _, t := range found.Tags(name) {
			seen.Add(name + ":" + t)
		}
	}
}

// collect keeps, of refs, what names a managed repository of this registry.
func (r *run) collect(refs []inuse.Reference) inuse.Inventory {
	return inuse.Collect(refs, r.svc.Accounts.Home, r.svc.Region, func(name string) bool { return r.cfg.Managed(name) && !r.cfg.Exempt(name) })
}

// record records in the round how the first n reads ended: each read to where it stopped,
// except the last when upTo is set (the run protected it up to that resource key only). The
// reads after them are not recorded: the accounts they were in are read again.
func record(round *sweep.Round, reads []accountRead, n int, upTo string) {
	for i, rd := range reads[:min(n+1, len(reads))] {
		switch {
		case i == n && (upTo == "" || upTo == rd.at.After):
			// Nothing of it protected: as if it had not been read.
		case i == n:
			round.Begin(rd.at.Account)
			round.Read(rd.at.Account, false, upTo, false)
		case rd.cut:
			round.Begin(rd.at.Account)
			round.Read(rd.at.Account, false, rd.at.After, false) // read again from where it was
		default:
			round.Begin(rd.at.Account)
			round.Read(rd.at.Account, rd.part.Done, rd.part.Next, rd.err != nil)
		}
	}
}

// filtered is how many images in use the round's filter holds (0 without one).
func filtered(f *sweep.Filter) int {
	if f == nil {
		return 0
	}
	return f.Added
}

// accountRead is how one run's read of an account ended.
type accountRead struct {
	at   sweep.Position
	part inuse.Part
	err  error
	// cut: the read was cut short by the run's time, not failed.
	cut bool
}

// readRound reads, of the work (see sweep.Round.Work), what the accounts' SageMaker uses,
// sweep.MaxOpen accounts at a time, each from where the round left it and paced on its own,
// until half the run's time is spent. It returns the reads begun, in the order of the work.
func (r *run) readRound(ctx context.Context, work []sweep.Position, start time.Time) []accountRead {
	stop := r.stopped
	if !r.stopBy.IsZero() {
		readBy := start.Add(r.stopBy.Sub(start) / 2)
		stop = func() bool { return r.svc.now().After(readBy) }
	}
	reads := make([]accountRead, 0, len(work))
	var g errgroup.Group
	g.SetLimit(sweep.MaxOpen)
	for _, p := range work {
		if ctx.Err() != nil || stop() {
			break
		}
		reads = append(reads, accountRead{at: p})
		rd := &reads[len(reads)-1]
		g.Go(func() error {
			rd.part, rd.err = r.readInUse(ctx, p, stop)
			rd.cut = rd.err != nil && (ctx.Err() != nil || stop())
			return nil
		})
	}
	_ = g.Wait()
	return reads
}

// protecting is one run's protection of what its inventory found, repository by repository,
// each once.
type protecting struct {
	run    *run
	found  inuse.Inventory
	marked map[string]mark
	rel    releaser
	done   map[string]bool

	inUse, protected, released, errors int
}

// account protects what one account's read found, resource by resource in the read's order
// (by key). It returns the key of the last resource whose repositories were all brought in
// line (or failed otherwise than by the run's time), and false when the run's time ended
// before the last.
func (p *protecting) account(ctx context.Context, rd accountRead) (upTo string, ok bool) {
	byKey := map[string][]inuse.Reference{}
	for _, ref := range rd.part.Refs {
		key := rd.part.Keys[ref.Use]
		byKey[key] = append(byKey[key], ref)
	}
	upTo = rd.at.After
	for _, key := range slices.Sorted(maps.Keys(byKey)) {
		for _, name := range p.run.collect(byKey[key]).Repositories() {
			if !p.repository(ctx, name) {
				return upTo, false
			}
		}
		upTo = key
	}
	return upTo, true
}

// releaseMarked goes through the repositories holding protections, in the order of their
// sweep.Place from where the round's release stands, so that a release that does not fit in
// one run goes on in the next; false when the run's time ended first.
func (p *protecting) releaseMarked(ctx context.Context, round *sweep.Round) bool {
	places := map[string]string{}
	for name := range p.marked {
		places[name] = sweep.Place(name)
	}
	names := slices.SortedFunc(maps.Keys(p.marked), func(a, b string) int { return strings.Compare(places[a], places[b]) })
	for _, name := range names {
		if places[name] <= round.Released {
			continue
		}
		if !p.repository(ctx, name) {
			return false
		}
		round.Released = places[name]
	}
	return true
}

// repository brings the protections of the repository name in line with what was found, once;
// false when the run's time has ended, before it or during it (the next run does it again).
// Another failure is an error of the run, and the repository counts as done: the next
// inventory tries it again (what it found in use stays in the filter, so nothing of it is
// released).
func (p *protecting) repository(ctx context.Context, name string) bool {
	if p.done[name] {
		return true
	}
	if ctx.Err() != nil || p.run.stopped() {
		return false
	}
	got, err := p.run.protectRepository(ctx, name, p.found, p.marked[name], p.rel)
	p.inUse, p.protected, p.released = p.inUse+got.inUse, p.protected+got.protected, p.released+got.released
	if err != nil && (ctx.Err() != nil || p.run.stopped()) {
		return false
	}
	p.done[name] = true
	if err != nil {
		p.errors++
		p.run.log.ErrorContext(ctx, "images in use not protected", "repository", name, "error", err.Error())
	}
	return true
}

// readInUse reads what one account's SageMaker uses, from where p says, until stop.
func (r *run) readInUse(ctx context.Context, p sweep.Position, stop func() bool) (inuse.Part, error) {
	api, err := r.accounts.SageMaker(ctx, p.Account)
	if err != nil {
		return inuse.Part{}, err
	}
	sm, ok := api.(inuse.SageMaker)
	if !ok {
		return inuse.Part{}, fmt.Errorf("the SageMaker client of account %s cannot read what SageMaker uses", p.Account)
	}
	return inuse.ReadFrom(ctx, sm, r.accounts.ProjectAccount(p.Account), p.After, inuse.DefaultLimit, stop)
}

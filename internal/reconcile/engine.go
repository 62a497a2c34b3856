package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Engine applies plans to ECR through a Registry.
type Engine struct {
	Registry *registry.Registry
}

// Outcome is what happened to one repository, as results report it.
type Outcome string

// The outcomes.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	// Drifted: a difference remains, reported (report mode) or not fixable.
	Drifted  Outcome = "drifted"
	Conflict Outcome = "conflict"
	Failed   Outcome = "failed"
	Retained Outcome = "retained"
	Deleted  Outcome = "deleted"
	// Gone: the repository does not exist (deleted since it was listed, or by hand).
	Gone Outcome = "gone"
)

// Result is what happened to one repository.
type Result struct {
	Repository string   `json:"repository"`
	URI        string   `json:"uri,omitempty"`
	Retention  int      `json:"retention,omitempty"`
	Outcome    Outcome  `json:"outcome"`
	Changes    []string `json:"changes,omitempty"`
	// WouldWrite names, in report mode, the writes the plan holds and the run did not make
	// (see Write.String).
	WouldWrite []string `json:"wouldWrite,omitempty"`
	// Differences are what the plan found not as desired, each saying whether it was fixed.
	Differences []Finding `json:"differences,omitempty"`
	Error       string    `json:"error,omitempty"`
}

// Finding is a difference as a run reports it: what the plan found, and whether the run
// fixed it.
type Finding struct {
	Difference
	Fixed bool `json:"fixed"`
}

// Fixed reports whether the run fixed any difference of the repository.
func (r Result) Fixed() bool {
	return slices.ContainsFunc(r.Differences, func(f Finding) bool { return f.Fixed })
}

// Sync brings the repositories to their desired state. It observes all of them (tags always,
// for the conflict check), plans all of them, and writes nothing at all when any repository
// conflicts (a *RejectedError then); it does not leave a project half adopted. A repository
// already in its desired state costs reads only. A missing repository is created; with fix,
// every fixable difference of the others is written too, and without, only reported. Each
// repository is handled concurrently. The error joins every repository's failure; the results
// say which succeeded.
func (e *Engine) Sync(ctx context.Context, cfg config.Config, desired []Desired, fix bool) ([]Result, error) {
	return e.sync(ctx, desired, func(d Desired) registry.Reads { return Reads(cfg, d) }, func(Step) (bool, bool) { return true, fix })
}

// CreateMissing creates the repositories of desired that do not exist, and leaves the others
// as they are: they are the sweep's to check. It still reads the others' tags (and, where the
// policy may say whose a repository is, their policy) and rejects the whole set when any of
// them is another project's, as Sync does.
func (e *Engine) CreateMissing(ctx context.Context, cfg config.Config, desired []Desired) ([]Result, error) {
	return e.sync(ctx, desired, func(d Desired) registry.Reads { return registry.Reads{Tags: true, Access: Reads(cfg, d).Access} },
		func(s Step) (bool, bool) { return s.Creates(), false })
}

// sync observes and plans every repository of desired, and applies each step as mode says:
// whether to apply it at all, and whether to write more than the creation of a missing
// repository (which sync always makes).
func (e *Engine) sync(ctx context.Context, desired []Desired, reads func(Desired) registry.Reads, mode func(Step) (apply, fix bool)) ([]Result, error) {
	observed := make([]*registry.Repository, len(desired))
	g, gctx := errgroup.WithContext(ctx)
	for i, d := range desired {
		g.Go(func() error {
			o, err := e.Registry.Observe(gctx, d.Name, reads(d))
			observed[i] = o
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	steps := make([]Step, len(desired))
	var conflicts []string
	for i, d := range desired {
		steps[i] = Plan(d, observed[i])
		if steps[i].Conflict != "" {
			conflicts = append(conflicts, steps[i].Conflict)
		}
	}
	if len(conflicts) > 0 {
		results := make([]Result, len(steps))
		for i, s := range steps {
			results[i] = result(s, Unchanged)
			if s.Conflict != "" {
				results[i].Outcome, results[i].Error = Conflict, s.Conflict
			}
		}
		project := ""
		if o := desired[0].Owner; o != nil {
			project = o.Name
		}
		return results, &RejectedError{Project: project, Reason: strings.Join(conflicts, "; ")}
	}

	results := make([]Result, len(steps))
	errs := make([]error, len(steps))
	var wg errgroup.Group
	for i, s := range steps {
		apply, fix := mode(s)
		if !apply {
			results[i] = Result{Repository: s.Desired.Name, Retention: s.Desired.Retention(), Outcome: Unchanged, URI: s.Observed.URI}
			continue
		}
		wg.Go(func() error {
			results[i], errs[i] = e.apply(ctx, s, fix, true)
			return nil
		})
	}
	_ = wg.Wait()
	return results, errors.Join(errs...)
}

// Apply makes the writes one step names, and nothing else, when fix is true; otherwise it
// writes nothing and the result names what it would write. The calls on a repository it has
// just created ride out ECR's eventual consistency (registry.AfterCreate). A difference is
// fixed when the write that fixes it was made; a repository created is fixed whole.
func (e *Engine) Apply(ctx context.Context, s Step, fix bool) (Result, error) {
	return e.apply(ctx, s, fix, fix)
}

// apply is Apply, where create says whether a missing repository is created even when fix is
// false (provisioning creates in report mode too). A repository created meanwhile by someone
// else is planned again and applied as fix says: report mode writes nothing to it.
func (e *Engine) apply(ctx context.Context, s Step, fix, create bool) (Result, error) {
	d := s.Desired
	if s.Conflict != "" {
		r := result(s, Conflict)
		r.Error = s.Conflict
		return r, &RejectedError{Project: d.Owner.Name, Reason: s.Conflict}
	}
	if !fix && !(create && s.Creates()) {
		r := result(s, Unchanged)
		if len(s.Differences) > 0 {
			r.Outcome = Drifted
		}
		for _, w := range s.Writes {
			r.WouldWrite = append(r.WouldWrite, w.String())
		}
		return r, nil
	}
	var repo registry.Summary
	if s.Observed != nil {
		repo = s.Observed.Summary
	}
	outcome := Updated
	write := func(call func() error) error { return call() }
	var changes []string
	var made []Write // the writes that succeeded
	for _, w := range s.Writes {
		var change string
		var call func() error
		switch w.Op {
		case OpCreate:
			created, ok, err := e.Registry.Create(ctx, d.Name, d.Settings())
			if err != nil {
				return failed(s, err), err
			}
			if !ok {
				// Another invocation created it between our read and our write. Observe it and
				// converge from there, as if it had been there all along.
				// Its policy too, whatever the plan reads: it may say whose the repository is.
				o, err := e.Registry.Observe(ctx, d.Name, registry.Reads{Tags: true, Lifecycle: !d.Exempt, Access: true})
				if err == nil && o == nil {
					err = fmt.Errorf("repository %s vanished after it was created", d.Name)
				}
				if err != nil {
					return failed(s, err), err
				}
				return e.apply(ctx, Plan(d, o), fix, false)
			}
			repo, outcome = created, Created
			changes = append(changes, "created")
			made = append(made, w)
			write = func(call func() error) error { return e.Registry.AfterCreate(ctx, call) }
			continue
		case OpLifecycle:
			change, call = "lifecycle policy written", func() error { return e.Registry.PutPolicy(ctx, d.Name, w.Document) }
		case OpMutability:
			change, call = "tag mutability set to "+w.Mutability.Mode, func() error { return e.Registry.PutMutability(ctx, d.Name, w.Mutability) }
		case OpTag:
			change, call = "tagged "+strings.Join(slices.Sorted(maps.Keys(w.Tags)), ", "), func() error { return e.Registry.Tag(ctx, repo, w.Tags) }
		case OpUntag:
			change, call = "untagged "+strings.Join(w.Keys, ", "), func() error { return e.Registry.Untag(ctx, repo, w.Keys) }
		case OpSetAccess, OpDeleteAccess:
			call = func() (err error) { change, err = e.writeAccess(ctx, s, w); return err }
		}
		if err := write(call); err != nil {
			r := failed(s, err)
			r.Changes = changes
			r.Differences = findings(s.Differences, made) // what was written before the failure is fixed all the same
			return r, err
		}
		made = append(made, w)
		if change != "" {
			changes = append(changes, change)
		}
	}
	r := result(s, outcome)
	r.URI, r.Changes = repo.URI, changes
	r.Differences = findings(s.Differences, made)
	if outcome != Created {
		switch {
		case slices.ContainsFunc(r.Differences, func(f Finding) bool { return !f.Fixed }):
			r.Outcome = Drifted
		case len(s.Writes) == 0:
			r.Outcome = Unchanged
		}
	}
	return r, nil
}

// findings are the differences, each fixed when it is fixable and a write made fixes it; a
// repository created is fixed whole.
func findings(diffs []Difference, made []Write) []Finding {
	created := slices.ContainsFunc(made, func(w Write) bool { return w.Op == OpCreate })
	out := make([]Finding, len(diffs))
	for i, diff := range diffs {
		out[i] = Finding{Difference: diff, Fixed: diff.Fixable && (created || slices.ContainsFunc(made, func(w Write) bool { return w.fixes(diff) }))}
	}
	return out
}

// writeAccess makes a repository policy write the step planned, from the text read just before
// the write, never from the observation the plan compared: between the two someone may have
// added a statement of their own, and writing the planned text would drop it. So the policy is
// read again and planned again from what it holds now; it is deleted only when that text holds
// nothing but the product's statements. A policy that already holds exactly the product's
// statements is left alone; one that no longer parses, or whose merge ECR would refuse as too
// long, is an error and nothing is written. A repository the step has just created has no
// policy yet: it gets the planned text. change says what was done ("" for nothing).
func (e *Engine) writeAccess(ctx context.Context, s Step, planned Write) (change string, err error) {
	d := s.Desired
	if s.Creates() {
		return "repository policy written", e.Registry.SetAccess(ctx, d.Name, planned.Document)
	}
	doc, err := e.Registry.AccessPolicy(ctx, d.Name)
	if err != nil {
		return "", err
	}
	diffs, w := planAccess(d, doc)
	switch {
	case w != nil && w.Op == OpDeleteAccess:
		return "repository policy deleted", e.Registry.DeleteAccess(ctx, d.Name)
	case w != nil:
		return "repository policy written", e.Registry.SetAccess(ctx, d.Name, w.Document)
	}
	for _, diff := range diffs {
		if !diff.Fixable {
			return "", fmt.Errorf("repository policy of %s, read again before the write, not written: %s %s: expected %s, found %s",
				d.Name, diff.Setting, diff.Path, diff.Expected, diff.Found)
		}
	}
	return "", nil // it holds the product's statements as wanted already
}

func result(s Step, outcome Outcome) Result {
	r := Result{Repository: s.Desired.Name, Retention: s.Desired.Retention(), Outcome: outcome,
		Differences: findings(s.Differences, nil)}
	if s.Observed != nil {
		r.URI = s.Observed.URI
	}
	return r
}

func failed(s Step, err error) Result {
	r := result(s, Failed)
	r.Error = err.Error()
	return r
}

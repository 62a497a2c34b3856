package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

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
)

// Result is what happened to one repository.
type Result struct {
	Repository string   `json:"repository"`
	URI        string   `json:"uri,omitempty"`
	Retention  int      `json:"retention,omitempty"`
	Outcome    Outcome  `json:"outcome"`
	Changes    []string `json:"changes,omitempty"`
	// Differences are what the plan found not as desired, each saying whether it was fixed.
	Differences []Difference `json:"differences,omitempty"`
	Error       string       `json:"error,omitempty"`
}

// Reads is what the plan of d needs observed beyond DescribeRepositories, given whether the
// repository's tags are to be checked.
func (d Desired) Reads(tags bool) registry.Reads {
	return registry.Reads{Tags: tags, Lifecycle: !d.Exempt, Access: d.CheckAccess}
}

// Sync brings the repositories to their desired state. It observes all of them (tags always,
// for the conflict check), plans all of them, and writes nothing at all when any repository
// conflicts (a *RejectedError then); it does not leave a project half adopted. A repository
// already in its desired state costs reads only. A missing repository is created; with fix,
// every fixable difference of the others is written too, and without, only reported. Each
// repository is handled concurrently. The error joins every repository's failure; the results
// say which succeeded.
func (e *Engine) Sync(ctx context.Context, desired []Desired, fix bool) ([]Result, error) {
	return e.sync(ctx, desired, fix, func(d Desired) registry.Reads { return d.Reads(true) }, func(Step) bool { return true })
}

// CreateMissing creates the repositories of desired that do not exist, and leaves the others
// as they are: they are the sweep's to check. It still reads the others' tags (and, where the
// policy may say whose a repository is, their policy) and rejects the whole set when any of
// them is another project's, as Sync does.
func (e *Engine) CreateMissing(ctx context.Context, desired []Desired) ([]Result, error) {
	return e.sync(ctx, desired, true, func(d Desired) registry.Reads { return registry.Reads{Tags: true, Access: d.CheckAccess} }, func(s Step) bool { return s.Create })
}

func (e *Engine) sync(ctx context.Context, desired []Desired, fix bool, reads func(Desired) registry.Reads, apply func(Step) bool) ([]Result, error) {
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
		steps[i] = Plan(d, observed[i], fix)
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
		if !apply(s) {
			results[i] = Result{Repository: s.Desired.Name, Retention: s.Desired.Retention(), Outcome: Unchanged, URI: s.Observed.URI}
			continue
		}
		wg.Go(func() error {
			results[i], errs[i] = e.Apply(ctx, s)
			return nil
		})
	}
	_ = wg.Wait()
	return results, errors.Join(errs...)
}

// Apply makes the changes one step names, and nothing else. The calls on a repository it has
// just created ride out ECR's eventual consistency (registry.AfterCreate).
func (e *Engine) Apply(ctx context.Context, s Step) (Result, error) {
	d := s.Desired
	if s.Conflict != "" {
		r := result(s, Conflict)
		r.Error = s.Conflict
		return r, &RejectedError{Project: d.Owner.Name, Reason: s.Conflict}
	}
	var repo registry.Summary
	if s.Observed != nil {
		repo = s.Observed.Summary
	}
	outcome := Updated
	write := func(call func() error) error { return call() }
	var changes []string
	if s.Create {
		created, ok, err := e.Registry.Create(ctx, d.Name, d.Settings())
		if err != nil {
			return failed(s, err), err
		}
		if !ok {
			// Another invocation created it between our read and our write. Observe it and
			// converge from there, as if it had been there all along.
			o, err := e.Registry.Observe(ctx, d.Name, d.Reads(true))
			if err == nil && o == nil {
				err = fmt.Errorf("repository %s vanished after it was created", d.Name)
			}
			if err != nil {
				return failed(s, err), err
			}
			return e.Apply(ctx, Plan(d, o, s.Fix))
		}
		repo, outcome = created, Created
		changes = append(changes, "created")
		write = func(call func() error) error { return e.Registry.AfterCreate(ctx, call) }
	}
	// written records each write that succeeded, by the part of the repository it fixes (see
	// fixedBy): a difference is fixed only when the write that covers it was made.
	written := map[Setting]bool{}
	var accessChange string // what writeAccess did
	for _, w := range []struct {
		planned bool
		setting Setting
		change  string
		call    func() error
	}{
		{s.PutLifecycle, SettingLifecycle, "lifecycle policy written", func() error { return e.Registry.PutPolicy(ctx, d.Name, d.Policy) }},
		{s.PutMutability, SettingMutability, "tag mutability set to " + d.Mutability.Mode, func() error { return e.Registry.PutMutability(ctx, d.Name, d.Mutability) }},
		{len(s.Tag) > 0, SettingTags, "tagged " + strings.Join(slices.Sorted(maps.Keys(s.Tag)), ", "), func() error { return e.Registry.Tag(ctx, repo, s.Tag) }},
		{len(s.Untag) > 0, settingUntag, "untagged " + strings.Join(s.Untag, ", "), func() error { return e.Registry.Untag(ctx, repo, s.Untag) }},
		{s.SetAccess != "" || s.DeleteAccess, SettingAccess, "", func() (err error) { accessChange, err = e.writeAccess(ctx, s); return err }},
	} {
		if !w.planned {
			continue
		}
		if err := write(w.call); err != nil {
			r := failed(s, err)
			r.Changes = changes
			for i, diff := range r.Differences {
				// What was written before the failure is fixed all the same.
				r.Differences[i].Fixed = diff.Fixable && written[s.fixedBy(diff)]
			}
			return r, err
		}
		written[w.setting] = true
		if w.setting == SettingAccess {
			w.change = accessChange
		}
		if w.change != "" {
			changes = append(changes, w.change)
		}
	}
	r := result(s, outcome)
	r.URI, r.Changes = repo.URI, changes
	for i, diff := range r.Differences {
		r.Differences[i].Fixed = diff.Fixable && (s.Create || written[s.fixedBy(diff)])
	}
	if !s.Create {
		switch {
		case slices.ContainsFunc(r.Differences, func(d Difference) bool { return !d.Fixed }):
			r.Outcome = Drifted
		case !s.Writes():
			r.Outcome = Unchanged
		}
	}
	return r, nil
}

// settingUntag names the untag write apart from the tag write: both fix tags, but one can
// succeed and the other fail.
const settingUntag Setting = "tags-removed"

// fixedBy is the write that fixes diff: its setting's, or for a managed tag to remove, the
// untag write.
func (s Step) fixedBy(diff Difference) Setting {
	if diff.Setting == SettingTags && slices.Contains(s.Untag, diff.Path) {
		return settingUntag
	}
	return diff.Setting
}

// writeAccess writes the repository policy a step planned, from the text read just before the
// write, never from the observation the plan compared: between the two someone may have added
// a statement of their own, and writing the planned text would drop it. So the policy is read
// again and the product's statements merged into what it holds now; it is deleted only when
// that text holds nothing but the product's statements. A policy that already holds exactly
// the product's statements is left alone; one that no longer parses, or whose merge ECR would
// refuse as too long, is an error and nothing is written. A repository the step has just
// created has no policy yet: it gets the planned text. change says what was done ("" for
// nothing).
func (e *Engine) writeAccess(ctx context.Context, s Step) (change string, err error) {
	d := s.Desired
	if s.Create {
		return "repository policy written", e.Registry.SetAccess(ctx, d.Name, s.SetAccess)
	}
	doc, err := e.Registry.AccessPolicy(ctx, d.Name)
	if err != nil {
		return "", err
	}
	// The same merge the plan made, from the text just read.
	var fresh Step
	fresh.planAccess(d, doc, true)
	switch {
	case fresh.DeleteAccess:
		return "repository policy deleted", e.Registry.DeleteAccess(ctx, d.Name)
	case fresh.SetAccess != "":
		return "repository policy written", e.Registry.SetAccess(ctx, d.Name, fresh.SetAccess)
	}
	for _, diff := range fresh.Differences {
		if !diff.Fixable {
			return "", fmt.Errorf("repository policy of %s, read again before the write, not written: %s %s: expected %s, found %s",
				d.Name, diff.Setting, diff.Path, diff.Expected, diff.Found)
		}
	}
	return "", nil // it holds the product's statements as wanted already
}

func result(s Step, outcome Outcome) Result {
	r := Result{Repository: s.Desired.Name, Retention: s.Desired.Retention(), Outcome: outcome,
		Differences: slices.Clone(s.Differences)}
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

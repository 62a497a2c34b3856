package reconcile

import (
	"context"
	"errors"
	"fmt"
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
	Drifted   Outcome = "drifted"
	Conflict  Outcome = "conflict"
	Failed    Outcome = "failed"
	Retained  Outcome = "retained"
	Deleted   Outcome = "deleted"
)

// Result is what happened to one repository.
type Result struct {
	Repository string   `json:"repository"`
	URI        string   `json:"uri,omitempty"`
	Retention  int      `json:"retention,omitempty"`
	Outcome    Outcome  `json:"outcome"`
	Changes    []string `json:"changes,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// Sync brings the repositories to their desired state. It observes all of them, plans all of
// them, and writes nothing at all when any repository conflicts (a *RejectedError then); it does
// not leave a project half adopted. A repository already in its desired state costs reads only.
// Each repository is handled concurrently. The error joins every repository's failure; the
// results say which succeeded.
func (e *Engine) Sync(ctx context.Context, desired []Desired, fixDrift bool) ([]Result, error) {
	observed := make([]*registry.Repository, len(desired))
	g, gctx := errgroup.WithContext(ctx)
	for i, d := range desired {
		g.Go(func() error {
			o, err := e.Registry.Observe(gctx, d.Name)
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
		steps[i] = Plan(d, observed[i], fixDrift)
		if steps[i].Conflict != "" {
			conflicts = append(conflicts, steps[i].Conflict)
		}
	}
	if len(conflicts) > 0 {
		results := make([]Result, len(steps))
		for i, s := range steps {
			results[i] = result(s, Unchanged)
			results[i].Changes = nil // nothing was applied
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
		wg.Go(func() error {
			results[i], errs[i] = e.Apply(ctx, s, fixDrift)
			return nil
		})
	}
	_ = wg.Wait()
	return results, errors.Join(errs...)
}

// Apply makes the changes one step names, and nothing else.
func (e *Engine) Apply(ctx context.Context, s Step, fixDrift bool) (Result, error) {
	d := s.Desired
	if s.Conflict != "" {
		r := result(s, Conflict)
		r.Error = s.Conflict
		return r, &RejectedError{Project: d.Owner.Name, Reason: s.Conflict}
	}
	var repo registry.Summary
	if s.Observed != nil {
		repo = registry.Summary{Name: s.Observed.Name, ARN: s.Observed.ARN, URI: s.Observed.URI}
	}
	outcome := Updated
	if s.Create {
		created, ok, err := e.Registry.Create(ctx, d.Name, d.Settings)
		if err != nil {
			return failed(s, err), err
		}
		if !ok {
			// Another invocation created it between our read and our write. Observe it and
			// converge from there, as if it had been there all along.
			o, err := e.Registry.Observe(ctx, d.Name)
			if err == nil && o == nil {
				err = fmt.Errorf("repository %s vanished after it was created", d.Name)
			}
			if err != nil {
				return failed(s, err), err
			}
			return e.Apply(ctx, Plan(d, o, fixDrift), fixDrift)
		}
		repo, outcome = created, Created
	}
	if s.PutPolicy {
		if err := e.Registry.PutPolicy(ctx, d.Name, d.Policy); err != nil {
			return failed(s, err), err
		}
	}
	if len(s.Tag) > 0 {
		if err := e.Registry.Tag(ctx, repo, s.Tag); err != nil {
			return failed(s, err), err
		}
	}
	if len(s.Untag) > 0 {
		if err := e.Registry.Untag(ctx, repo, s.Untag); err != nil {
			return failed(s, err), err
		}
	}
	if !s.Writes() {
		outcome = Unchanged
		if s.Drift != "" {
			outcome = Drifted
		}
	}
	r := result(s, outcome)
	r.URI = repo.URI
	return r, nil
}

func result(s Step, outcome Outcome) Result {
	r := Result{Repository: s.Desired.Name, Retention: s.Desired.Retention, Outcome: outcome, Changes: s.Changes()}
	if s.Observed != nil {
		r.URI = s.Observed.URI
	}
	return r
}

func failed(s Step, err error) Result {
	r := result(s, Failed)
	r.Changes, r.Error = nil, err.Error()
	return r
}

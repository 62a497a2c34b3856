package reconcile

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// ScanOptions steer one drift scan.
type ScanOptions struct {
	// Fix writes the desired policy where it drifted; otherwise drift is only reported.
	Fix bool
	// Concurrency bounds how many repositories are checked at once.
	Concurrency int
	// Stop, when it returns true, stops the scan from starting new work (nil: never). Work
	// under way finishes, so nothing is cut off mid-write; the scan reports itself incomplete.
	Stop func() bool
	// OnDrift is called, from any goroutine, for every drifted repository.
	OnDrift func(Drift)
	// OnError is called, from any goroutine, for every repository that could not be checked
	// or fixed.
	OnError func(repository string, err error)
}

// Drift is one repository whose lifecycle policy is not the desired one.
type Drift struct {
	Repository string `json:"repository"`
	Reason     string `json:"reason"`
	Retention  int    `json:"retention"`
	Expected   string `json:"expected"`
	// Actual is the policy found, canonicalised when it parses; empty when there was none.
	Actual string `json:"actual,omitempty"`
	Fixed  bool   `json:"fixed"`
}

// ScanResult counts what a scan saw. Seen holds the name of every managed repository, for the
// caller to find what is missing; it is the only thing kept per repository.
type ScanResult struct {
	Scanned   int
	Compliant int
	Drifted   int
	Fixed     int
	Exempt    int
	Errors    int
	Complete  bool
	Seen      map[string]struct{}
}

// Scan walks every repository a page at a time and checks the lifecycle policy of each one in
// the managed namespaces: one GetLifecyclePolicy a repository, one PutLifecyclePolicy a drifted
// one in fix mode, nothing else. Repositories outside the managed namespaces are skipped
// without a call; exempt ones are counted and left alone.
func (e *Engine) Scan(ctx context.Context, cfg config.Config, opts ScanOptions) (ScanResult, error) {
	res := ScanResult{Complete: true, Seen: map[string]struct{}{}}
	var mu sync.Mutex
	count := func(f func()) { mu.Lock(); f(); mu.Unlock() }

	g := errgroup.Group{}
	g.SetLimit(max(1, opts.Concurrency))
	errStop := errStopped{}
	err := e.Registry.Walk(ctx, func(s registry.Summary) error {
		if !cfg.Managed(s.Name) {
			return nil
		}
		if opts.Stop != nil && opts.Stop() {
			return errStop
		}
		res.Seen[s.Name] = struct{}{}
		if cfg.Exempt(s.Name) {
			count(func() { res.Exempt++ })
			return nil
		}
		g.Go(func() error {
			d, err := e.checkPolicy(ctx, cfg, s.Name, opts.Fix)
			count(func() {
				res.Scanned++
				if err != nil {
					res.Errors++
				}
				switch {
				case d != nil:
					res.Drifted++
					if d.Fixed {
						res.Fixed++
					}
				case err == nil:
					res.Compliant++
				}
			})
			if err != nil && opts.OnError != nil {
				opts.OnError(s.Name, err)
			}
			if d != nil && opts.OnDrift != nil {
				opts.OnDrift(*d)
			}
			return nil
		})
		return nil
	})
	_ = g.Wait()
	if errors.Is(err, errStop) {
		res.Complete, err = false, nil
	}
	if err != nil {
		res.Complete = false
	}
	return res, err
}

type errStopped struct{}

func (errStopped) Error() string { return "time budget spent" }

// checkPolicy compares one repository's policy with the desired one and, in fix mode, writes
// the whole desired policy in one call. It returns nil when the policy is as desired, and the
// drift together with the error when the fix failed.
func (e *Engine) checkPolicy(ctx context.Context, cfg config.Config, name string, fix bool) (*Drift, error) {
	n := cfg.Retention(name)
	want := lifecycle.Policy(n)
	got, has, err := e.Registry.Policy(ctx, name)
	if err != nil {
		return nil, err
	}
	reason := PolicyDrift(want, has, got)
	if reason == "" {
		return nil, nil
	}
	d := &Drift{Repository: name, Reason: reason, Retention: n, Expected: want, Actual: got}
	if c, err := lifecycle.Canonical(got); err == nil {
		d.Actual = c
	}
	if fix {
		if err := e.Registry.PutPolicy(ctx, name, want); err != nil {
			return d, err
		}
		d.Fixed = true
	}
	return d, nil
}

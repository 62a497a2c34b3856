package drift

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/handler"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// run is one reconciliation's state.
type run struct {
	svc    *Service
	cfg    config.Config
	fix    bool
	log    *slog.Logger
	engine reconcile.Engine
	events *publish.Buffer
	stopBy time.Time
	// access reads every repository policy: a pull access parameter changed, so the product's
	// statements may be where they are no longer wanted.
	access bool

	mu sync.Mutex // guards the summary's counters while goroutines update them
}

// stopped reports whether the run's time budget is spent.
func (r *run) stopped() bool {
	return !r.stopBy.IsZero() && r.svc.now().After(r.stopBy)
}

func (r *run) count(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// reconcile observes and completes. The scan (every managed repository's policy, paced by the
// ECR rate cap) and the discovery of SageMaker projects (one ListTags each, paced by the
// SageMaker cap) run side by side: each waits on its own service, so the run takes as long as
// the longer of the two, not their sum. Then what is missing is created: the shared
// repositories and those of projects that lack them.
func (r *run) reconcile(ctx context.Context, sum *Summary) error {
	var (
		found      []projects.Project
		listedAll  = !r.cfg.CreateProjectRepos
		listErr    error
		discovered = make(chan struct{})
	)
	discovery, stopDiscovery := context.WithCancel(ctx)
	defer stopDiscovery()
	go func() {
		defer close(discovered)
		if r.cfg.CreateProjectRepos {
			found, listedAll, listErr = r.discover(discovery, sum)
		}
	}()
	scan, err := r.engine.Scan(ctx, r.cfg, reconcile.ScanOptions{
		Fix:         r.fix,
		Concurrency: r.svc.Concurrency,
		Tags:        r.cfg.CheckTags,
		Access:      r.access,
		Owner:       r.owner,
		Stop:        r.stopped,
		OnDrift:     func(res reconcile.Result) { r.events.Add(ctx, handler.DriftEvent(res)) },
		OnError: func(repo string, err error) {
			r.log.ErrorContext(ctx, "repository not reconciled", "repository", repo, "error", err.Error())
		},
	})
	if err != nil {
		stopDiscovery() // what it finds could not be used
	} else if scan.Complete {
		// The shared repositories need nothing from the discovery: complete them now.
		r.complete(ctx, reconcile.Shared(r.cfg), scan.Seen, sum)
	}
	<-discovered
	r.count(func() {
		sum.Scanned, sum.Compliant, sum.Drifted, sum.Fixed = scan.Scanned, scan.Compliant, scan.Drifted, scan.Fixed
		sum.Exempt, sum.Errors, sum.Complete = scan.Exempt, sum.Errors+scan.Errors, scan.Complete
	})
	if err != nil || !scan.Complete {
		return err // out of time, or the listing failed: the next run starts over
	}
	g := errgroup.Group{}
	g.SetLimit(max(1, r.svc.Concurrency))
	for _, p := range found {
		if r.stopped() {
			sum.Complete = false
			break
		}
		g.Go(func() error {
			if desired, err := reconcile.ProjectRepositories(r.cfg, p); err == nil {
				r.complete(ctx, desired, scan.Seen, sum)
			}
			return nil
		})
	}
	_ = g.Wait()
	if !listedAll || listErr != nil {
		sum.Complete = false
	}
	return listErr
}

// discover lists the SageMaker projects that should have repositories: live, with a team tag
// that makes valid names. One that cannot have any is reported as rejected here.
func (r *run) discover(ctx context.Context, sum *Summary) (found []projects.Project, listedAll bool, err error) {
	var mu sync.Mutex
	g := errgroup.Group{}
	g.SetLimit(max(1, r.svc.Concurrency))
	listedAll, err = projects.Walk(ctx, r.svc.SageMaker, func(p smtypes.ProjectSummary) bool {
		if ctx.Err() != nil || r.stopped() {
			return false
		}
		g.Go(func() error {
			if project, ok := r.project(ctx, p, sum); ok {
				mu.Lock()
				found = append(found, project)
				mu.Unlock()
			}
			return nil
		})
		return true
	})
	_ = g.Wait()
	return found, listedAll && ctx.Err() == nil && !r.stopped(), err
}

// project reads one project's tags and says whether it is to have repositories.
func (r *run) project(ctx context.Context, p smtypes.ProjectSummary, sum *Summary) (projects.Project, bool) {
	name := aws.ToString(p.ProjectName)
	tags, gone, err := projects.Tags(ctx, r.svc.SageMaker, aws.ToString(p.ProjectArn))
	switch {
	case gone:
		return projects.Project{}, false // deleted since it was listed
	case err != nil && ctx.Err() != nil:
		return projects.Project{}, false // the run stopped reading projects: not this one's fault
	case err != nil:
		r.count(func() { sum.Errors++ })
		r.log.ErrorContext(ctx, "project tags not read", "project", name, "error", err.Error())
		return projects.Project{}, false
	}
	project := projects.Identify(name, aws.ToString(p.ProjectId), tags, r.cfg.TeamTag)
	if project.Team == "" {
		return projects.Project{}, false // not ready yet: provisioning starts when the team tag arrives
	}
	if _, err := reconcile.ProjectRepositories(r.cfg, project); err != nil {
		r.count(func() { sum.Rejected++ })
		r.events.Add(ctx, publish.Event{DetailType: publish.ProvisioningFailed,
			Detail: handler.FailedDetail{Scope: naming.ScopeProject, Project: project.Name, Team: project.Team,
				Trigger: handler.TriggerDrift, Status: handler.StatusRejected, Error: err.Error()}})
		return projects.Project{}, false
	}
	return project, true
}

// complete creates what is missing from desired (fix mode) or reports it (report mode).
func (r *run) complete(ctx context.Context, desired []reconcile.Desired, seen map[string]struct{}, sum *Summary) {
	var missing []string
	for _, d := range desired {
		if _, ok := seen[d.Name]; !ok {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) == 0 {
		return
	}
	r.count(func() { sum.Missing += len(missing) })
	if !r.fix {
		for _, d := range desired {
			if _, ok := seen[d.Name]; !ok {
				step := reconcile.Plan(d, nil, false)
				r.events.Add(ctx, handler.DriftEvent(reconcile.Result{Repository: d.Name, Retention: d.Retention(), Differences: step.Differences}))
			}
		}
		return
	}
	results, err := r.engine.Sync(ctx, desired, true)
	created := 0
	for _, res := range results {
		if res.Outcome == reconcile.Created {
			created++
		}
	}
	r.count(func() { sum.Created += created })
	var project, projectID, team string
	scope := naming.ScopeShared
	if o := desired[0].Owner; o != nil {
		scope, project, projectID, team = naming.ScopeProject, o.Name, o.ID, o.Team
	}
	failed := func(status handler.Status) publish.Event {
		return publish.Event{DetailType: publish.ProvisioningFailed, Detail: handler.FailedDetail{
			Scope: scope, Project: project, Team: team, Trigger: handler.TriggerDrift, Status: status, Error: err.Error(), Repositories: results}}
	}
	switch {
	case reconcile.Rejected(err):
		r.count(func() { sum.Rejected++ })
		r.events.Add(ctx, failed(handler.StatusRejected))
	case err != nil:
		r.count(func() { sum.Errors++ })
		r.events.Add(ctx, failed(handler.StatusFailed))
		r.log.ErrorContext(ctx, "repositories not created", "missing", missing, "error", err.Error())
	case created > 0:
		r.events.Add(ctx, publish.Event{DetailType: publish.RepositoriesProvisioned, Detail: handler.ProvisionedDetail{
			Scope: scope, Project: project, ProjectID: projectID, Team: team, Trigger: handler.TriggerDrift, Repositories: results}})
	}
}

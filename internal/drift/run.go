package drift

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
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

	mu sync.Mutex // guards the summary's counters during the backfill
}

// reconcile is observe (scan every managed repository's policy), then complete (create the
// shared repositories and the repositories of projects that lack them).
func (r *run) reconcile(ctx context.Context, sum *Summary) error {
	scan, err := r.engine.Scan(ctx, r.cfg, reconcile.ScanOptions{
		Fix:         r.fix,
		Concurrency: r.svc.Concurrency,
		StopBy:      r.stopBy,
		OnDrift:     func(d reconcile.Drift) { r.events.Add(ctx, driftEvent(d)) },
		OnError: func(repo string, err error) {
			r.log.ErrorContext(ctx, "repository not reconciled", "repository", repo, "error", err.Error())
		},
	})
	sum.Scanned, sum.Compliant, sum.Drifted, sum.Fixed = scan.Scanned, scan.Compliant, scan.Drifted, scan.Fixed
	sum.Exempt, sum.Errors, sum.Complete = scan.Exempt, scan.Errors, scan.Complete
	if err != nil {
		return err
	}
	if !scan.Complete {
		return nil // out of time: the next run starts over
	}
	r.complete(ctx, reconcile.Shared(r.cfg), scan.Seen, sum)
	if r.cfg.CreateProjectRepos {
		err = r.backfill(ctx, scan.Seen, sum)
	}
	return err
}

func driftEvent(d reconcile.Drift) publish.Event {
	t := publish.DriftDetected
	if d.Fixed {
		t = publish.DriftFixed
	}
	return publish.Event{DetailType: t, Detail: d}
}

// backfill finds SageMaker projects with a valid team tag whose repositories are missing (an
// event was lost, or project-repos gained a type) and completes them through the same engine
// as provisioning.
func (r *run) backfill(ctx context.Context, seen map[string]struct{}, sum *Summary) error {
	g := errgroup.Group{}
	g.SetLimit(max(1, r.svc.Concurrency))
	pages := sagemaker.NewListProjectsPaginator(r.svc.SageMaker, &sagemaker.ListProjectsInput{MaxResults: aws.Int32(100)})
	var err error
	for pages.HasMorePages() && err == nil {
		var page *sagemaker.ListProjectsOutput
		if page, err = pages.NextPage(ctx); err != nil {
			break
		}
		for _, p := range page.ProjectSummaryList {
			if !live(p.ProjectStatus) {
				continue
			}
			if !r.stopBy.IsZero() && time.Now().After(r.stopBy) {
				sum.Complete = false
				err = errStopped
				break
			}
			g.Go(func() error { r.project(ctx, p, seen, sum); return nil })
		}
	}
	_ = g.Wait()
	if errors.Is(err, errStopped) {
		return nil
	}
	if err != nil {
		sum.Complete = false
	}
	return err
}

var errStopped = errors.New("time budget spent")

// live reports whether a project is one that should have repositories.
func live(s smtypes.ProjectStatus) bool {
	switch s {
	case smtypes.ProjectStatusDeleteInProgress, smtypes.ProjectStatusDeleteCompleted,
		smtypes.ProjectStatusDeleteFailed, smtypes.ProjectStatusCreateFailed, smtypes.ProjectStatusPending:
		return false
	}
	return true
}

// project completes one project's repositories, when any is missing.
func (r *run) project(ctx context.Context, p smtypes.ProjectSummary, seen map[string]struct{}, sum *Summary) {
	name := aws.ToString(p.ProjectName)
	tags, gone, err := projects.Tags(ctx, r.svc.SageMaker, aws.ToString(p.ProjectArn))
	if gone {
		return // deleted since it was listed
	}
	if err != nil {
		r.count(func() { sum.Errors++ })
		r.log.ErrorContext(ctx, "project tags not read", "project", name, "error", err.Error())
		return
	}
	team := tags[r.cfg.TeamTag]
	if team == "" {
		return // not ready yet: provisioning starts when the team tag arrives
	}
	desired, err := reconcile.ProjectRepositories(r.cfg, reconcile.Project{Name: name, ID: aws.ToString(p.ProjectId), Team: team})
	if err != nil {
		r.count(func() { sum.Rejected++ })
		r.events.Add(ctx, publish.Event{DetailType: publish.ProvisioningFailed,
			Detail: map[string]string{"project": name, "team": team, "status": "rejected", "error": err.Error(), "trigger": "drift"}})
		return
	}
	r.complete(ctx, desired, seen, sum)
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
		for _, name := range missing {
			r.events.Add(ctx, publish.Event{DetailType: publish.DriftDetected,
				Detail: reconcile.Drift{Repository: name, Reason: "repository-missing"}})
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
	detail := map[string]any{"repositories": results, "trigger": "drift"}
	if o := desired[0].Owner; o != nil {
		detail["project"], detail["team"] = o.Name, o.Team
	} else {
		detail["scope"] = reconcile.ScopeShared
	}
	switch {
	case reconcile.Rejected(err):
		r.count(func() { sum.Rejected++ })
		detail["status"], detail["error"] = "rejected", err.Error()
		r.events.Add(ctx, publish.Event{DetailType: publish.ProvisioningFailed, Detail: detail})
	case err != nil:
		r.count(func() { sum.Errors++ })
		detail["status"], detail["error"] = "failed", err.Error()
		r.events.Add(ctx, publish.Event{DetailType: publish.ProvisioningFailed, Detail: detail})
		r.log.ErrorContext(ctx, "repositories not created", "missing", missing, "error", err.Error())
	case created > 0:
		r.events.Add(ctx, publish.Event{DetailType: publish.RepositoriesProvisioned, Detail: detail})
	}
}

func (r *run) count(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// Package provision is the handler of ProvisionFunction: a SageMaker project event in, the
// project's ECR repositories in line with the configuration out.
package provision

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/function"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projectevent"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/studio"
)

// Service handles project events.
type Service struct {
	SSM config.ParametersAPI
	ECR registry.API
	// Accounts knows this account and reaches member accounts' SageMaker: a project's tags,
	// and whether it is deleted, are read in the project's own account.
	Accounts *accounts.Directory
	// DataZone reads SageMaker Unified Studio projects, and Tags finds their repositories by
	// their identity tags (see internal/studio); both are used only with datazone-domains set.
	DataZone   studio.API
	Tags       studio.Index
	Publisher  *publish.Publisher
	ConfigPath string
	Logger     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Summary is what the handler returns: what it did and why.
type Summary struct {
	Status  publish.Status  `json:"status"`
	Trigger publish.Trigger `json:"trigger,omitempty"`
	Project string          `json:"project,omitempty"`
	Team    string          `json:"team,omitempty"`
	Account string          `json:"account,omitempty"`
	// Domain is a Unified Studio project's DataZone domain.
	Domain       string             `json:"domain,omitempty"`
	Reason       string             `json:"reason,omitempty"`
	Repositories []reconcile.Result `json:"repositories,omitempty"`
	// Unpublished counts result events EventBridge refused after every retry; they are in the
	// log instead.
	Unpublished int `json:"unpublished,omitempty"`
}

// Handle handles one EventBridge event. Bad input (a malformed event, a project whose names
// are not valid, a conflict) is reported once, as an event and in the summary, and not
// returned as an error: retrying cannot fix it. Failures that can pass (AWS errors, throttling
// beyond the retryer, an invalid configuration someone will fix) are returned as errors, so
// Lambda retries the event and the dead-letter queue keeps it in the end.
func (s *Service) Handle(ctx context.Context, raw json.RawMessage) (Summary, error) {
	log := cmp.Or(s.Logger, slog.Default())
	change, err := projectevent.Decode(raw, s.Accounts.Partition)
	if errors.Is(err, projectevent.ErrIgnored) {
		log.InfoContext(ctx, "event ignored", "reason", err.Error())
		return Summary{Status: publish.StatusIgnored, Reason: err.Error()}, nil
	}
	if err != nil {
		sum := Summary{Status: publish.StatusRejected, Reason: err.Error()}
		log.ErrorContext(ctx, "event rejected", "reason", sum.Reason)
		return s.reject(ctx, sum)
	}
	log = log.With("trigger", change.Trigger, "project", change.Project, "eventId", change.EventID)
	trigger := publish.Trigger(change.Trigger)

	cfg, err := function.Open(ctx, s.SSM, s.Publisher, s.ConfigPath, s.Accounts.Home, log)
	switch {
	case errors.Is(err, function.ErrDisabled):
		return Summary{Status: publish.StatusDisabled, Trigger: trigger, Project: change.Project, Reason: err.Error()}, nil
	case err != nil:
		return Summary{Status: publish.StatusFailed, Trigger: trigger, Project: change.Project, Reason: err.Error()}, err
	}

	var sum Summary
	in := s.Accounts.Session(cfg)
	switch err = in.Serve(change.Account); {
	case err == nil && change.Domain != "" && in.ProjectAccount(change.Account) != "":
		// Unified Studio domains are served in this account only.
		sum, err = s.reject(ctx, Summary{Status: publish.StatusRejected, Project: change.Project, Account: change.Account, Domain: change.Domain,
			Trigger: trigger, Reason: fmt.Sprintf("the Unified Studio project is in account %s: only this account's domains are served", change.Account)})
	case err == nil && change.Domain != "":
		sum, err = s.studio(ctx, cfg, change)
	case err != nil:
		// Another account's event, on a bus that let it in: nothing is read or written for it.
		sum, err = s.reject(ctx, Summary{Status: publish.StatusRejected, Project: change.Project, Account: change.Account,
			Trigger: trigger, Reason: err.Error()})
	case change.Action == projectevent.Delete:
		sum, err = s.retire(ctx, cfg, in, change)
	default:
		sum, err = s.sync(ctx, cfg, in, change)
	}
	sum.Trigger = trigger
	if sum.Project == "" {
		sum.Project = change.Project
	}
	sum.Account = in.ProjectAccount(change.Account)
	switch {
	case err != nil:
		log.ErrorContext(ctx, "provisioning failed", "error", err.Error(), "summary", sum)
	case sum.Status == publish.StatusRejected:
		log.ErrorContext(ctx, "project rejected", "reason", sum.Reason, "summary", sum)
	default:
		log.InfoContext(ctx, "event handled", "status", sum.Status, "summary", sum)
	}
	return sum, err
}

// sync brings the project's repositories in line.
func (s *Service) sync(ctx context.Context, cfg config.Config, in *accounts.Session, change projectevent.Change) (Summary, error) {
	account := in.ProjectAccount(change.Account)
	sum := Summary{Project: change.Project, Account: account, Trigger: publish.Trigger(change.Trigger)}
	if !cfg.CreateProjectRepos {
		sum.Status, sum.Reason = publish.StatusDisabled, "create-project-repos is false"
		return sum, nil
	}
	tags := change.Tags
	if tags == nil {
		api, err := in.SageMaker(ctx, change.Account)
		if err != nil {
			sum.Status, sum.Reason = publish.StatusFailed, err.Error()
			sum.Unpublished = s.Publisher.Announce(ctx, failedEvent(sum))
			return sum, err
		}
		var gone bool
		tags, gone, err = projects.Tags(ctx, api, change.ARN)
		if err != nil {
			sum.Status, sum.Reason = publish.StatusFailed, err.Error()
			return sum, err
		}
		if gone {
			sum.Status, sum.Reason = publish.StatusSkipped, "the project no longer exists"
			return sum, nil
		}
	}
	project := projects.Identify(change.Project, change.ProjectID, tags, cfg.TeamTag)
	project.Account = account
	sum.Project = project.Name
	if project.Team == "" {
		sum.Status = publish.StatusSkipped
		sum.Reason = fmt.Sprintf("project has no %q tag; its repositories are created when it gets one", cfg.TeamTag)
		return sum, nil
	}
	return s.provision(ctx, cfg, sum, project)
}

// provision brings the repositories of a project, read and identified, in line: SageMaker's
// and Unified Studio's alike.
func (s *Service) provision(ctx context.Context, cfg config.Config, sum Summary, project projects.Project) (Summary, error) {
	sum.Team = naming.Lower(project.Team)
	desired, err := reconcile.ProjectRepositories(cfg, project)
	if err != nil {
		sum.Status, sum.Reason = publish.StatusRejected, err.Error()
		return s.reject(ctx, sum)
	}
	engine := reconcile.Engine{Registry: registry.New(s.ECR, cfg.Managed)}
	results, err := engine.Sync(ctx, cfg, desired, cfg.DriftMode == config.ModeFix)
	sum.Repositories = results
	switch {
	case reconcile.Rejected(err):
		sum.Status, sum.Reason = publish.StatusRejected, err.Error()
		return s.reject(ctx, sum)
	case err != nil:
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
		sum.Unpublished = s.Publisher.Announce(ctx, failedEvent(sum))
		return sum, err
	}
	sum.Status = publish.StatusInSync
	for _, r := range results {
		switch {
		case len(r.Changes) > 0:
			sum.Status = publish.StatusProvisioned
		case r.Outcome == reconcile.Drifted && sum.Status == publish.StatusInSync:
			sum.Status = publish.StatusDrifted
		}
	}
	if sum.Status != publish.StatusProvisioned {
		return sum, nil // nothing changed, nothing to announce; the reconciler reports drift
	}
	sum.Unpublished = s.Publisher.Announce(ctx, publish.Event{
		DetailType: publish.RepositoriesProvisioned,
		Detail: publish.ProvisionedDetail{Scope: naming.ScopeProject, Project: sum.Project, ProjectID: project.ID, Domain: project.Domain,
			Team: sum.Team, Account: sum.Account, Trigger: sum.Trigger, Repositories: results},
	})
	return sum, nil
}

// retire handles a deleted project: only the repositories of that account's project.
func (s *Service) retire(ctx context.Context, cfg config.Config, in *accounts.Session, change projectevent.Change) (Summary, error) {
	account := in.ProjectAccount(change.Account)
	// The record is a trigger: SageMaker says whether the project is deleted, in the project's
	// account. One whose deletion failed is still there, and one of the same name may have been
	// created since a late record: either is live and keeps its repositories.
	api, err := in.SageMaker(ctx, change.Account)
	if err != nil {
		return Summary{Status: publish.StatusFailed, Trigger: publish.Trigger(change.Trigger), Project: change.Project, Reason: err.Error()}, err
	}
	gone, err := projects.Gone(ctx, api, change.Project)
	if err != nil {
		return Summary{Status: publish.StatusFailed, Trigger: publish.Trigger(change.Trigger), Project: change.Project, Reason: err.Error()}, err
	}
	if !gone {
		return Summary{Status: publish.StatusSkipped, Trigger: publish.Trigger(change.Trigger), Project: change.Project,
			Reason: "SageMaker still has a live project of this name (its deletion failed, or it was created after the deletion); its repositories are left as they are"}, nil
	}
	engine := reconcile.Engine{Registry: registry.New(s.ECR, cfg.Managed)}
	results, err := engine.Retire(ctx, cfg, change.Project, account, s.now())
	return s.retired(ctx, cfg, Summary{Trigger: publish.Trigger(change.Trigger), Project: change.Project, Account: account}, results, err)
}

// retired reports what the retirement of a deleted project's repositories did.
func (s *Service) retired(ctx context.Context, cfg config.Config, sum Summary, results []reconcile.Result, err error) (Summary, error) {
	sum.Status, sum.Repositories = publish.StatusRetired, results
	if reconcile.Rejected(err) {
		sum.Status, sum.Reason = publish.StatusRejected, err.Error()
		return s.reject(ctx, sum)
	}
	if err != nil {
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
		sum.Unpublished = s.Publisher.Announce(ctx, failedEvent(sum))
		return sum, err
	}
	events := publish.RetiredEvents(publish.RetiredDetail{Project: sum.Project, Account: sum.Account, Domain: sum.Domain, Policy: cfg.OnProjectDelete}, results)
	if len(events) == 0 {
		sum.Reason = "no repository to retire, or all already retired"
		return sum, nil
	}
	sum.Unpublished = s.Publisher.Announce(ctx, events...)
	return sum, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// reject reports a project that cannot be provisioned as it is. The event is the report; the
// handler does not fail, so Lambda does not retry what cannot succeed.
func (s *Service) reject(ctx context.Context, sum Summary) (Summary, error) {
	sum.Unpublished = s.Publisher.Announce(ctx, failedEvent(sum))
	return sum, nil
}

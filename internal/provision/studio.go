package provision

import (
	"context"
	"fmt"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projectevent"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/studio"
)

// studio handles an event of a SageMaker Unified Studio project, in one of the datazone-domains
// only: the project is read back from DataZone, and its repositories, found by its identity,
// are kept in line with it or retired with it.
func (s *Service) studio(ctx context.Context, cfg config.Config, change projectevent.Change) (Summary, error) {
	sum := Summary{Project: change.Project, Domain: change.Domain, Trigger: publish.Trigger(change.Trigger)}
	if !cfg.DataZoneDomain(change.Domain) {
		sum.Status, sum.Reason = publish.StatusIgnored, fmt.Sprintf("domain %s is not in datazone-domains; its projects get no repositories", change.Domain)
		return sum, nil
	}
	if s.DataZone == nil || s.Tags == nil {
		// Wiring, not input: the function was built without DataZone.
		err := fmt.Errorf("project %s of Unified Studio: the function has no DataZone client", change.ProjectID)
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
		return sum, err
	}
	out, gone, err := studio.Get(ctx, s.DataZone, change.Domain, change.ProjectID)
	if err != nil {
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
		return sum, err
	}
	if change.Action == projectevent.Delete {
		return s.retireStudio(ctx, cfg, sum, change.ProjectID, gone)
	}
	switch {
	case !cfg.CreateProjectRepos:
		sum.Status, sum.Reason = publish.StatusDisabled, "create-project-repos is false"
		return sum, nil
	case gone:
		sum.Status, sum.Reason = publish.StatusSkipped, "the project no longer exists, or is being deleted"
		return sum, nil
	case !studio.Active(out.ProjectStatus):
		sum.Status = publish.StatusSkipped
		sum.Reason = fmt.Sprintf("the project is %s; its repositories come when it is ACTIVE", out.ProjectStatus)
		return sum, nil
	}
	// Named once, at creation: a project renamed or moved keeps the namespace it has. Its
	// identity is its domain and id.
	found, err := studio.Repositories(ctx, s.Tags, []string{change.Domain}, change.ProjectID)
	if err != nil {
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
		return sum, err
	}
	teams := &studio.Teams{API: s.DataZone, TeamTag: cfg.DataZoneTeamTag}
	project, err := teams.Identify(ctx, out, found)
	sum.Project = project.Name
	switch {
	case reconcile.Rejected(err):
		sum.Status, sum.Reason = publish.StatusRejected, err.Error()
		return s.reject(ctx, sum)
	case err != nil:
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
		return sum, err
	}
	return s.provision(ctx, cfg, sum, project)
}

// retireStudio retires the repositories of a deleted Unified Studio project, once DataZone
// says it is gone (not found, or DELETING): a project whose deletion failed keeps them.
func (s *Service) retireStudio(ctx context.Context, cfg config.Config, sum Summary, project string, gone bool) (Summary, error) {
	if !gone {
		sum.Status, sum.Reason = publish.StatusSkipped, "DataZone still has the project (its deletion failed, or has not begun); its repositories are left as they are"
		return sum, nil
	}
	found, err := studio.Repositories(ctx, s.Tags, []string{sum.Domain}, project)
	if err != nil {
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
		return sum, err
	}
	if name := studio.ProjectName(found); name != "" {
		sum.Project = name
	}
	engine := reconcile.Engine{Registry: registry.New(s.ECR, cfg.Managed)}
	results, err := engine.RetireStudio(ctx, cfg, sum.Domain, project, found, s.now())
	return s.retired(ctx, cfg, sum, results, err)
}

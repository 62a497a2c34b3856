package provision

import (
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

func failedEvent(sum Summary) publish.Event {
	return publish.Event{DetailType: publish.ProvisioningFailed, Detail: publish.FailedDetail{
		Scope: reconcile.ScopeProject, Project: sum.Project, Team: sum.Team, Trigger: sum.Trigger, Status: sum.Status,
		Error: sum.Reason, Repositories: sum.Repositories,
	}}
}

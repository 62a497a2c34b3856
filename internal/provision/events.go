package provision

import (
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

func failedEvent(sum Summary) publish.Event {
	return publish.Event{DetailType: publish.ProvisioningFailed, Detail: publish.FailedDetail{
		Scope: naming.ScopeProject, Project: sum.Project, Team: sum.Team, Account: sum.Account, Domain: sum.Domain, Trigger: sum.Trigger, Status: sum.Status,
		Error: sum.Reason, Repositories: sum.Repositories,
	}}
}

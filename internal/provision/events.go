package provision

import (
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// The details of the events this function emits. Their JSON is part of the product's contract.

type provisionedDetail struct {
	Project      string             `json:"project"`
	ProjectID    string             `json:"projectId,omitempty"`
	Team         string             `json:"team"`
	Repositories []reconcile.Result `json:"repositories"`
}

type failedDetail struct {
	Project      string             `json:"project,omitempty"`
	Team         string             `json:"team,omitempty"`
	Trigger      string             `json:"trigger,omitempty"`
	Status       string             `json:"status"`
	Error        string             `json:"error"`
	Repositories []reconcile.Result `json:"repositories,omitempty"`
}

type retiredDetail struct {
	Project      string             `json:"project"`
	Policy       string             `json:"onProjectDelete"`
	Repositories []reconcile.Result `json:"repositories"`
}

func failedEvent(sum Summary) publish.Event {
	return publish.Event{DetailType: publish.ProvisioningFailed, Detail: failedDetail{
		Project: sum.Project, Team: sum.Team, Trigger: sum.Trigger, Status: sum.Status,
		Error: sum.Reason, Repositories: sum.Repositories,
	}}
}

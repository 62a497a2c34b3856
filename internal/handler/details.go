package handler

import (
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// The details of the events both functions emit. Their JSON is part of the product's contract:
// one shape per detail-type, whichever function sends it.

// ProvisionedDetail is the detail of ECR Repositories Provisioned.
type ProvisionedDetail struct {
	// Scope is "project" or "shared"; Project, ProjectID and Team are set for a project.
	Scope        naming.Scope       `json:"scope"`
	Project      string             `json:"project,omitempty"`
	ProjectID    string             `json:"projectId,omitempty"`
	Team         string             `json:"team,omitempty"`
	Trigger      Trigger            `json:"trigger,omitempty"`
	Repositories []reconcile.Result `json:"repositories"`
}

// FailedDetail is the detail of ECR Provisioning Failed.
type FailedDetail struct {
	// Scope is "project" or "shared".
	Scope   naming.Scope `json:"scope"`
	Project string       `json:"project,omitempty"`
	Team    string       `json:"team,omitempty"`
	Trigger Trigger      `json:"trigger,omitempty"`
	// Status is "rejected" (retrying cannot help) or "failed" (AWS failed; Lambda retries).
	Status       Status             `json:"status"`
	Error        string             `json:"error"`
	Repositories []reconcile.Result `json:"repositories,omitempty"`
}

// RetiredDetail is the detail of ECR Project Repositories Retained and ... Deleted.
type RetiredDetail struct {
	Project      string             `json:"project"`
	Policy       string             `json:"onProjectDelete"`
	Repositories []reconcile.Result `json:"repositories"`
}

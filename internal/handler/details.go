package handler

import (
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// The details of the events both functions emit. Their JSON is part of the product's contract:
// one shape per detail-type, whichever function sends it.

// ProvisionedDetail is the detail of ECR Repositories Provisioned.
type ProvisionedDetail struct {
	// Scope is "project" or "shared"; Project, ProjectID and Team are set for a project, and
	// Account for a member account's project.
	Scope        naming.Scope       `json:"scope"`
	Project      string             `json:"project,omitempty"`
	ProjectID    string             `json:"projectId,omitempty"`
	Team         string             `json:"team,omitempty"`
	Account      string             `json:"account,omitempty"`
	Trigger      Trigger            `json:"trigger,omitempty"`
	Repositories []reconcile.Result `json:"repositories"`
}

// FailedDetail is the detail of ECR Provisioning Failed.
type FailedDetail struct {
	// Scope is "project" or "shared".
	Scope   naming.Scope `json:"scope"`
	Project string       `json:"project,omitempty"`
	Team    string       `json:"team,omitempty"`
	// Account is the account the project or event came from, when it is not this one.
	Account string  `json:"account,omitempty"`
	Trigger Trigger `json:"trigger,omitempty"`
	// Status is "rejected" (retrying cannot help) or "failed" (AWS failed; Lambda retries).
	Status       Status             `json:"status"`
	Error        string             `json:"error"`
	Repositories []reconcile.Result `json:"repositories,omitempty"`
}

// RetiredDetail is the detail of ECR Project Repositories Retained and ... Deleted.
type RetiredDetail struct {
	Project      string             `json:"project"`
	Account      string             `json:"account,omitempty"`
	Policy       string             `json:"onProjectDelete"`
	Repositories []reconcile.Result `json:"repositories"`
}

// DriftDetail is the detail of ECR Lifecycle Drift Detected and ECR Lifecycle Drift Fixed: one
// repository, with every setting that differs.
type DriftDetail struct {
	Repository string `json:"repository"`
	URI        string `json:"uri,omitempty"`
	// Reason sums the differences up: repository-missing; missing, unparsable or different for
	// the lifecycle policy; different for any other setting.
	Reason    string `json:"reason"`
	Retention int    `json:"retention,omitempty"`
	// Fixed is true when the run wrote a fix; Differences say which, and what was found.
	Fixed       bool                   `json:"fixed"`
	Differences []reconcile.Difference `json:"differences"`
}

// DriftEvent is the event of a repository that is not as desired: Fixed when the run fixed
// something of it, Detected otherwise (report mode, or a difference ECR cannot fix).
func DriftEvent(r reconcile.Result) publish.Event {
	d := DriftDetail{Repository: r.Repository, URI: r.URI, Reason: "different", Retention: r.Retention, Differences: r.Differences}
	for _, diff := range r.Differences {
		d.Fixed = d.Fixed || diff.Fixed
	}
	for _, diff := range r.Differences {
		switch {
		case diff.Setting == reconcile.SettingRepository:
			d.Reason = "repository-missing"
		case diff.Setting == reconcile.SettingLifecycle && diff.Path == "" && d.Reason == "different":
			d.Reason = "missing"
		case diff.Setting == reconcile.SettingLifecycle && diff.Path == "(unparsable)" && d.Reason == "different":
			d.Reason = "unparsable"
		}
	}
	t := publish.DriftDetected
	if d.Fixed {
		t = publish.DriftFixed
	}
	return publish.Event{DetailType: t, Detail: d}
}

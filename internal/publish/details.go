package publish

import (
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// Status says what an invocation did, in its summary and in failure events.
type Status string

// The statuses. Provisioned, InSync, Skipped and Retired are ProvisionFunction's; the others
// either function's. A drift run that did its work has no status, only its counts.
const (
	StatusProvisioned Status = "provisioned"
	StatusInSync      Status = "in-sync"
	// StatusDrifted: the repositories exist, but differ in ways this run did not fix (report
	// mode, or a setting ECR cannot change); each result lists its differences.
	StatusDrifted  Status = "drifted"
	StatusSkipped  Status = "skipped"
	StatusRetired  Status = "retired"
	StatusDisabled Status = "disabled"
	StatusIgnored  Status = "ignored"
	// StatusRejected: bad input that retrying cannot fix.
	StatusRejected Status = "rejected"
	// StatusFailed: AWS failed, or the configuration is unusable; Lambda retries.
	StatusFailed Status = "failed"
)

// Trigger names what started a piece of work: a SageMaker CloudTrail eventName or EventBridge
// detail-type for ProvisionFunction, one of the constants for DriftFunction.
type Trigger string

// DriftFunction's triggers.
const (
	TriggerSchedule     Trigger = "schedule"
	TriggerConfigChange Trigger = "config-change"
	TriggerManual       Trigger = "manual"
	// TriggerDrift is the trigger of repositories the reconciler created.
	TriggerDrift Trigger = "drift"
	// TriggerRepair is a CloudTrail record of a hand edit of one managed repository.
	TriggerRepair Trigger = "repair"
	// TriggerInUse is a SageMaker record that put images into use (protect-in-use).
	TriggerInUse Trigger = "in-use"
)

// The details of the events both functions emit, and the words of their summaries. Their JSON is part of the product's contract:
// one shape per detail-type, whichever function sends it.

// ProvisionedDetail is the detail of ECR Repositories Provisioned.
type ProvisionedDetail struct {
	// Scope is "project" or "shared"; Project, ProjectID and Team are set for a project,
	// Account for a member account's project, and Domain for a Unified Studio project (whose
	// ProjectID is then its DataZone id).
	Scope        naming.Scope       `json:"scope"`
	Project      string             `json:"project,omitempty"`
	ProjectID    string             `json:"projectId,omitempty"`
	Domain       string             `json:"domain,omitempty"`
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
	// Account is the account the project or event came from, when it is not this one; Domain
	// a Unified Studio project's DataZone domain.
	Account string  `json:"account,omitempty"`
	Domain  string  `json:"domain,omitempty"`
	Trigger Trigger `json:"trigger,omitempty"`
	// Status is "rejected" (retrying cannot help) or "failed" (AWS failed; Lambda retries).
	Status       Status             `json:"status"`
	Error        string             `json:"error"`
	Repositories []reconcile.Result `json:"repositories,omitempty"`
}

// RetiredDetail is the detail of ECR Project Repositories Retained and ... Deleted.
type RetiredDetail struct {
	Project string `json:"project"`
	Account string `json:"account,omitempty"`
	// Domain is a Unified Studio project's DataZone domain.
	Domain       string             `json:"domain,omitempty"`
	Policy       string             `json:"onProjectDelete"`
	Repositories []reconcile.Result `json:"repositories"`
}

// RetiredEvents are the events of a deleted project's repositories, d with the results of
// their retirement: ECR Project Repositories Retained for those tagged, ECR Project
// Repositories Deleted for those deleted; none for a repository already retired (no change).
func RetiredEvents(d RetiredDetail, results []reconcile.Result) []Event {
	var retained, deleted []reconcile.Result
	for _, r := range results {
		switch {
		case r.Outcome == reconcile.Deleted:
			deleted = append(deleted, r)
		case len(r.Changes) > 0:
			retained = append(retained, r)
		}
	}
	var events []Event
	for _, e := range []struct {
		detailType string
		repos      []reconcile.Result
	}{{RepositoriesRetained, retained}, {RepositoriesDeleted, deleted}} {
		if len(e.repos) > 0 {
			detail := d
			detail.Repositories = e.repos
			events = append(events, Event{DetailType: e.detailType, Detail: detail})
		}
	}
	return events
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
	Fixed       bool                `json:"fixed"`
	Differences []reconcile.Finding `json:"differences"`
	// WouldWrite names, in report mode, the ECR writes a fix run would make (an operation,
	// and what it sets: "PutLifecyclePolicy", "TagResource sagemaker:project-name, team").
	WouldWrite []string `json:"wouldWrite,omitempty"`
}

// DriftEvent is the event of a repository that is not as desired: Fixed when the run fixed
// something of it, Detected otherwise (report mode, or a difference ECR cannot fix).
func DriftEvent(r reconcile.Result) Event {
	d := DriftDetail{Repository: r.Repository, URI: r.URI, Reason: "different", Retention: r.Retention, Differences: r.Differences,
		Fixed: r.Fixed(), WouldWrite: r.WouldWrite}
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
	t := DriftDetected
	if d.Fixed {
		t = DriftFixed
	}
	return Event{DetailType: t, Detail: d}
}

// ConfigurationReport is the detail of ECR Configuration Invalid: every problem, named.
type ConfigurationReport struct {
	ConfigPath string                 `json:"configPath"`
	Errors     []*config.InvalidError `json:"errors"`
}

// ReconcileSummary is the result of a DriftFunction run: what the function returns, and the
// detail of ECR Reconcile Completed.
type ReconcileSummary struct {
	Mode    config.Mode `json:"mode"`
	Trigger Trigger     `json:"trigger,omitempty"`
	// Scanned counts the managed repositories checked; one whose check failed is counted in
	// Errors instead.
	Scanned   int `json:"scanned"`
	Compliant int `json:"compliant"`
	Drifted   int `json:"drifted"`
	Fixed     int `json:"fixed"`
	Exempt    int `json:"exempt"`
	// Created counts repositories created for shared types and missed projects; Missing those
	// found missing (in report mode they stay missing).
	Created  int `json:"created"`
	Missing  int `json:"missing"`
	Rejected int `json:"rejected"`
	// Unpublished counts result events EventBridge refused after every retry; they are in the
	// log instead.
	Unpublished int `json:"unpublished"`
	Errors      int `json:"errors"`
	// Complete is true when the run got through everything it set out to do: the sweep cycle
	// and the project discovery both completed (or the one repository was repaired).
	Complete bool `json:"complete"`
	// Swept says how far the sweep cycle has come: how many of the SweepTotal managed
	// repositories it has checked (a failed check is not counted); CycleComplete that this run
	// completed the cycle with every check in it successful.
	Swept         int  `json:"swept"`
	SweepTotal    int  `json:"sweepTotal"`
	CycleComplete bool `json:"cycleComplete"`
	// OldestCheckAgeSeconds bounds how long ago any managed repository was last checked: the
	// age of the start of the last completed cycle. Null until a cycle has completed.
	OldestCheckAgeSeconds *int64 `json:"oldestCheckAgeSeconds"`
	// Unreachable lists the accounts that could not be read this run (a member role not
	// assumed, a SageMaker that refused to list projects), and the Unified Studio domains
	// (dzd_...) whose projects could not be listed: each is one error, and is passed over by the
	// discovery.
	Unreachable []string `json:"unreachable,omitempty"`
	// With protect-in-use: InUse counts the images of managed repositories that SageMaker
	// uses that this run found, Protected the protecting tags it added, Released those it
	// removed. InventoryComplete says whether this run's reads completed an inventory in which
	// every account was read without an error (only such a fix run releases);
	// InventoryContinues that the inventory goes on in the next run (it did not fit in this
	// one).
	InUse              int   `json:"inUse,omitempty"`
	Protected          int   `json:"protected,omitempty"`
	Released           int   `json:"released,omitempty"`
	InventoryComplete  *bool `json:"inventoryComplete,omitempty"`
	InventoryContinues bool  `json:"inventoryContinues,omitempty"`
	// WouldWrite counts, in report mode, the ECR writes a fix run would make, by operation
	// (each drift event names its repository's).
	WouldWrite map[string]int `json:"wouldWrite,omitempty"`
	// Repository and Event name the repository a hand edit's record repaired, and the call.
	Repository string `json:"repository,omitempty"`
	Event      string `json:"event,omitempty"`
	// DurationMs is the run's wall time.
	DurationMs int64 `json:"durationMs"`
	// Status is set only when the run did not reconcile (ignored, disabled, rejected, failed),
	// with Reason.
	Status Status `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
}

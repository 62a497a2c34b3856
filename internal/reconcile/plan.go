package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Why a lifecycle policy differs from the desired one.
const (
	PolicyMissing    = "missing"
	PolicyDifferent  = "different"
	PolicyUnparsable = "unparsable"
)

// Step is the plan for one repository: plain data, computed without any call, that can be
// logged, reported in a dry run and tested on its own.
type Step struct {
	Desired  Desired
	Observed *registry.Repository
	// Create: the repository does not exist; it is created with its settings and tags.
	Create bool
	// Drift says why the lifecycle policy is not the desired one; empty when it is.
	Drift string
	// PutPolicy: the desired policy is written.
	PutPolicy bool
	// Tag holds managed tags to add or correct; Untag the keys to remove.
	Tag   map[string]string
	Untag []string
	// Conflict, when not empty, says why the repository belongs to someone else. Nothing else
	// is planned for it then.
	Conflict string
}

// Writes reports whether the step changes anything.
func (s Step) Writes() bool {
	return s.Create || s.PutPolicy || len(s.Tag) > 0 || len(s.Untag) > 0
}

// Changes describes what the step changes, for results and logs.
func (s Step) Changes() []string {
	var out []string
	if s.Create {
		out = append(out, "created")
	}
	if s.Drift != "" {
		verb := "reported"
		if s.PutPolicy {
			verb = "written"
		}
		out = append(out, fmt.Sprintf("lifecycle policy %s: %s", s.Drift, verb))
	} else if s.PutPolicy {
		out = append(out, "lifecycle policy written")
	}
	if len(s.Tag) > 0 {
		keys := make([]string, 0, len(s.Tag))
		for k := range s.Tag {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out = append(out, "tagged "+strings.Join(keys, ", "))
	}
	if len(s.Untag) > 0 {
		out = append(out, "untagged "+strings.Join(s.Untag, ", "))
	}
	return out
}

// PolicyDrift compares an observed lifecycle policy with the desired text and says why they
// differ, or "" when they mean the same.
func PolicyDrift(desired string, has bool, actual string) string {
	if !has {
		return PolicyMissing
	}
	same, err := lifecycle.Equal(desired, actual)
	switch {
	case err != nil:
		return PolicyUnparsable
	case !same:
		return PolicyDifferent
	}
	return ""
}

// Plan compares one desired repository with what ECR holds (nil: it does not exist).
// fixDrift says whether a policy that exists but differs is rewritten; a missing policy is
// always written, since a repository without one is not finished. An exempt repository's policy
// is never written, not even at creation.
func Plan(d Desired, o *registry.Repository, fixDrift bool) Step {
	s := Step{Desired: d, Observed: o}
	if o == nil {
		// An exempt repository is created without a policy: nothing of it is expired by us.
		s.Create, s.PutPolicy = true, !d.Exempt
		return s
	}
	if s.Conflict = conflict(d, o.Tags); s.Conflict != "" {
		return s
	}
	if !d.Exempt {
		s.Drift = PolicyDrift(d.Policy, o.HasPolicy, o.Policy)
		s.PutPolicy = s.Drift == PolicyMissing || (s.Drift != "" && fixDrift)
	}
	for k, v := range d.Settings.Tags {
		if !sameTag(k, o.Tags[k], v) {
			if s.Tag == nil {
				s.Tag = map[string]string{}
			}
			s.Tag[k] = v
		}
	}
	if _, deleted := o.Tags[naming.TagProjectDeleted]; deleted && d.Owner != nil {
		// The project exists again (it was re-created with the same name and team).
		s.Untag = []string{naming.TagProjectDeleted}
	}
	return s
}

// sameTag compares a tag value. The team and project name are matched regardless of case:
// events spell a project name as typed, ARNs in lower case, and either is the same project.
func sameTag(key, got, want string) bool {
	if key == naming.TagTeam || key == naming.TagProjectName {
		return got != "" && strings.EqualFold(got, want)
	}
	return got == want
}

// conflict says why an existing project repository belongs to another project: its team or
// project-name tag names someone else. The seed's naming scheme lets team "data" with project
// "science-churn" and team "data-science" with project "churn" meet in one name; the tags tell
// them apart, and such a repository is reported, never adopted.
func conflict(d Desired, tags map[string]string) string {
	if d.Owner == nil {
		return ""
	}
	if t := tags[naming.TagTeam]; t != "" && !strings.EqualFold(t, d.Owner.Team) {
		return fmt.Sprintf("repository %s belongs to team %q, not %q", d.Name, t, d.Owner.Team)
	}
	if p := tags[naming.TagProjectName]; p != "" && !strings.EqualFold(p, d.Owner.Name) {
		return fmt.Sprintf("repository %s belongs to project %q, not %q", d.Name, p, d.Owner.Name)
	}
	return ""
}

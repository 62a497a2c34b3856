package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// happenedTo says what happened to a repository, in the product's words.
func happenedTo(r stack.RepositoryResult) string {
	if len(r.Changes) > 0 {
		return strings.Join(r.Changes, ", ")
	}
	return r.Outcome
}

// counts renders the summary's non-zero counters, scanned always.
func counts(s stack.DriftSummary) string {
	parts := []string{fmt.Sprintf("scanned %d", s.Scanned)}
	for _, c := range []struct {
		name string
		n    int
	}{{"compliant", s.Compliant}, {"drifted", s.Drifted}, {"fixed", s.Fixed}, {"exempt", s.Exempt},
		{"created", s.Created}, {"missing", s.Missing}, {"in use", s.InUse}, {"protected", s.Protected}, {"released", s.Released},
		{"errors", s.Errors}} {
		switch {
		case c.name == "missing" && s.Mode != "report" && c.n == s.Created:
			// fix mode created what was missing: "created" says it all
		case c.n > 0 || c.name == "drifted" && s.Mode == "report":
			parts = append(parts, fmt.Sprintf("%s %d", c.name, c.n))
		}
	}
	if !s.Complete {
		parts = append(parts, "incomplete")
	}
	return strings.Join(parts, ", ")
}

type driftDetail struct {
	Repository  string `json:"repository"`
	Reason      string `json:"reason"`
	Fixed       bool   `json:"fixed"`
	Differences []struct {
		Setting  string `json:"setting"`
		Path     string `json:"path"`
		Expected string `json:"expected"`
		Found    string `json:"found"`
		Fixed    bool   `json:"fixed"`
	} `json:"differences"`
}

// resultsDetail is the detail of events that list repositories (provisioned, failed,
// retained, deleted).
type resultsDetail struct {
	Project      string                   `json:"project"`
	Team         string                   `json:"team"`
	Scope        string                   `json:"scope"`
	Status       string                   `json:"status"`
	Error        string                   `json:"error"`
	Policy       string                   `json:"onProjectDelete"`
	Repositories []stack.RepositoryResult `json:"repositories"`
}

func (d resultsDetail) who() string {
	switch {
	case d.Project != "" && d.Team != "":
		return fmt.Sprintf("project %s (team %s)", d.Project, d.Team)
	case d.Project != "":
		return "project " + d.Project
	case d.Scope != "":
		return d.Scope + " repositories"
	}
	return "repositories"
}

// outcomes counts the results by outcome: "3 created" or "2 created, 1 unchanged".
func (d resultsDetail) outcomes() string {
	n := map[string]int{}
	for _, r := range d.Repositories {
		n[r.Outcome]++
	}
	var parts []string
	for _, o := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%d %s", n[o], o))
	}
	return strings.Join(parts, ", ")
}

// summarize is a one-line account of an event, by detail-type.
func summarize(ev account.Event) string {
	switch ev.DetailType {
	case publish.RepositoriesProvisioned, publish.RepositoriesRetained, publish.RepositoriesDeleted:
		var d resultsDetail
		if json.Unmarshal(ev.Detail, &d) == nil {
			return d.who() + ": " + d.outcomes()
		}
	case publish.ProvisioningFailed:
		var d resultsDetail
		if json.Unmarshal(ev.Detail, &d) == nil {
			return fmt.Sprintf("%s: %s: %s", d.who(), d.Status, d.Error)
		}
	case publish.DriftDetected, publish.DriftFixed:
		var d driftDetail
		if json.Unmarshal(ev.Detail, &d) == nil {
			s := d.Repository + ": " + d.Reason
			for _, diff := range d.Differences {
				s += fmt.Sprintf("; %s %s %s, want %s", diff.Setting, diff.Path, diff.Found, diff.Expected)
			}
			if d.Fixed {
				s += ", fixed"
			}
			return s
		}
	case publish.ReconcileCompleted:
		var d stack.DriftSummary
		if json.Unmarshal(ev.Detail, &d) == nil {
			return fmt.Sprintf("%s run (%s): %s", d.Mode, d.Trigger, counts(d))
		}
	case publish.ConfigurationInvalid:
		var d struct {
			Errors []struct {
				Parameter, Value string
			} `json:"errors"`
		}
		if json.Unmarshal(ev.Detail, &d) == nil {
			var parts []string
			for _, e := range d.Errors {
				parts = append(parts, fmt.Sprintf("%s=%q", e.Parameter, e.Value))
			}
			return "invalid: " + strings.Join(parts, ", ")
		}
	}
	return string(ev.Detail)
}

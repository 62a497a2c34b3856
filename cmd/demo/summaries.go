package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
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
		{"created", s.Created}, {"missing", s.Missing}, {"errors", s.Errors}} {
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
	Repository string `json:"repository"`
	Reason     string `json:"reason"`
	Retention  int    `json:"retention"`
	Expected   string `json:"expected"`
	Actual     string `json:"actual"`
	Fixed      bool   `json:"fixed"`
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
			s := fmt.Sprintf("%s: policy %s", d.Repository, d.Reason)
			if diffs, err := jsonDiff(d.Expected, d.Actual); err == nil && len(diffs) > 0 {
				s += fmt.Sprintf(" (%s %s, want %s)", diffs[0].Path, diffs[0].Got, diffs[0].Want)
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

// difference is one leaf where two JSON documents differ.
type difference struct {
	Path, Want, Got string
}

// jsonDiff lists the leaves where got differs from want, by path (rules[0].selection.countNumber),
// so a person sees "10 vs 99" rather than two documents.
func jsonDiff(want, got string) ([]difference, error) {
	var w, g any
	for _, d := range []struct {
		text string
		into *any
	}{{want, &w}, {got, &g}} {
		dec := json.NewDecoder(strings.NewReader(d.text))
		dec.UseNumber()
		if err := dec.Decode(d.into); err != nil {
			return nil, err
		}
	}
	var out []difference
	diffValues("", w, g, &out)
	return out, nil
}

func diffValues(path string, want, got any, out *[]difference) {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := slices.Sorted(maps.Keys(wm))
		for k := range gm {
			if _, ok := wm[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			var wv, gv any = absent{}, absent{}
			if v, ok := wm[k]; ok {
				wv = v
			}
			if v, ok := gm[k]; ok {
				gv = v
			}
			diffValues(strings.TrimPrefix(path+"."+k, "."), wv, gv, out)
		}
		return
	}
	wa, wok := want.([]any)
	ga, gok := got.([]any)
	if wok && gok {
		for i := range max(len(wa), len(ga)) {
			var wv, gv any = absent{}, absent{}
			if i < len(wa) {
				wv = wa[i]
			}
			if i < len(ga) {
				gv = ga[i]
			}
			diffValues(fmt.Sprintf("%s[%d]", path, i), wv, gv, out)
		}
		return
	}
	if wn, ok := want.(json.Number); ok {
		if gn, ok := got.(json.Number); ok && sameNumber(wn, gn) {
			return
		}
	}
	ws, gs := render(want), render(got)
	if ws != gs {
		*out = append(*out, difference{Path: path, Want: ws, Got: gs})
	}
}

// sameNumber compares numbers by value: 10, 10.0 and 1e1 are one number.
func sameNumber(a, b json.Number) bool {
	x, okx := new(big.Rat).SetString(string(a))
	y, oky := new(big.Rat).SetString(string(b))
	return okx && oky && x.Cmp(y) == 0
}

// absent stands for a missing array element or object key.
type absent struct{}

func render(v any) string {
	if _, ok := v.(absent); ok {
		return "(absent)"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(b.String())
}

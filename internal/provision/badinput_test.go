//go:build integration

package provision_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// TestBadInputIsRejectedWithoutWrites feeds hostile events and broken configuration values.
// Every one must end with a reason that names the problem, no repository, and no panic.
func TestBadInputIsRejectedWithoutWrites(t *testing.T) {
	withTeam := func(team string) func(*testing.T) json.RawMessage {
		return func(t *testing.T) json.RawMessage {
			return edit("create-project.json", func(ev map[string]any) {
				requestParameters(ev)["tags"] = []any{map[string]any{"Key": "team", "Value": team}}
			})
		}
	}
	withProject := func(name string) func(*testing.T) json.RawMessage {
		return func(t *testing.T) json.RawMessage {
			return edit("create-project.json", func(ev map[string]any) { requestParameters(ev)["projectName"] = name })
		}
	}
	raw := func(s string) func(*testing.T) json.RawMessage {
		return func(*testing.T) json.RawMessage { return json.RawMessage(s) }
	}
	sample := func(t *testing.T) json.RawMessage { return event("create-project.json") }

	tests := []struct {
		name   string
		config map[string]string
		event  func(*testing.T) json.RawMessage
		status publish.Status
		reason string // a part of the reason that names the problem
		err    bool   // the handler returns an error (retried, kept in the dead-letter queue)
		emits  string // the event published, if any
	}{
		{name: "malformed JSON", event: raw(`{"detail-type": "AWS API Call via CloudTrail",`), status: publish.StatusRejected, reason: "not an EventBridge event", emits: publish.ProvisioningFailed},
		{name: "JSON array", event: raw(`[1,2]`), status: publish.StatusRejected, reason: "not an EventBridge event", emits: publish.ProvisioningFailed},
		{name: "wrong source", event: func(t *testing.T) json.RawMessage {
			return edit("create-project.json", func(ev map[string]any) { ev["source"] = "aws.s3" })
		}, status: publish.StatusIgnored, reason: `source "aws.s3"`},
		{name: "missing projectName", event: func(t *testing.T) json.RawMessage {
			return edit("create-project.json", func(ev map[string]any) { delete(requestParameters(ev), "projectName") })
		}, status: publish.StatusRejected, reason: "projectName is missing", emits: publish.ProvisioningFailed},
		{name: "detail null", event: func(t *testing.T) json.RawMessage {
			return edit("create-project.json", func(ev map[string]any) { ev["detail"] = nil })
		}, status: publish.StatusRejected, reason: "CloudTrail detail", emits: publish.ProvisioningFailed},
		{name: "tag value not a string", event: func(t *testing.T) json.RawMessage {
			return edit("create-project.json", func(ev map[string]any) {
				requestParameters(ev)["tags"] = []any{map[string]any{"key": "team", "value": 42}}
			})
		}, status: publish.StatusRejected, reason: "not a string", emits: publish.ProvisioningFailed},
		{name: "AddTags without resourceArn", event: func(t *testing.T) json.RawMessage {
			return edit("add-tags.json", func(ev map[string]any) { delete(requestParameters(ev), "resourceArn") })
		}, status: publish.StatusRejected, reason: "resourceArn is missing", emits: publish.ProvisioningFailed},
		{name: "unicode team", event: withTeam("données"), status: publish.StatusRejected, reason: `team "données" is not a valid name part`, emits: publish.ProvisioningFailed},
		{name: "team with slash", event: withTeam("data/../../etc"), status: publish.StatusRejected, reason: "contains '/'", emits: publish.ProvisioningFailed},
		{name: "team dot dot", event: withTeam(".."), status: publish.StatusRejected, reason: `team ".." is not a valid name part`, emits: publish.ProvisioningFailed},
		{name: "team with spaces", event: withTeam("data science"), status: publish.StatusRejected, reason: `team "data science"`, emits: publish.ProvisioningFailed},
		{name: "team with newline", event: withTeam("data\nlevel=ERROR"), status: publish.StatusRejected, reason: "is not a valid name part", emits: publish.ProvisioningFailed},
		{name: "team of 300 characters", event: withTeam(strings.Repeat("a", 300)), status: publish.StatusRejected, reason: "320 characters long", emits: publish.ProvisioningFailed},
		{name: "name over 256 characters", event: withTeam(strings.Repeat("t", 200) + "-" + strings.Repeat("u", 40)), status: publish.StatusRejected, reason: "261 characters long", emits: publish.ProvisioningFailed},
		{name: "unicode project name", event: withProject("Chürn"), status: publish.StatusRejected, reason: `project name "chürn"`, emits: publish.ProvisioningFailed},
		{name: "team not allowed", config: map[string]string{"allowed-teams": "risk marketing"}, event: sample, status: publish.StatusRejected, reason: `team "data-science" is not in allowed-teams`, emits: publish.ProvisioningFailed},
		{name: "retention 0", config: map[string]string{"image-retention": "0"}, event: sample, status: publish.StatusFailed, reason: `image-retention has invalid value "0": valid is an integer from 1 to 10000`, err: true, emits: publish.ConfigurationInvalid},
		{name: "retention -1", config: map[string]string{"image-retention": "-1"}, event: sample, status: publish.StatusFailed, reason: `invalid value "-1"`, err: true, emits: publish.ConfigurationInvalid},
		{name: "retention abc", config: map[string]string{"image-retention": "abc"}, event: sample, status: publish.StatusFailed, reason: `invalid value "abc"`, err: true, emits: publish.ConfigurationInvalid},
		{name: "retention 10001", config: map[string]string{"image-retention": "10001"}, event: sample, status: publish.StatusFailed, reason: `invalid value "10001"`, err: true, emits: publish.ConfigurationInvalid},
		{name: "upper-case company", config: map[string]string{"company": "ACME"}, event: sample, status: publish.StatusFailed, reason: `company has invalid value "ACME"`, err: true, emits: publish.ConfigurationInvalid},
		{name: "bad drift-mode", config: map[string]string{"drift-mode": "sometimes"}, event: sample, status: publish.StatusFailed, reason: "valid is one of fix, report", err: true, emits: publish.ConfigurationInvalid},
		{name: "pull account of 11 digits", config: map[string]string{"pull-accounts": "22223333444"}, event: sample, status: publish.StatusFailed,
			reason: `pull-accounts has invalid value "22223333444": valid is space-separated 12-digit AWS account ids`, err: true, emits: publish.ConfigurationInvalid},
		{name: "pull account with letters", config: map[string]string{"pull-accounts": "2222333344ab"}, event: sample, status: publish.StatusFailed,
			reason: `"2222333344ab" is not 12 digits`, err: true, emits: publish.ConfigurationInvalid},
		{name: "malformed pull-org-id", config: map[string]string{"pull-org-id": "org-123"}, event: sample, status: publish.StatusFailed,
			reason: `pull-org-id has invalid value "org-123": valid is an AWS Organizations id`, err: true, emits: publish.ConfigurationInvalid},
		{name: "exclusions without an exclusion mode", config: map[string]string{"tag-mutability": "IMMUTABLE", "tag-mutability-exclusions": "latest"}, event: sample,
			status: publish.StatusFailed, reason: "tag-mutability-exclusions has invalid value \"latest\": valid is only with tag-mutability", err: true, emits: publish.ConfigurationInvalid},
		{name: "six exclusions", config: map[string]string{"tag-mutability": "MUTABLE_WITH_EXCLUSION", "tag-mutability-exclusions": "a b c d e f"}, event: sample,
			status: publish.StatusFailed, reason: "1 to 5 space-separated wildcard filters", err: true, emits: publish.ConfigurationInvalid},
		{name: "pattern with 5 stars", config: map[string]string{"protected-tag-patterns": "*a*b*c*d*"}, event: sample, status: publish.StatusFailed,
			reason: "has 5 '*'; ECR allows at most 4", err: true, emits: publish.ConfigurationInvalid},
		{name: "untagged-expiry-days 0", config: map[string]string{"untagged-expiry-days": "0"}, event: sample, status: publish.StatusFailed,
			reason: `untagged-expiry-days has invalid value "0": valid is an integer from 1 to 3650`, err: true, emits: publish.ConfigurationInvalid},
		{name: "untagged-expiry-days abc", config: map[string]string{"untagged-expiry-days": "abc"}, event: sample, status: publish.StatusFailed,
			reason: `"abc"`, err: true, emits: publish.ConfigurationInvalid},
		{name: "untagged-expiry-days 3651", config: map[string]string{"untagged-expiry-days": "3651"}, event: sample, status: publish.StatusFailed,
			reason: `"3651"`, err: true, emits: publish.ConfigurationInvalid},
	}
	if len(tests) < 15 {
		t.Fatalf("the table holds %d bad inputs; keep at least 15", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, sink, svc := setup(t, tc.config)
			sum, err := svc.Handle(world.Deadline(t), tc.event(t))
			if (err != nil) != tc.err {
				t.Errorf("error: got %v; want error %v", err, tc.err)
			}
			if sum.Status != tc.status || !strings.Contains(sum.Reason, tc.reason) {
				t.Errorf("got %q %q; want %q with a reason containing %q", sum.Status, sum.Reason, tc.status, tc.reason)
			}
			if repos := w.Repositories(t); len(repos) != 0 {
				t.Errorf("repositories: got %v; want none", repos)
			}
			for _, wr := range w.Rec.Writes() {
				if wr.Service != "events" {
					t.Errorf("write: got %+v; want only events published", wr)
				}
			}
			events := account.ByType(sink.Drain(t))
			if tc.emits != "" && (events[tc.emits] != 1 || len(events) != 1) {
				t.Errorf("events: got %v; want one %q", events, tc.emits)
			}
			if tc.emits == "" && len(events) != 0 {
				t.Errorf("events: got %v; want none", events)
			}
		})
	}
}

func TestInvalidConfigurationEventNamesEveryProblem(t *testing.T) {
	_, sink, svc := setup(t, map[string]string{"image-retention": "0", "tag-mutability": "sometimes"})
	if _, err := svc.Handle(world.Deadline(t), event("create-project.json")); len(config.Invalid(err)) != 2 {
		t.Fatalf("error: got %v; want both invalid parameters", err)
	}
	events := sink.Drain(t)
	if len(events) != 1 {
		t.Fatalf("events: got %d; want 1", len(events))
	}
	var d struct {
		ConfigPath string `json:"configPath"`
		Errors     []struct{ Parameter, Value, Valid string }
	}
	if err := json.Unmarshal(events[0].Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.ConfigPath != configPath || len(d.Errors) != 2 || d.Errors[0].Parameter != configPath+"/image-retention" || d.Errors[1].Value != "sometimes" {
		t.Errorf("detail: got %+v", d)
	}
}

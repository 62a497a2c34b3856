package projectevent_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projectevent"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

const (
	fraudARN        = "arn:aws:sagemaker:us-east-1:123456789012:project/fraud-detect"
	churnARN        = "arn:aws:sagemaker:us-east-1:123456789012:project/churn-model"
	fraudScoringARN = "arn:aws:sagemaker:us-east-1:123456789012:project/fraud-scoring"
)

// variants are the hostile and unusual variants of the samples that the decoder must read,
// each derived from one sample in code (named as if it were a sample of its own).
var variants = map[string]func() []byte{
	// SageMaker's API spells tag fields Key/Value; a failed call has no responseElements.
	"create-project-upper-case-keys.json": func() []byte {
		return samples.Edit("create-project.json", func(ev map[string]any) {
			ev["id"] = "6f0c2a9e-aaaa-2222-3333-444455556666"
			samples.RequestParameters(ev)["tags"] = []any{
				map[string]any{"Key": "team", "Value": "Data-Science"}, map[string]any{"Key": "cost-center", "Value": "cc-42"}}
			samples.Detail(ev)["responseElements"] = nil
		})
	},
	"create-project-failed.json": func() []byte {
		return samples.Edit("create-project.json", func(ev map[string]any) {
			samples.Detail(ev)["responseElements"] = nil
			samples.Detail(ev)["errorCode"] = "ValidationException"
			samples.Detail(ev)["errorMessage"] = "Project name already exists"
		})
	},
	"add-tags-training-job.json": func() []byte {
		return samples.Edit("add-tags.json", func(ev map[string]any) {
			samples.RequestParameters(ev)["resourceArn"] = "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-train-1"
		})
	},
	// Another partition, and the project name in mixed case.
	"delete-project-mixed-case.json": func() []byte {
		return samples.Edit("delete-project.json", func(ev map[string]any) {
			ev["id"] = "9c3f5d2b-ffff-2222-3333-444455556666"
			ev["region"] = "us-gov-west-1"
			samples.RequestParameters(ev)["projectName"] = "Fraud-Detect"
		})
	},
	// UpdateProject's response is its project's ARN; without it the ARN is the one SageMaker
	// makes in the event's Region (here another partition) and account.
	"update-project-without-response.json": func() []byte {
		return samples.Edit("update-project.json", func(ev map[string]any) {
			ev["id"] = "3b1d3b0f-aaaa-2222-3333-444455556666"
			ev["region"] = "us-gov-west-1"
			samples.Detail(ev)["responseElements"] = nil
		})
	},
	"update-project-failed.json": func() []byte {
		return samples.Edit("update-project.json", func(ev map[string]any) {
			samples.Detail(ev)["responseElements"] = nil
			samples.Detail(ev)["errorCode"] = "ValidationException"
			samples.Detail(ev)["errorMessage"] = "Project Churn-Model does not exist."
		})
	},
	"tag-change-last-tag-removed.json": func() []byte {
		return samples.Edit("tag-change-on-resource.json", func(ev map[string]any) {
			ev["id"] = "bddcf1d6-dddd-35a1-aab0-adc1fb47c11c"
			samples.Detail(ev)["changed-tag-keys"] = []any{"team", "cost-center"}
			samples.Detail(ev)["tags"] = map[string]any{}
		})
	},
	"tag-change-training-job.json": func() []byte {
		return samples.Edit("tag-change-on-resource.json", func(ev map[string]any) {
			ev["resources"] = []any{"arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-train-1"}
			samples.Detail(ev)["resource-type"] = "training-job"
		})
	},
}

// corpus is every sample and every variant, by name.
func corpus() map[string][]byte {
	out := map[string][]byte{}
	for _, name := range samples.Names() {
		out[name] = samples.Event(name)
	}
	for name, build := range variants {
		out[name] = build()
	}
	return out
}

// TestDecodeSamples decodes every sample and every variant. One without an entry here fails
// the test, so a new sample cannot go unchecked.
func TestDecodeSamples(t *testing.T) {
	tests := map[string]struct {
		want    projectevent.Change
		ignored bool
		// partition is the functions' PARTITION, "aws" when empty.
		partition string
	}{
		"create-project.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "CreateProject", EventID: "6f0c2a9e-1111-2222-3333-444455556666",
			Project: "Churn-Model", ARN: churnARN, ProjectID: "p-1a2b3c4d5e6f",
			Tags: map[string]string{"team": "data-science", "cost-center": "cc-42"},
		}},
		"create-project-upper-case-keys.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "CreateProject", EventID: "6f0c2a9e-aaaa-2222-3333-444455556666",
			Project: "Churn-Model",
			Tags:    map[string]string{"team": "Data-Science", "cost-center": "cc-42"},
		}},
		"create-project-failed.json": {ignored: true},
		// The records that put images into use are DriftFunction's.
		"create-endpoint.json":      {ignored: true},
		"update-endpoint.json":      {ignored: true},
		"update-model-package.json": {ignored: true},
		// SageMaker Unified Studio (DataZone): triggers naming a domain and a project id.
		"datazone-create-project.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "CreateProject", EventID: "8a1d3b0f-1111-2222-3333-444455556666",
			Project: "Churn Model", ProjectID: "5rpbc7vhrajx7b", Domain: "dzd_4p9n6sw4qt9xgn"}},
		"datazone-update-project.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "UpdateProject", EventID: "7c1d3b0f-1111-2222-3333-444455556666",
			Project: "Churn Forecast", ProjectID: "5rpbc7vhrajx7b", Domain: "dzd_4p9n6sw4qt9xgn"}},
		"datazone-delete-project.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Delete, Trigger: "DeleteProject", EventID: "9b1d3b0f-1111-2222-3333-444455556666",
			Project: "5rpbc7vhrajx7b", ProjectID: "5rpbc7vhrajx7b", Domain: "dzd_4p9n6sw4qt9xgn"}},
		"datazone-project-creation-succeeded.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "Project Creation Succeeded", EventID: "1d1d3b0f-1111-2222-3333-444455556666",
			Project: "Churn Model", ProjectID: "5rpbc7vhrajx7b", Domain: "dzd_4p9n6sw4qt9xgn"}},
		"datazone-project-moved.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "Project Moved Between Domain Unit", EventID: "2d1d3b0f-1111-2222-3333-444455556666",
			Project: "5rpbc7vhrajx7b", ProjectID: "5rpbc7vhrajx7b", Domain: "dzd_4p9n6sw4qt9xgn"}},
		// A template from S3 instead of a Service Catalog product: a CreateProject like any other.
		"create-project-template-providers.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "CreateProject", EventID: "4c1d3b0f-1111-2222-3333-444455556666",
			Project: "Fraud-Scoring", ARN: fraudScoringARN, ProjectID: "p-9z8y7x6w5v4u",
			Tags: map[string]string{"team": "risk"},
		}},
		// UpdateProject is a trigger like AddTags: Tags nil, whatever the record's tags say, so
		// the current ones are read from SageMaker.
		"update-project.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "UpdateProject", EventID: "3b1d3b0f-1111-2222-3333-444455556666",
			Project: "Churn-Model", ARN: churnARN,
		}},
		"update-project-without-response.json": {partition: "aws-us-gov", want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "UpdateProject", EventID: "3b1d3b0f-aaaa-2222-3333-444455556666",
			Project: "Churn-Model", ARN: "arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:project/churn-model",
		}},
		"update-project-failed.json": {ignored: true},
		"add-tags.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "AddTags", EventID: "7a1d3b0f-1111-2222-3333-444455556666",
			Project: "fraud-detect", ARN: fraudARN,
		}},
		"add-tags-training-job.json": {ignored: true},
		"delete-tags.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "DeleteTags", EventID: "8b2e4c1a-1111-2222-3333-444455556666",
			Project: "fraud-detect", ARN: fraudARN,
		}},
		"delete-project.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Delete, Trigger: "DeleteProject", EventID: "9c3f5d2b-1111-2222-3333-444455556666",
			Project: "churn-model",
		}},
		"delete-project-mixed-case.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Delete, Trigger: "DeleteProject", EventID: "9c3f5d2b-ffff-2222-3333-444455556666",
			Project: "Fraud-Detect",
		}},
		"tag-change-on-resource.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "Tag Change on Resource", EventID: "bddcf1d6-0251-35a1-aab0-adc1fb47c11c",
			Project: "fraud-detect", ARN: fraudARN,
			Tags: map[string]string{"team": "risk", "cost-center": "cc-7"},
		}},
		// The event carries the full tag set; an empty one says "no tags", not "read them".
		"tag-change-last-tag-removed.json": {want: projectevent.Change{
			Account: "123456789012", Action: projectevent.Sync, Trigger: "Tag Change on Resource", EventID: "bddcf1d6-dddd-35a1-aab0-adc1fb47c11c",
			Project: "fraud-detect", ARN: fraudARN, Tags: map[string]string{},
		}},
		"member-create-project.json": {want: projectevent.Change{
			Account: "222233334444", Action: projectevent.Sync, Trigger: "CreateProject", EventID: "7a8b9c0d-1111-2222-3333-444455556666",
			Project: "Forecast", ARN: "arn:aws:sagemaker:us-east-1:222233334444:project/forecast", ProjectID: "p-9z8y7x6w5v4u",
			Tags: map[string]string{"team": "demand"},
		}},
		"tag-change-training-job.json":  {ignored: true},
		"scheduled-event.json":          {ignored: true},
		"parameter-store-change.json":   {ignored: true},
		"ecr-put-lifecycle-policy.json": {ignored: true},
		"ecr-untag-resource.json":       {ignored: true},
	}
	for name, raw := range corpus() {
		t.Run(name, func(t *testing.T) {
			tt, ok := tests[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			got, err := projectevent.Decode(raw, tt.partition)
			if tt.ignored {
				if !errors.Is(err, projectevent.ErrIgnored) {
					t.Fatalf("got %+v, %v; want ErrIgnored", got, err)
				}
				if diff := cmp.Diff(projectevent.Change{}, got); diff != "" {
					t.Errorf("ignored event returned a change (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(projectevent.Change{}, "Time")); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
			var env struct{ Time time.Time }
			_ = json.Unmarshal(raw, &env)
			if !got.Time.Equal(env.Time) || got.Time.IsZero() {
				t.Errorf("Time: got %v; want the envelope's %v", got.Time, env.Time)
			}
		})
	}
}

// sample reads a sample event as generic JSON, for tests to change one field.
func sample(_ testing.TB, name string) map[string]any { return samples.Decode(name) }

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	detail            = samples.Detail
	requestParameters = samples.RequestParameters
)

func TestDecodeTagCasing(t *testing.T) {
	tests := []struct {
		name string
		tags any
		want map[string]string
	}{
		{"key/value", []any{map[string]any{"key": "team", "value": "a"}}, map[string]string{"team": "a"}},
		{"Key/Value", []any{map[string]any{"Key": "team", "Value": "a"}}, map[string]string{"team": "a"}},
		{"mixed entries", []any{map[string]any{"Key": "team", "Value": "a"}, map[string]any{"key": "env", "value": "b"}},
			map[string]string{"team": "a", "env": "b"}},
		// With both spellings in one entry, Key/Value win, whatever the order in the text.
		{"both spellings", []any{map[string]any{"key": "x", "Key": "team", "value": "y", "Value": "a"}}, map[string]string{"team": "a"}},
		{"no value", []any{map[string]any{"Key": "team"}}, map[string]string{"team": ""}},
		{"later duplicate wins", []any{map[string]any{"Key": "team", "Value": "a"}, map[string]any{"key": "team", "value": "b"}},
			map[string]string{"team": "b"}},
		{"no tags", nil, map[string]string{}},
		{"empty list", []any{}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample(t, "create-project.json")
			if tt.tags == nil {
				delete(requestParameters(m), "tags")
			} else {
				requestParameters(m)["tags"] = tt.tags
			}
			got, err := projectevent.Decode(encode(t, m), "aws")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got.Tags); diff != "" {
				t.Errorf("Tags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUpdateProjectTagsAreReadBack: UpdateProject's tags need the project's tag update
// constraints and may not be its whole tag set, so whatever the record carries, the change asks
// for the current tags (nil), and names the project's ARN to read them from.
func TestUpdateProjectTagsAreReadBack(t *testing.T) {
	for _, tt := range []struct {
		name string
		tags any // nil: no tags field
	}{
		{"team tag in the record", []any{map[string]any{"key": "team", "value": "growth"}}},
		{"Key/Value spelling", []any{map[string]any{"Key": "team", "Value": "growth"}}},
		{"empty tag list", []any{}},
		{"no tags field", nil},
		// Tags are not read, so not even a broken list stops the trigger.
		{"tags not a list", "team=growth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := sample(t, "update-project.json")
			if tt.tags == nil {
				delete(requestParameters(m), "tags")
			} else {
				requestParameters(m)["tags"] = tt.tags
			}
			got, err := projectevent.Decode(encode(t, m), "aws")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Tags != nil {
				t.Errorf("Tags: got %v; want nil, to be read from SageMaker", got.Tags)
			}
			if got.Action != projectevent.Sync || got.Project != "Churn-Model" || got.ARN != churnARN || got.Account != "123456789012" {
				t.Errorf("got %+v; want a sync of Churn-Model at %s", got, churnARN)
			}
		})
	}
}

func TestDecodeIgnored(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		change func(m map[string]any)
	}{
		{"errorCode on CreateProject", "create-project.json", func(m map[string]any) { detail(m)["errorCode"] = "AccessDenied" }},
		{"errorCode on DeleteProject", "delete-project.json", func(m map[string]any) { detail(m)["errorCode"] = "ResourceNotFound" }},
		{"errorCode on AddTags", "add-tags.json", func(m map[string]any) { detail(m)["errorCode"] = "ThrottlingException" }},
		// A failed call may carry no requestParameters at all; it is still only ignored.
		{"errorCode without requestParameters", "create-project.json", func(m map[string]any) {
			detail(m)["errorCode"] = "ValidationException"
			delete(detail(m), "requestParameters")
		}},
		{"AddTags on a training job", "add-tags.json", func(m map[string]any) {
			requestParameters(m)["resourceArn"] = "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-train-1"
		}},
		{"DeleteTags on an endpoint", "delete-tags.json", func(m map[string]any) {
			requestParameters(m)["resourceArn"] = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn"
		}},
		{"AddTags on a project's sub-resource", "add-tags.json", func(m map[string]any) {
			requestParameters(m)["resourceArn"] = fraudARN + "/something"
		}},
		{"other SageMaker call", "create-project.json", func(m map[string]any) { detail(m)["eventName"] = "CreateModel" }},
		{"errorCode on UpdateProject", "update-project.json", func(m map[string]any) { detail(m)["errorCode"] = "ConflictException" }},
		{"other source", "create-project.json", func(m map[string]any) { m["source"] = "aws.s3" }},
		{"other detail-type", "create-project.json", func(m map[string]any) { m["detail-type"] = "AWS Service Event via CloudTrail" }},
		{"no detail-type", "create-project.json", func(m map[string]any) { delete(m, "detail-type") }},
		{"tag change on another service", "tag-change-on-resource.json", func(m map[string]any) { detail(m)["service"] = "ecr" }},
		{"scheduled event", "scheduled-event.json", func(map[string]any) {}},
		{"parameter store change", "parameter-store-change.json", func(map[string]any) {}},
		{"a DataZone event of another service's record", "datazone-create-project.json", func(m map[string]any) { detail(m)["eventSource"] = "sagemaker.amazonaws.com" }},
		{"errorCode on DataZone CreateProject", "datazone-create-project.json", func(m map[string]any) { detail(m)["errorCode"] = "ConflictException" }},
		{"other DataZone call", "datazone-update-project.json", func(m map[string]any) { detail(m)["eventName"] = "CreateEnvironment" }},
		{"other DataZone event", "datazone-project-moved.json", func(m map[string]any) { m["detail-type"] = "Project Member Addition Succeeded" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample(t, tt.file)
			tt.change(m)
			got, err := projectevent.Decode(encode(t, m), "aws")
			if !errors.Is(err, projectevent.ErrIgnored) {
				t.Fatalf("got %+v, %v; want ErrIgnored", got, err)
			}
			var perr *projectevent.Error
			if errors.As(err, &perr) {
				t.Errorf("an ignored event is also malformed: %v", err)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	// From a sample, or raw text when raw is set.
	tests := []struct {
		name   string
		raw    string
		file   string
		change func(m map[string]any)
		reason []string // substrings of Error.Reason that name the problem
	}{
		{name: "not JSON", raw: "not json", reason: []string{"not an EventBridge event", "invalid character"}},
		{name: "empty input", raw: "", reason: []string{"not an EventBridge event", "EOF"}},
		{name: "JSON array", raw: `[{"source":"aws.sagemaker"}]`, reason: []string{"not an EventBridge event", "array"}},
		{name: "JSON string", raw: `"event"`, reason: []string{"not an EventBridge event", "string"}},
		{name: "JSON null", raw: `null`, reason: []string{"no source or detail-type"}},
		{name: "trailing garbage", raw: `{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{}} garbage`, reason: []string{"trailing data"}},
		{name: "trailing object", raw: `{"source":"aws.tag"} {}`, reason: []string{"trailing data"}},
		{name: "trailing bracket", raw: `{"source":"aws.tag"}]`, reason: []string{"trailing data"}},
		{name: "trailing brace", raw: `{"source":"aws.tag"}}`, reason: []string{"trailing data"}},
		{name: "truncated", raw: `{"source":"aws.sagemaker","detail-type":"AWS API`, reason: []string{"not an EventBridge event"}},
		{name: "empty object", raw: `{}`, reason: []string{"no source or detail-type"}},
		// encoding/json would take the last of two spellings, so key order would decide.
		{name: "source spelled twice", raw: `{"source":"aws.tag","Source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{}}`,
			reason: []string{"source is spelled more than one way", `"Source" "source"`}},
		{name: "projectName spelled twice", file: "delete-project.json", change: func(m map[string]any) { requestParameters(m)["ProjectName"] = "other" },
			reason: []string{"DeleteProject requestParameters", "projectName is spelled more than one way"}},
		{name: "resourceArn spelled with long s", file: "add-tags.json", change: func(m map[string]any) { requestParameters(m)["re\u017FourceArn"] = churnARN },
			reason: []string{"resourceArn is spelled more than one way"}},
		{name: "resourceArn spelled twice", file: "add-tags.json", change: func(m map[string]any) { requestParameters(m)["ResourceArn"] = churnARN },
			reason: []string{"resourceArn is spelled more than one way"}},
		{name: "eventName spelled twice", file: "create-project.json", change: func(m map[string]any) { detail(m)["EVENTNAME"] = "DeleteProject" },
			reason: []string{"CloudTrail detail", "eventName is spelled more than one way"}},
		{name: "tag change tags spelled twice", file: "tag-change-on-resource.json", change: func(m map[string]any) { detail(m)["Tags"] = map[string]any{} },
			reason: []string{"Tag Change on Resource detail", "tags is spelled more than one way"}},
		{name: "source a number", raw: `{"source":1,"detail-type":"x"}`, reason: []string{"not an EventBridge event", "source"}},
		{name: "resources not a list", file: "tag-change-on-resource.json", change: func(m map[string]any) { m["resources"] = "arn" },
			reason: []string{"resources"}},
		{name: "detail null", file: "create-project.json", change: func(m map[string]any) { m["detail"] = nil },
			reason: []string{"CloudTrail detail", "missing"}},
		{name: "detail missing", file: "create-project.json", change: func(m map[string]any) { delete(m, "detail") },
			reason: []string{"CloudTrail detail", "missing"}},
		{name: "detail a string", file: "create-project.json", change: func(m map[string]any) { m["detail"] = "CreateProject" },
			reason: []string{"CloudTrail detail", "not a JSON object"}},
		{name: "detail a list", file: "create-project.json", change: func(m map[string]any) { m["detail"] = []any{} },
			reason: []string{"CloudTrail detail", "not a JSON object"}},
		{name: "eventName missing", file: "create-project.json", change: func(m map[string]any) { delete(detail(m), "eventName") },
			reason: []string{"no eventName"}},
		{name: "eventName a number", file: "create-project.json", change: func(m map[string]any) { detail(m)["eventName"] = 7 },
			reason: []string{"CloudTrail detail", "eventName"}},
		{name: "requestParameters missing", file: "create-project.json", change: func(m map[string]any) { delete(detail(m), "requestParameters") },
			reason: []string{"CreateProject requestParameters", "missing"}},
		{name: "requestParameters null", file: "delete-project.json", change: func(m map[string]any) { detail(m)["requestParameters"] = nil },
			reason: []string{"DeleteProject requestParameters", "missing"}},
		{name: "requestParameters a string", file: "add-tags.json", change: func(m map[string]any) { detail(m)["requestParameters"] = "x" },
			reason: []string{"AddTags requestParameters", "not a JSON object"}},
		{name: "projectName missing", file: "create-project.json", change: func(m map[string]any) { delete(requestParameters(m), "projectName") },
			reason: []string{"projectName is missing"}},
		{name: "projectName empty", file: "create-project.json", change: func(m map[string]any) { requestParameters(m)["projectName"] = "" },
			reason: []string{"projectName is missing"}},
		{name: "projectName a number", file: "create-project.json", change: func(m map[string]any) { requestParameters(m)["projectName"] = 42 },
			reason: []string{"CreateProject requestParameters", "projectName"}},
		{name: "projectName with NUL", file: "delete-project.json", change: func(m map[string]any) { requestParameters(m)["projectName"] = "churn\x00" },
			reason: []string{"projectName", "NUL"}},
		{name: "projectName too long", file: "delete-project.json", change: func(m map[string]any) { requestParameters(m)["projectName"] = strings.Repeat("p", 1025) },
			reason: []string{"projectName", "1025 bytes"}},
		{name: "DeleteProject projectName missing", file: "delete-project.json", change: func(m map[string]any) { delete(requestParameters(m), "projectName") },
			reason: []string{"projectName is missing"}},
		{name: "tags not a list", file: "create-project.json", change: func(m map[string]any) { requestParameters(m)["tags"] = map[string]any{"team": "x"} },
			reason: []string{"CreateProject requestParameters", "tags"}},
		{name: "tag not an object", file: "create-project.json", change: func(m map[string]any) { requestParameters(m)["tags"] = []any{"team=x"} },
			reason: []string{"tag is not a JSON object"}},
		{name: "tag value a number", file: "create-project.json", change: func(m map[string]any) {
			requestParameters(m)["tags"] = []any{map[string]any{"key": "team", "value": 5}}
		}, reason: []string{"tag field value is not a string"}},
		{name: "tag key a number", file: "create-project.json", change: func(m map[string]any) {
			requestParameters(m)["tags"] = []any{map[string]any{"Key": 5, "Value": "x"}}
		}, reason: []string{"tag field Key is not a string"}},
		{name: "tag without key", file: "create-project.json", change: func(m map[string]any) {
			requestParameters(m)["tags"] = []any{map[string]any{"value": "x"}}
		}, reason: []string{"tag has no key"}},
		{name: "tag with empty key", file: "create-project.json", change: func(m map[string]any) {
			requestParameters(m)["tags"] = []any{map[string]any{"Key": "", "Value": "x"}}
		}, reason: []string{"tag has no key"}},
		{name: "tag null", file: "create-project.json", change: func(m map[string]any) { requestParameters(m)["tags"] = []any{nil} },
			reason: []string{"tag has no key"}},
		{name: "responseElements a string", file: "create-project.json", change: func(m map[string]any) { detail(m)["responseElements"] = "ok" },
			reason: []string{"CreateProject responseElements", "not a JSON object"}},
		{name: "AddTags without resourceArn", file: "add-tags.json", change: func(m map[string]any) { delete(requestParameters(m), "resourceArn") },
			reason: []string{"AddTags", "resourceArn is missing"}},
		{name: "DeleteTags without resourceArn", file: "delete-tags.json", change: func(m map[string]any) { requestParameters(m)["resourceArn"] = "" },
			reason: []string{"DeleteTags", "resourceArn is missing"}},
		{name: "AddTags resourceArn a list", file: "add-tags.json", change: func(m map[string]any) { requestParameters(m)["resourceArn"] = []any{fraudARN} },
			reason: []string{"AddTags requestParameters", "resourceArn"}},
		{name: "Tag Change with 0 resources", file: "tag-change-on-resource.json", change: func(m map[string]any) { m["resources"] = []any{} },
			reason: []string{"0 resources", "exactly 1"}},
		{name: "Tag Change without resources", file: "tag-change-on-resource.json", change: func(m map[string]any) { delete(m, "resources") },
			reason: []string{"0 resources", "exactly 1"}},
		{name: "Tag Change with 2 resources", file: "tag-change-on-resource.json", change: func(m map[string]any) { m["resources"] = []any{fraudARN, churnARN} },
			reason: []string{"2 resources", "exactly 1"}},
		{name: "Tag Change with a non-ARN resource", file: "tag-change-on-resource.json", change: func(m map[string]any) { m["resources"] = []any{"fraud-detect"} },
			reason: []string{`"fraud-detect"`, "not a SageMaker project ARN"}},
		{name: "Tag Change with a non-project ARN", file: "tag-change-on-resource.json", change: func(m map[string]any) {
			m["resources"] = []any{"arn:aws:sagemaker:us-east-1:123456789012:training-job/x"}
		}, reason: []string{"not a SageMaker project ARN"}},
		{name: "tag change tags not an object", file: "tag-change-on-resource.json", change: func(m map[string]any) { detail(m)["tags"] = []any{"team"} },
			reason: []string{"Tag Change on Resource detail", "tags"}},
		{name: "tag change tag value a number", file: "tag-change-on-resource.json", change: func(m map[string]any) { detail(m)["tags"] = map[string]any{"team": 1} },
			reason: []string{"Tag Change on Resource detail", "tags"}},
		{name: "tag change detail null", file: "tag-change-on-resource.json", change: func(m map[string]any) { m["detail"] = nil },
			reason: []string{"Tag Change on Resource detail", "missing"}},
		{name: "UpdateProject without projectName", file: "update-project.json", change: func(m map[string]any) { delete(requestParameters(m), "projectName") },
			reason: []string{"projectName is missing"}},
		{name: "UpdateProject requestParameters null", file: "update-project.json", change: func(m map[string]any) { detail(m)["requestParameters"] = nil },
			reason: []string{"UpdateProject requestParameters", "missing"}},
		{name: "UpdateProject projectName spelled twice", file: "update-project.json", change: func(m map[string]any) { requestParameters(m)["ProjectName"] = "other" },
			reason: []string{"UpdateProject requestParameters", "projectName is spelled more than one way"}},
		{name: "UpdateProject answered another project's ARN", file: "update-project.json", change: func(m map[string]any) {
			detail(m)["responseElements"] = map[string]any{"projectArn": fraudARN}
		}, reason: []string{`UpdateProject of "Churn-Model"`, fraudARN, "not that project's ARN"}},
		{name: "UpdateProject answered a non-project ARN", file: "update-project.json", change: func(m map[string]any) {
			detail(m)["responseElements"] = map[string]any{"projectArn": "arn:aws:sagemaker:us-east-1:123456789012:model/churn-model"}
		}, reason: []string{"not that project's ARN"}},
		{name: "UpdateProject responseElements a list", file: "update-project.json", change: func(m map[string]any) { detail(m)["responseElements"] = []any{} },
			reason: []string{"UpdateProject responseElements", "not a JSON object"}},
		{name: "UpdateProject without an ARN or a Region", file: "update-project.json", change: func(m map[string]any) {
			detail(m)["responseElements"] = nil
			delete(m, "region")
		}, reason: []string{"UpdateProject names no project ARN", "no Region and account"}},
		{name: "UpdateProject without an ARN or an account", file: "update-project.json", change: func(m map[string]any) {
			detail(m)["responseElements"] = nil
			delete(m, "account")
		}, reason: []string{"UpdateProject names no project ARN", "no Region and account"}},
		{name: "UpdateProject of a name that makes no ARN", file: "update-project.json", change: func(m map[string]any) {
			detail(m)["responseElements"] = nil
			requestParameters(m)["projectName"] = "churn/model"
		}, reason: []string{`"churn/model" makes no project ARN`}},
		{name: "UpdateProject of another account's project", file: "update-project.json", change: func(m map[string]any) {
			detail(m)["responseElements"] = map[string]any{"projectArn": "arn:aws:sagemaker:us-east-1:222233334444:project/churn-model"}
		}, reason: []string{"in account 222233334444", "comes from account 123456789012"}},
		{name: "DataZone CreateProject without a response", file: "datazone-create-project.json", change: func(m map[string]any) { detail(m)["responseElements"] = nil },
			reason: []string{"DataZone CreateProject has no responseElements"}},
		{name: "DataZone CreateProject answered another domain", file: "datazone-create-project.json", change: func(m map[string]any) {
			detail(m)["responseElements"].(map[string]any)["domainId"] = "dzd_other"
		}, reason: []string{`in domain "dzd_4p9n6sw4qt9xgn"`, `domain "dzd_other"`}},
		{name: "DataZone DeleteProject of a domain that is no domain id", file: "datazone-delete-project.json", change: func(m map[string]any) {
			requestParameters(m)["domainIdentifier"] = "arn:aws:datazone:us-east-1:123456789012:domain/x"
		}, reason: []string{"names no DataZone domain id"}},
		{name: "DataZone DeleteProject without a project", file: "datazone-delete-project.json", change: func(m map[string]any) { delete(requestParameters(m), "identifier") },
			reason: []string{"names no DataZone project id"}},
		{name: "DataZone UpdateProject of a project id with a slash", file: "datazone-update-project.json", change: func(m map[string]any) {
			requestParameters(m)["identifier"] = "../p"
		}, reason: []string{"names no DataZone project id"}},
		{name: "Project Creation Succeeded naming no project", file: "datazone-project-creation-succeeded.json", change: func(m map[string]any) { detail(m)["data"] = nil },
			reason: []string{"Project Creation Succeeded names no DataZone project id"}},
		{name: "Project Moved detail not an object", file: "datazone-project-moved.json", change: func(m map[string]any) { m["detail"] = []any{} },
			reason: []string{"Project Moved Between Domain Unit detail", "not a JSON object"}},
		// A forwarded event keeps its sender's account: one that names another account's project
		// is not what EventBridge delivers.
		{name: "project of another account", file: "member-create-project.json", change: func(m map[string]any) { m["account"] = "333344445555" },
			reason: []string{"in account 222233334444", "comes from account 333344445555"}},
		{name: "tags of another account's project", file: "add-tags.json", change: func(m map[string]any) {
			requestParameters(m)["resourceArn"] = "arn:aws:sagemaker:us-east-1:222233334444:project/fraud-detect"
		}, reason: []string{"in account 222233334444", "comes from account 123456789012"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.raw)
			if tt.file != "" {
				m := sample(t, tt.file)
				tt.change(m)
				raw = encode(t, m)
			}
			got, err := projectevent.Decode(raw, "aws")
			var perr *projectevent.Error
			if !errors.As(err, &perr) {
				t.Fatalf("got %+v, %v; want a *projectevent.Error", got, err)
			}
			if errors.Is(err, projectevent.ErrIgnored) {
				t.Errorf("a malformed event is also ignored: %v", err)
			}
			for _, want := range tt.reason {
				if !strings.Contains(perr.Reason, want) {
					t.Errorf("reason %q does not contain %q", perr.Reason, want)
				}
			}
			if !strings.HasPrefix(err.Error(), "malformed event: ") {
				t.Errorf("error %q does not say it is malformed", err)
			}
		})
	}
}

// TestDecodeLoneVariantSpelling: a key spelled once, in another case, is still read as
// encoding/json reads it; only two spellings of one field are ambiguous.
func TestDecodeLoneVariantSpelling(t *testing.T) {
	m := sample(t, "delete-project.json")
	delete(requestParameters(m), "projectName")
	requestParameters(m)["ProjectName"] = "churn-model"
	m["Source"] = m["source"]
	delete(m, "source")
	got, err := projectevent.Decode(encode(t, m), "aws")
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Project != "churn-model" || got.Action != projectevent.Delete {
		t.Errorf("got %+v; want churn-model deleted", got)
	}
}

func TestProjectFromARN(t *testing.T) {
	tests := []struct {
		arn  string
		want string
		ok   bool
	}{
		{fraudARN, "fraud-detect", true},
		{"arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:project/p", "p", true},
		{"arn:aws-cn:sagemaker:cn-north-1:123456789012:project/p", "p", true},
		{"arn:aws:sagemaker:us-east-1:123456789012:project/", "", false},
		{"arn:aws:sagemaker:us-east-1:123456789012:project/a/b", "", false},
		{"arn:aws:sagemaker:us-east-1:12345678901:project/p", "", false},
		{"arn:aws:ecr:us-east-1:123456789012:project/p", "", false},
		{"arn:aws:sagemaker:us-east-1:123456789012:training-job/p", "", false},
		{"project/p", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := projectevent.ProjectFromARN(tt.arn)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ProjectFromARN(%q) = %q, %v; want %q, %v", tt.arn, got, ok, tt.want, tt.ok)
		}
	}
}

// hostile are inputs beyond the samples that have broken, or could break, a decoder.
var hostile = []string{
	``,
	`null`,
	`[]`,
	`{}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail"}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"CreateProject","requestParameters":{"projectName":"p","tags":[{"Key":"team","Value":"a","key":"team","value":"b"}]}}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"DeleteProject","requestParameters":{"projectName":"p"}}}]`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"DeleteProject","requestParameters":{"projectName":"p"}}}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"DeleteProject","requestParameters":{"projectName":"p","projectName":"q"}}}`,
	// encoding/json matches field names without case, so these spell one field twice.
	`{"source":"aws.sagemaker","Source":"aws.tag","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"DeleteProject","requestParameters":{"projectName":"p"}}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"DeleteProject","requestParameters":{"projectName":"p","ProjectName":"q"}}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"DeleteProject","requestParameters":{"projectName":"p"}},"\u017Fource":"aws.tag"}`,
	`{"source":"aws.tag","detail-type":"Tag Change on Resource","resources":["arn:aws:sagemaker:us-east-1:123456789012:project/p"],"detail":{"service":"sagemaker","resource-type":"project","tags":{"team":"a","team":"b"}}}`,
	`{"source":"aws.tag","detail-type":"Tag Change on Resource","resources":["arn:aws:sagemaker:us-east-1:123456789012:project/\u0000"],"detail":{"service":"sagemaker","resource-type":"project","tags":null}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"AddTags","requestParameters":{"resourceArn":"arn:aws:sagemaker:us-east-1:123456789012:project/p\n"}}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"CreateProject","requestParameters":{"projectName":"p\udc00` + "\xff" + `"},"version":1e400}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"CreateProject","errorCode":"","requestParameters":{"projectName":"p"},"responseElements":null}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"UpdateProject","requestParameters":{"projectName":"p"}}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","region":"us-east-1","account":"123456789012","detail":{"eventName":"UpdateProject","requestParameters":{"projectName":"P\u212a"},"responseElements":null}}`,
	`{"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail","region":"cn-north-1","account":"123456789012","detail":{"eventName":"UpdateProject","requestParameters":{"projectName":"p","tags":{"team":1}},"responseElements":{"projectArn":"arn:aws:sagemaker:us-east-1:123456789012:project/P"}}}`,
	`{"id":5}`,
	`{"detail":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
}

// reencoded is raw decoded as generic JSON and encoded again: the same event by meaning, with
// keys sorted and whitespace, escapes and numbers rewritten.
func reencoded(raw []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers as written, 1e400 included
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // more than one value: not one event
	}
	b, err := json.Marshal(v)
	return b, err == nil
}

func TestHostileNoPanic(t *testing.T) {
	for _, h := range hostile {
		checkDecode(t, []byte(h))
	}
}

// checkDecode holds Decode's invariants for any input.
func checkDecode(t *testing.T, raw []byte) {
	t.Helper()
	c, err := projectevent.Decode(raw, "aws")
	if err != nil {
		var perr *projectevent.Error
		if !errors.As(err, &perr) && !errors.Is(err, projectevent.ErrIgnored) {
			t.Fatalf("Decode(%q) = %v; want a *projectevent.Error or ErrIgnored", raw, err)
		}
		if diff := cmp.Diff(projectevent.Change{}, c); diff != "" {
			t.Fatalf("Decode(%q) returned a change with its error (-want +got):\n%s", raw, diff)
		}
		return
	}
	if c.Project == "" {
		t.Fatalf("Decode(%q) = %+v; empty Project", raw, c)
	}
	if c.Action != projectevent.Sync && c.Action != projectevent.Delete {
		t.Fatalf("Decode(%q) = %+v; Action %q", raw, c, c.Action)
	}
	again, ok := reencoded(raw)
	if !ok {
		t.Fatalf("Decode(%q) succeeded on input that is not one JSON value", raw)
	}
	c2, err := projectevent.Decode(again, "aws")
	if err != nil {
		t.Fatalf("Decode(%q) = %+v but the re-encoded %q fails: %v", raw, c, again, err)
	}
	if diff := cmp.Diff(c, c2); diff != "" {
		t.Fatalf("Decode(%q) and Decode of re-encoded %q differ (-first +second):\n%s", raw, again, diff)
	}
}

func FuzzDecode(f *testing.F) {
	for _, raw := range corpus() {
		f.Add(raw)
	}
	for _, h := range hostile {
		f.Add([]byte(h))
	}
	f.Fuzz(checkDecode)
}

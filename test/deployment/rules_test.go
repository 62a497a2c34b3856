package deployment

// The EventBridge rules: their patterns, matched against the sample events and hostile variants.

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

// matchesPattern reports whether an event (decoded JSON) matches an EventBridge pattern
// (decoded template, scalars as strings). Unknown operators fail the test.
func matchesPattern(t testing.TB, pattern, event map[string]any) bool {
	t.Helper()
	for key, want := range pattern {
		if key == "$or" {
			// Matches when any of the alternatives, each a pattern at this level, does.
			alts, ok := want.([]any)
			if !ok || !slices.ContainsFunc(alts, func(a any) bool {
				sub, ok := a.(map[string]any)
				if !ok {
					t.Fatalf("$or alternative %#v: want a mapping", a)
				}
				return matchesPattern(t, sub, event)
			}) {
				return false
			}
			continue
		}
		got, present := event[key]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !present {
				sub, ok = map[string]any{}, true // leaves below a missing object are missing too
			}
			if !ok || !matchesPattern(t, w, sub) {
				return false
			}
		case []any:
			if !matchesAny(t, w, got, present) {
				return false
			}
		default:
			t.Fatalf("pattern key %q: got %#v; want a mapping or a list", key, want)
		}
	}
	return true
}

func matchesAny(t testing.TB, alternatives []any, got any, present bool) bool {
	t.Helper()
	values := []any{got}
	if l, ok := got.([]any); ok {
		values = l
	}
	for _, alt := range alternatives {
		op, isOp := alt.(map[string]any)
		if !isOp {
			if present && slices.ContainsFunc(values, func(v any) bool { return literal(v) == literal(alt) }) {
				return true
			}
			continue
		}
		if len(op) != 1 {
			t.Fatalf("pattern operator %#v: got %d keys; want 1", op, len(op))
		}
		for name, arg := range op {
			switch name {
			case "exists":
				if present == (arg == "true") {
					return true
				}
			case "anything-but":
				// Matches a present value that is none of the arguments.
				but, ok := arg.([]any)
				if !ok {
					but = []any{arg}
				}
				if present && !slices.ContainsFunc(values, func(v any) bool {
					return slices.ContainsFunc(but, func(b any) bool { return literal(b) == literal(v) })
				}) {
					return true
				}
			case "prefix":
				p, ok := arg.(string)
				if !ok {
					t.Fatalf("prefix: got %#v; want a string", arg)
				}
				if present && slices.ContainsFunc(values, func(v any) bool {
					s, ok := v.(string)
					return ok && strings.HasPrefix(s, p)
				}) {
					return true
				}
			default:
				t.Fatalf("pattern operator %q: not supported by this matcher; extend matchesAny", name)
			}
		}
	}
	return false
}

// literal renders a JSON or template scalar for comparison.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprintf("%v", v)
}

// eventRule is an EventBridge rule SAM generates from a function's event.
type eventRule struct {
	LogicalID string // <FunctionLogicalId><EventId>, the generated AWS::Events::Rule
	Function  string
	Event     map[string]any
}

// eventBridgeRules lists the pattern rules (EventBridgeRule events) of every function.
func eventBridgeRules(t testing.TB, tpl map[string]any) []eventRule {
	t.Helper()
	var out []eventRule
	for _, fn := range resourceIDs(tpl, serverlessFn) {
		evs := functionEvents(t, tpl, fn)
		for _, id := range slices.Sorted(maps.Keys(evs)) {
			if str(evs[id], "Type") == "EventBridgeRule" {
				out = append(out, eventRule{LogicalID: fn + id, Function: fn, Event: evs[id]})
			}
		}
	}
	return out
}

// readEvent is a sample event as generic JSON.
func readEvent(_ testing.TB, name string) map[string]any { return samples.Decode(name) }

// set sets a value at a path of nested maps (for hostile variants of sample events).
func set(ev map[string]any, value any, path ...string) {
	m := ev
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	m[path[len(path)-1]] = value
}

// TestStudioProjectRule holds the Unified Studio rule, which exists only with DataZoneDomains
// set, to the DataZone events the function takes: the samples match it, other calls do not.
func TestStudioProjectRule(t *testing.T) {
	tpl := loadTemplate(t)
	r := resource(t, tpl, "StudioProjectRule")
	if got := str(r, "Condition"); got != "HasDataZone" {
		t.Errorf("Condition: got %q; want HasDataZone", got)
	}
	if got := str(resource(t, tpl, "StudioProjectRulePermission"), "Condition"); got != "HasDataZone" {
		t.Errorf("permission Condition: got %q; want HasDataZone", got)
	}
	pattern, ok := lookup(r, "Properties", "EventPattern").(map[string]any)
	if !ok {
		t.Fatalf("EventPattern: got %#v", lookup(r, "Properties", "EventPattern"))
	}
	pattern["account"] = []any{"123456789012"} // !Ref AWS::AccountId, as deployed in the samples' account
	for _, name := range []string{"datazone-create-project.json", "datazone-update-project.json", "datazone-delete-project.json",
		"datazone-project-creation-succeeded.json", "datazone-project-moved.json"} {
		if !matchesPattern(t, pattern, readEvent(t, name)) {
			t.Errorf("%s does not match the rule", name)
		}
	}
	other := readEvent(t, "datazone-create-project.json")
	set(other, "CreateEnvironment", "detail", "eventName")
	if matchesPattern(t, pattern, other) {
		t.Error("DataZone CreateEnvironment matches the rule; want only the project calls")
	}
	failed := readEvent(t, "datazone-delete-project.json")
	set(failed, "AccessDeniedException", "detail", "errorCode")
	if matchesPattern(t, pattern, failed) {
		t.Error("a failed DeleteProject matches the rule; want failed calls filtered out")
	}
	if matchesPattern(t, pattern, readEvent(t, "create-project.json")) {
		t.Error("SageMaker's CreateProject matches the Unified Studio rule")
	}
}

// TestInUseRecordRule holds the rule of the records that put images into use to the samples.
func TestInUseRecordRule(t *testing.T) {
	tpl := loadTemplate(t)
	r := resource(t, tpl, "InUseRecordRule")
	if got := str(r, "Condition"); got != "HasProtectInUse" {
		t.Errorf("Condition: got %q; want HasProtectInUse", got)
	}
	pattern, _ := lookup(r, "Properties", "EventPattern").(map[string]any)
	for _, name := range []string{"create-endpoint.json", "update-endpoint.json", "update-model-package.json"} {
		if !matchesPattern(t, pattern, readEvent(t, name)) {
			t.Errorf("%s does not match the rule", name)
		}
	}
	if matchesPattern(t, pattern, readEvent(t, "create-project.json")) {
		t.Error("CreateProject matches the rule of the records that put images into use")
	}
	failed := readEvent(t, "create-endpoint.json")
	set(failed, "ValidationException", "detail", "errorCode")
	if matchesPattern(t, pattern, failed) {
		t.Error("a failed CreateEndpoint matches the rule")
	}
}

func TestRulePatterns(t *testing.T) {
	tpl := loadTemplate(t)
	rules := map[string]eventRule{}
	for _, r := range eventBridgeRules(t, tpl) {
		rules[r.LogicalID] = r
	}
	tests := []struct {
		rule, path string
		want       []string
	}{
		{"ProvisionFunctionSageMakerApiCall", "source", []string{"aws.sagemaker"}},
		{"ProvisionFunctionSageMakerApiCall", "detail-type", []string{"AWS API Call via CloudTrail"}},
		{"ProvisionFunctionSageMakerApiCall", "detail.eventSource", []string{"sagemaker.amazonaws.com"}},
		// UpdateProject may change the team tag: a trigger like AddTags.
		{"ProvisionFunctionSageMakerApiCall", "detail.eventName", []string{"CreateProject", "UpdateProject", "AddTags", "DeleteTags", "DeleteProject"}},
		{"ProvisionFunctionProjectTagChange", "source", []string{"aws.tag"}},
		{"ProvisionFunctionProjectTagChange", "detail-type", []string{"Tag Change on Resource"}},
		{"ProvisionFunctionProjectTagChange", "detail.service", []string{"sagemaker"}},
		{"ProvisionFunctionProjectTagChange", "detail.resource-type", []string{"project"}},
		{"DriftFunctionRepositoryEdit", "source", []string{"aws.ecr"}},
		{"DriftFunctionRepositoryEdit", "detail-type", []string{"AWS API Call via CloudTrail"}},
		{"DriftFunctionRepositoryEdit", "detail.eventSource", []string{"ecr.amazonaws.com"}},
		// The calls DESIGN.md names as hand edits of a managed repository.
		{"DriftFunctionRepositoryEdit", "detail.eventName", []string{"PutLifecyclePolicy", "DeleteLifecyclePolicy", "SetRepositoryPolicy",
			"DeleteRepositoryPolicy", "PutImageTagMutability", "TagResource", "UntagResource", "DeleteRepository"}},
		{"DriftFunctionConfigChange", "source", []string{"aws.ssm"}},
		{"DriftFunctionConfigChange", "detail-type", []string{"Parameter Store Change"}},
	}
	for _, tc := range tests {
		t.Run(tc.rule+"/"+tc.path, func(t *testing.T) {
			r, ok := rules[tc.rule]
			if !ok {
				t.Fatalf("got rules %v; want %s", sortedKeys(rules), tc.rule)
			}
			path := append([]string{"Properties", "Pattern"}, strings.Split(tc.path, ".")...)
			got, ok := stringList(lookup(r.Event, path...))
			if !ok || !slices.Equal(got, tc.want) {
				t.Errorf("got %#v; want %q", lookup(r.Event, path...), tc.want)
			}
		})
	}
	t.Run("DriftFunctionConfigChange/detail.name", func(t *testing.T) {
		got := lookup(rules["DriftFunctionConfigChange"].Event, "Properties", "Pattern", "detail", "name")
		l, _ := got.([]any)
		if len(l) != 1 || str(l[0], "prefix") != "${ConfigPath}/" {
			t.Errorf("got %#v; want [{prefix: !Sub \"${ConfigPath}/\"}]", got)
		}
	})
}

// TestRulesMatchSampleEvents runs the sample events (and hostile variants) through every
// rule's pattern, resolved for a deployment with default parameters.
func TestRulesMatchSampleEvents(t *testing.T) {
	tpl := loadTemplate(t)
	vals := deployValues(t, tpl)
	rules := eventBridgeRules(t, tpl)
	tests := []struct {
		name   string
		file   string
		mutate func(ev map[string]any)
		want   string // the one rule that matches; "" for none
	}{
		{name: "CreateProject", file: "create-project.json", want: "ProvisionFunctionSageMakerApiCall"},
		{name: "a member account's forwarded CreateProject", file: "member-create-project.json", want: "ProvisionFunctionSageMakerApiCall"},
		{name: "AddTags", file: "add-tags.json", want: "ProvisionFunctionSageMakerApiCall"},
		{name: "DeleteTags", file: "delete-tags.json", want: "ProvisionFunctionSageMakerApiCall"},
		{name: "DeleteProject", file: "delete-project.json", want: "ProvisionFunctionSageMakerApiCall"},
		{name: "UpdateProject", file: "create-project.json", want: "ProvisionFunctionSageMakerApiCall",
			mutate: func(ev map[string]any) { set(ev, "UpdateProject", "detail", "eventName") }},
		{name: "a member account's forwarded UpdateProject", file: "member-create-project.json", want: "ProvisionFunctionSageMakerApiCall",
			mutate: func(ev map[string]any) { set(ev, "UpdateProject", "detail", "eventName") }},
		{name: "a failed UpdateProject", file: "create-project.json",
			mutate: func(ev map[string]any) {
				set(ev, "UpdateProject", "detail", "eventName")
				set(ev, "ValidationException", "detail", "errorCode")
			}},
		{name: "tag change on a project", file: "tag-change-on-resource.json", want: "ProvisionFunctionProjectTagChange"},
		{name: "parameter change under the path", file: "parameter-store-change.json", want: "DriftFunctionConfigChange"},
		{name: "nested override change", file: "parameter-store-change.json", want: "DriftFunctionConfigChange",
			mutate: func(ev map[string]any) {
				set(ev, "/sagemaker-platform/ecr/overrides/acme-sm-risk-fraud/image-retention", "detail", "name")
			}},
		{name: "failed CreateProject", file: "create-project.json",
			mutate: func(ev map[string]any) { set(ev, "AccessDenied", "detail", "errorCode") }},
		{name: "other SageMaker call", file: "create-project.json",
			mutate: func(ev map[string]any) { set(ev, "CreateTrainingJob", "detail", "eventName") }},
		{name: "CreateProject from another service", file: "create-project.json",
			mutate: func(ev map[string]any) { set(ev, "codecommit.amazonaws.com", "detail", "eventSource") }},
		{name: "tag change on a training job", file: "tag-change-on-resource.json",
			mutate: func(ev map[string]any) { set(ev, "training-job", "detail", "resource-type") }},
		{name: "tag change on another service", file: "tag-change-on-resource.json",
			mutate: func(ev map[string]any) { set(ev, "ecr", "detail", "service") }},
		{name: "parameter outside the path", file: "parameter-store-change.json",
			mutate: func(ev map[string]any) { set(ev, "/other/image-retention", "detail", "name") }},
		{name: "parameter of a sibling path", file: "parameter-store-change.json",
			mutate: func(ev map[string]any) { set(ev, "/sagemaker-platform/ecr-staging/image-retention", "detail", "name") }},
		{name: "parameter change from another source", file: "parameter-store-change.json",
			mutate: func(ev map[string]any) { set(ev, "custom.ssm", "source") }},
		{name: "scheduled event (the schedule rule's, not a pattern's)", file: "scheduled-event.json"},
		{name: "a person's PutLifecyclePolicy", file: "ecr-put-lifecycle-policy.json", want: "DriftFunctionRepositoryEdit"},
		{name: "a person's UntagResource", file: "ecr-untag-resource.json", want: "DriftFunctionRepositoryEdit"},
		{name: "every ECR call the repair takes", file: "ecr-put-lifecycle-policy.json", want: "DriftFunctionRepositoryEdit",
			mutate: func(ev map[string]any) { set(ev, "DeleteRepository", "detail", "eventName") }},
		{name: "an IAM user's call, no sessionIssuer", file: "ecr-put-lifecycle-policy.json", want: "DriftFunctionRepositoryEdit",
			mutate: func(ev map[string]any) {
				set(ev, map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/jane"}, "detail", "userIdentity")
			}},
		// No loop: the product's own writes are not sent back to it.
		{name: "the reconciler's own PutLifecyclePolicy", file: "ecr-put-lifecycle-policy.json",
			mutate: func(ev map[string]any) {
				set(ev, driftRoleARN, "detail", "userIdentity", "sessionContext", "sessionIssuer", "arn")
			}},
		{name: "ProvisionFunction's own TagResource", file: "ecr-untag-resource.json",
			mutate: func(ev map[string]any) {
				set(ev, "TagResource", "detail", "eventName")
				set(ev, provisionRoleARN, "detail", "userIdentity", "sessionContext", "sessionIssuer", "arn")
			}},
		{name: "a failed PutLifecyclePolicy", file: "ecr-put-lifecycle-policy.json",
			mutate: func(ev map[string]any) { set(ev, "AccessDenied", "detail", "errorCode") }},
		{name: "an edit of an unmanaged repository", file: "ecr-put-lifecycle-policy.json",
			mutate: func(ev map[string]any) { set(ev, "other-team/app", "detail", "requestParameters", "repositoryName") }},
		{name: "an untag of an unmanaged repository", file: "ecr-untag-resource.json",
			mutate: func(ev map[string]any) {
				set(ev, "arn:aws:ecr:us-east-1:123456789012:repository/acme-smx/app", "detail", "requestParameters", "resourceArn")
			}},
		{name: "a deleted shared repository", file: "ecr-put-lifecycle-policy.json", want: "DriftFunctionRepositoryEdit",
			mutate: func(ev map[string]any) {
				set(ev, "DeleteRepository", "detail", "eventName")
				set(ev, "acme-sagemaker-shared/base-sklearn", "detail", "requestParameters", "repositoryName")
			}},
		// A bus that takes member accounts' events must not start the reconciler with theirs.
		{name: "a member account's Parameter Store Change", file: "parameter-store-change.json",
			mutate: func(ev map[string]any) { set(ev, "222233334444", "account") }},
		{name: "a member account's own PutLifecyclePolicy", file: "ecr-put-lifecycle-policy.json",
			mutate: func(ev map[string]any) { set(ev, "222233334444", "account") }},
		{name: "an ECR call the repair does not take", file: "ecr-put-lifecycle-policy.json",
			mutate: func(ev map[string]any) { set(ev, "PutImage", "detail", "eventName") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := readEvent(t, tc.file)
			if tc.mutate != nil {
				tc.mutate(ev)
			}
			var got []string
			for _, r := range rules {
				pattern, ok := resolve(t, lookup(r.Event, "Properties", "Pattern"), vals).(map[string]any)
				if !ok {
					t.Fatalf("%s Pattern: got none; want a mapping", r.LogicalID)
				}
				if matchesPattern(t, pattern, ev) {
					got = append(got, r.LogicalID)
				}
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("matching rules: got %v; want %v", got, want)
			}
		})
	}
}

func TestProvisionRulesDelivery(t *testing.T) {
	tpl := loadTemplate(t)
	for _, r := range eventBridgeRules(t, tpl) {
		if r.Function != provisionID {
			continue
		}
		t.Run(r.LogicalID, func(t *testing.T) {
			p := lookup(r.Event, "Properties")
			if got, want := str(p, "DeadLetterConfig", "Arn"), "${"+dlqID+".Arn}"; got != want {
				t.Errorf("DeadLetterConfig.Arn: got %q; want %q", got, want)
			}
			for _, k := range []string{"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} {
				if str(p, "RetryPolicy", k) == "" {
					t.Errorf("RetryPolicy.%s: got none; want a value", k)
				}
			}
			if bus := str(p, "EventBusName"); bus != "" && bus != "default" {
				t.Errorf("EventBusName: got %q; want the default bus (AWS events arrive there)", bus)
			}
		})
	}
}

func TestDriftSchedule(t *testing.T) {
	tpl := loadTemplate(t)
	var found []string
	for id, ev := range functionEvents(t, tpl, driftID) {
		typ := str(ev, "Type")
		if typ != "Schedule" && typ != "ScheduleV2" {
			continue
		}
		found = append(found, id)
		p, _ := ev["Properties"].(map[string]any)
		expr := str(p, "Schedule")
		if typ == "ScheduleV2" {
			expr = str(p, "ScheduleExpression")
		}
		if expr != "${DriftSchedule}" {
			t.Errorf("%s schedule: got %q; want ${DriftSchedule}", id, expr)
		}
		for _, k := range []string{"Input", "InputPath", "InputTransformer"} {
			if v, set := p[k]; set {
				t.Errorf("%s %s: got %#v; want none (the plain scheduled event)", id, k, v)
			}
		}
	}
	if len(found) != 1 {
		t.Errorf("schedule events of %s: got %v; want exactly one", driftID, found)
	}
}

package deployment

// The template's parameters and the SSM configuration they seed.

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParameters(t *testing.T) {
	tpl := loadTemplate(t)
	tests := []struct {
		name     string
		typ      string
		def      *string // nil: required (no Default)
		allowed  []string
		min, max string
	}{
		{name: "CompanyName", typ: "String"},
		{name: "ConfigPath", typ: "String", def: ptr("/sagemaker-platform/ecr")},
		{name: "EventBusName", typ: "String", def: ptr("default")},
		{name: "SharedRepos", typ: "String", def: ptr("base-sklearn base-pytorch base-xgboost")},
		{name: "ProjectRepos", typ: "String", def: ptr("preprocessing training inference")},
		{name: "CreateProjectRepos", typ: "String", def: ptr("true"), allowed: []string{"true", "false"}},
		{name: "ImageRetention", typ: "Number", def: ptr("10"), min: "1", max: "10000"},
		{name: "TeamTag", typ: "String", def: ptr("team")},
		{name: "AllowedTeams", typ: "String", def: ptr("")},
		{name: "ScanOnPush", typ: "String", def: ptr("true"), allowed: []string{"true", "false"}},
		{name: "TagMutability", typ: "String", def: ptr("MUTABLE"), allowed: []string{"MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION"}},
		{name: "TagMutabilityExclusions", typ: "String", def: ptr("")},
		{name: "PullAccounts", typ: "String", def: ptr("")},
		{name: "PullOrgId", typ: "String", def: ptr("")},
		{name: "MemberAccounts", typ: "String", def: ptr("")},
		{name: "MemberOrgId", typ: "String", def: ptr("")},
		{name: "MemberRoleName", typ: "String", def: ptr("sagemaker-ecr-provisioner-member")},
		{name: "UntaggedExpiryDays", typ: "String", def: ptr("")},
		{name: "ProtectedTagPatterns", typ: "String", def: ptr("")},
		{name: "CheckTags", typ: "String", def: ptr("false"), allowed: []string{"true", "false"}},
		{name: "KmsKeyArn", typ: "String", def: ptr("")},
		{name: "DriftMode", typ: "String", def: ptr("fix"), allowed: []string{"fix", "report"}},
		{name: "LifecycleExempt", typ: "String", def: ptr("")},
		{name: "OnProjectDelete", typ: "String", def: ptr("retain"), allowed: []string{"retain", "delete-if-empty"}},
		{name: "Enabled", typ: "String", def: ptr("true"), allowed: []string{"true", "false"}},
		{name: "DriftSchedule", typ: "String", def: ptr("rate(1 hour)")},
		{name: "LogRetentionDays", typ: "Number", def: ptr("30")},
		{name: "AlarmTopicArn", typ: "String", def: ptr("")},
	}
	params, _ := tpl["Parameters"].(map[string]any)
	var names []string
	for _, tc := range tests {
		names = append(names, tc.name)
		t.Run(tc.name, func(t *testing.T) {
			p, ok := params[tc.name].(map[string]any)
			if !ok {
				t.Fatalf("got no parameter %s; want one", tc.name)
			}
			if got := str(p, "Type"); got != tc.typ {
				t.Errorf("Type: got %q; want %q", got, tc.typ)
			}
			def, hasDef := p["Default"]
			switch {
			case tc.def == nil && hasDef:
				t.Errorf("Default: got %#v; want none (required)", def)
			case tc.def != nil && (!hasDef || str(p, "Default") != *tc.def):
				t.Errorf("Default: got %#v; want %q", def, *tc.def)
			}
			if tc.allowed != nil {
				if got := mustStringList(t, p["AllowedValues"], "AllowedValues"); !slices.Equal(got, tc.allowed) {
					t.Errorf("AllowedValues: got %v; want %v", got, tc.allowed)
				}
			}
			if tc.min != "" && (str(p, "MinValue") != tc.min || str(p, "MaxValue") != tc.max) {
				t.Errorf("MinValue..MaxValue: got %s..%s; want %s..%s", str(p, "MinValue"), str(p, "MaxValue"), tc.min, tc.max)
			}
			// The default must pass the parameter's own constraints, or a deploy with
			// defaults fails.
			if tc.def != nil {
				if pat := str(p, "AllowedPattern"); pat != "" && !regexp.MustCompile(`^(?:`+pat+`)$`).MatchString(*tc.def) {
					t.Errorf("Default %q against AllowedPattern %q: got no match; want a match", *tc.def, pat)
				}
				if av, ok := p["AllowedValues"]; ok && !slices.Contains(mustStringList(t, av, "AllowedValues"), *tc.def) {
					t.Errorf("Default %q: got it outside AllowedValues %v; want inside", *tc.def, av)
				}
			}
		})
	}
	if got, want := sortedKeys(params), slices.Sorted(slices.Values(names)); !slices.Equal(got, want) {
		t.Errorf("parameters: got %v; want %v", got, want)
	}
}

func ptr(s string) *string { return &s }

// parameterMayBeEmpty reports whether a template parameter's constraints accept "".
func parameterMayBeEmpty(t testing.TB, p any) bool {
	t.Helper()
	if str(p, "Type") != "String" {
		return false
	}
	if minLen := str(p, "MinLength"); minLen != "" && minLen != "0" {
		return false
	}
	if pat := str(p, "AllowedPattern"); pat != "" && !regexp.MustCompile(`^(?:`+pat+`)$`).MatchString("") {
		return false
	}
	if av, ok := lookup(p, "AllowedValues").([]any); ok && !slices.Contains(av, any("")) {
		return false
	}
	return true
}

// TestCompanyNamePattern pins CompanyName to one ECR name part, as internal/naming checks it.
func TestCompanyNamePattern(t *testing.T) {
	tpl := loadTemplate(t)
	pat := str(tpl, "Parameters", "CompanyName", "AllowedPattern")
	if want := "[a-z0-9]+(?:[._-][a-z0-9]+)*"; pat != want {
		t.Fatalf("AllowedPattern: got %q; want %q", pat, want)
	}
	re := regexp.MustCompile(`^(?:` + pat + `)$`) // CloudFormation matches the whole value
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"acme", true}, {"acme.corp", true}, {"a-b_c", true}, {"42", true},
		{"", false}, {"Acme", false}, {"-acme", false}, {"acme-", false}, {"ac--me", false}, {"a/b", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := re.MatchString(tc.in); got != tc.want {
				t.Errorf("match %q: got %v; want %v", tc.in, got, tc.want)
			}
		})
	}
}

// configParameters are the SSM parameter names of the README's configuration table (overrides/... are
// written by people, not by the template).
var configParameters = []string{
	"allowed-teams", "check-tags", "company", "create-project-repos", "drift-mode", "enabled", "image-retention",
	"kms-key", "lifecycle-exempt", "member-accounts", "member-role-name", "on-project-delete", "project-repos", "protected-tag-patterns",
	"pull-accounts", "pull-org-id", "scan-on-push", "shared-repos", "tag-mutability",
	"tag-mutability-exclusions", "team-tag", "untagged-expiry-days",
}

func TestConfigParameters(t *testing.T) {
	tpl := loadTemplate(t)
	params, _ := tpl["Parameters"].(map[string]any)
	var got []string
	for _, id := range resourceIDs(tpl, "AWS::SSM::Parameter") {
		if id == "SweepState" {
			continue // the reconciler's state, not configuration (TestSweepState)
		}
		r := resource(t, tpl, id)
		name, ok := strings.CutPrefix(str(r, "Properties", "Name"), "${ConfigPath}/")
		if !ok {
			t.Errorf("%s Name: got %q; want ${ConfigPath}/<name>", id, str(r, "Properties", "Name"))
			continue
		}
		got = append(got, name)
		t.Run(name, func(t *testing.T) {
			if typ := str(r, "Properties", "Type"); typ != "String" {
				t.Errorf("Type: got %q; want String", typ)
			}
			// SSM cannot store "": a value that may be empty needs a Condition that skips it.
			value := str(r, "Properties", "Value")
			param, isRef := strings.CutPrefix(value, "${")
			param = strings.TrimSuffix(param, "}")
			if !isRef || params[param] == nil {
				t.Fatalf("Value: got %q; want !Ref of a template parameter", value)
			}
			mayBeEmpty := parameterMayBeEmpty(t, params[param])
			cond := str(r, "Condition")
			switch {
			case mayBeEmpty && !notEmptyCondition(tpl, cond, param):
				t.Errorf("Condition: got %q; want one that is true only when %s is not empty", cond, param)
			case !mayBeEmpty && cond != "":
				t.Errorf("Condition: got %q; want none (%s is never empty)", cond, param)
			}
		})
	}
	slices.Sort(got)
	if !slices.Equal(got, configParameters) {
		t.Errorf("SSM parameter names: got %v; want %v", got, configParameters)
	}
	// SharedRepos may not be empty: the product's value for none is "none".
	if str(params, "SharedRepos", "MinLength") != "1" {
		t.Errorf("SharedRepos MinLength: got %q; want \"1\"", str(params, "SharedRepos", "MinLength"))
	}
}

// TestSweepState: the reconciler's state lives beside the configuration path, not under it, so
// writing it starts no configuration-change run and is never read as configuration.
func TestSweepState(t *testing.T) {
	tpl := loadTemplate(t)
	r := resource(t, tpl, "SweepState")
	if got := str(r, "Properties", "Name"); got != "${ConfigPath}-state" {
		t.Errorf("Name: got %q; want ${ConfigPath}-state", got)
	}
	if got := str(functionProperties(t, tpl, driftID), "Environment", "Variables", "STATE_PARAMETER"); got != "${ConfigPath}-state" {
		t.Errorf("DriftFunction STATE_PARAMETER: got %q; want ${ConfigPath}-state", got)
	}
}

package deployment

// The template's parameters and the SSM configuration they seed.

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
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
		{name: "ProtectInUse", typ: "String", def: ptr("false"), allowed: []string{"true", "false"}},
		{name: "KmsKeyArn", typ: "String", def: ptr("")},
		{name: "DriftMode", typ: "String", def: ptr("fix"), allowed: []string{"fix", "report"}},
		{name: "LifecycleExempt", typ: "String", def: ptr("")},
		{name: "OnProjectDelete", typ: "String", def: ptr("retain"), allowed: []string{"retain", "delete-if-empty"}},
		{name: "Enabled", typ: "String", def: ptr("true"), allowed: []string{"true", "false"}},
		{name: "DriftSchedule", typ: "String", def: ptr("rate(1 hour)")},
		{name: "DriftConcurrency", typ: "Number", def: ptr("5"), min: "2", max: "100"},
		{name: "LogRetentionDays", typ: "Number", def: ptr("30")},
		{name: "AlarmTopicArn", typ: "String", def: ptr("")},
		{name: "DataZoneDomains", typ: "String", def: ptr("")},
		{name: "DataZoneTeamTag", typ: "String", def: ptr("")},
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

// notConfiguration are the template parameters that are not configuration values: where the
// product lives and how it runs, not what it does to repositories.
var notConfiguration = []string{
	"AlarmTopicArn", "ConfigPath", "DriftConcurrency", "DriftSchedule", "EventBusName", "LogRetentionDays",
	"MemberOrgId", // the bus policy's and the member role's organization, not a setting the functions read
}

// configurationID is the custom resource that seeds the configuration (internal/stackconfig).
const configurationID = "Configuration"

// TestNoConfigurationParameterResources: the template creates no AWS::SSM::Parameter under the
// configuration path. Such a resource writes the template's value back at every update that
// touches it, over a value changed in Parameter Store, and the configuration-change rule then
// applies it everywhere. The parameters left are the sweep's state and the inventory's, beside
// the path.
func TestNoConfigurationParameterResources(t *testing.T) {
	tpl := loadTemplate(t)
	for _, id := range resourceIDs(tpl, "AWS::SSM::Parameter") {
		name := str(resource(t, tpl, id), "Properties", "Name")
		if strings.HasPrefix(name, "${ConfigPath}/") || name == "${ConfigPath}" {
			t.Errorf("%s: an AWS::SSM::Parameter named %q, under the configuration path; want the configuration seeded by %s", id, name, configurationID)
		}
	}
	if got := resourceIDs(tpl, "AWS::SSM::Parameter"); !slices.Equal(got, []string{"SweepInventory", "SweepState"}) {
		t.Errorf("AWS::SSM::Parameter resources: got %v; want only SweepInventory and SweepState (TestSweepState)", got)
	}
}

// TestConfigParameters: every configuration stack parameter is passed to the Configuration
// custom resource, under its SSM name, and one that may be empty only when it is not (SSM
// cannot store "", and an absent value means "the stack does not set this one").
func TestConfigParameters(t *testing.T) {
	tpl := loadTemplate(t)
	params, _ := tpl["Parameters"].(map[string]any)
	r := resource(t, tpl, configurationID)
	if got := str(r, "Type"); got != "Custom::Configuration" {
		t.Errorf("%s Type: got %q; want Custom::Configuration", configurationID, got)
	}
	for k, want := range map[string]string{"ServiceToken": "${" + driftID + ".Arn}", "ConfigPath": "${ConfigPath}"} {
		if got := str(r, "Properties", k); got != want {
			t.Errorf("%s %s: got %q; want %q", configurationID, k, got, want)
		}
	}
	if timeout := str(r, "Properties", "ServiceTimeout"); timeout == "" {
		t.Errorf("%s ServiceTimeout: got none; want one (without an answer the stack waits an hour)", configurationID)
	}
	values, ok := lookup(r, "Properties", "Values").(map[string]any)
	if !ok {
		t.Fatalf("%s Values: got %#v; want a mapping of SSM name to stack parameter", configurationID, lookup(r, "Properties", "Values"))
	}
	passed := map[string]string{} // stack parameter -> SSM name
	for _, name := range sortedKeys(values) {
		t.Run(name, func(t *testing.T) {
			v := values[name]
			cond, then, els, isIf := ifBranches(v)
			if isIf {
				v = then
			}
			param, isRef := strings.CutPrefix(str(v), "${")
			param = strings.TrimSuffix(param, "}")
			if !isRef || params[param] == nil || strings.Contains(param, ".") {
				t.Fatalf("value: got %#v; want !Ref of a template parameter", values[name])
			}
			if other, dup := passed[param]; dup {
				t.Errorf("%s is passed as %s and as %s; want once", param, other, name)
			}
			passed[param] = name
			mayBeEmpty := parameterMayBeEmpty(t, params[param])
			switch {
			case mayBeEmpty && (!isIf || !notEmptyCondition(tpl, cond, param) || !isNoValue(els)):
				t.Errorf("value: got %#v; want !If [<a condition true only when %s is not empty>, !Ref %s, !Ref AWS::NoValue]", values[name], param, param)
			case !mayBeEmpty && isIf:
				t.Errorf("value: got %#v; want !Ref %s (it is never empty)", values[name], param)
			}
		})
	}
	// Every parameter of the configuration table is seeded (overrides/... are written by
	// people, not by the template).
	if got := sortedKeys(values); !slices.Equal(got, config.Known()) {
		t.Errorf("SSM names passed: got %v; want %v", got, config.Known())
	}
	for _, p := range sortedKeys(params) {
		if _, ok := passed[p]; !ok && !slices.Contains(notConfiguration, p) {
			t.Errorf("stack parameter %s is not passed to %s; want every configuration parameter passed (or listed in notConfiguration)", p, configurationID)
		}
	}
	// SharedRepos may not be empty: the product's value for none is "none".
	if str(params, "SharedRepos", "MinLength") != "1" {
		t.Errorf("SharedRepos MinLength: got %q; want \"1\"", str(params, "SharedRepos", "MinLength"))
	}
}

// TestConfigurationKeptIsAnOutput: what Parameter Store keeps against the stack is not silent.
// The custom resource always answers Kept ("none" when none): Fn::GetAtt on a key the answer
// lacks would fail the stack.
func TestConfigurationKeptIsAnOutput(t *testing.T) {
	tpl := loadTemplate(t)
	if got := str(tpl, "Outputs", "ConfigurationKept", "Value"); got != "${"+configurationID+".Kept}" {
		t.Errorf("Outputs.ConfigurationKept: got %q; want !GetAtt %s.Kept", got, configurationID)
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
	// The inventory's state is the state parameter's name and "-inventory" (drift's
	// inventoryStore), and exists with ProtectInUse only.
	inv := resource(t, tpl, "SweepInventory")
	if got := str(inv, "Properties", "Name"); got != "${ConfigPath}-state-inventory" {
		t.Errorf("SweepInventory Name: got %q; want ${ConfigPath}-state-inventory", got)
	}
	if got := str(inv, "Condition"); got != "HasProtectInUse" {
		t.Errorf("SweepInventory Condition: got %q; want HasProtectInUse", got)
	}
}

// TestTemplateDefaultsAreTheConfigurationTable: the stack parameter that seeds each
// configuration parameter defaults to what the product reads when it is unset
// (config.Parameters), so a stack deployed with its defaults seeds exactly the product's
// defaults; a required one has no default.
func TestTemplateDefaultsAreTheConfigurationTable(t *testing.T) {
	tpl := loadTemplate(t)
	params, _ := tpl["Parameters"].(map[string]any)
	values, _ := lookup(resource(t, tpl, configurationID), "Properties", "Values").(map[string]any)
	for _, p := range config.Parameters {
		t.Run(p.Name, func(t *testing.T) {
			v := values[p.Name]
			if _, then, _, isIf := ifBranches(v); isIf {
				v = then
			}
			ref := strings.TrimSuffix(strings.TrimPrefix(str(v), "${"), "}")
			sp, ok := params[ref].(map[string]any)
			if !ok {
				t.Fatalf("seeded from %#v; want a stack parameter", values[p.Name])
			}
			def, hasDef := sp["Default"]
			switch {
			case p.Required && hasDef:
				t.Errorf("%s Default %#v; want none (%s is required)", ref, def, p.Name)
			case !p.Required && str(sp, "Default") != p.Default:
				t.Errorf("%s Default %q; want %q, the product's default for %s", ref, str(sp, "Default"), p.Default, p.Name)
			}
		})
	}
}

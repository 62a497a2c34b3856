package deployment

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// templatePath is the SAM template, relative to this package.
const templatePath = "../../template.yaml"

// Logical IDs the checks (and the people who read the stack) rely on.
const (
	provisionID  = "ProvisionFunction"
	driftID      = "DriftFunction"
	dlqID        = "DeadLetterQueue"
	serverlessFn = "AWS::Serverless::Function"
)

// The functions' role ARNs in a deployment, as CloudTrail's sessionIssuer names them.
const (
	provisionRoleARN = "arn:aws:iam::123456789012:role/sagemaker-ecr-provisioner-ProvisionFunctionRole-1A2B3C"
	driftRoleARN     = "arn:aws:iam::123456789012:role/sagemaker-ecr-provisioner-DriftFunctionRole-4D5E6F"
)

// ARNs as the template writes them (the raw !Sub strings).
const (
	arnConfigPath = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ConfigPath}"
	arnConfigTree = arnConfigPath + "/*"
	// arnStateParameter is the reconciler's state, beside the configuration path.
	arnStateParameter     = arnConfigPath + "-state"
	arnInventoryParameter = arnStateParameter + "-inventory"
	arnProjects           = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:project/*"
	arnDomains            = "arn:${AWS::Partition}:datazone:${AWS::Region}:${AWS::AccountId}:domain/*"
	arnRepoPrefix         = "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/"
	arnProjectRepos       = arnRepoPrefix + "${CompanyName}-sm-*"
	arnSharedRepos        = arnRepoPrefix + "${CompanyName}-sagemaker-shared/*"
	arnAnyRepo            = arnRepoPrefix + "*"
	arnBus                = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"
	// arnMemberRole is the role member.yaml makes in every member account.
	arnMemberRole = "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"
	refKmsKey     = "${KmsKeyArn}"
)

// shortTags are CloudFormation's YAML short forms; each stands for "Fn::<name>" except Ref
// and Condition, which keep their name.
var shortTags = map[string]bool{
	"Ref": true, "Condition": true, "Base64": true, "Cidr": true, "FindInMap": true,
	"GetAtt": true, "GetAZs": true, "ImportValue": true, "Join": true, "Select": true,
	"Split": true, "Sub": true, "Transform": true, "And": true, "Equals": true, "If": true,
	"Not": true, "Or": true, "ToJsonString": true, "Length": true,
}

var (
	loadOnce   sync.Once
	loadedTpl  map[string]any
	loadTplErr error
)

// loadTemplate returns template.yaml as plain values: map[string]any, []any, string (every
// scalar, whatever its YAML type, as written) and nil. Short tags are in their long forms
// ({"Ref": X}, {"Fn::Sub": S}, {"Fn::GetAtt": [R, A]}, ...). The result is parsed once and
// shared: callers must not change it.
func loadTemplate(t testing.TB) map[string]any {
	t.Helper()
	loadOnce.Do(func() {
		data, err := os.ReadFile(templatePath)
		if err != nil {
			loadTplErr = err
			return
		}
		loadedTpl, loadTplErr = parseTemplate(data)
	})
	if loadTplErr != nil {
		t.Fatalf("load %s: %v", templatePath, loadTplErr)
	}
	return loadedTpl
}

// parseTemplate decodes a CloudFormation YAML document into plain values (see loadTemplate).
func parseTemplate(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	v, err := decodeNode(&doc)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("got a %T at the top; want a mapping", v)
	}
	return m, nil
}

// decodeNode turns one YAML node into plain values, failing on duplicate keys (CloudFormation
// rejects them, a plain map decode would hide them) and on unknown local tags.
func decodeNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: got %d documents; want 1", n.Line, len(n.Content))
		}
		return decodeNode(n.Content[0])
	case yaml.AliasNode:
		return decodeNode(n.Alias)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: got a non-scalar key; want a string", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			val, err := decodeNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := decodeNode(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		if n.Tag != "!!null" {
			v = n.Value
		}
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
	}
	return longForm(n, v)
}

// longForm rewrites a value carrying a short tag (!Sub, !Ref, !GetAtt ...) to its long form.
func longForm(n *yaml.Node, v any) (any, error) {
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	if !shortTags[name] {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: got !GetAtt %q; want Resource.Attribute", n.Line, s)
			}
			return map[string]any{"Fn::GetAtt": []any{res, attr}}, nil
		}
	}
	return map[string]any{"Fn::" + name: v}, nil
}

// lookup follows map keys from v; nil when a key is missing or a value is not a map.
func lookup(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// rawString is the string a value stands for, in !Sub syntax: a plain string as is, !Sub's
// template string, !Ref X as "${X}" and !GetAtt R.A as "${R.A}". ok is false for anything else.
func rawString(v any) (s string, ok bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		if len(x) != 1 {
			return "", false
		}
		if r, ok := x["Ref"].(string); ok {
			return "${" + r + "}", true
		}
		switch sub := x["Fn::Sub"].(type) {
		case string:
			return sub, true
		case []any:
			if len(sub) == 2 {
				s, ok := sub[0].(string)
				return s, ok
			}
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			r, ok1 := ga[0].(string)
			a, ok2 := ga[1].(string)
			if ok1 && ok2 {
				return "${" + r + "." + a + "}", true
			}
		}
	}
	return "", false
}

// str is rawString of the value at path under v, or "" when there is none.
func str(v any, path ...string) string {
	s, _ := rawString(lookup(v, path...))
	return s
}

// stringList reads a string or a list of strings (each through rawString).
func stringList(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	if s, ok := rawString(v); ok {
		return []string{s}, true
	}
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := rawString(e)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// mustStringList is stringList that fails the test on anything else.
func mustStringList(t testing.TB, v any, where string) []string {
	t.Helper()
	l, ok := stringList(v)
	if !ok {
		t.Fatalf("%s: got %#v; want a string or a list of strings", where, v)
	}
	return l
}

// resource returns the resource with that logical ID; the test fails when there is none.
func resource(t testing.TB, tpl map[string]any, logicalID string) map[string]any {
	t.Helper()
	r, ok := lookup(tpl, "Resources", logicalID).(map[string]any)
	if !ok {
		t.Fatalf("resource %s: got none; want it in template.yaml", logicalID)
	}
	return r
}

// resourceIDs lists, sorted, the logical IDs of the resources of one type.
func resourceIDs(tpl map[string]any, typ string) []string {
	res, _ := tpl["Resources"].(map[string]any)
	var ids []string
	for id, r := range res {
		if str(r, "Type") == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// functionProperties returns a serverless function's Properties with Globals.Function filled
// in the way SAM does (a function's own value wins; Environment.Variables are merged).
func functionProperties(t testing.TB, tpl map[string]any, logicalID string) map[string]any {
	t.Helper()
	r := resource(t, tpl, logicalID)
	if got := str(r, "Type"); got != serverlessFn {
		t.Fatalf("%s Type: got %q; want %q", logicalID, got, serverlessFn)
	}
	own, _ := r["Properties"].(map[string]any)
	props := maps.Clone(own)
	if props == nil {
		props = map[string]any{}
	}
	globals, _ := lookup(tpl, "Globals", "Function").(map[string]any)
	for k, gv := range globals {
		if _, set := props[k]; !set {
			props[k] = gv
			continue
		}
		if k == "Environment" {
			vars := map[string]any{}
			gvars, _ := lookup(gv, "Variables").(map[string]any)
			fvars, _ := lookup(props[k], "Variables").(map[string]any)
			maps.Copy(vars, gvars)
			maps.Copy(vars, fvars)
			props[k] = map[string]any{"Variables": vars}
		}
	}
	return props
}

// functionEvents returns a function's Events, by event ID.
func functionEvents(t testing.TB, tpl map[string]any, logicalID string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	evs, _ := functionProperties(t, tpl, logicalID)["Events"].(map[string]any)
	for id, ev := range evs {
		m, ok := ev.(map[string]any)
		if !ok {
			t.Fatalf("%s.Events.%s: got %T; want a mapping", logicalID, id, ev)
		}
		out[id] = m
	}
	return out
}

// deployValues are the template's parameter defaults plus a company name and pseudo
// parameters: one concrete deployment to resolve !Sub strings against.
func deployValues(t testing.TB, tpl map[string]any) map[string]string {
	t.Helper()
	vals := map[string]string{
		"CompanyName":           "acme",
		"AWS::Partition":        "aws",
		"AWS::Region":           "us-east-1",
		"AWS::AccountId":        "123456789012",
		"AWS::StackName":        "sagemaker-ecr-provisioner",
		"AWS::URLSuffix":        "amazonaws.com",
		"AWS::NoValue":          "",
		"AWS::NotificationARNs": "",
		// The roles SAM makes for the functions (<FunctionLogicalId>Role).
		provisionID + "Role.Arn": provisionRoleARN,
		driftID + "Role.Arn":     driftRoleARN,
	}
	params, _ := tpl["Parameters"].(map[string]any)
	for name, p := range params {
		if d, ok := lookup(p, "Default").(string); ok {
			vals[name] = d
		}
	}
	return vals
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// resolveSub substitutes ${Name} (and ${!Literal}) in a !Sub string.
func resolveSub(t testing.TB, s string, vals map[string]string) string {
	t.Helper()
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		v, ok := vals[name]
		if !ok {
			t.Fatalf("resolve %q: got no value for %s; want a parameter with a default", s, name)
		}
		return v
	})
}

// resolve replaces every !Sub, !Ref and !GetAtt in v by its value in vals.
func resolve(t testing.TB, v any, vals map[string]string) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if _, isSub := x["Fn::Sub"]; isSub || x["Ref"] != nil || x["Fn::GetAtt"] != nil {
			s, ok := rawString(x)
			if !ok {
				t.Fatalf("resolve %#v: got an unsupported intrinsic; want !Sub, !Ref or !GetAtt", x)
			}
			return resolveSub(t, s, vals)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolve(t, e, vals)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(t, e, vals)
		}
		return out
	}
	return v
}

// notEmptyCondition reports whether a Condition is exactly !Not [!Equals [!Ref param, ""]]
// (or with the operands swapped).
func notEmptyCondition(tpl map[string]any, cond, param string) bool {
	not, ok := lookup(tpl, "Conditions", cond, "Fn::Not").([]any)
	if !ok || len(not) != 1 {
		return false
	}
	eq, ok := lookup(not[0], "Fn::Equals").([]any)
	if !ok || len(eq) != 2 {
		return false
	}
	a, _ := rawString(eq[0])
	b, _ := rawString(eq[1])
	ref := "${" + param + "}"
	return (a == ref && b == "") || (a == "" && b == ref)
}

// sortedKeys of a set.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func TestTemplateLoads(t *testing.T) {
	tpl := loadTemplate(t)
	if got, want := str(tpl, "Transform"), "AWS::Serverless-2016-10-31"; got != want {
		t.Errorf("Transform: got %q; want %q", got, want)
	}
	if got, want := resourceIDs(tpl, serverlessFn), []string{driftID, provisionID}; !slices.Equal(got, want) {
		t.Errorf("serverless functions: got %v; want %v", got, want)
	}
}

func TestParseShortTags(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       any
	}{
		{"Ref", "v: !Ref X", map[string]any{"Ref": "X"}},
		{"Sub", "v: !Sub '${A}-b'", map[string]any{"Fn::Sub": "${A}-b"}},
		{"GetAtt scalar", "v: !GetAtt Q.Arn", map[string]any{"Fn::GetAtt": []any{"Q", "Arn"}}},
		{"GetAtt nested attribute", "v: !GetAtt D.Endpoint.Address", map[string]any{"Fn::GetAtt": []any{"D", "Endpoint.Address"}}},
		{"If with nested Ref", "v: !If [C, !Ref X, !Ref AWS::NoValue]",
			map[string]any{"Fn::If": []any{"C", map[string]any{"Ref": "X"}, map[string]any{"Ref": "AWS::NoValue"}}}},
		{"Not Equals", "v: !Not [!Equals [!Ref X, '']]",
			map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "X"}, ""}}}}},
		{"Join", "v: !Join [',', [a, b]]", map[string]any{"Fn::Join": []any{",", []any{"a", "b"}}}},
		{"plain scalars stay strings", "v: [128, true, x]", []any{"128", "true", "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTemplate([]byte(tc.yaml))
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			if g, w := fmt.Sprintf("%#v", got["v"]), fmt.Sprintf("%#v", tc.want); g != w {
				t.Errorf("got %s; want %s", g, w)
			}
		})
	}
	for _, bad := range []string{"a: 1\na: 2", "v: !Bogus x", "v: !GetAtt NoDot"} {
		if _, err := parseTemplate([]byte(bad)); err == nil {
			t.Errorf("parse %q: got no error; want one", bad)
		}
	}
}

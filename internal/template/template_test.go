package template

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
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

// ARNs as the template writes them (the raw !Sub strings).
const (
	arnConfigPath   = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ConfigPath}"
	arnConfigTree   = arnConfigPath + "/*"
	arnProjects     = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:project/*"
	arnRepoPrefix   = "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/"
	arnProjectRepos = arnRepoPrefix + "${CompanyName}-sm-*"
	arnSharedRepos  = arnRepoPrefix + "${CompanyName}-sagemaker-shared/*"
	arnAnyRepo      = arnRepoPrefix + "*"
	arnBus          = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"
	refKmsKey       = "${KmsKeyArn}"
)

// ---------------------------------------------------------------------------------------------
// Loading: YAML nodes to plain values, with CloudFormation short tags as their long forms.

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

// ---------------------------------------------------------------------------------------------
// Navigation.

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

// ---------------------------------------------------------------------------------------------
// IAM.

// statement is one IAM statement of a function's inline Policies, with resources as raw !Sub
// strings (see rawString).
type statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []string
	// Condition is the IAM condition: operator -> key -> values (raw strings).
	Condition map[string]map[string][]string
	// If names the CloudFormation condition the statement depends on ("!Name" for the else
	// branch of an Fn::If, "A && B" when nested); "" when it is always granted.
	If string
	// Where locates the statement in the template, for messages.
	Where string
}

// policyStatements returns every statement of a serverless function's Policies, those under
// an Fn::If included (with If set). Anything that is not an inline policy document (a managed
// policy, a SAM policy template) fails the test, and so do NotAction, NotResource and Principal,
// which have no place in a least-privilege execution role.
func policyStatements(t testing.TB, tpl map[string]any, logicalID string) []statement {
	t.Helper()
	props := functionProperties(t, tpl, logicalID)
	if role, set := props["Role"]; set {
		t.Errorf("%s Role: got %v; want none (SAM builds the role from Policies)", logicalID, role)
	}
	policies := props["Policies"]
	list, ok := policies.([]any)
	if !ok && policies != nil {
		list = []any{policies}
	}
	var out []statement
	for i, p := range list {
		collectPolicy(t, p, "", fmt.Sprintf("%s.Policies[%d]", logicalID, i), &out)
	}
	return out
}

// ifBranches splits {"Fn::If": [cond, then, else]}.
func ifBranches(v any) (cond string, then, els any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, nil, false
	}
	args, isList := m["Fn::If"].([]any)
	if !isList || len(args) != 3 {
		return "", nil, nil, false
	}
	cond, ok = args[0].(string)
	return cond, args[1], args[2], ok
}

// isNoValue reports whether v is !Ref AWS::NoValue.
func isNoValue(v any) bool { return str(v) == "${AWS::NoValue}" }

// andIf joins CloudFormation conditions for statement.If.
func andIf(outer, inner string) string {
	if outer == "" {
		return inner
	}
	return outer + " && " + inner
}

// forEachBranch calls fn for v, or for both branches of an Fn::If (skipping AWS::NoValue).
func forEachBranch(v any, cond string, fn func(v any, cond string)) {
	if c, then, els, ok := ifBranches(v); ok {
		if !isNoValue(then) {
			forEachBranch(then, andIf(cond, c), fn)
		}
		if !isNoValue(els) {
			forEachBranch(els, andIf(cond, "!"+c), fn)
		}
		return
	}
	fn(v, cond)
}

func collectPolicy(t testing.TB, p any, cond, where string, out *[]statement) {
	t.Helper()
	forEachBranch(p, cond, func(p any, cond string) {
		doc, ok := p.(map[string]any)
		if !ok || doc["Statement"] == nil {
			t.Errorf("%s: got %#v; want an inline policy document (no managed policies or SAM policy templates)", where, p)
			return
		}
		stmts, ok := doc["Statement"].([]any)
		if !ok {
			stmts = []any{doc["Statement"]}
		}
		for j, s := range stmts {
			w := fmt.Sprintf("%s.Statement[%d]", where, j)
			forEachBranch(s, cond, func(s any, cond string) {
				if st, ok := parseStatement(t, s, w); ok {
					st.If = cond
					*out = append(*out, st)
				}
			})
		}
	})
}

func parseStatement(t testing.TB, s any, where string) (statement, bool) {
	t.Helper()
	m, ok := s.(map[string]any)
	if !ok {
		t.Errorf("%s: got %#v; want a statement mapping", where, s)
		return statement{}, false
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch k {
		case "Sid", "Effect", "Action", "Resource", "Condition":
		default:
			t.Errorf("%s: got key %s; want only Sid, Effect, Action, Resource, Condition", where, k)
		}
	}
	st := statement{Sid: str(m, "Sid"), Effect: str(m, "Effect"), Where: where}
	st.Actions = mustStringList(t, m["Action"], where+".Action")
	st.Resources = mustStringList(t, m["Resource"], where+".Resource")
	if c, ok := m["Condition"].(map[string]any); ok {
		st.Condition = map[string]map[string][]string{}
		for op, kv := range c {
			kvm, ok := kv.(map[string]any)
			if !ok {
				t.Errorf("%s.Condition.%s: got %#v; want a mapping", where, op, kv)
				continue
			}
			st.Condition[op] = map[string][]string{}
			for k, v := range kvm {
				st.Condition[op][k] = mustStringList(t, v, where+".Condition."+op+"."+k)
			}
		}
	} else if m["Condition"] != nil {
		t.Errorf("%s.Condition: got %#v; want a mapping", where, m["Condition"])
	}
	return st, true
}

// grantedActions is the set of IAM actions a function's role always allows through the
// template's inline Policies: Allow statements that depend on no CloudFormation condition.
// Conditional grants (the KMS key's, used by ECR on the caller's behalf) and what SAM adds by
// itself (AWSLambdaBasicExecutionRole for logs, sqs:SendMessage for an async-failure
// destination, both used by Lambda rather than by the function's code) are not in it. It is
// the set to compare with the operations a function's code really calls.
func grantedActions(t testing.TB, logicalID string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, st := range policyStatements(t, loadTemplate(t), logicalID) {
		if st.Effect == "Allow" && st.If == "" {
			for _, a := range st.Actions {
				out[a] = true
			}
		}
	}
	return out
}

// readOnlyAction reports whether an IAM action only reads (by its verb).
func readOnlyAction(action string) bool {
	_, verb, _ := strings.Cut(action, ":")
	for _, p := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(verb, p) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------------
// Values for resolving !Sub and event patterns.

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

// resolve replaces every !Sub / !Ref in v by its value in vals.
func resolve(t testing.TB, v any, vals map[string]string) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if _, isSub := x["Fn::Sub"]; isSub || x["Ref"] != nil {
			s, ok := rawString(x)
			if !ok {
				t.Fatalf("resolve %#v: got an unsupported intrinsic; want !Sub or !Ref", x)
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

// ---------------------------------------------------------------------------------------------
// EventBridge patterns (the subset the template uses: literals, prefix, exists).

// matchesPattern reports whether an event (decoded JSON) matches an EventBridge pattern
// (decoded template, scalars as strings). Unknown operators fail the test.
func matchesPattern(t testing.TB, pattern, event map[string]any) bool {
	t.Helper()
	for key, want := range pattern {
		got, present := event[key]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
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

// readEvent loads a sample event from testdata/events.
func readEvent(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// set sets a value at a path of nested maps (for hostile variants of sample events).
func set(ev map[string]any, value any, path ...string) {
	m := ev
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	m[path[len(path)-1]] = value
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

// ---------------------------------------------------------------------------------------------
// Tests.

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
		{name: "TagMutability", typ: "String", def: ptr("MUTABLE"), allowed: []string{"MUTABLE", "IMMUTABLE"}},
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

// wantGrants is every unconditional grant of each function: action -> resources. A change to
// the template's IAM must change this table, deliberately.
var wantGrants = map[string]map[string][]string{
	provisionID: {
		"ssm:GetParametersByPath":   {arnConfigPath, arnConfigTree},
		"sagemaker:ListTags":        {arnProjects},
		"sagemaker:DescribeProject": {arnProjects},
		"ecr:DescribeRepositories":  {arnAnyRepo, arnProjectRepos},
		"ecr:ListTagsForResource":   {arnProjectRepos},
		"ecr:GetLifecyclePolicy":    {arnProjectRepos},
		"ecr:CreateRepository":      {arnProjectRepos},
		"ecr:TagResource":           {arnProjectRepos},
		"ecr:UntagResource":         {arnProjectRepos},
		"ecr:PutLifecyclePolicy":    {arnProjectRepos},
		"ecr:DescribeImages":        {arnProjectRepos},
		"ecr:DeleteRepository":      {arnProjectRepos},
		"events:PutEvents":          {arnBus},
	},
	driftID: {
		"ssm:GetParametersByPath":  {arnConfigPath, arnConfigTree},
		"sagemaker:ListProjects":   {"*"},
		"sagemaker:ListTags":       {arnProjects},
		"ecr:DescribeRepositories": {arnAnyRepo},
		"ecr:GetLifecyclePolicy":   {arnProjectRepos, arnSharedRepos},
		"ecr:PutLifecyclePolicy":   {arnProjectRepos, arnSharedRepos},
		"ecr:CreateRepository":     {arnProjectRepos, arnSharedRepos},
		"ecr:TagResource":          {arnProjectRepos, arnSharedRepos},
		"ecr:UntagResource":        {arnProjectRepos, arnSharedRepos},
		"ecr:ListTagsForResource":  {arnProjectRepos, arnSharedRepos},
		"events:PutEvents":         {arnBus},
	},
}

func TestGrantedActions(t *testing.T) {
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			got, want := sortedKeys(grantedActions(t, fn)), sortedKeys(wantGrants[fn])
			if !slices.Equal(got, want) {
				t.Errorf("actions: got %v; want %v", got, want)
			}
		})
	}
}

func TestGrantedResources(t *testing.T) {
	tpl := loadTemplate(t)
	for _, fn := range []string{provisionID, driftID} {
		got := map[string]map[string]bool{}
		for _, st := range policyStatements(t, tpl, fn) {
			if st.Effect != "Allow" || st.If != "" {
				continue
			}
			for _, a := range st.Actions {
				if got[a] == nil {
					got[a] = map[string]bool{}
				}
				for _, r := range st.Resources {
					got[a][r] = true
				}
			}
		}
		for _, action := range sortedKeys(wantGrants[fn]) {
			t.Run(fn+"/"+action, func(t *testing.T) {
				want := slices.Sorted(slices.Values(wantGrants[fn][action]))
				if g := sortedKeys(got[action]); !slices.Equal(g, want) {
					t.Errorf("resources: got %q; want %q", g, want)
				}
			})
		}
	}
}

// TestLeastPrivilege checks every statement, conditional ones included, against rules that do
// not depend on the exact grants.
func TestLeastPrivilege(t *testing.T) {
	tpl := loadTemplate(t)
	serviceWildcard := regexp.MustCompile(`^[a-z0-9-]+:\*$`)
	for _, fn := range []string{provisionID, driftID} {
		stmts := policyStatements(t, tpl, fn)
		if len(stmts) == 0 {
			t.Fatalf("%s: got no policy statements; want inline Policies", fn)
		}
		for _, st := range stmts {
			t.Run(fn+"/"+st.Sid, func(t *testing.T) {
				if st.Effect != "Allow" {
					t.Errorf("%s Effect: got %q; want Allow", st.Where, st.Effect)
				}
				if st.Sid == "" {
					t.Errorf("%s Sid: got none; want a name saying why", st.Where)
				}
				if len(st.Actions) == 0 || len(st.Resources) == 0 {
					t.Errorf("%s: got %d actions, %d resources; want at least one of each", st.Where, len(st.Actions), len(st.Resources))
				}
				for _, a := range st.Actions {
					if a == "*" || serviceWildcard.MatchString(a) || strings.Contains(a, "*") {
						t.Errorf("%s action: got %q; want a named action, no wildcard", st.Where, a)
					}
					for _, r := range st.Resources {
						if r == "*" && !readOnlyAction(a) {
							t.Errorf("%s: got write action %s on Resource \"*\"; want a scoped resource", st.Where, a)
						}
					}
				}
				for _, r := range st.Resources {
					if strings.HasPrefix(r, "arn:") && !strings.HasPrefix(r, "arn:${AWS::Partition}:") {
						t.Errorf("%s resource: got %q; want arn:${AWS::Partition}:...", st.Where, r)
					}
					if strings.HasPrefix(r, "arn:") && strings.Count(r, ":") >= 5 &&
						!strings.Contains(r, ":${AWS::Region}:${AWS::AccountId}:") {
						t.Errorf("%s resource: got %q; want ${AWS::Region}:${AWS::AccountId}", st.Where, r)
					}
				}
			})
		}
	}
}

// TestResourcesByService checks each action's resources by service, conditional statements
// included: nothing outside the managed ECR namespaces is written, SSM is the config path,
// PutEvents is the bus.
func TestResourcesByService(t *testing.T) {
	tpl := loadTemplate(t)
	allowed := func(action, res string) bool {
		service, _, _ := strings.Cut(action, ":")
		switch service {
		case "ecr":
			if res == arnAnyRepo {
				return action == "ecr:DescribeRepositories" // listing is authorised on every repository
			}
			return res == arnProjectRepos || res == arnSharedRepos
		case "ssm":
			return res == arnConfigPath || res == arnConfigTree
		case "events":
			return action == "events:PutEvents" && res == arnBus
		case "sagemaker":
			if action == "sagemaker:ListProjects" {
				return res == "*" // no resource type: IAM accepts only "*"
			}
			return res == arnProjects
		case "kms":
			return res == refKmsKey
		}
		return false
	}
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			for _, st := range policyStatements(t, tpl, fn) {
				for _, a := range st.Actions {
					for _, r := range st.Resources {
						if !allowed(a, r) {
							t.Errorf("%s: got %s on %q; want it on its service's scoped resource", st.Where, a, r)
						}
					}
				}
			}
		})
	}
}

func TestKmsGrants(t *testing.T) {
	tpl := loadTemplate(t)
	if !notEmptyCondition(tpl, "HasKmsKey", "KmsKeyArn") {
		t.Fatalf("Conditions.HasKmsKey: got %#v; want !Not [!Equals [!Ref KmsKeyArn, \"\"]]", lookup(tpl, "Conditions", "HasKmsKey"))
	}
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			got := map[string]statement{}
			for _, st := range policyStatements(t, tpl, fn) {
				for _, a := range st.Actions {
					if strings.HasPrefix(a, "kms:") {
						if st.If != "HasKmsKey" {
							t.Errorf("%s %s: got condition %q; want HasKmsKey", st.Where, a, st.If)
						}
						got[a] = st
					}
				}
			}
			if g, w := sortedKeys(got), []string{"kms:CreateGrant", "kms:DescribeKey"}; !slices.Equal(g, w) {
				t.Fatalf("KMS actions: got %v; want %v", g, w)
			}
			for a, st := range got {
				if !slices.Equal(st.Resources, []string{refKmsKey}) {
					t.Errorf("%s resources: got %v; want [%s]", a, st.Resources, refKmsKey)
				}
			}
			cg := got["kms:CreateGrant"]
			if g, w := cg.Condition["StringEquals"]["kms:ViaService"], []string{"ecr.${AWS::Region}.amazonaws.com"}; !slices.Equal(g, w) {
				t.Errorf("kms:CreateGrant kms:ViaService: got %v; want %v", g, w)
			}
			if slices.Contains(got["kms:DescribeKey"].Actions, "kms:CreateGrant") {
				t.Errorf("kms:DescribeKey shares a statement with kms:CreateGrant; want CreateGrant alone under its ViaService condition")
			}
		})
	}
}

func TestFunctionBuild(t *testing.T) {
	tpl := loadTemplate(t)
	for _, tc := range []struct {
		fn      string
		timeout string
	}{
		{provisionID, "60"},
		{driftID, "900"},
	} {
		props := functionProperties(t, tpl, tc.fn)
		checks := []struct{ name, got, want string }{
			{"Runtime", str(props, "Runtime"), "provided.al2023"},
			{"Architectures", fmt.Sprint(mustStringList(t, props["Architectures"], "Architectures")), "[arm64]"},
			{"Handler", str(props, "Handler"), "bootstrap"},
			{"CodeUri", str(props, "CodeUri"), "."},
			{"Metadata.BuildMethod", str(resource(t, tpl, tc.fn), "Metadata", "BuildMethod"), "makefile"},
			{"MemorySize", str(props, "MemorySize"), "128"},
			{"Timeout", str(props, "Timeout"), tc.timeout},
		}
		for _, c := range checks {
			t.Run(tc.fn+"/"+c.name, func(t *testing.T) {
				if c.got != c.want {
					t.Errorf("got %q; want %q", c.got, c.want)
				}
			})
		}
	}
}

func TestFunctionEnvironment(t *testing.T) {
	tpl := loadTemplate(t)
	common := map[string]string{"CONFIG_PATH": "${ConfigPath}", "EVENT_BUS_NAME": "${EventBusName}"}
	drift := maps.Clone(common)
	maps.Copy(drift, map[string]string{"MAX_CONCURRENCY": "8", "ECR_MAX_RPS": "20", "SAGEMAKER_MAX_RPS": "5", "GOMEMLIMIT": "100MiB"})
	for fn, want := range map[string]map[string]string{provisionID: common, driftID: drift} {
		t.Run(fn, func(t *testing.T) {
			vars, _ := lookup(functionProperties(t, tpl, fn), "Environment", "Variables").(map[string]any)
			if g, w := sortedKeys(vars), sortedKeys(want); !slices.Equal(g, w) {
				t.Errorf("variable names: got %v; want %v", g, w)
			}
			for name, w := range want {
				if g := str(vars, name); g != w {
					t.Errorf("%s: got %q; want %q", name, g, w)
				}
			}
		})
	}
}

func TestEventInvokeConfig(t *testing.T) {
	tpl := loadTemplate(t)
	dlqArn := "${" + dlqID + ".Arn}"
	tests := []struct {
		fn, path, want string
	}{
		{provisionID, "MaximumRetryAttempts", "2"},
		{provisionID, "MaximumEventAgeInSeconds", "3600"},
		{provisionID, "DestinationConfig.OnFailure.Type", "SQS"},
		{provisionID, "DestinationConfig.OnFailure.Destination", dlqArn},
		{driftID, "MaximumRetryAttempts", "0"},
	}
	for _, tc := range tests {
		t.Run(tc.fn+"/"+tc.path, func(t *testing.T) {
			path := append([]string{"EventInvokeConfig"}, strings.Split(tc.path, ".")...)
			if got := str(functionProperties(t, tpl, tc.fn), path...); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

// configParameters are the SSM parameter names of the README's configuration table (overrides/... are
// written by people, not by the template).
var configParameters = []string{
	"allowed-teams", "company", "create-project-repos", "drift-mode", "enabled", "image-retention",
	"kms-key", "lifecycle-exempt", "on-project-delete", "project-repos", "scan-on-push",
	"shared-repos", "tag-mutability", "team-tag",
}

func TestConfigParameters(t *testing.T) {
	tpl := loadTemplate(t)
	params, _ := tpl["Parameters"].(map[string]any)
	var got []string
	for _, id := range resourceIDs(tpl, "AWS::SSM::Parameter") {
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
		{"ProvisionFunctionSageMakerApiCall", "detail.eventName", []string{"CreateProject", "AddTags", "DeleteTags", "DeleteProject"}},
		{"ProvisionFunctionProjectTagChange", "source", []string{"aws.tag"}},
		{"ProvisionFunctionProjectTagChange", "detail-type", []string{"Tag Change on Resource"}},
		{"ProvisionFunctionProjectTagChange", "detail.service", []string{"sagemaker"}},
		{"ProvisionFunctionProjectTagChange", "detail.resource-type", []string{"project"}},
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
		{name: "AddTags", file: "add-tags.json", want: "ProvisionFunctionSageMakerApiCall"},
		{name: "DeleteTags", file: "delete-tags.json", want: "ProvisionFunctionSageMakerApiCall"},
		{name: "DeleteProject", file: "delete-project.json", want: "ProvisionFunctionSageMakerApiCall"},
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

func TestDeadLetterQueue(t *testing.T) {
	tpl := loadTemplate(t)
	q := resource(t, tpl, dlqID)
	checks := []struct{ name, got, want string }{
		{"Type", str(q, "Type"), "AWS::SQS::Queue"},
		{"SqsManagedSseEnabled", str(q, "Properties", "SqsManagedSseEnabled"), "true"},
		{"MessageRetentionPeriod", str(q, "Properties", "MessageRetentionPeriod"), "1209600"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q; want %q", c.got, c.want)
			}
		})
	}

	// The queue policy lets EventBridge send from exactly the rules that use the queue.
	var wantSources []string
	for _, r := range eventBridgeRules(t, tpl) {
		if str(r.Event, "Properties", "DeadLetterConfig", "Arn") == "${"+dlqID+".Arn}" {
			wantSources = append(wantSources, "${"+r.LogicalID+".Arn}")
		}
	}
	slices.Sort(wantSources)
	t.Run("QueuePolicy", func(t *testing.T) {
		var stmts []any
		for _, id := range resourceIDs(tpl, "AWS::SQS::QueuePolicy") {
			p := lookup(resource(t, tpl, id), "Properties")
			if slices.Contains(mustStringList(t, lookup(p, "Queues"), id+".Queues"), "${"+dlqID+"}") {
				l, _ := lookup(p, "PolicyDocument", "Statement").([]any)
				stmts = append(stmts, l...)
			}
		}
		if len(stmts) != 1 {
			t.Fatalf("statements on %s: got %d; want 1", dlqID, len(stmts))
		}
		s := stmts[0]
		checks := []struct{ name, got, want string }{
			{"Effect", str(s, "Effect"), "Allow"},
			{"Principal.Service", str(s, "Principal", "Service"), "events.amazonaws.com"},
			{"Action", fmt.Sprint(mustStringList(t, lookup(s, "Action"), "Action")), "[sqs:SendMessage]"},
			{"Resource", str(s, "Resource"), "${" + dlqID + ".Arn}"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q; want %q", c.name, c.got, c.want)
			}
		}
		got := mustStringList(t, lookup(s, "Condition", "ArnEquals", "aws:SourceArn"), "aws:SourceArn")
		slices.Sort(got)
		if len(got) == 0 || !slices.Equal(got, wantSources) {
			t.Errorf("aws:SourceArn: got %v; want %v", got, wantSources)
		}
	})
}

func TestLogGroups(t *testing.T) {
	tpl := loadTemplate(t)
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			props := functionProperties(t, tpl, fn)
			ref := str(props, "LoggingConfig", "LogGroup")
			id, ok := strings.CutPrefix(ref, "${")
			id = strings.TrimSuffix(id, "}")
			if !ok || strings.Contains(id, ".") {
				t.Fatalf("LoggingConfig.LogGroup: got %q; want !Ref of a log group", ref)
			}
			lg := resource(t, tpl, id)
			fnName := str(props, "FunctionName")
			if fnName == "" {
				fnName = "${" + fn + "}"
			}
			checks := []struct{ name, got, want string }{
				{"Type", str(lg, "Type"), "AWS::Logs::LogGroup"},
				{"LogGroupName", str(lg, "Properties", "LogGroupName"), "/aws/lambda/" + fnName},
				{"RetentionInDays", str(lg, "Properties", "RetentionInDays"), "${LogRetentionDays}"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s %s: got %q; want %q", id, c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestAlarms(t *testing.T) {
	tpl := loadTemplate(t)
	if !notEmptyCondition(tpl, "HasAlarmTopic", "AlarmTopicArn") {
		t.Fatalf("Conditions.HasAlarmTopic: got %#v; want !Not [!Equals [!Ref AlarmTopicArn, \"\"]]", lookup(tpl, "Conditions", "HasAlarmTopic"))
	}
	byMetric := map[string]map[string]any{}
	for _, id := range resourceIDs(tpl, "AWS::CloudWatch::Alarm") {
		p, _ := lookup(resource(t, tpl, id), "Properties").(map[string]any)
		dims, _ := p["Dimensions"].([]any)
		var dv []string
		for _, d := range dims {
			dv = append(dv, str(d, "Name")+"="+str(d, "Value"))
		}
		byMetric[str(p, "Namespace")+" "+str(p, "MetricName")+" "+strings.Join(dv, ",")] = p
	}
	tests := []struct {
		key, statistic string
	}{
		{"AWS/Lambda Errors FunctionName=${" + provisionID + "}", "Sum"},
		{"AWS/Lambda Errors FunctionName=${" + driftID + "}", "Sum"},
		{"AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${" + dlqID + ".QueueName}", ""},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			p, ok := byMetric[tc.key]
			if !ok {
				t.Fatalf("got alarms %v; want one on %s", sortedKeys(byMetric), tc.key)
			}
			checks := []struct{ name, got, want string }{
				{"Threshold", str(p, "Threshold"), "1"},
				{"ComparisonOperator", str(p, "ComparisonOperator"), "GreaterThanOrEqualToThreshold"},
				{"Period", str(p, "Period"), "300"},
				{"EvaluationPeriods", str(p, "EvaluationPeriods"), "1"},
			}
			if tc.statistic != "" {
				checks = append(checks, struct{ name, got, want string }{"Statistic", str(p, "Statistic"), tc.statistic})
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q; want %q", c.name, c.got, c.want)
				}
			}
			cond, then, els, ok := ifBranches(p["AlarmActions"])
			thenList, _ := stringList(then)
			if !ok || cond != "HasAlarmTopic" || !slices.Equal(thenList, []string{"${AlarmTopicArn}"}) || !isNoValue(els) {
				t.Errorf("AlarmActions: got %#v; want !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]", p["AlarmActions"])
			}
		})
	}
	if len(byMetric) != len(tests) {
		t.Errorf("alarms: got %v; want %d", sortedKeys(byMetric), len(tests))
	}
}

func TestOutputs(t *testing.T) {
	tpl := loadTemplate(t)
	want := map[string]string{
		"ProvisionFunctionArn":       "${ProvisionFunction.Arn}",
		"DriftFunctionArn":           "${DriftFunction.Arn}",
		"DeadLetterQueueUrl":         "${DeadLetterQueue}",
		"DeadLetterQueueArn":         "${DeadLetterQueue.Arn}",
		"ConfigPath":                 "${ConfigPath}",
		"ProjectRepositoryNamespace": "${CompanyName}-sm-*",
		"SharedRepositoryNamespace":  "${CompanyName}-sagemaker-shared/*",
		"SageMakerApiCallRuleName":   "${ProvisionFunctionSageMakerApiCall}",
		"ProjectTagChangeRuleName":   "${ProvisionFunctionProjectTagChange}",
		"DriftScheduleRuleName":      "${DriftFunctionSchedule}",
		"ConfigChangeRuleName":       "${DriftFunctionConfigChange}",
	}
	outputs, _ := tpl["Outputs"].(map[string]any)
	if g, w := sortedKeys(outputs), sortedKeys(want); !slices.Equal(g, w) {
		t.Errorf("outputs: got %v; want %v", g, w)
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			if g := str(outputs, name, "Value"); g != w {
				t.Errorf("Value: got %q; want %q", g, w)
			}
		})
	}
}

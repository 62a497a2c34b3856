package deployment

// The IAM grants of both functions: exactly the actions each calls, on the narrowest resources.

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

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

// wantGrants is every unconditional grant of each function: action -> resources. A change to
// the template's IAM must change this table, deliberately.
var wantGrants = map[string]map[string][]string{
	provisionID: {
		"ssm:GetParametersByPath":   {arnConfigPath, arnConfigTree},
		"sagemaker:ListTags":        {arnProjects},
		"sagemaker:DescribeProject": {arnProjects},
		"sts:AssumeRole":            {arnMemberRole},
		"ecr:DescribeRepositories":  {arnAnyRepo, arnProjectRepos},
		"ecr:ListTagsForResource":   {arnProjectRepos},
		"ecr:GetLifecyclePolicy":    {arnProjectRepos},
		"ecr:CreateRepository":      {arnProjectRepos},
		"ecr:TagResource":           {arnProjectRepos},
		"ecr:UntagResource":         {arnProjectRepos},
		"ecr:PutLifecyclePolicy":    {arnProjectRepos},
		"ecr:PutImageTagMutability": {arnProjectRepos},
		"ecr:GetRepositoryPolicy":   {arnProjectRepos},
		"ecr:SetRepositoryPolicy":   {arnProjectRepos},
		"ecr:DescribeImages":        {arnProjectRepos},
		"ecr:DeleteRepository":      {arnProjectRepos},
		"events:PutEvents":          {arnBus},
	},
	driftID: {
		"ssm:GetParametersByPath":    {arnConfigPath, arnConfigTree},
		"ssm:GetParameter":           {arnStateParameter},
		"ssm:PutParameter":           {arnStateParameter},
		"sagemaker:ListProjects":     {"*"},
		"sagemaker:ListTags":         {arnProjects},
		"sagemaker:DescribeProject":  {arnProjects},
		"sts:AssumeRole":             {arnMemberRole},
		"ecr:DescribeRepositories":   {arnAnyRepo},
		"ecr:GetLifecyclePolicy":     {arnProjectRepos, arnSharedRepos},
		"ecr:PutLifecyclePolicy":     {arnProjectRepos, arnSharedRepos},
		"ecr:PutImageTagMutability":  {arnProjectRepos, arnSharedRepos},
		"ecr:GetRepositoryPolicy":    {arnProjectRepos, arnSharedRepos},
		"ecr:SetRepositoryPolicy":    {arnProjectRepos, arnSharedRepos},
		"ecr:DeleteRepositoryPolicy": {arnProjectRepos, arnSharedRepos},
		"ecr:CreateRepository":       {arnProjectRepos, arnSharedRepos},
		"ecr:TagResource":            {arnProjectRepos, arnSharedRepos},
		"ecr:UntagResource":          {arnProjectRepos, arnSharedRepos},
		"ecr:ListTagsForResource":    {arnProjectRepos, arnSharedRepos},
		"events:PutEvents":           {arnBus},
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
					// The member role is the one resource in other accounts (IAM has no Region).
					if strings.HasPrefix(r, "arn:") && strings.Count(r, ":") >= 5 && r != arnMemberRole &&
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
			if action == "ssm:GetParameter" || action == "ssm:PutParameter" {
				return res == arnStateParameter // the only parameter the product writes
			}
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
		case "sts":
			return action == "sts:AssumeRole" && res == arnMemberRole // member.yaml's role, nothing else
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

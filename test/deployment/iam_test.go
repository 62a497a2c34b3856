package deployment

// The IAM grants of both functions: exactly the actions each calls, on the narrowest resources.

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	// ConditionIf names the CloudFormation condition under which Condition is there
	// (Condition: !If [name, {...}, !Ref AWS::NoValue]); "" when it always is.
	ConditionIf string
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
	cond := m["Condition"]
	if name, then, els, ok := ifBranches(cond); ok {
		// A condition of the deployment's choosing; without it the statement stands alone.
		if !isNoValue(els) {
			t.Errorf("%s.Condition: got an Fn::If whose else branch is %#v; want !Ref AWS::NoValue", where, els)
		}
		st.ConditionIf, cond = name, then
	}
	if c, ok := cond.(map[string]any); ok {
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
	} else if cond != nil {
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

// grantedWith is every action a function is granted with the CloudFormation condition cond
// true: the unconditional grants and those under cond.
func grantedWith(t testing.TB, logicalID, cond string) (all, conditional map[string]bool) {
	t.Helper()
	all, conditional = map[string]bool{}, map[string]bool{}
	for _, st := range policyStatements(t, loadTemplate(t), logicalID) {
		if st.Effect != "Allow" || (st.If != "" && st.If != cond) {
			continue
		}
		for _, a := range st.Actions {
			all[a] = true
			if st.If == cond {
				conditional[a] = true
			}
		}
	}
	return all, conditional
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
		"ssm:GetParameter":           {arnStateParameter, arnConfigTree}, // the sweep's state; what Configuration seeds
		"ssm:PutParameter":           {arnStateParameter, arnConfigTree},
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
				// The sweep's state, the inventory's, and the configuration the Configuration
				// custom resource seeds: parameters under the path, one at a time.
				return res == arnStateParameter || res == arnInventoryParameter || res == arnConfigTree
			}
			return action == "ssm:GetParametersByPath" && (res == arnConfigPath || res == arnConfigTree)
		case "events":
			return action == "events:PutEvents" && res == arnBus
		case "sagemaker":
			if strings.HasPrefix(action, "sagemaker:List") && action != "sagemaker:ListTags" && action != "sagemaker:ListImageVersions" {
				return res == "*" // no resource type: IAM accepts only "*"
			}
			if strings.HasPrefix(res, "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:") {
				return readOnlyAction(action) // projects, and with ProtectInUse what SageMaker uses: read-only
			}
			return false
		case "kms":
			return res == refKmsKey
		case "sts":
			return action == "sts:AssumeRole" && res == arnMemberRole // member.yaml's role, nothing else
		case "datazone":
			return readOnlyAction(action) && res == arnDomains // Unified Studio: this account's domains, read-only
		case "tag":
			return action == "tag:GetResources" && res == "*" // no resource type: IAM accepts only "*"
		}
		return false
	}
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			for _, st := range policyStatements(t, tpl, fn) {
				for _, a := range st.Actions {
					if fn == provisionID && strings.HasPrefix(a, "ssm:") && a != "ssm:GetParametersByPath" {
						t.Errorf("%s: got %s; want ProvisionFunction to only read the configuration", st.Where, a)
					}
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

// evaluate resolves Fn::If for a deployment whose CloudFormation conditions are conds, and
// drops what resolves to AWS::NoValue, as CloudFormation does.
func evaluate(t testing.TB, v any, conds map[string]bool) (any, bool) {
	t.Helper()
	if isNoValue(v) {
		return nil, false
	}
	if name, then, els, ok := ifBranches(v); ok {
		truth, known := conds[name]
		if !known {
			t.Fatalf("Fn::If on condition %s: want it in %v", name, conds)
		}
		if truth {
			return evaluate(t, then, conds)
		}
		return evaluate(t, els, conds)
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if r, keep := evaluate(t, e, conds); keep {
				out[k] = r
			}
		}
		return out, true
	case []any:
		var out []any
		for _, e := range x {
			if r, keep := evaluate(t, e, conds); keep {
				out = append(out, r)
			}
		}
		return out, true
	}
	return v, true
}

// TestAssumeMemberRoleLimitedToTheOrganization: with MemberOrgId set, both functions may assume
// the member role only in an account of that organization (aws:ResourceOrgID: for
// sts:AssumeRole the resource is the role, and the key is its account's organization). Without
// it, the statement stands without a condition: MemberAccounts alone says which accounts.
func TestAssumeMemberRoleLimitedToTheOrganization(t *testing.T) {
	tpl := loadTemplate(t)
	if !notEmptyCondition(tpl, "HasMemberOrgId", "MemberOrgId") {
		t.Fatalf("Conditions.HasMemberOrgId: got %#v; want !Not [!Equals [!Ref MemberOrgId, \"\"]]", lookup(tpl, "Conditions", "HasMemberOrgId"))
	}
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			var found []statement
			for _, st := range policyStatements(t, tpl, fn) {
				if slices.Contains(st.Actions, "sts:AssumeRole") {
					found = append(found, st)
				}
			}
			if len(found) != 1 {
				t.Fatalf("statements granting sts:AssumeRole: got %d; want 1", len(found))
			}
			st := found[0]
			if st.If != "" || st.ConditionIf != "HasMemberOrgId" {
				t.Errorf("%s: granted under %q, its Condition under %q; want always granted, the Condition under HasMemberOrgId", st.Where, st.If, st.ConditionIf)
			}
			want := map[string]map[string][]string{"StringEquals": {"aws:ResourceOrgID": {"${MemberOrgId}"}}}
			if diff := cmp.Diff(want, st.Condition); diff != "" {
				t.Errorf("%s Condition with MemberOrgId (-want +got):\n%s", st.Where, diff)
			}

			// The statement as each deployment gets it.
			raw := rawStatement(t, tpl, fn, st.Sid)
			for _, orgSet := range []bool{true, false} {
				v, _ := evaluate(t, raw, map[string]bool{"HasMemberOrgId": orgSet})
				got, _ := v.(map[string]any)
				keys := sortedKeys(got)
				wantKeys := []string{"Action", "Effect", "Resource", "Sid"}
				if orgSet {
					wantKeys = []string{"Action", "Condition", "Effect", "Resource", "Sid"}
					if g := str(got, "Condition", "StringEquals", "aws:ResourceOrgID"); g != "${MemberOrgId}" {
						t.Errorf("with MemberOrgId: aws:ResourceOrgID %q; want ${MemberOrgId}", g)
					}
				}
				if !slices.Equal(keys, wantKeys) {
					t.Errorf("MemberOrgId set %v: statement keys %v; want %v", orgSet, keys, wantKeys)
				}
				if str(got, "Effect") != "Allow" || str(got, "Action") != "sts:AssumeRole" || str(got, "Resource") != arnMemberRole {
					t.Errorf("MemberOrgId set %v: statement %v; want Allow sts:AssumeRole on the member role", orgSet, got)
				}
			}
		})
	}
}

// rawStatement is the statement with that Sid in a function's Policies, as written.
func rawStatement(t testing.TB, tpl map[string]any, fn, sid string) any {
	t.Helper()
	policies, _ := functionProperties(t, tpl, fn)["Policies"].([]any)
	for _, p := range policies {
		stmts, _ := lookup(p, "Statement").([]any)
		for _, s := range stmts {
			if str(s, "Sid") == sid {
				return s
			}
		}
	}
	t.Fatalf("%s: no statement %s", fn, sid)
	return nil
}

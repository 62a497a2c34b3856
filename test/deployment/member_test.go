package deployment

// member.yaml, the template every member account gets through a service-managed StackSet:
// plain CloudFormation, rules that forward exactly what the central rules take, and two roles
// that can do nothing else.

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const memberPath = "../../member.yaml"

func loadMember(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(memberPath)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := parseTemplate(data)
	if err != nil {
		t.Fatalf("parse %s: %v", memberPath, err)
	}
	return tpl
}

func TestMemberTemplateIsPlainCloudFormation(t *testing.T) {
	tpl := loadMember(t)
	if tr, ok := tpl["Transform"]; ok {
		t.Errorf("Transform: %v; want none (service-managed StackSets reject transforms, the SAM one too)", tr)
	}
	resources, _ := tpl["Resources"].(map[string]any)
	var types []string
	for id, r := range resources {
		typ := str(r, "Type")
		if strings.HasPrefix(typ, "AWS::Serverless::") {
			t.Errorf("%s is %s: want plain CloudFormation", id, typ)
		}
		types = append(types, id+" "+typ)
	}
	slices.Sort(types)
	want := []string{"ForwardRole AWS::IAM::Role", "InUseRecordRule AWS::Events::Rule", "MemberRole AWS::IAM::Role",
		"ProjectTagChangeRule AWS::Events::Rule", "SageMakerApiCallRule AWS::Events::Rule"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

// inlineStatements returns the statements of a role's inline policies, by Sid, as
// action list -> resources.
func inlineStatements(t *testing.T, role any) map[string][2][]string {
	t.Helper()
	out := map[string][2][]string{}
	policies, _ := lookup(role, "Properties", "Policies").([]any)
	for _, p := range policies {
		stmts, _ := lookup(p, "PolicyDocument", "Statement").([]any)
		for _, s := range stmts {
			if e := str(s, "Effect"); e != "Allow" {
				t.Errorf("statement %s: Effect %q; want Allow", str(s, "Sid"), e)
			}
			for _, k := range []string{"NotAction", "NotResource", "Condition", "Principal"} {
				if lookup(s, k) != nil {
					t.Errorf("statement %s has %s", str(s, "Sid"), k)
				}
			}
			out[str(s, "Sid")] = [2][]string{mustStringList(t, lookup(s, "Action"), "Action"), mustStringList(t, lookup(s, "Resource"), "Resource")}
		}
	}
	return out
}

// memberRoleActions are the actions member.yaml's MemberRole grants.
func memberRoleActions(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, grant := range inlineStatements(t, resource(t, loadMember(t), "MemberRole")) {
		for _, a := range grant[0] {
			out[a] = true
		}
	}
	return out
}

func TestMemberRoleOnlyReadsSageMakerProjects(t *testing.T) {
	tpl := loadMember(t)
	role := resource(t, tpl, "MemberRole")
	if got := str(role, "Properties", "RoleName"); got != "${MemberRoleName}" {
		t.Errorf("RoleName: %q; want the MemberRoleName parameter (the central member-role-name)", got)
	}
	want := map[string][2][]string{
		"ListProjects": {{"sagemaker:ListProjects"}, {"*"}},
		"ReadProjects": {{"sagemaker:ListTags", "sagemaker:DescribeProject"}, {arnProjects}},
	}
	if diff := cmp.Diff(want, inlineStatements(t, role)); diff != "" {
		t.Errorf("MemberRole grants (-want +got):\n%s", diff)
	}
	if p := lookup(role, "Properties", "ManagedPolicyArns"); p != nil {
		t.Errorf("ManagedPolicyArns: %v; want none", p)
	}

	// It trusts the two central roles and nobody else.
	trust, _ := lookup(role, "Properties", "AssumeRolePolicyDocument", "Statement").([]any)
	if len(trust) != 1 {
		t.Fatalf("trust policy: %d statements; want 1", len(trust))
	}
	s := trust[0]
	if str(s, "Effect") != "Allow" || str(s, "Action") != "sts:AssumeRole" {
		t.Errorf("trust: %v; want Allow sts:AssumeRole", s)
	}
	if got := str(s, "Principal", "AWS"); got != "arn:${AWS::Partition}:iam::${Central}:root" {
		t.Errorf("trusted principal: %q; want the central account, narrowed by the condition", got)
	}
	roles := mustStringList(t, lookup(s, "Condition", "ArnEquals", "aws:PrincipalArn"), "Condition")
	if diff := cmp.Diff([]string{"${CentralProvisionRoleArn}", "${CentralDriftRoleArn}"}, roles); diff != "" {
		t.Errorf("trusted roles (-want +got):\n%s", diff)
	}
	central := lookup(s, "Principal", "AWS", "Fn::Sub").([]any)[1]
	if got := lookup(central, "Central", "Fn::Select"); got == nil {
		t.Errorf("the central account: %v; want it read from CentralProvisionRoleArn", central)
	}
}

func TestForwardRoleOnlyPutsEventsOnTheCentralBus(t *testing.T) {
	role := resource(t, loadMember(t), "ForwardRole")
	want := map[string][2][]string{"PutEventsOnTheCentralBus": {{"events:PutEvents"}, {"${CentralEventBusArn}"}}}
	if diff := cmp.Diff(want, inlineStatements(t, role)); diff != "" {
		t.Errorf("ForwardRole grants (-want +got):\n%s", diff)
	}
	trust, _ := lookup(role, "Properties", "AssumeRolePolicyDocument", "Statement").([]any)
	if len(trust) != 1 || str(trust[0], "Principal", "Service") != "events.amazonaws.com" ||
		str(trust[0], "Condition", "StringEquals", "aws:SourceAccount") != "${AWS::AccountId}" {
		t.Errorf("ForwardRole trust: %v; want EventBridge of this account only", trust)
	}
}

// The member's rules forward exactly what the central rules take, to the central bus, with the
// forwarding role.
func TestMemberRulesForwardWhatTheCentralRulesTake(t *testing.T) {
	member, central := loadMember(t), loadTemplate(t)
	for rule, centralEvent := range map[string]string{
		"SageMakerApiCallRule": "SageMakerApiCall",
		"ProjectTagChangeRule": "ProjectTagChange",
	} {
		t.Run(rule, func(t *testing.T) {
			r := resource(t, member, rule)
			want := lookup(functionEvents(t, central, provisionID)[centralEvent], "Properties", "Pattern")
			if diff := cmp.Diff(want, lookup(r, "Properties", "EventPattern")); diff != "" {
				t.Errorf("pattern differs from the central %s (-central +member):\n%s", centralEvent, diff)
			}
			targets, _ := lookup(r, "Properties", "Targets").([]any)
			if len(targets) != 1 || str(targets[0], "Arn") != "${CentralEventBusArn}" || str(targets[0], "RoleArn") != "${ForwardRole.Arn}" {
				t.Errorf("targets: %v; want the central bus, through ForwardRole", targets)
			}
			if pattern, ok := want.(map[string]any); !ok || rule == "SageMakerApiCallRule" && !matchesPattern(t, pattern, readEvent(t, "member-create-project.json")) {
				t.Errorf("the member sample CreateProject does not match the forwarded pattern")
			}
			if rule == "SageMakerApiCallRule" {
				update := readEvent(t, "member-create-project.json")
				set(update, "UpdateProject", "detail", "eventName")
				if pattern, ok := lookup(r, "Properties", "EventPattern").(map[string]any); !ok || !matchesPattern(t, pattern, update) {
					t.Errorf("a member's UpdateProject is not forwarded; want it forwarded (it may change the team tag)")
				}
			}
		})
	}
}

// The central bus takes the members' forwarded events: from the organization when MemberOrgId
// is set, else from the listed MemberAccounts, and from nobody when neither is.
func TestCentralBusTakesTheMembersEvents(t *testing.T) {
	tpl := loadTemplate(t)
	bus := "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
	org := resource(t, tpl, "MemberEventsFromOrganization")
	accounts := resource(t, tpl, "MemberEventsFromAccounts")
	if str(org, "Condition") != "HasMemberOrgId" || str(accounts, "Condition") != "MemberAccountsOnly" {
		t.Errorf("conditions: %q, %q; want HasMemberOrgId, MemberAccountsOnly", str(org, "Condition"), str(accounts, "Condition"))
	}
	for id, r := range map[string]map[string]any{"MemberEventsFromOrganization": org, "MemberEventsFromAccounts": accounts} {
		st := lookup(r, "Properties", "Statement")
		if str(r, "Properties", "EventBusName") != "default" || str(st, "Action") != "events:PutEvents" ||
			str(st, "Resource") != bus || str(st, "Effect") != "Allow" {
			t.Errorf("%s: %v; want Allow events:PutEvents on the default bus, where the rules are", id, r)
		}
	}
	if got := str(org, "Properties", "Statement", "Condition", "StringEquals", "aws:PrincipalOrgID"); got != "${MemberOrgId}" {
		t.Errorf("organization statement condition: %q; want aws:PrincipalOrgID = MemberOrgId", got)
	}
	if got := lookup(accounts, "Properties", "Statement", "Condition", "StringEquals", "aws:PrincipalAccount", "Fn::Split"); got == nil {
		t.Errorf("accounts statement condition: %v; want aws:PrincipalAccount in the MemberAccounts list", lookup(accounts, "Properties", "Statement", "Condition"))
	}
	// Only the SageMaker project events member.yaml forwards: a member's own configuration
	// changes or ECR calls must not reach this account's rules.
	for id, r := range map[string]map[string]any{"MemberEventsFromOrganization": org, "MemberEventsFromAccounts": accounts} {
		got := mustStringList(t, lookup(r, "Properties", "Statement", "Condition", "StringEquals", "events:source"), id)
		if !slices.Equal(got, []string{"aws.sagemaker", "aws.tag"}) {
			t.Errorf("%s events:source %v; want aws.sagemaker and aws.tag only", id, got)
		}
	}
	conds, _ := tpl["Conditions"].(map[string]any)
	if got := lookup(conds, "MemberAccountsOnly", "Fn::And"); got == nil {
		t.Errorf("MemberAccountsOnly: %v; want HasMemberAccounts and not HasMemberOrgId", conds["MemberAccountsOnly"])
	}
}

// With ProtectInUse, the member role reads exactly what the central DriftFunction reads in its
// own account for the images in use, and the member forwards exactly the records the central
// rule takes.
func TestMemberProtectInUseMatchesTheCentral(t *testing.T) {
	member, central := loadMember(t), loadTemplate(t)
	role := resource(t, member, "MemberRole")
	policies, _ := lookup(role, "Properties", "Policies").([]any)
	var got []string
	for _, p := range policies {
		cond, then, _, ok := ifBranches(p)
		if !ok || cond != "HasProtectInUse" {
			continue
		}
		stmts, _ := lookup(then, "PolicyDocument", "Statement").([]any)
		for _, st := range stmts {
			got = append(got, mustStringList(t, lookup(st, "Action"), "Action")...)
		}
	}
	_, conditional := grantedWith(t, driftID, "HasProtectInUse")
	var want []string
	for a := range conditional {
		if strings.HasPrefix(a, "sagemaker:") {
			want = append(want, a)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the member role's reads for the images in use against the central's (-central +member):\n%s", diff)
	}
	if got := str(resource(t, member, "InUseRecordRule"), "Condition"); got != "HasProtectInUse" {
		t.Errorf("InUseRecordRule Condition: %q", got)
	}
	forwarded := lookup(resource(t, member, "InUseRecordRule"), "Properties", "EventPattern")
	taken := lookup(resource(t, central, "InUseRecordRule"), "Properties", "EventPattern")
	if diff := cmp.Diff(taken, forwarded); diff != "" {
		t.Errorf("forwarded pattern against the central rule's (-central +member):\n%s", diff)
	}
}

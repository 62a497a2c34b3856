package access

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func statement(t testing.TB, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return m
}

func TestEqual(t *testing.T) {
	const ours = `{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":["111122223333","222233334444"]},` +
		`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`
	for _, tc := range []struct {
		name  string
		other string
		equal bool
	}{
		{"itself", ours, true},
		{"principals as root ARNs, in another order (as ECR hands them back)",
			`{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222233334444:root","arn:aws:iam::111122223333:root"]},` +
				`"Action":["ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","ecr:BatchCheckLayerAvailability"]}`, true},
		{"a root ARN of another partition",
			`{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":["arn:aws-cn:iam::222233334444:root","111122223333"]},` +
				`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`, true},
		{"actions in another case, a duplicate, Effect in lower case",
			`{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"allow","Principal":{"AWS":["111122223333","222233334444"]},` +
				`"Action":["ECR:batchgetimage","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"]}`, true},
		{"one account fewer",
			`{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":"111122223333"},` +
				`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`, false},
		{"a push action added",
			`{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":["111122223333","222233334444"]},` +
				`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:PutImage"]}`, false},
		{"Deny", `{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Deny","Principal":{"AWS":["111122223333","222233334444"]},` +
			`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`, false},
		{"a user, not the account", `{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/x","222233334444"]},` +
			`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`, false},
		{"a condition added", `{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":["111122223333","222233334444"]},` +
			`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Condition":{"Bool":{"aws:SecureTransport":"true"}}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := statement(t, ours), statement(t, tc.other)
			if got := Equal(a, b); got != tc.equal {
				t.Errorf("Equal: got %v; want %v\n%s\n%s", got, tc.equal, Canonical(a), Canonical(b))
			}
			if Equal(b, a) != Equal(a, b) {
				t.Error("Equal is not symmetric")
			}
		})
	}
}

func TestEqualOrganization(t *testing.T) {
	want := Grant{Organization: "o-a1b2c3d4e5"}.Statements()[0]
	got := statement(t, `{"Sid":"SageMakerEcrProvisionerPullOrganization","Effect":"Allow","Principal":{"AWS":"*"},`+
		`"Action":["ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability","ecr:BatchGetImage"],`+
		`"Condition":{"StringEquals":{"AWS:PrincipalOrgID":["o-a1b2c3d4e5"]}}}`)
	if !Equal(want, got) {
		t.Errorf("\"*\" and {\"AWS\":\"*\"}, a one-element condition list, a condition key in another case: got different\n%s\n%s", Canonical(want), Canonical(got))
	}
	other := statement(t, `{"Sid":"SageMakerEcrProvisionerPullOrganization","Effect":"Allow","Principal":"*",`+
		`"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],`+
		`"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}}`)
	if Equal(want, other) {
		t.Error("another organization compares equal")
	}
}

const foreign = `{"Sid":"CiPush","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:role/ci"},"Action":["ecr:PutImage","ecr:InitiateLayerUpload"]}`

func TestWithKeepsEveryoneElsesStatements(t *testing.T) {
	text := `{"Version":"2008-10-17","Id":"kept","Statement":[` + foreign + `,` +
		`{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":"555566667777"},"Action":"ecr:BatchGetImage"}]}`
	p, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Foreign() || len(p.Ours()) != 1 {
		t.Fatalf("Foreign %v, ours %d; want a foreign statement and one of ours", p.Foreign(), len(p.Ours()))
	}
	want := Grant{Accounts: []string{"111122223333"}}.Statements()
	merged, err := p.With(want)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(merged)
	if err != nil {
		t.Fatal(err)
	}
	if d := Differences(again.Ours(), want); len(d) != 0 {
		t.Errorf("after the merge our statements differ: %+v", d)
	}
	var doc struct {
		Version, Id string
		Statement   []json.RawMessage
	}
	if err := json.Unmarshal([]byte(merged), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2008-10-17" || doc.Id != "kept" || len(doc.Statement) != 2 {
		t.Fatalf("merged %s: want Version and Id kept, two statements", merged)
	}
	if !Equal(statement(t, foreign), statement(t, string(doc.Statement[0]))) {
		t.Errorf("the foreign statement changed: %s", doc.Statement[0])
	}

	// Unconfigured: ours go, the foreign statement stays.
	only, err := p.With(nil)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := Parse(only)
	if len(left.Ours()) != 0 || !left.Foreign() {
		t.Errorf("without a grant: %s; want only the foreign statement", only)
	}
}

func TestParseOneStatementObject(t *testing.T) {
	p, err := Parse(`{"Version":"2012-10-17","Statement":` + foreign + `}`)
	if err != nil || !p.Foreign() || len(p.Ours()) != 0 {
		t.Fatalf("Parse of a Statement object: %v, foreign %v", err, p != nil && p.Foreign())
	}
}

func TestParseRejectsWhatCannotBeMerged(t *testing.T) {
	for _, text := range []string{``, `null`, `[1]`, `{"Statement":"x"}`, `{"Statement":[1]}`, `{} {}`} {
		if _, err := Parse(text); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", text)
		}
	}
}

func TestDifferences(t *testing.T) {
	want := Grant{Accounts: []string{"111122223333"}, Organization: "o-a1b2c3d4e5"}.Statements()
	have := []map[string]any{want[0], statement(t, `{"Sid":"SageMakerEcrProvisionerOld","Effect":"Allow","Principal":"*","Action":"ecr:*"}`)}
	got := Differences(have, want)
	var sids []string
	for _, d := range got {
		sids = append(sids, d.Sid)
	}
	if diff := cmp.Diff([]string{"SageMakerEcrProvisionerOld", "SageMakerEcrProvisionerPullOrganization"}, sids); diff != "" {
		t.Errorf("differing Sids (-want +got):\n%s", diff)
	}
	if got[0].Expected != "" || got[0].Found == "" || got[1].Expected == "" || got[1].Found != "" {
		t.Errorf("differences %+v: want the stale statement found and not expected, the missing one expected and not found", got)
	}
}

func TestDuplicateSidsDiffer(t *testing.T) {
	want := Grant{Accounts: []string{"111122223333"}}.Statements()
	wide := statement(t, `{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":"*","Action":"ecr:*"}`)
	got := Differences([]map[string]any{wide, want[0]}, want)
	if len(got) != 1 || got[0].Found != "2 statements with this Sid" {
		t.Errorf("differences %+v; want the Sid reported for its two statements", got)
	}
}

// decode reads a statement as Parse does, numbers kept as written.
func decode(text string) (map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]any
	return m, dec.Decode(&m) == nil && m != nil
}

// FuzzEqual: comparing repository policy statements never panics, and it equates what IAM
// equates: a statement equals itself with its lists reversed, with a one-element list written
// as its string, and with an account id written as its root ARN; its canonical form equals it.
func FuzzEqual(f *testing.F) {
	for _, seed := range []string{foreign, `{"Sid":"SageMakerEcrProvisionerPullAccounts","Principal":"*","Action":"ecr:BatchGetImage"}`,
		`{"Principal":{"AWS":["arn:aws:iam::111122223333:root","222233334444",1]},"Condition":{"StringEquals":{"k":["a","a"]}}}`, `{"Action":[]}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, a string) {
		x, ok := decode(a)
		if !ok {
			return
		}
		if c, ok := decode(Canonical(x)); ok && !Equal(x, c) {
			t.Fatalf("canonical form differs from its source: %s -> %s", a, Canonical(x))
		}
		y, _ := decode(a)
		for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
			switch v := y[k].(type) {
			case []any:
				slices.Reverse(v)
			case string:
				y[k] = []any{v}
			}
		}
		if p, ok := y["Principal"].(map[string]any); ok {
			if v, ok := p["AWS"].([]any); ok {
				for i, e := range v {
					if s, ok := e.(string); ok && accountID.MatchString(s) {
						v[i] = "arn:aws:iam::" + s + ":root"
					}
				}
				slices.Reverse(v)
			}
		}
		if !Equal(x, y) {
			t.Fatalf("the same statement reordered and re-spelt compares different:\n%s\n%s", Canonical(x), Canonical(y))
		}
	})
}

func TestEqualWithdrawnKeepsForeign(t *testing.T) {
	text := `{"Version":"2012-10-17","Statement":[` + foreign + `,` + Canonical(Grant{Accounts: []string{"111122223333"}}.Statements()[0]) + `]}`
	p, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := p.With(nil)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := Parse(kept)
	if others := left.Others(); len(left.Ours()) != 0 || len(others) != 1 || !Equal(others[0], statement(t, foreign)) {
		t.Errorf("after withdrawing: %s; want exactly the foreign statement, unchanged", kept)
	}
}

// ECR's API reference, SetRepositoryPolicy: policyText "Maximum length of 10240".
func TestMaxPolicyLength(t *testing.T) {
	if MaxPolicyLength != 10240 {
		t.Errorf("MaxPolicyLength = %d; ECR allows a repository policy of 10240 characters", MaxPolicyLength)
	}
}

func TestProjectAccountIsReadFromItsOwnStatementOnly(t *testing.T) {
	for _, tc := range []struct {
		name, statements, want string
	}{
		{"the project's own statement", `{"Sid":"SageMakerEcrProvisionerPullProjectAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:root"},"Action":"ecr:BatchGetImage"}`, "222233334444"},
		{"the accounts statement is no record of ownership", `{"Sid":"SageMakerEcrProvisionerPullAccounts","Effect":"Allow","Principal":{"AWS":["222233334444"]},"Action":"ecr:BatchGetImage"}`, ""},
		{"someone else's statement", `{"Sid":"TeamPull","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"ecr:BatchGetImage"}`, ""},
		{"two accounts name no owner", `{"Sid":"SageMakerEcrProvisionerPullProjectAccount","Effect":"Allow","Principal":{"AWS":["222233334444","333344445555"]},"Action":"ecr:BatchGetImage"}`, ""},
		{"a role is not an account", `{"Sid":"SageMakerEcrProvisionerPullProjectAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:role/x"},"Action":"ecr:BatchGetImage"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(`{"Version":"2012-10-17","Statement":[` + tc.statements + `]}`)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.ProjectAccount(); got != tc.want {
				t.Errorf("ProjectAccount() = %q; want %q", got, tc.want)
			}
		})
	}
	own, _ := New(Grant{Accounts: []string{"111122223333"}, ProjectAccount: "222233334444"}.Statements())
	if p, _ := Parse(own); p.ProjectAccount() != "222233334444" {
		t.Errorf("the product's own policy %s: ProjectAccount %q", own, p.ProjectAccount())
	}
}

package lifecycle

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// twoRules is a policy a person might write by hand: tagged prod images kept longer, then the
// catch-all rule, which ECR requires to have the highest priority.
const twoRules = `{"rules":[` +
	`{"rulePriority":1,"description":"keep prod","selection":{"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"imageCountMoreThan","countNumber":50},"action":{"type":"expire"}},` +
	`{"rulePriority":2,"description":"the rest","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`

// twoRulesReversed is twoRules as it may come back: other rule order, whitespace and key order.
const twoRulesReversed = `{
  "rules": [
    {"action": {"type": "expire"}, "rulePriority": 2, "description": "the rest",
     "selection": {"countNumber": 10, "countType": "imageCountMoreThan", "tagStatus": "any"}},
    {"action": {"type": "expire"}, "rulePriority": 1, "description": "keep prod",
     "selection": {"countNumber": 50, "countType": "imageCountMoreThan", "tagPatternList": ["prod*"], "tagStatus": "tagged"}}
  ]
}`

// edit returns s with the first old replaced by new, and panics when old is missing so that a
// stale fixture fails loudly instead of silently testing the unedited text.
func edit(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("edit: " + old + " not in " + s)
	}
	return strings.Replace(s, old, new, 1)
}

func TestPolicy(t *testing.T) {
	for _, n := range []int{MinRetention, 10, 20, MaxRetention} {
		p := Policy(n)
		t.Run(p, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(p), &v); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if len(p) < 100 || len(p) > 30720 {
				t.Errorf("len = %d; want 100 to 30720 (ECR's limits)", len(p))
			}
			if got, ok := Retention(p); got != n || !ok {
				t.Errorf("Retention = %d, %t; want %d, true", got, ok, n)
			}
			if eq, err := Equal(p, p); !eq || err != nil {
				t.Errorf("Equal(p, p) = %t, %v; want true, nil", eq, err)
			}
		})
	}
}

// TestPolicyText pins the exact text: it is the contract the README documents and what people see in
// the console, so a change should be deliberate.
func TestPolicyText(t *testing.T) {
	want := `{"rules":[{"rulePriority":1,"description":"Expire images beyond the newest 10 (managed by sagemaker-ecr-provisioner)","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`
	if diff := cmp.Diff(want, Policy(10)); diff != "" {
		t.Errorf("Policy(10) (-want +got):\n%s", diff)
	}
}

func TestEqual(t *testing.T) {
	base := Policy(10)
	withRule2 := edit(base, `]}`, `,{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}`)
	transition := edit(base, `"action":{"type":"expire"}`, `"action":{"type":"transition","targetStorageClass":"archive"}`)
	sincePushed := edit(base, `"countType":"imageCountMoreThan","countNumber":10`, `"countType":"sinceImagePushed","countUnit":"days","countNumber":10`)
	prefixes := edit(base, `"tagStatus":"any"`, `"tagStatus":"tagged","tagPrefixList":["a","b"]`)
	dupA := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}},{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":9},"action":{"type":"expire"}}]}`
	dupB := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":9},"action":{"type":"expire"}},{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}`

	tests := []struct {
		name            string
		desired, actual string
		want            bool
		wantErr         string // substring of the error; "" for none
	}{
		{name: "identical", desired: base, actual: base, want: true},
		{name: "reformatted with indent and newlines", desired: base, want: true, actual: `{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire images beyond the newest 10 (managed by sagemaker-ecr-provisioner)",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": 10
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}
`},
		{name: "keys reordered", desired: base, want: true,
			actual: `{"rules":[{"action":{"type":"expire"},"selection":{"countNumber":10,"countType":"imageCountMoreThan","tagStatus":"any"},"description":"Expire images beyond the newest 10 (managed by sagemaker-ecr-provisioner)","rulePriority":1}]}`},
		{name: "rules reordered by priority", desired: twoRules, actual: twoRulesReversed, want: true},
		{name: "countNumber 10.0", desired: base, actual: edit(base, `"countNumber":10`, `"countNumber":10.0`), want: true},
		{name: "countNumber 1e1", desired: base, actual: edit(base, `"countNumber":10`, `"countNumber":1e1`), want: true},
		{name: "rulePriority 1.0", desired: base, actual: edit(base, `"rulePriority":1`, `"rulePriority":1.0`), want: true},
		{name: "description changed", desired: base, actual: edit(base, `Expire images`, `Edited by a person: expire images`), want: true},
		{name: "description removed", desired: base, actual: edit(base, `"description":"Expire images beyond the newest 10 (managed by sagemaker-ecr-provisioner)",`, ``), want: true},
		{name: "other countNumber", desired: base, actual: Policy(20), want: false},
		{name: "other rulePriority", desired: base, actual: edit(base, `"rulePriority":1`, `"rulePriority":2`), want: false},
		{name: "tagStatus changed", desired: base, actual: edit(base, `"tagStatus":"any"`, `"tagStatus":"untagged"`), want: false},
		{name: "extra rule", desired: base, actual: withRule2, want: false},
		{name: "missing rule", desired: withRule2, actual: base, want: false},
		{name: "tagPatternList added", desired: base, actual: edit(base, `"tagStatus":"any"`, `"tagStatus":"any","tagPatternList":["prod*"]`), want: false},
		{name: "tagPatternList different", desired: twoRules, actual: edit(twoRules, `"prod*"`, `"dev*"`), want: false},
		{name: "tagPrefixList in other order", desired: prefixes, actual: edit(prefixes, `["a","b"]`, `["b","a"]`), want: false},
		{name: "storageClass in action", desired: base, actual: edit(base, `{"type":"expire"}`, `{"type":"expire","storageClass":"archive"}`), want: false},
		{name: "transition action kept", desired: transition, actual: transition, want: true},
		{name: "transition instead of expire", desired: base, actual: transition, want: false},
		{name: "transition to other storage class", desired: transition, actual: edit(transition, `"archive"`, `"standard"`), want: false},
		{name: "sinceImagePushed with countUnit days", desired: base, actual: sincePushed, want: false},
		{name: "sinceImagePushed kept", desired: sincePushed, actual: edit(sincePushed, `"countNumber":10`, `"countNumber":10.00`), want: true},
		{name: "countUnit changed", desired: sincePushed, actual: edit(sincePushed, `"days"`, `"hours"`), want: false},
		{name: "unknown top-level field", desired: base, actual: edit(base, `{"rules"`, `{"version":2,"rules"`), want: false},
		{name: "duplicate priorities in other order", desired: dupA, actual: dupB, want: true},
		{name: "empty rules on both sides", desired: `{"rules":[]}`, actual: ` { "rules" : [ ] } `, want: true},

		{name: "empty actual", desired: base, actual: "", wantErr: "actual lifecycle policy: empty"},
		{name: "desired not json", desired: "not json", actual: base, wantErr: "desired lifecycle policy: not JSON"},
		{name: "top level array", desired: base, actual: `[]`, wantErr: "actual lifecycle policy: top level is an array"},
		{name: "top level null", desired: base, actual: `null`, wantErr: "actual lifecycle policy: top level is null"},
		{name: "rules not an array", desired: base, actual: `{"rules":"x"}`, wantErr: "actual lifecycle policy: rules is a string"},
		{name: "rules missing", desired: base, actual: `{"Rules":[]}`, wantErr: "actual lifecycle policy: no rules"},
		{name: "rule not an object", desired: base, actual: `{"rules":[1]}`, wantErr: "actual lifecycle policy: rule 1 is a number"},
		{name: "rule without rulePriority", desired: base, actual: edit(withRule2, `"rulePriority":2,`, ``), wantErr: "actual lifecycle policy: rule 2 has no numeric rulePriority"},
		{name: "rulePriority as string", desired: base, actual: edit(base, `"rulePriority":1`, `"rulePriority":"1"`), wantErr: "rule 1 has no numeric rulePriority"},
		{name: "trailing data", desired: base, actual: base + ` {}`, wantErr: "actual lifecycle policy: unexpected data"},
		{name: "truncated", desired: base, actual: base[:50], wantErr: "actual lifecycle policy: not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Equal(tt.desired, tt.actual)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Equal error = %v; want one containing %q", err, tt.wantErr)
				}
				if got {
					t.Errorf("Equal = true with error; want false")
				}
				return
			}
			if err != nil {
				t.Fatalf("Equal: %v", err)
			}
			if got != tt.want {
				t.Errorf("Equal = %t; want %t", got, tt.want)
			}
			// Equal must not care which side is which.
			if back, err := Equal(tt.actual, tt.desired); back != got || err != nil {
				t.Errorf("Equal(actual, desired) = %t, %v; want %t, nil", back, err, got)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	want := `{"rules":[` +
		`{"action":{"type":"expire"},"description":"keep prod","rulePriority":1,"selection":{"countNumber":50,"countType":"imageCountMoreThan","tagPatternList":["prod*"],"tagStatus":"tagged"}},` +
		`{"action":{"type":"expire"},"description":"the rest","rulePriority":2,"selection":{"countNumber":10,"countType":"imageCountMoreThan","tagStatus":"any"}}]}`
	tests := []struct {
		name, text string
	}{
		{"as written", twoRules},
		{"reordered and reformatted", twoRulesReversed},
		{"numbers written differently", edit(edit(twoRulesReversed, `"countNumber": 50`, `"countNumber": 5e1`), `"rulePriority": 2`, `"rulePriority": 2.0`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.text)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Canonical (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Canonical(`{"rules":"x"}`); err == nil {
		t.Errorf(`Canonical({"rules":"x"}) error = nil; want an error`)
	}
}

func TestRetention(t *testing.T) {
	base := Policy(10)
	tests := []struct {
		name   string
		text   string
		want   int
		wantOK bool
	}{
		{"as written", base, 10, true},
		{"reformatted with other description", edit(edit(base, `,"`, `, "`), `Expire images`, `edited`), 10, true},
		{"countNumber 10.0", edit(base, `"countNumber":10`, `"countNumber":10.0`), 10, true},
		{"countNumber not an integer", edit(base, `"countNumber":10`, `"countNumber":10.5`), 0, false},
		{"countNumber 0", Policy(0), 0, false},
		{"countNumber above the maximum", Policy(MaxRetention + 1), 0, false},
		{"other priority", edit(base, `"rulePriority":1`, `"rulePriority":2`), 0, false},
		{"tagged only", edit(base, `"tagStatus":"any"`, `"tagStatus":"tagged","tagPrefixList":["v"]`), 0, false},
		{"extra selection field", edit(base, `"tagStatus":"any"`, `"tagStatus":"any","extra":true`), 0, false},
		{"two rules", twoRules, 0, false},
		{"no rules", `{"rules":[]}`, 0, false},
		{"rule without selection", `{"rules":[{"rulePriority":1}]}`, 0, false},
		{"not json", "not json", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Retention(tt.text)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Retention = %d, %t; want %d, %t", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNormaliseNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10", "10"},
		{"10.0", "10"},
		{"1e1", "10"},
		{"1E+1", "10"},
		{"100e-1", "10"},
		{"0", "0"},
		{"-0", "0"},
		{"0.000e5", "0"},
		{"-2.50", "-2.5"},
		{"0.125", "0.125"},
		{"125e-3", "0.125"},
		{"0.000001", "0.000001"},
		{"0.0000001", "1e-7"},
		{"123456789012345678901", "123456789012345678901"},
		{"1e21", "1e21"},
		{"15e29", "1.5e30"},
		{"9007199254740993", "9007199254740993"}, // exact where float64 would round
		{"1e99999999999999999999", "1e99999999999999999999"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normaliseNumber(json.Number(tt.in)); string(got) != tt.want {
				t.Errorf("normaliseNumber(%s) = %s; want %s", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzEqual checks the properties the reconciler relies on, for any pair of texts: no panic,
// a parseable policy equals itself, the answer does not depend on argument order, and
// Canonical's output is itself a policy that means the same and renders the same again.
func FuzzEqual(f *testing.F) {
	for _, seed := range [][2]string{
		{Policy(10), Policy(10)},
		{Policy(10), Policy(20)},
		{Policy(10), edit(Policy(10), `"countNumber":10`, `"countNumber":1.0e1`)},
		{twoRules, twoRulesReversed},
		{`{"rules":[{"rulePriority":1,"a":1},{"rulePriority":1,"a":2}]}`, `{"rules":[{"rulePriority":1,"a":2},{"rulePriority":1,"a":1}]}`},
		{`{"rules":[{"rulePriority":1e400,"n":-0.0e-9}]}`, `{"rules":[{"rulePriority":9007199254740993},{"rulePriority":9007199254740992}]}`},
		{"", "not json"},
		{`[]`, `{"rules":"x"}`},
		{`{"rules":[{"description":"<&>"}]}`, `{"rules":[1]} x`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ca, errA := Canonical(a)
		_, errB := Canonical(b)
		eq, err := Equal(a, b)
		if (err != nil) != (errA != nil || errB != nil) {
			t.Fatalf("Equal error = %v; Canonical errors = %v, %v", err, errA, errB)
		}
		if errA == nil {
			if self, err := Equal(a, a); !self || err != nil {
				t.Fatalf("Equal(a, a) = %t, %v; want true, nil", self, err)
			}
			again, err := Canonical(ca)
			if err != nil {
				t.Fatalf("Canonical(Canonical(a)) error: %v\ncanonical: %s", err, ca)
			}
			if again != ca {
				t.Fatalf("Canonical not idempotent: got %s; want %s", again, ca)
			}
			if same, err := Equal(ca, a); !same || err != nil {
				t.Fatalf("Equal(Canonical(a), a) = %t, %v; want true, nil", same, err)
			}
			if n, ok := Retention(a); ok {
				if same, _ := Equal(Policy(n), a); !same {
					t.Fatalf("Retention(a) = %d but a is not Policy(%d)", n, n)
				}
			}
		}
		if err == nil {
			if back, err := Equal(b, a); back != eq || err != nil {
				t.Fatalf("Equal(b, a) = %t, %v; want %t, nil", back, err, eq)
			}
			// The differences a drift event names agree with Equal: none exactly when equal.
			leaves, err := Differences(a, b)
			if err != nil || (len(leaves) == 0) != eq {
				t.Fatalf("Differences = %v, %v; Equal says %t", leaves, err, eq)
			}
		}
	})
}

func TestDifferences(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got string
		leaves    []Leaf
	}{
		{"same, other key order, other description", Policy(10), `{"rules":[{"action":{"type":"expire"},"selection":{"countNumber":10.0,"countType":"imageCountMoreThan","tagStatus":"any"},"rulePriority":1,"description":"x"}]}`, nil},
		{"retention", Policy(10), Policy(99), []Leaf{{Path: "rules[0].selection.countNumber", Want: "10", Got: "99"}}},
		{"a rule added before", Policy(10), `{"rules":[{"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}},` +
			`{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}`,
			[]Leaf{{"rules[0].selection.countNumber", "10", "7"}, {"rules[0].selection.countType", `"imageCountMoreThan"`, `"sinceImagePushed"`},
				{"rules[0].selection.tagStatus", `"any"`, `"untagged"`}, {"rules[0].selection.countUnit", "(absent)", `"days"`},
				{"rules[1]", "(absent)", `{"action":{"type":"expire"},"rulePriority":2,"selection":{"countNumber":10,"countType":"imageCountMoreThan","tagStatus":"any"}}`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Differences(tc.want, tc.got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.leaves, got); diff != "" {
				t.Errorf("Differences (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Differences(Policy(10), "{oops"); err == nil {
		t.Error("Differences of an unparsable text succeeded")
	}
}

func TestSpecText(t *testing.T) {
	if got := (Spec{Keep: 10}).Text(); got != Policy(10) {
		t.Errorf("the default spec's text changed: %s", got)
	}
	// Today's single rule, byte for byte: an upgrade finds no drift.
	const today = `{"rules":[{"rulePriority":1,"description":"Expire images beyond the newest 10 (managed by sagemaker-ecr-provisioner)","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`
	if Policy(10) != today {
		t.Errorf("Policy(10) = %s; want %s", Policy(10), today)
	}

	text := Spec{Keep: 5, UntaggedDays: 14, Protected: []string{"prod-*", "release-*-final"}}.Text()
	var doc struct {
		Rules []struct {
			RulePriority int `json:"rulePriority"`
			Selection    struct {
				TagStatus      string   `json:"tagStatus"`
				TagPatternList []string `json:"tagPatternList"`
				CountType      string   `json:"countType"`
				CountUnit      string   `json:"countUnit"`
				CountNumber    int      `json:"countNumber"`
			} `json:"selection"`
			Action struct{ Type string } `json:"action"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	type rule struct {
		Priority                     int
		Status, Patterns, Type, Unit string
		Count                        int
	}
	var got []rule
	for _, r := range doc.Rules {
		s := r.Selection
		got = append(got, rule{r.RulePriority, s.TagStatus, strings.Join(s.TagPatternList, ","), s.CountType, s.CountUnit, s.CountNumber})
	}
	want := []rule{
		{1, "tagged", "prod-*", "imageCountMoreThan", "", protectCount},
		{2, "tagged", "release-*-final", "imageCountMoreThan", "", protectCount},
		{3, "untagged", "", "sinceImagePushed", "days", 14},
		{4, "any", "", "imageCountMoreThan", "", 5}, // tagStatus any last, as ECR requires
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if err := (Spec{Keep: 5, UntaggedDays: 14, Protected: []string{"prod-*", "release-*-final"}}).Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestSpecCheck(t *testing.T) {
	many := make([]string, 49)
	for i := range many {
		many[i] = fmt.Sprintf("p%d", i)
	}
	long := make([]string, 48)
	for i := range long {
		long[i] = strings.Repeat("x", 600) + fmt.Sprint(i)
	}
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"five wildcards", Spec{Keep: 1, Protected: []string{"*a*b*c*d*"}}, "has 5 '*'; ECR allows at most 4"},
		{"a pattern twice", Spec{Keep: 1, Protected: []string{"prod", "prod"}}, `"prod" comes twice`},
		{"51 rules", Spec{Keep: 1, UntaggedDays: 1, Protected: many}, "51 rules; ECR allows at most 50"},
		{"too long", Spec{Keep: 1, Protected: long}, "characters long; ECR allows at most 30720"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.spec.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

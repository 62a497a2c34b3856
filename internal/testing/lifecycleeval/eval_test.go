package lifecycleeval_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/lifecycleeval"
)

// now is the instant every test evaluates at.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// img is an image pushed the given time before now.
func img(digest string, ago time.Duration, tags ...string) lifecycleeval.Image {
	return lifecycleeval.Image{Digest: digest, Tags: tags, PushedAt: now.Add(-ago)}
}

// policy is a policy text of the given rules.
func policy(rules ...string) string {
	return `{"rules":[` + strings.Join(rules, ",") + `]}`
}

// rule is one rule that expires, with the given priority and the selection's fields.
func rule(priority int, selection string) string {
	return fmt.Sprintf(`{"rulePriority":%d,"description":"rule %d of a test policy","selection":{%s},"action":{"type":"expire"}}`,
		priority, priority, selection)
}

// Selections used throughout.
func keepAny(n int) string {
	return fmt.Sprintf(`"tagStatus":"any","countType":"imageCountMoreThan","countNumber":%d`, n)
}

func untaggedDays(n int) string {
	return fmt.Sprintf(`"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":%d`, n)
}

func keepTagged(list, entries string, n int) string {
	return fmt.Sprintf(`"tagStatus":"tagged","%s":[%s],"countType":"imageCountMoreThan","countNumber":%d`, list, entries, n)
}

func taggedDays(list, entries string, n int) string {
	return fmt.Sprintf(`"tagStatus":"tagged","%s":[%s],"countType":"sinceImagePushed","countUnit":"days","countNumber":%d`, list, entries, n)
}

const inUse = "sagemaker-in-use-3f2a9c0d4b5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"

func TestEvaluate(t *testing.T) {
	// The user guide's examples, as it gives them ("Examples of lifecycle policies in Amazon
	// ECR"): repository contents and the result it states.
	multiRules := []lifecycleeval.Image{
		img("A", 10*day, "beta-1", "prod-1"),
		img("B", 9*day, "beta-2", "prod-2"),
		img("C", 8*day, "beta-3"),
	}
	exampleA := policy(rule(1, keepTagged("tagPatternList", `"prod*"`, 1)), rule(2, keepTagged("tagPatternList", `"beta*"`, 1)))

	tests := []struct {
		name   string
		policy string
		images []lifecycleeval.Image
		want   map[string]int64 // digest -> priority of the rule that expires it
	}{
		{
			name:   "keep newest 3 with any",
			policy: policy(rule(1, keepAny(3))),
			images: []lifecycleeval.Image{img("d", 4*day, "v4"), img("a", 1*day, "v1"), img("f", 6*day), img("c", 3*day, "v3"), img("b", 2*day, "v2"), img("e", 5*day, "v5")},
			want:   map[string]int64{"d": 1, "e": 1, "f": 1},
		},
		{
			name:   "keep newest N of fewer than N",
			policy: policy(rule(1, keepAny(5))),
			images: []lifecycleeval.Image{img("a", 1*day, "v1"), img("b", 400*day)},
			want:   map[string]int64{},
		},
		{
			name:   "equal push times ordered by digest whatever the input order",
			policy: policy(rule(1, keepAny(1))),
			images: []lifecycleeval.Image{img("y", day, "v2"), img("x", day, "v1")},
			want:   map[string]int64{"y": 1},
		},
		{
			name:   "protecting rule keeps the protected image however old",
			policy: policy(rule(1, keepTagged("tagPatternList", `"sagemaker-in-use-*"`, 999999)), rule(2, keepAny(2))),
			images: []lifecycleeval.Image{
				img("old", 400*day, "v0", inUse),
				img("a", 1*day, "v1"), img("b", 2*day, "v2"), img("c", 3*day, "v3"), img("d", 4*day),
			},
			// The keep rule sorts a, b, c, d, old and keeps a and b; old is skipped because rule
			// 1 selected it.
			want: map[string]int64{"c": 2, "d": 2},
		},
		{
			name:   "protected images count toward the keep rule's N",
			policy: policy(rule(1, keepTagged("tagPatternList", `"sagemaker-in-use-*"`, 999999)), rule(2, keepAny(2))),
			images: []lifecycleeval.Image{
				img("p", day/2, "v9", inUse),
				img("a", 1*day, "v1"), img("b", 2*day, "v2"), img("c", 3*day, "v3"),
			},
			// "Rules ... can still identify them as if they haven't been expired": the keep rule
			// counts p, the newest, as one of its 2, so only a is kept besides it. The guide's
			// Example A is the same: rule 2 marks A and B among A, B, C although rule 1 saw both.
			want: map[string]int64{"b": 2, "c": 2},
		},
		{
			name:   "a tag that only resembles the protected pattern protects nothing",
			policy: policy(rule(1, keepTagged("tagPatternList", `"sagemaker-in-use-*"`, 999999)), rule(2, keepAny(1))),
			images: []lifecycleeval.Image{img("a", 1*day, "v1"), img("near", 50*day, "sagemaker-in-use"), img("far", 60*day, "x-sagemaker-in-use-1")},
			want:   map[string]int64{"near": 2, "far": 2},
		},
		{
			name:   "untagged by age",
			policy: policy(rule(1, untaggedDays(7))),
			images: []lifecycleeval.Image{
				img("u8", 8*day), img("u7", 7*day), img("u7+", 7*day+time.Second), img("u1", 1*day),
				img("t30", 30*day, "v1"),
			},
			// Older than 7 days: exactly 7 days is not older.
			want: map[string]int64{"u8": 1, "u7+": 1},
		},
		{
			name:   "tagged with prefix",
			policy: policy(rule(1, keepTagged("tagPrefixList", `"prod"`, 1))),
			images: []lifecycleeval.Image{
				img("p1", 3*day, "prod-1"), img("p2", 2*day, "production"), img("p3", 1*day, "v3", "prod-3"),
				img("dev", 10*day, "dev-1"), img("untagged", 10*day), img("mid", 10*day, "x-prod"),
			},
			want: map[string]int64{"p1": 1, "p2": 1},
		},
		{
			// Examples, "Filtering on multiple tags in a single rule", Example A: "Result: Image
			// C is expired."
			name:   "guide: multiple prefixes in one rule, by age",
			policy: policy(rule(1, taggedDays("tagPrefixList", `"alpha","beta"`, 5))),
			images: []lifecycleeval.Image{
				img("A", 12*day, "alpha-1"), img("B", 11*day, "beta-1"), img("C", 10*day, "alpha-2", "beta-2"),
				img("D", 4*day, "alpha-3"), img("E", 3*day, "beta-3"), img("F", 2*day, "alpha-4", "beta-4"),
			},
			want: map[string]int64{"C": 1},
		},
		{
			// The same, Example B: "Result: Images A and B are expired."
			name:   "guide: multiple prefixes in one rule, by count",
			policy: policy(rule(1, keepTagged("tagPrefixList", `"alpha","beta"`, 1))),
			images: []lifecycleeval.Image{
				img("A", 10*day, "alpha-1", "beta-1", "gamma-1"), img("B", 9*day, "alpha-2", "beta-2"), img("C", 8*day, "alpha-3", "beta-3", "gamma-2"),
			},
			want: map[string]int64{"A": 1, "B": 1},
		},
		{
			name:   "tagged with pattern matches whole tags",
			policy: policy(rule(1, taggedDays("tagPatternList", `"release-*-final"`, 10))),
			images: []lifecycleeval.Image{
				img("r1", 20*day, "release-1-final"), img("rc", 20*day, "release-1-rc"), img("young", 5*day, "release-2-final"),
				img("short", 20*day, "release-final"), img("before", 20*day, "xrelease-1-final"), img("after", 20*day, "release-1-finalx"),
				img("empty-star", 20*day, "release--final"),
			},
			want: map[string]int64{"r1": 1, "empty-star": 1},
		},
		{
			name:   "several patterns must all match, one tag may match several",
			policy: policy(rule(1, taggedDays("tagPatternList", `"alpha*","*-beta"`, 1))),
			images: []lifecycleeval.Image{
				img("two-tags", 10*day, "alpha-1", "x-beta"), img("one-tag", 10*day, "alpha-beta"),
				img("alpha-only", 10*day, "alpha-2"), img("beta-only", 10*day, "y-beta"),
			},
			want: map[string]int64{"two-tags": 1, "one-tag": 1},
		},
		{
			// Examples, "Filtering on multiple rules", Example A: "Result: Image A is expired."
			name:   "guide: multiple rules, example A",
			policy: exampleA,
			images: multiRules,
			want:   map[string]int64{"A": 1},
		},
		{
			// Example B, the priorities swapped: "Result: Images A and B are expired."
			name:   "guide: multiple rules, example B",
			policy: policy(rule(1, keepTagged("tagPatternList", `"beta*"`, 1)), rule(2, keepTagged("tagPatternList", `"prod*"`, 1))),
			images: multiRules,
			want:   map[string]int64{"A": 1, "B": 1},
		},
		{
			name:   "priority order, not text order",
			policy: policy(rule(2, keepTagged("tagPatternList", `"beta*"`, 1)), rule(1, keepTagged("tagPatternList", `"prod*"`, 1))),
			images: multiRules,
			want:   map[string]int64{"A": 1},
		},
		{
			name:   "priorities need not be sequential",
			policy: policy(rule(10, keepTagged("tagPatternList", `"prod*"`, 1)), rule(20, keepTagged("tagPatternList", `"beta*"`, 1)), rule(300, keepAny(1))),
			images: append([]lifecycleeval.Image{img("D", 20*day, "other")}, multiRules...),
			// The any rule keeps C, the newest, and may expire only D: A was expired by rule 10,
			// B was selected by both tagged rules.
			want: map[string]int64{"A": 10, "D": 300},
		},
		{
			name:   "an untagged rule shields young untagged images from the any rule",
			policy: policy(rule(1, untaggedDays(7)), rule(2, keepAny(1))),
			images: []lifecycleeval.Image{img("u1", 1*day), img("t2", 2*day, "v2"), img("t3", 3*day, "v3"), img("u10", 10*day)},
			// The any rule keeps u1, the newest; of t2, t3, u10 beyond it, u10 was expired by
			// rule 1 already (an image is expired by one rule at most).
			want: map[string]int64{"u10": 1, "t2": 2, "t3": 2},
		},
		{
			name:   "an image kept by a higher rule is not expired by a lower one",
			policy: policy(rule(1, keepTagged("tagPrefixList", `"stable"`, 2)), rule(2, keepAny(1))),
			images: []lifecycleeval.Image{img("s1", 5*day, "stable-1"), img("s2", 6*day, "stable-2"), img("s3", 7*day, "stable-3"), img("n", 1*day, "nightly")},
			want:   map[string]int64{"s3": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			explained, err := lifecycleeval.Explain(tt.policy, tt.images, now)
			if err != nil {
				t.Fatalf("Explain: %v\npolicy: %s", err, tt.policy)
			}
			got := map[string]int64{}
			for _, e := range explained {
				if _, twice := got[e.Image.Digest]; twice {
					t.Errorf("image %s expired twice", e.Image.Digest)
				}
				got[e.Image.Digest] = e.RulePriority
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("expired digest -> rule priority (-want +got):\n%s", diff)
			}

			// Evaluate agrees and keeps the input order.
			expired, err := lifecycleeval.Evaluate(tt.policy, tt.images, now)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			var wantOrder []string
			for _, im := range tt.images {
				if _, ok := tt.want[im.Digest]; ok {
					wantOrder = append(wantOrder, im.Digest)
				}
			}
			var gotOrder []string
			for _, im := range expired {
				gotOrder = append(gotOrder, im.Digest)
			}
			if diff := cmp.Diff(wantOrder, gotOrder); diff != "" {
				t.Errorf("Evaluate order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateInvalid(t *testing.T) {
	keep := rule(1, keepAny(10))
	many := make([]string, 51)
	for i := range many {
		many[i] = rule(i+1, keepTagged("tagPrefixList", fmt.Sprintf(`"p%d"`, i), 1))
	}
	// sel is a one-rule policy of the given selection.
	sel := func(selection string) string { return policy(rule(1, selection)) }

	tests := []struct {
		name, policy, wantErr string
	}{
		{"empty text", "", "empty text"},
		{"not JSON", "rules: []", "not JSON"},
		{"truncated", policy(keep)[:60], "not JSON"},
		{"second document", policy(keep) + " {}", "unexpected data after the policy document"},
		{"top level array", "[" + keep + "]", "top level is an array"},
		{"no rules", `{"Rules":[` + keep + `],"padding":"` + strings.Repeat("x", 100) + `"}`, "no rules"},
		{"unknown top-level key", `{"version":1,"rules":[` + keep + `]}`, `unknown top-level key "version"`},
		{"rules not an array", `{"rules":{"rulePriority":1},"description":"` + strings.Repeat("x", 100) + `"}`, "rules is an object, not an array"},
		{"no rule at all", `{"rules":[]}`, "rules is empty"},
		// The shortest valid rule is longer than 100 characters; only a broken text is shorter.
		{"too short", `{"rules":[{"rulePriority":1}]}`, "the text is 30 characters long; ECR accepts 100 to 30720"},
		{"too long", policy(strings.Replace(keep, "rule 1 of a test policy", strings.Repeat("x", 30720), 1)), "ECR accepts 100 to 30720"},
		{"51 rules", policy(many...), "51 rules; ECR allows at most 50"},
		{"rule not an object", policy(keep, "7"), "rules[1]: is the number 7, not an object"},
		{"no rulePriority", policy(strings.Replace(keep, `"rulePriority":1,`, "", 1)), "rules[0]: no rulePriority"},
		{"rulePriority a string", policy(strings.Replace(keep, `"rulePriority":1`, `"rulePriority":"1"`, 1)), "rulePriority is a string, not a number"},
		{"rulePriority not an integer", policy(strings.Replace(keep, `"rulePriority":1`, `"rulePriority":1.5`, 1)), "rulePriority 1.5 is not an integer"},
		{"key in the wrong case", policy(strings.Replace(keep, `"rulePriority"`, `"RulePriority"`, 1)), `unknown key "RulePriority"`},
		{"duplicate priority", policy(rule(1, keepTagged("tagPrefixList", `"a"`, 1)), rule(1, keepTagged("tagPrefixList", `"b"`, 1))), "rules[0] and rules[1] both have rulePriority 1"},
		{"any not last", policy(rule(1, keepAny(3)), rule(2, untaggedDays(1))), "the any rule must have the highest rulePriority"},
		{"two any rules", policy(rule(1, keepAny(3)), rule(2, keepAny(5))), "rules[0] has tagStatus any and rulePriority 1, but rules[1] has rulePriority 2"},
		{"two untagged rules", policy(rule(1, untaggedDays(1)), rule(2, strings.Replace(keepAny(2), "any", "untagged", 1))), "both select untagged images; only one rule may"},
		{"same prefixes twice", policy(rule(1, keepTagged("tagPrefixList", `"a","b"`, 1)), rule(2, taggedDays("tagPrefixList", `"b","a"`, 3))), `select the same tag prefixes ["a" "b"]`},
		{"same pattern twice", policy(rule(1, keepTagged("tagPatternList", `"prod-*"`, 1)), rule(2, keepTagged("tagPatternList", `"prod-*"`, 9))), `select the same tag patterns ["prod-*"]`},
		{"no tagStatus", sel(`"countType":"imageCountMoreThan","countNumber":1`), "selection has no tagStatus"},
		{"unknown tagStatus", sel(strings.Replace(keepAny(1), `"any"`, `"ANY"`, 1)), `tagStatus "ANY"; want tagged, untagged or any`},
		{"tagged without list", sel(strings.Replace(keepAny(1), `"any"`, `"tagged"`, 1)), "tagStatus tagged needs a tagPrefixList or a tagPatternList"},
		{"tagged with an empty list", sel(keepTagged("tagPatternList", "", 1)), "tagPatternList is empty"},
		{"tagged with an empty entry", sel(keepTagged("tagPrefixList", `""`, 1)), "holds an empty string"},
		{"tagged with a non-string entry", sel(keepTagged("tagPrefixList", `1`, 1)), "holds the number 1, not only strings"},
		{"both lists", sel(`"tagStatus":"tagged","tagPrefixList":["a"],"tagPatternList":["b*"],"countType":"imageCountMoreThan","countNumber":1`), "has both tagPrefixList and tagPatternList"},
		{"prefix list with untagged", sel(`"tagStatus":"untagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1`), "tagStatus untagged takes no tagPrefixList or tagPatternList"},
		{"pattern list with any", sel(`"tagStatus":"any","tagPatternList":["a*"],"countType":"imageCountMoreThan","countNumber":1`), "tagStatus any takes no tagPrefixList or tagPatternList"},
		{"five wildcards", sel(keepTagged("tagPatternList", `"*a*b*c*d*"`, 1)), `entry "*a*b*c*d*" has 5 '*'; ECR allows at most 4`},
		{"no countType", sel(`"tagStatus":"any","countNumber":1`), "selection has no countType"},
		{"unknown countType", sel(`"tagStatus":"any","countType":"imageCountLessThan","countNumber":1`), `countType "imageCountLessThan"`},
		{"sinceImagePushed without countUnit", sel(`"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":1`), `countType sinceImagePushed needs countUnit "days"`},
		{"countUnit hours", sel(strings.Replace(untaggedDays(1), `"days"`, `"hours"`, 1)), `countUnit "hours"; want "days"`},
		{"countUnit with imageCountMoreThan", sel(keepAny(1) + `,"countUnit":"days"`), "countUnit is only allowed with countType sinceImagePushed"},
		{"no countNumber", sel(`"tagStatus":"any","countType":"imageCountMoreThan"`), "selection has no countNumber"},
		{"countNumber 0", sel(keepAny(0)), "countNumber 0; want a positive integer"},
		{"countNumber negative", sel(keepAny(-3)), "countNumber -3; want a positive integer"},
		{"countNumber not an integer", sel(strings.Replace(keepAny(1), `:1`, `:2.5`, 1)), "countNumber 2.5 is not an integer"},
		{"no selection", policy(`{"rulePriority":1,"description":"a rule without any selection at all, long enough","action":{"type":"expire"}}`), "selection is null or absent, not an object"},
		{"no action", policy(strings.Replace(keep, `,"action":{"type":"expire"}`, "", 1)), "action is null or absent, not an object"},
		{"action without type", policy(strings.Replace(keep, `{"type":"expire"}`, `{}`, 1)), "action has no type"},
		{"action delete", policy(strings.Replace(keep, `"expire"`, `"delete"`, 1)), `action type "delete"; want "expire"`},
		{"description not a string", policy(strings.Replace(keep, `"rule 1 of a test policy"`, `5`, 1)), "description is the number 5, not a string"},
		{"unknown selection key", sel(keepAny(1) + `,"tagList":["a"]`), `unknown key "tagList" in selection`},
		{"archive: transition", policy(strings.Replace(keep, `{"type":"expire"}`, `{"type":"transition","targetStorageClass":"archive"}`, 1)), "action type transition (archiving) is not supported"},
		{"archive: storage class", sel(keepAny(1) + `,"storageClass":"archive"`), "selection.storageClass (archiving) is not supported"},
		{"archive: sinceImagePulled", sel(`"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":30`), "countType sinceImagePulled (archiving) is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expired, err := lifecycleeval.Evaluate(tt.policy, []lifecycleeval.Image{img("a", 400*day)}, now)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Evaluate error = %v; want one containing %q\npolicy: %s", err, tt.wantErr, tt.policy)
			}
			if !strings.HasPrefix(err.Error(), "invalid lifecycle policy: ") {
				t.Errorf("error %q does not say the policy is invalid", err)
			}
			if expired != nil {
				t.Errorf("Evaluate expired %v with an invalid policy", expired)
			}
			if verr := lifecycleeval.Validate(tt.policy); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate = %v; want the error Evaluate gave", verr)
			}
		})
	}
}

// TestValidateReportsEveryProblem checks that one error names all the problems of a policy, so
// fixing a policy is not a loop of one message at a time.
func TestValidateReportsEveryProblem(t *testing.T) {
	text := policy(rule(1, keepAny(0)), rule(1, strings.Replace(untaggedDays(3), `"days"`, `"weeks"`, 1)))
	err := lifecycleeval.Validate(text)
	if err == nil {
		t.Fatal("Validate accepted an invalid policy")
	}
	for _, want := range []string{
		"rules[0]: countNumber 0",
		`rules[1]: countUnit "weeks"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

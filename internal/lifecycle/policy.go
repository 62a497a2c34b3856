// Package lifecycle builds the ECR lifecycle policy this project writes on every managed
// repository, checks it against ECR's rules, and compares lifecycle policy texts by meaning
// rather than by bytes.
//
// The desired policy keeps the newest N images and expires the rest; optionally it protects
// images carrying some tags and expires untagged images by age. ECR does not hand the text back
// as it was put (see Equal), so drift detection must never compare raw strings.
package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MinRetention and MaxRetention bound image-retention, the N in "keep the newest N images".
// They are the range the configuration accepts (1 to 10000); config validates against them so
// that a bad value stops the run before any write.
const (
	MinRetention = 1
	MaxRetention = 10000
)

// ECR's rules for a lifecycle policy, and the bounds of the product's own settings.
const (
	// MaxRules is the most rules a policy may hold.
	MaxRules = 50
	// MinTextLength and MaxTextLength bound a policy text.
	MinTextLength = 100
	MaxTextLength = 30720
	// MaxWildcards is the most '*' one tag pattern may hold.
	MaxWildcards = 4
	// MaxUntaggedDays bounds untagged-expiry-days.
	MaxUntaggedDays = 3650
	// protectCount is the countNumber of a protecting rule: more images than a repository can
	// hold (ECR's quota is 20,000 images a repository), so the rule selects the protected images
	// and expires none of them. ECR never lets a lower-priority rule expire an image that
	// matched a higher rule's tag selection, which is what protects them from the keep rule.
	protectCount = 999999
)

// Spec is the lifecycle policy the product writes on one repository.
type Spec struct {
	// Keep is N in "keep the newest N images": the last rule, tagStatus any, which must have the
	// highest rulePriority. It counts protected images too; they are only never expired by it.
	Keep int
	// UntaggedDays, when not 0, expires untagged images that many days after their push.
	UntaggedDays int
	// Protected are tag patterns (with at most MaxWildcards '*' each) whose images the keep rule
	// never expires. Several patterns in one rule must all match one image, so each pattern has
	// a rule of its own.
	Protected []string
}

// The rules the product writes, in priority order. Each description is worded to read well for
// every N (including 1); the keep rule's is long enough that the whole text stays above ECR's
// 100-character minimum even for N=1 (TestPolicy checks the bounds).
const (
	protectFormat = `{"rulePriority":%d,"description":"Never expire images tagged %s (managed by sagemaker-ecr-provisioner)",` +
		`"selection":{"tagStatus":"tagged","tagPatternList":[%s],"countType":"imageCountMoreThan","countNumber":%d},` +
		`"action":{"type":"expire"}}`
	untaggedFormat = `{"rulePriority":%d,"description":"Expire untagged images %d days after their push (managed by sagemaker-ecr-provisioner)",` +
		`"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":%d},` +
		`"action":{"type":"expire"}}`
	keepFormat = `{"rulePriority":%d,` +
		`"description":"Expire images beyond the newest %d (managed by sagemaker-ecr-provisioner)",` +
		`"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":%d},` +
		`"action":{"type":"expire"}}`
)

// Text returns the canonical policy text of the spec: a protecting rule a pattern (priorities
// 1 to k, in the order given), the untagged rule, and the keep-newest-N rule last. With neither
// protected patterns nor untagged expiry it is exactly Policy(Keep). The text is compact JSON
// and the same for the same spec.
//
// Text does not validate the spec: callers get it from validated configuration (see Check). An
// out-of-range value is rendered as given rather than clamped or panicking, so a bug shows up
// as ECR rejecting that one repository's PutLifecyclePolicy, not as a silently different
// policy or a crashed reconcile run.
func (s Spec) Text() string {
	rules := make([]string, 0, len(s.Protected)+2)
	for _, p := range s.Protected {
		quoted, _ := json.Marshal(p) // a string always encodes
		rules = append(rules, fmt.Sprintf(protectFormat, len(rules)+1, strings.Trim(string(quoted), `"`), quoted, protectCount))
	}
	if s.UntaggedDays > 0 {
		rules = append(rules, fmt.Sprintf(untaggedFormat, len(rules)+1, s.UntaggedDays, s.UntaggedDays))
	}
	rules = append(rules, fmt.Sprintf(keepFormat, len(rules)+1, s.Keep, s.Keep))
	return `{"rules":[` + strings.Join(rules, ",") + `]}`
}

// Policy returns the canonical lifecycle policy text that keeps the newest n images and expires
// the rest: one rule with priority 1, tagStatus any, countType imageCountMoreThan and
// countNumber n. It is the policy of a Spec with only Keep set.
func Policy(n int) string {
	return Spec{Keep: n}.Text()
}

// tagPattern is what a tag pattern may hold: an image tag's characters, and '*'.
var tagPattern = regexp.MustCompile(`^[a-zA-Z0-9._*-]{1,128}$`)

// CheckPattern says why p cannot be a protected tag pattern, or returns nil.
func CheckPattern(p string) error {
	switch {
	case !tagPattern.MatchString(p):
		return fmt.Errorf("tag pattern %q: want 1 to 128 letters, digits, '.', '_', '-' or '*'", p)
	case strings.Count(p, "*") > MaxWildcards:
		return fmt.Errorf("tag pattern %q has %d '*'; ECR allows at most %d", p, strings.Count(p, "*"), MaxWildcards)
	}
	return nil
}

// Check says why the spec would break one of ECR's rules, or returns nil: a pattern that is not
// valid or comes twice (ECR wants the tag selections of a policy unique), more than MaxRules
// rules, or a text over MaxTextLength. Priorities are unique and the tagStatus any rule last by
// construction (see Text).
func (s Spec) Check() error {
	seen := map[string]bool{}
	var errs []error
	for _, p := range s.Protected {
		if err := CheckPattern(p); err != nil {
			errs = append(errs, err)
		}
		if seen[p] {
			errs = append(errs, fmt.Errorf("tag pattern %q comes twice", p))
		}
		seen[p] = true
	}
	if n := strings.Count(s.Text(), `"rulePriority"`); n > MaxRules {
		errs = append(errs, fmt.Errorf("the policy would have %d rules; ECR allows at most %d", n, MaxRules))
	}
	if n := len(s.Text()); n > MaxTextLength {
		errs = append(errs, fmt.Errorf("the policy would be %d characters long; ECR allows at most %d", n, MaxTextLength))
	}
	return errors.Join(errs...)
}

// Retention returns N when text is, by meaning, exactly the single keep-newest-N rule that
// Policy writes (description ignored, numbers by value, any formatting), and ok=false for
// anything else: more or other rules, extra fields, an N outside MinRetention..MaxRetention, or
// text that does not parse. Reports use it to say "retention 20, want 10" instead of dumping
// two JSON documents.
func Retention(text string) (n int, ok bool) {
	doc, err := parse(text)
	if err != nil {
		return 0, false
	}
	rules := doc["rules"].([]any) // parse guarantees rules is an array of objects
	if len(rules) != 1 {
		return 0, false
	}
	selection, _ := rules[0].(map[string]any)["selection"].(map[string]any)
	count, _ := selection["countNumber"].(json.Number)
	// Numbers are normalised by parse, so 10.0 and 1e1 arrive here as "10".
	n, err = strconv.Atoi(string(count))
	if err != nil || n < MinRetention || n > MaxRetention {
		return 0, false
	}
	if eq, err := Equal(Policy(n), text); err != nil || !eq {
		return 0, false
	}
	return n, true
}

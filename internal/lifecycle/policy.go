// Package lifecycle builds the ECR lifecycle policy this project writes on every managed
// repository, and compares lifecycle policy texts by meaning rather than by bytes.
//
// The desired policy keeps the newest N images and expires the rest. ECR does not hand the
// text back as it was put (see Equal), so drift detection must never compare raw strings.
package lifecycle

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// MinRetention and MaxRetention bound image-retention, the N in "keep the newest N images".
// They are the range the configuration accepts (1 to 10000); config validates against them so
// that a bad value stops the run before any write.
const (
	MinRetention = 1
	MaxRetention = 10000
)

// policyFormat is the one rule this project writes. The description is worded to read well for
// every N (including 1) and is long enough that the whole text stays above ECR's 100-character
// minimum even for N=1; TestPolicy checks that for the bounds.
const policyFormat = `{"rules":[{"rulePriority":1,` +
	`"description":"Expire images beyond the newest %d (managed by sagemaker-ecr-provisioner)",` +
	`"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":%d},` +
	`"action":{"type":"expire"}}]}`

// Policy returns the canonical lifecycle policy text that keeps the newest n images and expires
// the rest: one rule with priority 1, tagStatus any, countType imageCountMoreThan and
// countNumber n. The text is compact JSON and the same for the same n, so it can be logged and
// compared in tests.
//
// Policy does not validate n: callers get n from validated configuration
// (MinRetention..MaxRetention). An out-of-range n is rendered as given rather than clamped or
// panicking, so a bug shows up as ECR rejecting that one repository's PutLifecyclePolicy, not as
// a silently different retention or a crashed reconcile run.
func Policy(n int) string {
	return fmt.Sprintf(policyFormat, n, n)
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

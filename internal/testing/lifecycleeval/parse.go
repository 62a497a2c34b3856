package lifecycleeval

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of a policy text, from the sources the package documentation quotes.
const (
	minTextLength = 100
	maxTextLength = 30720
	maxRules      = 50
	maxWildcards  = 4
)

// The values of tagStatus.
const (
	statusTagged   = "tagged"
	statusUntagged = "untagged"
	statusAny      = "any"
)

// The values of countType this package evaluates.
const (
	countImages     = "imageCountMoreThan"
	countSincePush  = "sinceImagePushed"
	countUnitDays   = "days"
	actionExpire    = "expire"
	keyTagPrefixes  = "tagPrefixList"
	keyTagPatterns  = "tagPatternList"
	keyCountUnit    = "countUnit"
	keyCountNumber  = "countNumber"
	keyRulePriority = "rulePriority"
)

// rule is one validated rule of a policy.
type rule struct {
	index     int // position in the text's rules array, for messages
	priority  int64
	status    string
	prefixes  []string // tagPrefixList, tagged only
	patterns  []string // tagPatternList, tagged only
	countType string
	count     int64
}

// Validate reports whether policyText is a lifecycle policy ECR would accept and this package
// can evaluate: nil, or an error naming every problem (see the package documentation for the
// rules checked and where each comes from).
func Validate(policyText string) error {
	_, err := parse(policyText)
	return err
}

// parse decodes and validates a policy text. The rules come back sorted by priority.
func parse(text string) ([]rule, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("invalid lifecycle policy: empty text")
		}
		return nil, fmt.Errorf("invalid lifecycle policy: not JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid lifecycle policy: unexpected data after the policy document")
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("invalid lifecycle policy: top level is %s, not an object", kind(v))
	}

	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if n := utf8.RuneCountInString(text); n < minTextLength || n > maxTextLength {
		fail("the text is %d characters long; ECR accepts %d to %d", n, minTextLength, maxTextLength)
	}
	for _, k := range unknownKeys(doc, "rules") {
		fail("unknown top-level key %q", k)
	}
	raw, ok := doc["rules"]
	if !ok {
		fail("no rules")
		return nil, joined(errs)
	}
	list, ok := raw.([]any)
	if !ok {
		fail("rules is %s, not an array", kind(raw))
		return nil, joined(errs)
	}
	if len(list) == 0 {
		fail("rules is empty; a policy needs at least one rule")
	}
	if len(list) > maxRules {
		fail("%d rules; ECR allows at most %d", len(list), maxRules)
	}

	var rules []rule
	for i, r := range list {
		parsed, ruleErrs := parseRule(i, r)
		errs = append(errs, ruleErrs...)
		if ruleErrs == nil {
			rules = append(rules, parsed)
		}
	}
	errs = append(errs, checkAcross(rules)...)
	if len(errs) > 0 {
		return nil, joined(errs)
	}
	slices.SortFunc(rules, func(a, b rule) int { return cmp.Compare(a.priority, b.priority) })
	return rules, nil
}

// parseRule decodes and checks one rule on its own; checkAcross checks what involves several.
func parseRule(i int, v any) (rule, []error) {
	r := rule{index: i}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("rules[%d]: "+format, append([]any{i}, args...)...))
	}
	m, ok := v.(map[string]any)
	if !ok {
		fail("is %s, not an object", kind(v))
		return r, errs
	}
	for _, k := range unknownKeys(m, keyRulePriority, "description", "selection", "action") {
		fail("unknown key %q", k)
	}

	if p, ok := m[keyRulePriority]; !ok {
		fail("no rulePriority")
	} else if n, err := integer(p); err != nil {
		fail("rulePriority %v", err)
	} else {
		r.priority = n
	}
	if d, ok := m["description"]; ok {
		if _, ok := d.(string); !ok {
			fail("description is %s, not a string", kind(d))
		}
	}

	sel, ok := m["selection"].(map[string]any)
	if !ok {
		fail("selection is %s, not an object", kind(m["selection"]))
	} else {
		errs = append(errs, parseSelection(i, sel, &r)...)
	}

	act, ok := m["action"].(map[string]any)
	switch {
	case !ok:
		fail("action is %s, not an object", kind(m["action"]))
	default:
		for _, k := range unknownKeys(act, "type", "targetStorageClass") {
			fail("unknown key %q in action", k)
		}
		if _, ok := act["targetStorageClass"]; ok {
			fail("action.targetStorageClass (archiving) is not supported by this evaluator")
		}
		switch t := act["type"]; t {
		case actionExpire:
		case "transition":
			fail("action type transition (archiving) is not supported by this evaluator")
		case nil:
			fail("action has no type")
		default:
			fail("action type %s; want %q", show(t), actionExpire)
		}
	}
	return r, errs
}

// parseSelection fills r from a rule's selection object.
func parseSelection(i int, sel map[string]any, r *rule) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("rules[%d]: "+format, append([]any{i}, args...)...))
	}
	for _, k := range unknownKeys(sel, "tagStatus", keyTagPrefixes, keyTagPatterns, "countType", keyCountUnit, keyCountNumber, "storageClass") {
		fail("unknown key %q in selection", k)
	}
	if _, ok := sel["storageClass"]; ok {
		fail("selection.storageClass (archiving) is not supported by this evaluator")
	}

	switch s := sel["tagStatus"]; s {
	case statusTagged, statusUntagged, statusAny:
		r.status = s.(string)
	case nil:
		fail("selection has no tagStatus")
	default:
		fail("tagStatus %s; want tagged, untagged or any", show(s))
	}
	_, hasPrefixes := sel[keyTagPrefixes]
	_, hasPatterns := sel[keyTagPatterns]
	var err error
	if hasPrefixes {
		if r.prefixes, err = tagList(sel[keyTagPrefixes], false); err != nil {
			fail("tagPrefixList %v", err)
		}
	}
	if hasPatterns {
		if r.patterns, err = tagList(sel[keyTagPatterns], true); err != nil {
			fail("tagPatternList %v", err)
		}
	}
	switch {
	case r.status == statusTagged && !hasPrefixes && !hasPatterns:
		fail("tagStatus tagged needs a tagPrefixList or a tagPatternList")
	case r.status == statusTagged && hasPrefixes && hasPatterns:
		fail("has both tagPrefixList and tagPatternList; give one")
	case r.status != "" && r.status != statusTagged && (hasPrefixes || hasPatterns):
		fail("tagStatus %s takes no tagPrefixList or tagPatternList", r.status)
	}

	switch c := sel["countType"]; c {
	case countImages, countSincePush:
		r.countType = c.(string)
	case "sinceImagePulled", "sinceImageTransitioned":
		fail("countType %s (archiving) is not supported by this evaluator", c)
	case nil:
		fail("selection has no countType")
	default:
		fail("countType %s; want imageCountMoreThan or sinceImagePushed", show(c))
	}
	unit, hasUnit := sel[keyCountUnit]
	switch {
	case r.countType == countSincePush && !hasUnit:
		fail("countType sinceImagePushed needs countUnit %q", countUnitDays)
	case r.countType == countSincePush && unit != countUnitDays:
		fail("countUnit %s; want %q", show(unit), countUnitDays)
	case r.countType != countSincePush && hasUnit:
		fail("countUnit is only allowed with countType sinceImagePushed")
	}

	if c, ok := sel[keyCountNumber]; !ok {
		fail("selection has no countNumber")
	} else if n, err := integer(c); err != nil {
		fail("countNumber %v", err)
	} else if n < 1 {
		fail("countNumber %d; want a positive integer", n)
	} else {
		r.count = n
	}
	return errs
}

// checkAcross checks what involves several rules: unique priorities, the any rule last, one
// untagged rule, unique tag lists.
func checkAcross(rules []rule) []error {
	var errs []error
	byPriority := map[int64]int{}
	var anyRules, untagged []rule
	tagSets := map[string]int{}
	for _, r := range rules {
		if j, ok := byPriority[r.priority]; ok {
			errs = append(errs, fmt.Errorf("rules[%d] and rules[%d] both have rulePriority %d; priorities must be unique", j, r.index, r.priority))
		}
		byPriority[r.priority] = r.index
		switch r.status {
		case statusAny:
			anyRules = append(anyRules, r)
		case statusUntagged:
			untagged = append(untagged, r)
		case statusTagged:
			key, list := "prefixes", r.prefixes
			if r.patterns != nil {
				key, list = "patterns", r.patterns
			}
			set := slices.Compact(slices.Sorted(slices.Values(list)))
			key += "\x00" + strings.Join(set, "\x00")
			if j, ok := tagSets[key]; ok {
				errs = append(errs, fmt.Errorf("rules[%d] and rules[%d] select the same tag %s %q; each rule's tag selection must be unique", j, r.index, strings.SplitN(key, "\x00", 2)[0], set))
			}
			tagSets[key] = r.index
		}
	}
	if len(untagged) > 1 {
		errs = append(errs, fmt.Errorf("rules[%d] and rules[%d] both select untagged images; only one rule may", untagged[0].index, untagged[1].index))
	}
	for _, a := range anyRules {
		for _, r := range rules {
			if r.index != a.index && r.priority >= a.priority {
				errs = append(errs, fmt.Errorf("rules[%d] has tagStatus any and rulePriority %d, but rules[%d] has rulePriority %d; the any rule must have the highest rulePriority", a.index, a.priority, r.index, r.priority))
			}
		}
	}
	return errs
}

// tagList decodes a tagPrefixList or tagPatternList value.
func tagList(v any, pattern bool) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("is %s, not an array of strings", kind(v))
	}
	if len(list) == 0 {
		return nil, errors.New("is empty")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		switch {
		case !ok:
			return nil, fmt.Errorf("holds %s, not only strings", kind(e))
		case s == "":
			return nil, errors.New("holds an empty string, which would match every tag")
		case pattern && strings.Count(s, "*") > maxWildcards:
			return nil, fmt.Errorf("entry %q has %d '*'; ECR allows at most %d", s, strings.Count(s, "*"), maxWildcards)
		}
		out = append(out, s)
	}
	return out, nil
}

// integer reads a JSON number that must be an integer: 10, and also 10.0 or 1e1, which denote
// the same value; 10.5 and values beyond ±2^53 written as non-integers are errors.
func integer(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("is %s, not a number", kind(v))
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s is not an integer ECR accepts", n)
	}
	return int64(f), nil
}

// unknownKeys lists, sorted, the keys of m that are not among known.
func unknownKeys(m map[string]any, known ...string) []string {
	var out []string
	for k := range m {
		if !slices.Contains(known, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// show renders a decoded JSON value for a message.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return kind(v)
}

// kind names a decoded JSON value's type for error messages.
func kind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null or absent"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "the number " + string(v)
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// joined wraps the problems of an invalid policy into one error.
func joined(errs []error) error {
	return fmt.Errorf("invalid lifecycle policy: %w", errors.Join(errs...))
}

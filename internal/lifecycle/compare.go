package lifecycle

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Equal reports whether two lifecycle policy texts mean the same thing. desired is the text this
// project wants (usually Policy(n)); actual is what GetLifecyclePolicy returned.
//
// Why not compare strings: GetLifecyclePolicy does not return the text as it was put. ECR
// reorders rules by rulePriority and changes whitespace and key order, so a byte comparison
// reports drift on every run and a "fix" loop rewrites the policy forever (ACK's controller did
// exactly that). Why not decode into a typed struct: any field the struct does not know is
// silently dropped, so a person's added tagPatternList compares equal and is never reported
// (Terraform's provider had that bug). So both texts are decoded as generic JSON with numbers
// kept as json.Number, and:
//
//   - whitespace and object key order do not matter;
//   - rules are compared after sorting by rulePriority, the order ECR itself returns. Duplicate
//     priorities (ECR rejects them, local emulators do not) are ordered by the rule's canonical
//     text, so the result does not depend on the order they were written in;
//   - numbers compare by value: 10, 10.0 and 1e1 are equal;
//   - a rule's description is documentation only and is ignored, present or absent: a person
//     rewording it is not drift and must not make the reconciler overwrite the policy;
//   - every other field, known or not (tagPatternList, tagPrefixList, countUnit, storageClass,
//     action fields, top-level fields besides rules), is kept and compared; lists other than
//     rules compare in order.
//
// Equal returns an error naming the side, "desired" or "actual", when a text is not a policy
// document: not a single JSON object, rules missing or not an array, or a rule that is not an
// object or has no numeric rulePriority. An unreadable policy from the API is reported, never
// treated as equal and never a panic.
func Equal(desired, actual string) (bool, error) {
	d, err := comparisonForm(desired)
	if err != nil {
		return false, fmt.Errorf("desired lifecycle policy: %w", err)
	}
	a, err := comparisonForm(actual)
	if err != nil {
		return false, fmt.Errorf("actual lifecycle policy: %w", err)
	}
	return d == a, nil
}

// Canonical returns a normalised, deterministic rendering of a policy text: rules sorted as in
// Equal, object keys sorted, compact, numbers in their shortest form. Unlike Equal it keeps rule
// descriptions, because it is meant for people: events and logs show Canonical(expected) next
// to Canonical(actual) so the difference is easy to spot. Two texts that Equal calls equal can
// still render differently here when only their descriptions differ.
func Canonical(text string) (string, error) {
	doc, err := parse(text)
	if err != nil {
		return "", err
	}
	return render(doc, true)
}

// comparisonForm renders text in the form Equal compares: canonical, without rule descriptions.
func comparisonForm(text string) (string, error) {
	doc, err := parse(text)
	if err != nil {
		return "", err
	}
	return render(doc, false)
}

// parse decodes a policy document generically and checks the little structure Equal relies on.
// Numbers come back normalised (see normaliseNumber); nothing else is changed or dropped.
func parse(text string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty text")
		}
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	// Decode stops after the first value; "{...} junk" is not one document.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the policy document")
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %s, not an object", kind(v))
	}
	raw, ok := doc["rules"]
	if !ok {
		return nil, errors.New("no rules")
	}
	rules, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("rules is %s, not an array", kind(raw))
	}
	for i, r := range rules {
		rule, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("rule %d is %s, not an object", i+1, kind(r))
		}
		if _, ok := rule["rulePriority"].(json.Number); !ok {
			return nil, fmt.Errorf("rule %d has no numeric rulePriority", i+1)
		}
	}
	return normaliseNumbers(doc).(map[string]any), nil
}

// render sorts doc's rules and encodes it compactly with sorted keys. With keepDescription
// false, rule descriptions are removed first, so they take no part in the order either.
func render(doc map[string]any, keepDescription bool) (string, error) {
	rules := doc["rules"].([]any)
	type keyed struct {
		priority float64
		text     string
		rule     any
	}
	sorted := make([]keyed, len(rules))
	for i, r := range rules {
		rule := r.(map[string]any)
		if !keepDescription {
			delete(rule, "description")
		}
		text, err := encode(rule)
		if err != nil {
			return "", err
		}
		// float64 is only the sort key; the value itself stays exact in text. A JSON number
		// always parses (huge ones become ±Inf), so the error is irrelevant here.
		p, _ := strconv.ParseFloat(string(rule["rulePriority"].(json.Number)), 64)
		sorted[i] = keyed{p, text, rule}
	}
	slices.SortStableFunc(sorted, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.priority, b.priority), strings.Compare(a.text, b.text))
	})
	for i, k := range sorted {
		rules[i] = k.rule
	}
	return encode(doc)
}

// encode is json.Marshal without HTML escaping, so descriptions with < > & stay readable in
// logs. encoding/json sorts map keys, which is what makes the output canonical.
func encode(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encode lifecycle policy: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// kind names a decoded JSON value's type for error messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

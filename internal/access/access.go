// Package access is pull access to a managed repository: the statements of the repository
// policy that the product owns, how they merge with everyone else's, and how policies are
// compared by meaning.
//
// The product owns exactly the statements whose Sid starts with SidPrefix. Every other
// statement belongs to someone else and is kept as it is, byte for byte in meaning: the product
// never reorders, rewrites or drops it, and never deletes a policy that holds one.
package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// SidPrefix starts the Sid of every statement the product owns.
const SidPrefix = "SageMakerEcrProvisioner"

// The Sids of the product's statements.
const (
	SidAccounts     = SidPrefix + "PullAccounts"
	SidOrganization = SidPrefix + "PullOrganization"
	// SidProjectAccount grants pull to the member account whose project owns the repository,
	// and to no one else: the product's own record of whose the repository is (see
	// Policy.ProjectAccount).
	SidProjectAccount = SidPrefix + "PullProjectAccount"
)

// MaxPolicyLength is the most characters ECR accepts in a repository policy text (the
// policyText of SetRepositoryPolicy, "Maximum length of 10240"). A longer one is refused, and
// every write of the repository policy fails.
const MaxPolicyLength = 10240

// PullActions are what a consumer needs to pull an image from the repository: the same three
// the consuming SageMaker execution role needs in its own policy (plus ecr:GetAuthorizationToken,
// which is not a repository action).
var PullActions = []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}

// Grant is who may pull a repository: accounts by id, the principals of an organization, and
// the member account whose project owns the repository.
type Grant struct {
	Accounts     []string
	Organization string
	// ProjectAccount is the member account of the project that owns the repository ("" for a
	// shared one, or one of this account's projects). It has a statement of its own, so that
	// it is never mistaken for an account pull-accounts or an override names.
	ProjectAccount string
}

// Empty reports whether the grant lets nobody pull.
func (g Grant) Empty() bool {
	return len(g.Accounts) == 0 && g.Organization == "" && g.ProjectAccount == ""
}

// Statements are the product's statements for the grant, in Sid order. Accounts are named by
// id, which IAM reads as the account's root principal in any partition.
func (g Grant) Statements() []map[string]any {
	var out []map[string]any
	if len(g.Accounts) > 0 {
		accounts := slices.Sorted(slices.Values(g.Accounts))
		out = append(out, map[string]any{
			"Sid": SidAccounts, "Effect": "Allow",
			"Principal": map[string]any{"AWS": anyList(accounts)},
			"Action":    anyList(PullActions),
		})
	}
	if g.Organization != "" {
		out = append(out, map[string]any{
			"Sid": SidOrganization, "Effect": "Allow",
			"Principal": "*",
			"Action":    anyList(PullActions),
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": g.Organization}},
		})
	}
	if g.ProjectAccount != "" {
		out = append(out, map[string]any{
			"Sid": SidProjectAccount, "Effect": "Allow",
			"Principal": map[string]any{"AWS": g.ProjectAccount},
			"Action":    anyList(PullActions),
		})
	}
	return out
}

func anyList(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// Policy is a repository policy document, decoded generically so that nothing in it is lost.
type Policy struct {
	doc map[string]any
	// statements are the document's statements in order; Statement may be one object.
	statements []map[string]any
}

// Parse decodes a repository policy text. It fails, saying why, on text that is not one JSON
// object or whose Statement is not an object or a list of objects: such a policy cannot be
// merged without losing what someone else wrote.
func Parse(text string) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("repository policy is not a JSON object: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("repository policy has data after the document")
	}
	if doc == nil {
		return nil, errors.New("repository policy is null")
	}
	p := &Policy{doc: doc}
	switch st := doc["Statement"].(type) {
	case nil:
	case map[string]any:
		p.statements = []map[string]any{st}
	case []any:
		for i, s := range st {
			m, ok := s.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("repository policy statement %d is not an object", i+1)
			}
			p.statements = append(p.statements, m)
		}
	default:
		return nil, errors.New("repository policy Statement is neither an object nor a list")
	}
	return p, nil
}

// ours reports whether a statement is the product's.
func ours(st map[string]any) bool {
	sid, _ := st["Sid"].(string)
	return strings.HasPrefix(sid, SidPrefix)
}

// Ours returns the product's statements, in their order in the document.
func (p *Policy) Ours() []map[string]any {
	var out []map[string]any
	for _, st := range p.statements {
		if ours(st) {
			out = append(out, st)
		}
	}
	return out
}

// Others returns everyone else's statements, in their order in the document.
func (p *Policy) Others() []map[string]any {
	var out []map[string]any
	for _, st := range p.statements {
		if !ours(st) {
			out = append(out, st)
		}
	}
	return out
}

// Foreign reports whether anyone else wrote a statement of the policy.
func (p *Policy) Foreign() bool {
	return len(p.Others()) > 0
}

// ProjectAccount returns the account the product's project-account statement grants pull:
// the member whose project the repository was made for, as the product recorded it; "" when
// there is no such statement, or it does not name exactly one account id. Only the product
// writes a statement of its Sid (anyone who could forge one could as well set the account tag
// it stands in for).
func (p *Policy) ProjectAccount() string {
	found := ""
	for _, st := range p.Ours() {
		if sid, _ := st["Sid"].(string); sid != SidProjectAccount {
			continue
		}
		m, ok := principals(st["Principal"]).(map[string]any)
		if !ok {
			return ""
		}
		values, _ := m["AWS"].([]any)
		if len(values) != 1 || found != "" {
			return ""
		}
		id, ok := values[0].(string)
		if !ok || !accountID.MatchString(id) {
			return ""
		}
		found = id
	}
	return found
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// With returns the policy text with the product's statements replaced by want: every other
// statement stays where it is, the product's come after them, and the document's other fields
// (Version, Id) are kept. A policy without a Version gets 2012-10-17.
func (p *Policy) With(want []map[string]any) (string, error) {
	doc := map[string]any{}
	for k, v := range p.doc {
		doc[k] = v
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = "2012-10-17"
	}
	var statements []any
	for _, st := range p.statements {
		if !ours(st) {
			statements = append(statements, st)
		}
	}
	for _, st := range want {
		statements = append(statements, st)
	}
	doc["Statement"] = statements
	return encode(doc)
}

// New returns the text of a policy that holds only want.
func New(want []map[string]any) (string, error) {
	return (&Policy{doc: map[string]any{}}).With(want)
}

func encode(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encode repository policy: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// Differences compares the product's statements of an observed policy with want, by Sid,
// and returns one line for each Sid whose statement differs: the expected and found canonical
// forms ("" for a statement that should not be there, or is not). Two statements of one Sid
// differ whatever they say: IAM applies both, so one could hide a wider grant behind the
// other.
func Differences(have, want []map[string]any) []Difference {
	h, count := map[string]map[string]any{}, map[string]int{}
	for _, st := range have {
		sid, _ := st["Sid"].(string)
		h[sid] = st
		count[sid]++
	}
	w := map[string]map[string]any{}
	for _, st := range want {
		sid, _ := st["Sid"].(string)
		w[sid] = st
	}
	var sids []string
	for sid := range h {
		sids = append(sids, sid)
	}
	for sid := range w {
		if _, ok := h[sid]; !ok {
			sids = append(sids, sid)
		}
	}
	slices.Sort(sids)
	var out []Difference
	for _, sid := range sids {
		hs, hok := h[sid]
		ws, wok := w[sid]
		if hok && wok && count[sid] == 1 && Equal(hs, ws) {
			continue
		}
		d := Difference{Sid: sid}
		if wok {
			d.Expected = Canonical(ws)
		}
		switch {
		case count[sid] > 1:
			d.Found = fmt.Sprintf("%d statements with this Sid", count[sid])
		case hok:
			d.Found = Canonical(hs)
		}
		out = append(out, d)
	}
	return out
}

// Difference is one statement of the product's that is not as wanted.
type Difference struct {
	Sid             string
	Expected, Found string
}

// Equal reports whether two statements mean the same, as IAM reads them:
//   - Sid is compared exactly, Effect without case;
//   - Action, NotAction, Resource and NotResource are sets: a string is a one-element list,
//     order and duplicates do not matter, and action names are compared without case (IAM
//     matches them so);
//   - a principal "*" is {"AWS": "*"}; each principal type's values are a set, and an account
//     id is the same principal as arn:<partition>:iam::<id>:root, the form ECR hands back;
//   - a Condition is operator -> key -> set of values, keys compared without case;
//   - every other field is compared as JSON, exactly.
func Equal(a, b map[string]any) bool {
	return Canonical(a) == Canonical(b)
}

// Canonical renders a statement in the form Equal compares: sets sorted, principals and
// actions normalised as Equal says, compact JSON with sorted keys.
func Canonical(st map[string]any) string {
	out := map[string]any{}
	for k, v := range st {
		switch k {
		case "Effect":
			s, _ := v.(string)
			out[k] = lower(s)
		case "Action", "NotAction":
			out[k] = set(v, lower)
		case "Resource", "NotResource":
			out[k] = set(v, nil)
		case "Principal", "NotPrincipal":
			out[k] = principals(v)
		case "Condition":
			out[k] = conditions(v)
		default:
			out[k] = v
		}
	}
	text, err := encode(out)
	if err != nil {
		return fmt.Sprint(st) // only a value encoding/json cannot encode, which decoding never makes
	}
	return text
}

var rootARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):root$`)

func principals(v any) any {
	if s, ok := v.(string); ok && s == "*" {
		v = map[string]any{"AWS": "*"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for typ, values := range m {
		norm := func(s string) string { return s }
		if typ == "AWS" {
			norm = func(s string) string {
				if m := rootARN.FindStringSubmatch(s); m != nil {
					return m[1]
				}
				return s
			}
		}
		out[typ] = set(values, norm)
	}
	return out
}

func conditions(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for op, keys := range m {
		km, ok := keys.(map[string]any)
		if !ok {
			out[op] = keys
			continue
		}
		inner := map[string]any{}
		for key, values := range km {
			inner[lower(key)] = set(values, nil)
		}
		out[op] = inner
	}
	return out
}

// set turns a string or a list into a sorted list without duplicates, strings normalised with
// norm. Other elements (not valid in a policy, but a policy may hold anything) are kept, sorted
// by their JSON text, so that a list's order never matters.
func set(v any, norm func(string) string) any {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	type keyed struct {
		key   string
		value any
	}
	out := make([]keyed, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			if norm != nil {
				s = norm(s)
			}
			out = append(out, keyed{"s" + s, s})
			continue
		}
		text, _ := encode(e)
		out = append(out, keyed{"j" + text, e})
	}
	slices.SortFunc(out, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out = slices.CompactFunc(out, func(a, b keyed) bool { return a.key == b.key })
	values := make([]any, len(out))
	for i, k := range out {
		values[i] = k.value
	}
	return values
}

func lower(s string) string { return strings.ToLower(s) }

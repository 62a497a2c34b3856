package config

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
)

// InvalidError is one configuration value that cannot be used. It names the parameter, the
// value and what would be valid.
type InvalidError struct {
	Parameter string `json:"parameter"`
	Value     string `json:"value"`
	Valid     string `json:"valid"`
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("configuration parameter %s has invalid value %q: valid is %s", e.Parameter, e.Value, e.Valid)
}

// ValidationError is a configuration that cannot be used, with every invalid value named. Its
// type name is what Lambda reports as the errorType of a failed invocation.
type ValidationError struct {
	Problems []*InvalidError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the problems, so errors.As finds each *InvalidError.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Invalid returns every InvalidError in err, however it was wrapped or joined, in order.
func Invalid(err error) []*InvalidError {
	switch e := err.(type) {
	case nil:
		return nil
	case *InvalidError:
		return []*InvalidError{e}
	case interface{ Unwrap() []error }:
		var out []*InvalidError
		for _, inner := range e.Unwrap() {
			out = append(out, Invalid(inner)...)
		}
		return out
	default:
		return Invalid(errors.Unwrap(err))
	}
}

// The tag mutability modes ECR knows, and those that take exclusion filters.
var (
	mutabilityModes     = []string{"MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION"}
	exclusionFilter     = regexp.MustCompile(`^[0-9a-zA-Z._*-]{1,128}$`)
	accountID           = regexp.MustCompile(`^[0-9]{12}$`)
	organizationID      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	roleName            = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	maxExclusionFilters = 5
	withExclusion       = "_WITH_EXCLUSION"
	pullAccountsValid   = "space-separated 12-digit AWS account ids"
)

var (
	kmsKeyPattern = regexp.MustCompile(`^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_+=.@-]+|alias/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	digits        = regexp.MustCompile(`^[0-9]+$`)
)

// Parse builds a Config from parameter values keyed by their full SSM names. Every value is
// checked, and all problems are returned together in one *ValidationError, so an operator fixes
// them in one pass. Nothing in the result is usable when the error is not nil. The account the
// configuration is read in is unknown to Parse: ParseFor also checks what depends on it.
func Parse(configPath string, values map[string]string) (Config, error) {
	return ParseFor(configPath, "", values)
}

// ParseFor is Parse in the account home (its 12-digit id, "" when unknown): member-accounts
// must not name it, as this account is served without being listed, and listing it would read
// its SageMaker twice and make every project of it look like two.
func ParseFor(configPath, home string, values map[string]string) (Config, error) {
	prefix := strings.TrimRight(configPath, "/") + "/"
	rel := make(map[string]string, len(values))
	raw := make(map[string]string, len(values))
	for name, v := range values {
		rel[strings.TrimPrefix(name, prefix)] = strings.TrimSpace(v)
		raw[strings.TrimPrefix(name, prefix)] = v
	}
	p := parser{values: rel, raw: raw, prefix: prefix}
	c := Config{
		Path:               strings.TrimRight(configPath, "/"),
		Enabled:            p.boolean(paramEnabled),
		Company:            p.company(),
		SharedRepos:        p.types(paramSharedRepos, true),
		ProjectRepos:       p.types(paramProjectRepos, false),
		CreateProjectRepos: p.boolean(paramCreateProjectRepos),
		ImageRetention:     p.retention(paramImageRetention),
		TeamTag:            p.teamTag(),
		AllowedTeams:       p.teams(),
		ScanOnPush:         p.boolean(paramScanOnPush),
		KMSKey:             p.kmsKey(),
		PullAccounts:       p.accounts(paramPullAccounts),
		PullOrgID:          p.organization(),
		UntaggedExpiryDays: p.untaggedDays(),
		CheckTags:          p.boolean(paramCheckTags),
		ProtectInUse:       p.boolean(paramProtectInUse),
		DriftMode:          Mode(p.oneOf(paramDriftMode, string(ModeFix), string(ModeReport))),
		LifecycleExempt:    p.exempt(),
		OnProjectDelete:    p.oneOf(paramOnProjectDelete, OnDeleteRetain, OnDeleteDeleteIfEmpty),
		MemberAccounts:     p.members(home),
		MemberRoleName:     p.roleName(),
		DataZoneDomains:    p.domains(),
		DataZoneTeamTag:    p.resourceTag(paramDataZoneTeamTag, false),
	}
	c.TagMutability, c.TagMutabilityExclusions = p.mutability()
	c.ProtectedTagPatterns = p.protected(c.UntaggedExpiryDays, c.ProtectInUse)
	c.Overrides, c.NamespacePull = p.overrides(c.Company)
	c.Unknown = p.unknown()
	p.pullPolicies(c)
	if len(p.errs) > 0 {
		return Config{}, &ValidationError{Problems: p.errs}
	}
	return c, nil
}

type parser struct {
	values map[string]string
	// raw are the values as stored, before trimming, for error reports.
	raw    map[string]string
	prefix string
	read   map[string]bool
	errs   []*InvalidError
}

// get returns the value of name and whether it is set; unset, its default in Parameters ("" for
// an override).
func (p *parser) get(name string) (string, bool) {
	if p.read == nil {
		p.read = map[string]bool{}
	}
	p.read[name] = true
	v, ok := p.values[name]
	if !ok {
		def, _ := parameter(name)
		return def.Default, false
	}
	return v, true
}

func (p *parser) fail(name, value, valid string) {
	// Report the value as stored: a blank value trimmed to "" would send the operator looking
	// for an empty parameter, which SSM cannot even hold.
	if r, ok := p.raw[name]; ok {
		value = r
	}
	if !utf8.ValidString(value) {
		value = strings.ToValidUTF8(value, "\uFFFD")
	}
	p.errs = append(p.errs, &InvalidError{Parameter: p.prefix + name, Value: value, Valid: valid})
}

func (p *parser) boolean(name string) bool {
	v, _ := p.get(name)
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(name, v, "true or false")
	return false
}

func (p *parser) oneOf(name string, valid ...string) string {
	v, _ := p.get(name)
	for _, ok := range valid {
		if v == ok {
			return v
		}
	}
	p.fail(name, v, "one of "+strings.Join(valid, ", "))
	def, _ := parameter(name)
	return def.Default
}

func (p *parser) company() string {
	v, ok := p.get(paramCompany)
	if !ok {
		p.fail(paramCompany, "", "required: one ECR name part, lower-case letters and digits separated by '.', '_' or '-'")
		return ""
	}
	if !naming.ValidPart(v) {
		p.fail(paramCompany, v, "one ECR name part, lower-case letters and digits separated by '.', '_' or '-'")
	}
	return v
}

// types reads a space-separated list of repository types. SSM cannot store an empty string,
// so "none" stands for the empty list where allowed.
func (p *parser) types(name string, noneAllowed bool) []string {
	v, _ := p.get(name)
	valid := "space-separated ECR name parts (lower-case letters and digits separated by '.', '_' or '-')"
	if noneAllowed {
		valid += ", or none"
		if v == "none" {
			return nil
		}
	}
	list := fields(v)
	if len(list) == 0 {
		p.fail(name, v, valid)
		return nil
	}
	seen := map[string]bool{}
	for _, t := range list {
		// "none" is a valid name part, but an operator writing it means "no repositories";
		// taken literally it would create a repository named <namespace>/none for every
		// project (or, in a list, mix the two meanings).
		if t == "none" {
			if noneAllowed {
				p.fail(name, v, valid+"; none alone, not in a list")
			} else {
				p.fail(name, v, valid+"; not none: set create-project-repos to false for no project repositories")
			}
			return nil
		}
		if !naming.ValidPart(t) || seen[t] {
			p.fail(name, v, valid+", each once")
			return nil
		}
		seen[t] = true
	}
	return list
}

func (p *parser) retention(name string) int {
	v, _ := p.get(name)
	return p.retentionValue(name, v)
}

func (p *parser) retentionValue(name, v string) int {
	valid := fmt.Sprintf("an integer from %d to %d", lifecycle.MinRetention, lifecycle.MaxRetention)
	if !digits.MatchString(v) {
		p.fail(name, v, valid)
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lifecycle.MinRetention || n > lifecycle.MaxRetention {
		p.fail(name, v, valid)
		return 0
	}
	return n
}

func (p *parser) teamTag() string { return p.resourceTag(paramTeamTag, true) }

// resourceTag reads a tag key: 1 to 128 characters, not starting with aws:, or, when not
// required, empty.
func (p *parser) resourceTag(name string, required bool) string {
	v, _ := p.get(name)
	if v == "" && !required {
		return ""
	}
	if v == "" || utf8.RuneCountInString(v) > 128 || strings.HasPrefix(strings.ToLower(v), "aws:") || !utf8.ValidString(v) {
		valid := "a tag key of 1 to 128 characters, not starting with aws:"
		if !required {
			valid += ", or empty"
		}
		p.fail(name, v, valid)
	}
	return v
}

// domains reads datazone-domains: DataZone domain ids, each kept once, at most
// naming.MaxDomains.
func (p *parser) domains() []string {
	v, _ := p.get(paramDataZoneDomains)
	list := fields(v)
	for _, id := range list {
		if !naming.IsDomainID(id) {
			p.fail(paramDataZoneDomains, v, fmt.Sprintf("space-separated Amazon DataZone domain ids: dzd_ or dzd- and 1 to 36 letters, digits, _ or - (%q is not one)", id))
			return nil
		}
	}
	list = slices.Compact(slices.Sorted(slices.Values(list)))
	if len(list) > naming.MaxDomains {
		p.fail(paramDataZoneDomains, v, fmt.Sprintf("at most %d Amazon DataZone domains (%d given): their repositories are found by one tag filter, which takes at most %d values",
			naming.MaxDomains, len(list), naming.MaxDomains))
		return nil
	}
	return list
}

func (p *parser) teams() []string {
	v, _ := p.get(paramAllowedTeams)
	list := fields(v)
	for _, t := range list {
		if !naming.ValidPart(t) {
			p.fail(paramAllowedTeams, v, "space-separated team names, each a lower-case ECR name part")
			return nil
		}
	}
	return list
}

func (p *parser) kmsKey() string {
	v, _ := p.get(paramKMSKey)
	if v != "" && !kmsKeyPattern.MatchString(v) {
		p.fail(paramKMSKey, v, "a KMS key ARN, alias ARN, alias/<name> or key id")
	}
	return v
}

func (p *parser) exempt() []string {
	v, _ := p.get(paramLifecycleExempt)
	list := fields(v)
	for _, pat := range list {
		if _, err := path.Match(pat, ""); err != nil {
			p.fail(paramLifecycleExempt, v, fmt.Sprintf("space-separated repository names or path.Match globs (%q: %v)", pat, err))
			return nil
		}
	}
	return list
}

// overrides reads overrides/<namespace>/image-retention,
// overrides/<namespace>/<type>/image-retention and overrides/<namespace>/pull-accounts. An
// override must name a managed namespace: one for anything else could never apply, and is more
// likely a mistake than a wish.
func (p *parser) overrides(company string) (retention map[string]int, pull map[string][]string) {
	retention, pull = map[string]int{}, map[string][]string{}
	names := make([]string, 0)
	for name := range p.values {
		if strings.HasPrefix(name, overridesPrefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	managed := func(target string) bool {
		return naming.CheckRepository(target) == nil && (company == "" || naming.Managed(company, target+"/"))
	}
	for _, name := range names {
		p.get(name)
		rest := strings.TrimPrefix(name, overridesPrefix)
		if ns, ok := strings.CutSuffix(rest, "/pull-accounts"); ok && !strings.Contains(ns, "/") && managed(ns) {
			if accounts := p.accounts(name); len(accounts) > 0 {
				pull[ns] = accounts
			}
			continue
		}
		target, ok := strings.CutSuffix(rest, "/image-retention")
		valid := "overrides/<namespace>/image-retention, overrides/<namespace>/<type>/image-retention or overrides/<namespace>/pull-accounts, for a managed namespace"
		if !ok || strings.Count(target, "/") > 1 || !managed(target) {
			p.fail(name, p.values[name], valid)
			continue
		}
		if n := p.retentionValue(name, p.values[name]); n > 0 {
			retention[target] = n
		}
	}
	if len(pull) == 0 {
		pull = nil
	}
	return retention, pull
}

// accounts reads a space-separated list of 12-digit account ids, each kept once.
func (p *parser) accounts(name string) []string {
	v, _ := p.get(name)
	list := fields(v)
	for _, id := range list {
		if !accountID.MatchString(id) {
			p.fail(name, v, fmt.Sprintf("%s (%q is not 12 digits)", pullAccountsValid, id))
			return nil
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(list)))
}

// members reads member-accounts: account ids other than home.
func (p *parser) members(home string) []string {
	list := p.accounts(paramMemberAccounts)
	if home != "" && slices.Contains(list, home) {
		p.fail(paramMemberAccounts, "", fmt.Sprintf("%s of other accounts: %s is this account, whose projects are served without being listed",
			pullAccountsValid, home))
		return nil
	}
	return list
}

// DefaultMemberRoleName is the member role's name when member-role-name is unset: the name
// member.yaml gives it by default.
const DefaultMemberRoleName = "sagemaker-ecr-provisioner-member"

// roleName reads member-role-name: an IAM role name (a path is not part of it).
func (p *parser) roleName() string {
	v, _ := p.get(paramMemberRoleName)
	if !roleName.MatchString(v) {
		p.fail(paramMemberRoleName, v, "an IAM role name: 1 to 64 letters, digits and +=,.@_- (no path)")
		return ""
	}
	return v
}

func (p *parser) organization() string {
	v, _ := p.get(paramPullOrgID)
	if v != "" && !organizationID.MatchString(v) {
		p.fail(paramPullOrgID, v, "an AWS Organizations id: o- and 10 to 32 lower-case letters or digits")
		return ""
	}
	return v
}

func (p *parser) untaggedDays() int {
	v, ok := p.get(paramUntaggedExpiry)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if !digits.MatchString(v) || err != nil || n < 1 || n > lifecycle.MaxUntaggedDays {
		p.fail(paramUntaggedExpiry, v, fmt.Sprintf("an integer from 1 to %d (days after an untagged image's push)", lifecycle.MaxUntaggedDays))
		return 0
	}
	return n
}

// mutability reads tag-mutability and tag-mutability-exclusions together: the exclusions are
// required with, and only valid with, a *_WITH_EXCLUSION mode.
func (p *parser) mutability() (string, []string) {
	mode := p.oneOf(paramTagMutability, mutabilityModes...)
	v, set := p.get(paramMutabilityExcl)
	filters := fields(v)
	exclusive := strings.HasSuffix(mode, withExclusion)
	switch {
	case set && !exclusive:
		p.fail(paramMutabilityExcl, v, fmt.Sprintf("only with tag-mutability MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION (it is %s)", mode))
		return mode, nil
	case exclusive && len(filters) == 0:
		p.fail(paramTagMutability, mode, fmt.Sprintf("%s with 1 to %d wildcard filters in tag-mutability-exclusions", mode, maxExclusionFilters))
		return mode, nil
	case len(filters) > maxExclusionFilters:
		p.fail(paramMutabilityExcl, v, fmt.Sprintf("1 to %d space-separated wildcard filters (ECR's limit); there are %d", maxExclusionFilters, len(filters)))
		return mode, nil
	}
	for _, f := range filters {
		if !exclusionFilter.MatchString(f) {
			p.fail(paramMutabilityExcl, v, fmt.Sprintf("1 to %d space-separated wildcard filters of letters, digits, '.', '_', '-' and '*' (%q is not)", maxExclusionFilters, f))
			return mode, nil
		}
	}
	return mode, slices.Compact(slices.Sorted(slices.Values(filters)))
}

// protected reads protected-tag-patterns and checks the whole lifecycle policy they make
// against ECR's rules, at the largest retention (the longest text).
func (p *parser) protected(untaggedDays int, inUse bool) []string {
	v, _ := p.get(paramProtectedTags)
	list := fields(v)
	all := Config{ProtectInUse: inUse, ProtectedTagPatterns: list}.protected()
	spec := lifecycle.Spec{Keep: lifecycle.MaxRetention, UntaggedDays: untaggedDays, Protected: all}
	if err := spec.Check(); err != nil {
		most := lifecycle.MaxRules - 1 // the keep rule is always there
		if untaggedDays > 0 {
			most-- // and so is the untagged rule
		}
		if inUse {
			most-- // and the rule of the images in use
		}
		p.fail(paramProtectedTags, v, fmt.Sprintf("space-separated tag patterns, each once, with at most %d '*' each, at most %d in all (%v)",
			lifecycle.MaxWildcards, most, err))
		return nil
	}
	if len(list) == 0 {
		return nil
	}
	return list
}

func (p *parser) unknown() []string {
	var out []string
	for name := range p.values {
		if !p.read[name] {
			out = append(out, p.prefix+name)
		}
	}
	sort.Strings(out)
	return out
}

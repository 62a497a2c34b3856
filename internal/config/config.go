// Package config reads the product's settings from SSM Parameter Store, fills in defaults and
// validates every value before anything is written anywhere.
package config

import (
	"path"
	"slices"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
)

// DefaultPath is the SSM path prefix the configuration lives under when CONFIG_PATH is unset.
const DefaultPath = "/sagemaker-platform/ecr"

// Mode is what the reconciler does with a difference it finds.
type Mode string

// The drift modes.
const (
	// ModeFix writes what differs.
	ModeFix Mode = "fix"
	// ModeReport only reports it.
	ModeReport Mode = "report"
)

// What happens to a project's repositories when the project is deleted.
const (
	OnDeleteRetain        = "retain"
	OnDeleteDeleteIfEmpty = "delete-if-empty"
)

// Config is the validated configuration of one run.
type Config struct {
	// Path is the SSM path the configuration was read from.
	Path string
	// Enabled is false when the product must create and change nothing.
	Enabled bool
	// Company prefixes every managed namespace.
	Company string
	// SharedRepos and ProjectRepos are the repository types of each scope.
	SharedRepos  []string
	ProjectRepos []string
	// CreateProjectRepos is false when projects get no repositories.
	CreateProjectRepos bool
	// ImageRetention is how many images every lifecycle policy keeps unless overridden.
	ImageRetention int
	// TeamTag is the SageMaker project tag whose value names the team.
	TeamTag string
	// AllowedTeams, when not empty, are the only teams that get repositories.
	AllowedTeams []string
	// ScanOnPush and KMSKey are applied when a repository is created (ECR cannot change
	// encryption afterwards; scan on push is left to registry-level scanning afterwards).
	ScanOnPush bool
	KMSKey     string
	// TagMutability is MUTABLE, IMMUTABLE, MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION;
	// TagMutabilityExclusions are the 1 to 5 wildcard filters of the *_WITH_EXCLUSION modes.
	// Both are set at creation and kept true afterwards.
	TagMutability           string
	TagMutabilityExclusions []string
	// PullAccounts are the account ids that may pull every managed repository, PullOrgID the
	// AWS Organizations id whose principals may; NamespacePull adds accounts for the
	// repositories of one namespace.
	PullAccounts  []string
	PullOrgID     string
	NamespacePull map[string][]string
	// UntaggedExpiryDays, when not 0, expires untagged images that many days after their push.
	UntaggedExpiryDays int
	// ProtectedTagPatterns are tag patterns whose images the keep-newest-N rule never expires.
	ProtectedTagPatterns []string
	// ProtectInUse gives every image SageMaker uses the tag sagemaker-in-use-<hex>, and every
	// lifecycle policy a first rule that never expires such an image.
	ProtectInUse bool
	// CheckTags makes the sweep read every managed repository's tags and put managed ones back.
	CheckTags bool
	// MemberAccounts are the accounts, besides this one, whose SageMaker projects get
	// repositories here (the central registry of an organization); MemberRoleName is the role
	// each of them holds for the product to read its SageMaker with.
	MemberAccounts []string
	MemberRoleName string
	// DriftMode is ModeFix or ModeReport.
	DriftMode Mode
	// LifecycleExempt are repository names or path.Match globs drift never touches.
	LifecycleExempt []string
	// OnProjectDelete is OnDeleteRetain or OnDeleteDeleteIfEmpty.
	OnProjectDelete string
	// DataZoneDomains are the Amazon DataZone domains (of this account) whose SageMaker Unified
	// Studio projects get repositories; none: Unified Studio is not a source. DataZoneTeamTag is
	// the project resource tag that names such a project's team; empty: its domain unit's name.
	DataZoneDomains []string
	DataZoneTeamTag string
	// Overrides maps a namespace, or a namespace/type, to its image retention.
	Overrides map[string]int
	// Unknown lists parameter names under Path that nobody reads, likely typos.
	Unknown []string
}

// TeamAllowed reports whether team may get repositories.
func (c Config) TeamAllowed(team string) bool {
	if len(c.AllowedTeams) == 0 {
		return true
	}
	for _, t := range c.AllowedTeams {
		if t == team {
			return true
		}
	}
	return false
}

// Retention is the number of images the repository's lifecycle policy keeps: the repository's
// own override, else its namespace's, else the global value.
func (c Config) Retention(repository string) int {
	if n, ok := c.Overrides[repository]; ok {
		return n
	}
	ns, _ := naming.Namespace(repository)
	if n, ok := c.Overrides[ns]; ok {
		return n
	}
	return c.ImageRetention
}

// Lifecycle is the lifecycle policy the repository is to have.
func (c Config) Lifecycle(repository string) lifecycle.Spec {
	return lifecycle.Spec{Keep: c.Retention(repository), UntaggedDays: c.UntaggedExpiryDays, Protected: c.protected()}
}

// InUsePattern is the tag pattern of the images SageMaker uses (protect-in-use): the first
// rule of the lifecycle policy protects it.
const InUsePattern = "sagemaker-in-use-*"

// protected are the patterns the lifecycle policy protects: the images in use first, with
// protect-in-use, then protected-tag-patterns.
func (c Config) protected() []string {
	if !c.ProtectInUse {
		return c.ProtectedTagPatterns
	}
	return append([]string{InUsePattern}, c.ProtectedTagPatterns...)
}

// Pull returns the account ids that may pull the repository: pull-accounts and its namespace's
// pull-accounts override, sorted, each once.
func (c Config) Pull(repository string) []string {
	ns, _ := naming.Namespace(repository)
	return slices.Compact(slices.Sorted(slices.Values(slices.Concat(c.PullAccounts, c.NamespacePull[ns]))))
}

// AccessScopes names what decides where the product's repository policy statements may be,
// sorted: "*" for every repository (pull-accounts or pull-org-id), each namespace with a
// pull-accounts override, "member:<id>" for each member account (its projects' repositories and
// the shared ones), and "exempt:<pattern>" for each lifecycle-exempt pattern (an exempt
// repository gets none). When one changes, the product's statements may be where they are no
// longer wanted.
func (c Config) AccessScopes() []string {
	var out []string
	if len(c.PullAccounts) > 0 || c.PullOrgID != "" {
		out = append(out, "*")
	}
	for ns := range c.NamespacePull {
		out = append(out, ns)
	}
	for _, m := range c.MemberAccounts {
		out = append(out, "member:"+m)
	}
	for _, p := range c.LifecycleExempt {
		out = append(out, "exempt:"+p)
	}
	slices.Sort(out)
	return out
}

// Exempt reports whether drift must leave the repository's lifecycle policy alone.
func (c Config) Exempt(repository string) bool {
	for _, p := range c.LifecycleExempt {
		if p == repository {
			return true
		}
		// Patterns were checked at load time; a match error cannot happen here.
		if ok, _ := path.Match(p, repository); ok {
			return true
		}
	}
	return false
}

// DataZoneDomain reports whether the Unified Studio projects of domain get repositories.
func (c Config) DataZoneDomain(domain string) bool { return slices.Contains(c.DataZoneDomains, domain) }

// Managed reports whether a repository lies in one of the managed namespaces.
func (c Config) Managed(repository string) bool { return naming.Managed(c.Company, repository) }

// Parameter names, relative to the configuration path.
const (
	paramEnabled            = "enabled"
	paramCompany            = "company"
	paramSharedRepos        = "shared-repos"
	paramProjectRepos       = "project-repos"
	paramCreateProjectRepos = "create-project-repos"
	paramImageRetention     = "image-retention"
	paramTeamTag            = "team-tag"
	paramAllowedTeams       = "allowed-teams"
	paramScanOnPush         = "scan-on-push"
	paramTagMutability      = "tag-mutability"
	paramMutabilityExcl     = "tag-mutability-exclusions"
	paramPullAccounts       = "pull-accounts"
	paramPullOrgID          = "pull-org-id"
	paramUntaggedExpiry     = "untagged-expiry-days"
	paramProtectedTags      = "protected-tag-patterns"
	paramCheckTags          = "check-tags"
	paramKMSKey             = "kms-key"
	paramDriftMode          = "drift-mode"
	paramLifecycleExempt    = "lifecycle-exempt"
	paramOnProjectDelete    = "on-project-delete"
	paramMemberAccounts     = "member-accounts"
	paramMemberRoleName     = "member-role-name"
	paramProtectInUse       = "protect-in-use"
	paramDataZoneDomains    = "datazone-domains"
	paramDataZoneTeamTag    = "datazone-team-tag"
	overridesPrefix         = "overrides/"
)

func fields(s string) []string { return strings.Fields(s) }

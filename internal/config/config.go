// Package config reads the product's settings from SSM Parameter Store, fills in defaults and
// validates every value before anything is written anywhere.
package config

import (
	"path"
	"sort"
	"strings"

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
	// ScanOnPush, TagMutability and KMSKey are applied when a repository is created.
	ScanOnPush    bool
	TagMutability string
	KMSKey        string
	// DriftMode is ModeFix or ModeReport.
	DriftMode Mode
	// LifecycleExempt are repository names or path.Match globs drift never touches.
	LifecycleExempt []string
	// OnProjectDelete is OnDeleteRetain or OnDeleteDeleteIfEmpty.
	OnProjectDelete string
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
	paramKMSKey             = "kms-key"
	paramDriftMode          = "drift-mode"
	paramLifecycleExempt    = "lifecycle-exempt"
	paramOnProjectDelete    = "on-project-delete"
	overridesPrefix         = "overrides/"
)

// Known lists the parameter names the product reads (besides overrides/...), sorted.
func Known() []string {
	names := []string{paramEnabled, paramCompany, paramSharedRepos, paramProjectRepos,
		paramCreateProjectRepos, paramImageRetention, paramTeamTag, paramAllowedTeams,
		paramScanOnPush, paramTagMutability, paramKMSKey, paramDriftMode, paramLifecycleExempt,
		paramOnProjectDelete}
	sort.Strings(names)
	return names
}

func fields(s string) []string { return strings.Fields(s) }

// Report is the detail of an ECR Configuration Invalid event: every problem, named.
type Report struct {
	ConfigPath string          `json:"configPath"`
	Errors     []*InvalidError `json:"errors"`
}

package config

import (
	"slices"
	"strings"
)

// Parameter is one configuration parameter under the configuration path, as the product
// reads it. The configuration table of docs/configuration.md and template.yaml's defaults are
// held against Parameters by tests.
type Parameter struct {
	// Name is the parameter's name relative to the configuration path.
	Name string
	// Default is the value when the parameter is unset; "" means empty (or, with Required, that
	// the configuration is invalid without it).
	Default  string
	Required bool
	// Access says the parameter decides who may pull what: when it changes, the product's
	// repository policy statements may be where they are no longer wanted, so every repository
	// policy is read once (see AccessParameter).
	Access bool
}

// Parameters is the one table of the configuration parameters, in the documented order; the
// overrides (overrides/<namespace>/...) are written by people per namespace and are not in it.
var Parameters = []Parameter{
	{Name: paramEnabled, Default: "true"},
	{Name: paramCompany, Required: true},
	{Name: paramSharedRepos, Default: "base-sklearn base-pytorch base-xgboost"},
	{Name: paramProjectRepos, Default: "preprocessing training inference"},
	{Name: paramCreateProjectRepos, Default: "true"},
	{Name: paramImageRetention, Default: "10"},
	{Name: paramTeamTag, Default: "team"},
	{Name: paramAllowedTeams},
	{Name: paramScanOnPush, Default: "true"},
	{Name: paramTagMutability, Default: "MUTABLE"},
	{Name: paramMutabilityExcl},
	{Name: paramPullAccounts, Access: true},
	{Name: paramPullOrgID, Access: true},
	{Name: paramUntaggedExpiry},
	{Name: paramProtectedTags},
	{Name: paramCheckTags, Default: "false"},
	{Name: paramKMSKey},
	{Name: paramDriftMode, Default: string(ModeFix)},
	{Name: paramLifecycleExempt, Access: true},
	{Name: paramOnProjectDelete, Default: OnDeleteRetain},
	{Name: paramProtectInUse, Default: "false"},
	{Name: paramMemberAccounts, Access: true},
	{Name: paramMemberRoleName, Default: DefaultMemberRoleName},
	{Name: paramDataZoneDomains},
	{Name: paramDataZoneTeamTag},
}

// parameter returns the table's row for name; an override, or a name nothing reads, has none.
func parameter(name string) (Parameter, bool) {
	i := slices.IndexFunc(Parameters, func(p Parameter) bool { return p.Name == name })
	if i < 0 {
		return Parameter{}, false
	}
	return Parameters[i], true
}

// Known lists the parameter names the product reads (besides overrides/...), sorted.
func Known() []string {
	names := make([]string, 0, len(Parameters))
	for _, p := range Parameters {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

// AccessParameter reports whether the parameter named (relative to the configuration path)
// says who may pull what: one of the table's Access parameters, or an override's
// pull-accounts. When one changes, the product's repository policy statements may be where
// they are no longer wanted, so every repository policy is read once. lifecycle-exempt is one:
// a repository made exempt loses the product's statements too.
func AccessParameter(name string) bool {
	if p, ok := parameter(name); ok {
		return p.Access
	}
	return strings.HasPrefix(name, overridesPrefix) && strings.HasSuffix(name, "/pull-accounts")
}

// Package reconcile is the engine both functions share: from the configuration and a project it
// derives the desired repositories, compares each with what ECR holds in one pure plan that
// names every difference as data, and applies only the changes the plan names. Provisioning,
// the drift sweep in fix and report mode, and the repair of one repository all go through it.
package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Desired is one whole repository as the configuration wants it.
type Desired struct {
	Name  string
	Type  string
	Scope naming.Scope
	// Owner is the project that owns a project repository. It is nil for shared ones, and for
	// a project repository known only by its name (the sweep's), whose owner tags are then not
	// compared and whose conflicts are not judged.
	Owner *projects.Project
	// Lifecycle is the lifecycle policy, Policy its text; Exempt means it is left alone, and
	// the repository gets no pull access of the product's.
	Lifecycle lifecycle.Spec
	Policy    string
	Exempt    bool
	// Mutability is the image tag mutability, kept true.
	Mutability registry.Mutability
	// Tags are the managed tags, kept true; every other tag is someone else's.
	Tags map[string]string
	// Pull is who may pull, through the product's repository policy statements.
	Pull access.Grant
	// KMSKey is the encryption (AES256 when empty), and ScanOnPush scanning: both are set at
	// creation only. ECR cannot change encryption; a difference is reported, never fixed.
	KMSKey     string
	ScanOnPush bool
}

// Retention is how many images the lifecycle policy keeps.
func (d Desired) Retention() int { return d.Lifecycle.Keep }

// Settings are what the repository is created with.
func (d Desired) Settings() registry.Settings {
	return registry.Settings{Tags: d.Tags, ScanOnPush: d.ScanOnPush, Mutability: d.Mutability, KMSKey: d.KMSKey}
}

// Shared returns the shared repositories the configuration wants.
func Shared(cfg config.Config) []Desired {
	out := make([]Desired, 0, len(cfg.SharedRepos))
	for _, t := range cfg.SharedRepos {
		out = append(out, desired(cfg, naming.Shared(cfg.Company, t), t, naming.ScopeShared, nil))
	}
	return out
}

// ProjectRepositories returns the project's repositories. It fails, before anything is read or
// written, when the team or project does not make valid repository names or the team is not
// allowed.
func ProjectRepositories(cfg config.Config, p projects.Project) ([]Desired, error) {
	team := naming.Lower(p.Team)
	if !cfg.TeamAllowed(team) {
		return nil, &RejectedError{Project: p.Name, Reason: fmt.Sprintf("team %q is not in allowed-teams (%s)", team, strings.Join(cfg.AllowedTeams, " "))}
	}
	owner := p
	owner.Team = team
	out := make([]Desired, 0, len(cfg.ProjectRepos))
	for _, t := range cfg.ProjectRepos {
		name, err := repositoryName(cfg, owner, t)
		if err != nil {
			return nil, &RejectedError{Project: p.Name, Reason: err.Error()}
		}
		out = append(out, desired(cfg, name, t, naming.ScopeProject, &owner))
	}
	return out, nil
}

// repositoryName is the name of the project's repository of type t: in the namespace its
// repositories already have (a Unified Studio project renamed or moved keeps it), else in the
// one its team and name make.
func repositoryName(cfg config.Config, p projects.Project, t string) (string, error) {
	if p.Namespace == "" {
		return naming.Project(cfg.Company, p.Team, p.Part(), t)
	}
	name := p.Namespace + "/" + t
	if !strings.HasPrefix(p.Namespace, cfg.Company+naming.ProjectNamespaceInfix) {
		return "", fmt.Errorf("namespace %q is not a project namespace of %s", p.Namespace, cfg.Company)
	}
	return name, naming.CheckRepository(name)
}

// Named returns the desired state of a managed repository known only by its name, as the sweep
// finds it: every setting the configuration gives, and the managed tags the name implies. Its
// owner is unknown, so the owner's tags are not part of it.
func Named(cfg config.Config, name string) Desired {
	_, repoType := naming.Namespace(name)
	scope := naming.ScopeProject
	if strings.HasPrefix(name, naming.SharedNamespace(cfg.Company)+"/") {
		scope = naming.ScopeShared
	}
	return desired(cfg, name, repoType, scope, nil)
}

func desired(cfg config.Config, name, repoType string, scope naming.Scope, owner *projects.Project) Desired {
	tags := map[string]string{
		naming.TagManagedBy:      naming.ManagedByValue,
		naming.TagRepositoryType: repoType,
		naming.TagScope:          string(scope),
	}
	if owner != nil {
		tags[naming.TagTeam], tags[naming.TagProjectName] = owner.Team, owner.Name
		switch {
		case owner.Studio():
			tags[naming.TagDomainID], tags[naming.TagStudioProjectID] = owner.Domain, owner.ID
		case owner.ID != "":
			tags[naming.TagProjectID] = owner.ID
		}
		if owner.Account != "" {
			tags[naming.TagProjectAccount] = owner.Account
		}
	}
	spec := cfg.Lifecycle(name)
	exempt := cfg.Exempt(name)
	// An exempt repository belongs to its owners beyond its creation: no pull access of ours
	// either, which the reconciler, leaving it alone, could never take back.
	var pull access.Grant
	if !exempt {
		pull = access.Grant{Accounts: pullAccounts(cfg, name, scope), Organization: cfg.PullOrgID}
		if owner != nil {
			pull.ProjectAccount = owner.Account
		}
	}
	return Desired{
		Name:       name,
		Type:       repoType,
		Scope:      scope,
		Owner:      owner,
		Lifecycle:  spec,
		Policy:     spec.Text(),
		Exempt:     exempt,
		Mutability: registry.Mutability{Mode: cfg.TagMutability, Exclusions: cfg.TagMutabilityExclusions},
		Tags:       tags,
		Pull:       pull,
		KMSKey:     cfg.KMSKey,
		ScanOnPush: cfg.ScanOnPush,
	}
}

// pullAccounts are the accounts the product's accounts statement names for the repository:
// the configured ones, and in a central registry every member account for the shared ones. A
// project's own member account has a statement of its own (access.Grant.ProjectAccount).
func pullAccounts(cfg config.Config, name string, scope naming.Scope) []string {
	accounts := cfg.Pull(name)
	if scope == naming.ScopeShared {
		accounts = append(accounts, cfg.MemberAccounts...)
	}
	return slices.Compact(slices.Sorted(slices.Values(accounts)))
}

// InAccount returns the desired state of a project repository known by its name (the sweep's)
// that is the member account's (see AccountOf): its account tag kept, or put back, and pull
// granted to that account. Only a member's id is taken: an account that is not one grants
// nothing.
func InAccount(cfg config.Config, d Desired, account string) Desired {
	if d.Scope != naming.ScopeProject || d.Exempt || !slices.Contains(cfg.MemberAccounts, account) {
		return d
	}
	d.Tags = maps.Clone(d.Tags)
	d.Tags[naming.TagProjectAccount] = account
	d.Pull.ProjectAccount = account
	return d
}

// Reads is what the plan of d needs observed beyond DescribeRepositories: the tags (for the
// owner and the conflict check), the lifecycle policy unless the repository is exempt, and the
// repository policy where pull access is granted and, in a central registry, on every project
// repository, whose policy may say whose it is (see AccountOf). A caller may read more: the
// sweep reads every policy in a cycle that withdraws a grant, where the product's statements
// may still be there to remove. The plan compares what was read, and only that.
func Reads(cfg config.Config, d Desired) registry.Reads {
	central := len(cfg.MemberAccounts) > 0 && d.Scope == naming.ScopeProject
	return registry.Reads{Tags: true, Lifecycle: !d.Exempt, Access: !d.Pull.Empty() || (central && !d.Exempt)}
}

// RejectedError is a project that cannot have repositories as it is: a name that is not valid
// in ECR, a team that is not allowed, a repository that belongs to another project. Retrying
// cannot help; someone must change the project or the configuration.
type RejectedError struct {
	Project string
	Reason  string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("project %q rejected: %s", e.Project, e.Reason)
}

// Rejected reports whether err consists of rejections only. An error that joins a rejection
// with anything else (a throttled call, say) is not: retrying can still fix part of it.
func Rejected(err error) bool {
	if err == nil {
		return false
	}
	switch e := err.(type) {
	case *RejectedError:
		return true
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			if !Rejected(inner) {
				return false
			}
		}
		return true
	case interface{ Unwrap() error }:
		return Rejected(e.Unwrap())
	}
	return false
}

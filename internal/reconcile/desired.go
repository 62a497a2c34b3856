// Package reconcile is the engine both functions share: from the configuration and a project it
// derives the desired repositories, compares them with what ECR holds, plans the difference as
// plain data, and applies only the changes the plan names.
package reconcile

import (
	"fmt"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Desired is one repository as the configuration wants it.
type Desired struct {
	Name string
	// Owner is the project that owns a project repository; nil for shared ones.
	Owner *projects.Project
	// Retention and Policy are the lifecycle policy; Exempt means the policy is left alone.
	Retention int
	Policy    string
	Exempt    bool
	// Settings are applied at creation; their Tags are also kept up to date afterwards.
	Settings registry.Settings
}

// Shared returns the shared repositories the configuration wants.
func Shared(cfg config.Config) []Desired {
	out := make([]Desired, 0, len(cfg.SharedRepos))
	for _, t := range cfg.SharedRepos {
		name := naming.Shared(cfg.Company, t)
		out = append(out, desired(cfg, name, t, naming.ScopeShared, nil, map[string]string{}))
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
		name, err := naming.Project(cfg.Company, team, p.Name, t)
		if err != nil {
			return nil, &RejectedError{Project: p.Name, Reason: err.Error()}
		}
		extra := map[string]string{naming.TagTeam: team, naming.TagProjectName: p.Name}
		if p.ID != "" {
			extra[naming.TagProjectID] = p.ID
		}
		out = append(out, desired(cfg, name, t, naming.ScopeProject, &owner, extra))
	}
	return out, nil
}

func desired(cfg config.Config, name, repoType string, scope naming.Scope, owner *projects.Project, tags map[string]string) Desired {
	tags[naming.TagManagedBy] = naming.ManagedByValue
	tags[naming.TagRepositoryType] = repoType
	tags[naming.TagScope] = string(scope)
	n := cfg.Retention(name)
	return Desired{
		Name:      name,
		Owner:     owner,
		Retention: n,
		Policy:    lifecycle.Policy(n),
		Exempt:    cfg.Exempt(name),
		Settings: registry.Settings{
			Tags:          tags,
			ScanOnPush:    cfg.ScanOnPush,
			TagMutability: cfg.TagMutability,
			KMSKey:        cfg.KMSKey,
		},
	}
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

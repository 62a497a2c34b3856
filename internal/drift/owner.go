package drift

import (
	"context"
	"errors"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// place is the partition and Region that project ARNs are built in.
type place struct {
	partition, region string
}

// placeOf reads the place of an ECR repository ARN (arn:aws:ecr:us-east-1:123456789012:repository/...).
func placeOf(repositoryARN string) (place, bool) {
	parts := strings.SplitN(repositoryARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecr" {
		return place{}, false
	}
	return place{parts[1], parts[3]}, true
}

func (p place) projectARN(account, name string) string {
	return strings.Join([]string{"arn", p.partition, "sagemaker", p.region, account, "project/" + naming.Lower(name)}, ":")
}

// owner finds, from SageMaker, the live project that owns the project repository name: the
// one whose team and name make that repository. The repository's namespace is
// <company>-sm-<team>-<project>, and a team may hold '-', so every split of it is a candidate
// unless a remaining tag says which (tags may be nil: a deleted repository has none). The
// candidates are looked for in the account the repository's account tag names, or, without
// one, in this account and every member account. Each costs one ListTags; the project must
// exist and carry that team. No candidate, or two (the naming scheme's collision: team data
// with project science-x and team data-science with project x, or one project name in two
// accounts), is no owner. An account that cannot be read is an error, returned with the owner
// found elsewhere if any: that account might hold a second candidate. The owner found is
// confirmed (see reconcile.Desired.AccountConfirmed): it is the one project across the accounts
// searched.
func owner(ctx context.Context, in *accounts.Session, cfg config.Config, at place, name string, tags map[string]string) (*projects.Project, error) {
	ns, _ := naming.Namespace(name)
	rest, ok := strings.CutPrefix(ns, cfg.Company+naming.ProjectNamespaceInfix)
	if !ok {
		return nil, nil
	}
	team, project := naming.Lower(tags[naming.TagTeam]), tags[naming.TagProjectName]
	where := in.Accounts()
	if a := tags[naming.TagProjectAccount]; a != "" {
		where = []string{a}
	}
	var found *projects.Project
	var errs []error
	for _, account := range where {
		api, err := in.SageMaker(ctx, account)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range len(rest) {
			if rest[i] != '-' {
				continue
			}
			t, p := rest[:i], rest[i+1:]
			if !naming.ValidPart(t) || !naming.ValidPart(p) || (team != "" && t != team) || (project != "" && naming.Lower(project) != p) {
				continue
			}
			if project != "" {
				p = project // SageMaker's own spelling
			}
			ptags, gone, err := projects.Tags(ctx, api, at.projectARN(account, p))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if gone {
				continue
			}
			candidate := projects.Identify(p, "", ptags, cfg.TeamTag)
			if naming.Lower(candidate.Team) != t {
				continue
			}
			if found != nil {
				return nil, nil // two projects make this name: a conflict for a person to resolve
			}
			candidate.Account = in.ProjectAccount(account)
			found = &candidate
		}
	}
	return found, errors.Join(errs...)
}

// projectDesired returns the desired state of the project repository name as its owner wants
// it, or ok false when the owner's configuration has no such repository (a type no longer in
// project-repos) or the owner cannot have repositories.
func projectDesired(cfg config.Config, p projects.Project, name string) (reconcile.Desired, bool) {
	desired, err := reconcile.ProjectRepositories(cfg, p)
	if err != nil {
		return reconcile.Desired{}, false
	}
	for _, d := range desired {
		if d.Name == name {
			d.AccountConfirmed = true
			return d, true
		}
	}
	return reconcile.Desired{}, false
}

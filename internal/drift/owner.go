package drift

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/access"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
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
// unless a remaining tag says which (tags may be nil: a deleted repository has none). Each
// candidate costs one ListTags; the project must exist and carry that team.
//
// Where it looks is the ownership rule that reconcile's conflict check holds provisioning to:
// a repository is of the account its account tag names, and one without an account tag is this
// account's, so only a project of this account may own it (a member project of the same name
// is a conflict, never adopted). granted widens that by one piece of evidence only the product
// writes: the member accounts its own statement in the repository's policy grants pull beyond
// what the configuration grants the name (see memberGrants). Only a member project's
// repositories grant their member, so such a repository was made for that member's project and
// someone removed its account tag: the member is searched too, and the owner found there is
// returned with confirmed true (reconcile.Desired.AccountGranted), so the tag is put back.
//
// No candidate, or two (the naming scheme's collision: team data with project science-x and
// team data-science with project x, or one project name in two of the accounts searched), is
// no owner. An account that cannot be read is an error, returned with the owner found elsewhere
// if any: that account might hold a second candidate.
func owner(ctx context.Context, in *accounts.Session, cfg config.Config, at place, name string, tags map[string]string, granted []string) (p *projects.Project, confirmed bool, err error) {
	ns, _ := naming.Namespace(name)
	rest, ok := strings.CutPrefix(ns, cfg.Company+naming.ProjectNamespaceInfix)
	if !ok {
		return nil, false, nil
	}
	team, project := naming.Lower(tags[naming.TagTeam]), tags[naming.TagProjectName]
	where := []string{tags[naming.TagProjectAccount]}
	if where[0] == "" {
		where = append([]string{in.Accounts()[0]}, granted...)
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
				return nil, false, nil // two projects make this name: a conflict for a person to resolve
			}
			candidate.Account = in.ProjectAccount(account)
			found = &candidate
		}
	}
	confirmed = found != nil && found.Account != "" && tags[naming.TagProjectAccount] == "" && slices.Contains(granted, found.Account)
	return found, confirmed, errors.Join(errs...)
}

// memberGrants are the member accounts the product's statement in the repository policy doc
// grants pull to although the configuration does not grant them the repository name itself
// (pull-accounts, an override): the product's record that the repository was made for a
// member's project. A policy not read, absent or unparsable records nothing.
func memberGrants(cfg config.Config, name string, doc registry.Observed[registry.Document]) []string {
	if !doc.Known || !doc.Value.Exists || len(cfg.MemberAccounts) == 0 {
		return nil
	}
	policy, err := access.Parse(doc.Value.Text)
	if err != nil {
		return nil
	}
	configured := cfg.Pull(name)
	var out []string
	for _, a := range policy.Accounts() {
		if slices.Contains(cfg.MemberAccounts, a) && !slices.Contains(configured, a) {
			out = append(out, a)
		}
	}
	return out
}

// projectDesired returns the desired state of the project repository name as its owner wants
// it, or ok false when the owner's configuration has no such repository (a type no longer in
// project-repos) or the owner cannot have repositories. granted says the owner is a member
// found from the product's own grant in the repository's policy (see owner).
func projectDesired(cfg config.Config, p projects.Project, name string, granted bool) (reconcile.Desired, bool) {
	desired, err := reconcile.ProjectRepositories(cfg, p)
	if err != nil {
		return reconcile.Desired{}, false
	}
	for _, d := range desired {
		if d.Name == name {
			d.AccountGranted = granted
			return d, true
		}
	}
	return reconcile.Desired{}, false
}

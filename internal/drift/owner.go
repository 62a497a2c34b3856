package drift

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/studio"
)

// place is the partition and Region that project ARNs are built in.
type place struct {
	partition, region string
}

// placeOf reads the place of an ECR repository ARN (arn:aws:ecr:us-east-1:123456789012:repository/...).
func placeOf(repositoryARN string) (place, bool) {
	a, err := arn.Parse(repositoryARN)
	if err != nil || a.Service != "ecr" {
		return place{}, false
	}
	return place{a.Partition, a.Region}, true
}

func (p place) projectARN(account, name string) string {
	return arn.ARN{Partition: p.partition, Service: "sagemaker", Region: p.region, AccountID: account, Resource: "project/" + naming.Lower(name)}.String()
}

// owner finds, from SageMaker, the live project that owns the project repository name: the
// one whose team and name make that repository. The repository's namespace is
// <company>-sm-<team>-<project>, and a team may hold '-', so every split of it is a candidate
// unless a remaining tag says which (tags may be nil: a deleted repository has none). Each
// candidate costs one ListTags; the project must exist and carry that team.
//
// It looks in one account only: the repository's own, as reconcile.AccountOf tells it (the
// project account id, "" for this account). A repository never changes hands between accounts,
// so a project of the same name elsewhere is never its owner: a retired repository of this
// account is not a member's, whatever the member's projects are called.
//
// No candidate, or two (the naming scheme's collision: team data with project science-x and
// team data-science with project x), is no owner. An account that cannot be read is an error.
func owner(ctx context.Context, in *accounts.Session, cfg config.Config, at place, name, account string, tags map[string]string) (*projects.Project, error) {
	ns, _ := naming.Namespace(name)
	rest, ok := strings.CutPrefix(ns, cfg.Company+naming.ProjectNamespaceInfix)
	if !ok {
		return nil, nil
	}
	team, project := naming.Lower(tags[naming.TagTeam]), tags[naming.TagProjectName]
	where := cmp.Or(account, in.Accounts()[0])
	api, err := in.SageMaker(ctx, where)
	if err != nil {
		return nil, err
	}
	var found *projects.Project
	var errs []error
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
		ptags, gone, err := projects.Tags(ctx, api, at.projectARN(where, p))
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
		candidate.Account = in.ProjectAccount(where)
		found = &candidate
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
			return d, true
		}
	}
	return reconcile.Desired{}, false
}

// ownerOf is the one owner rule of the sweep and the repair (reconcile.Owner): a project
// repository is its own account's (reconcile.AccountOf: its account tag, or the product's own
// grant to a member when the tag was removed, which is then put back), and its owner is
// looked for in that account only. The owner is asked for in SageMaker when the repository's
// owner tags were removed, or its project was deleted (it may be back), so that the plan puts
// the tags back as the live owner wants them; with confirm (a repair: the edit may have been
// to the tags), always. A repository whose owner tags are whole and whose project is not
// deleted costs no call otherwise. When SageMaker cannot be read, the rest of the repository
// is still checked, as its account wants it, and its owner tags wait for the next check. It
// reports asked only when it found the owner: the repository is then observed again, and a
// lookup that changed nothing costs no second observation.
func (r *run) ownerOf(confirm bool) reconcile.Owner {
	return func(ctx context.Context, d reconcile.Desired, o *registry.Repository) (reconcile.Desired, bool, error) {
		tags := o.Tags.Value
		account := reconcile.AccountOf(o)
		if account != "" {
			d = reconcile.InAccount(r.cfg, d, account) // a member's project: its account pulls, whoever owns it
		}
		_, retired := tags[naming.TagProjectDeleted]
		if !confirm && !retired && tags[naming.TagTeam] != "" && tags[naming.TagProjectName] != "" {
			return d, false, nil
		}
		if id := tags[naming.TagStudioProjectID]; id != "" {
			return r.studioOwner(ctx, d, tags[naming.TagDomainID], id)
		}
		at, ok := placeOf(o.ARN)
		if !ok {
			return d, false, nil
		}
		p, err := owner(ctx, r.accounts, r.cfg, at, d.Name, account, tags)
		if err != nil {
			r.log.WarnContext(ctx, "owner of a repository not read from SageMaker", "repository", d.Name, "error", err.Error())
			return d, false, nil
		}
		if p == nil {
			return d, false, nil
		}
		if want, ok := projectDesired(r.cfg, *p, d.Name); ok {
			return want, true, nil
		}
		return d, false, nil
	}
}

// studioOwner is the owner of a repository with a Unified Studio identity: that project, read
// from DataZone (never a SageMaker project, whatever its name makes), when its domain is
// configured. Its repository stays where it is (renamed or moved, a project keeps its
// namespace). When DataZone cannot be read, or the project is gone, the repository is checked
// as its name wants it.
func (r *run) studioOwner(ctx context.Context, d reconcile.Desired, domain, id string) (reconcile.Desired, bool, error) {
	if !r.cfg.DataZoneDomain(domain) || r.svc.DataZone == nil {
		return d, false, nil
	}
	out, gone, err := studio.Get(ctx, r.svc.DataZone, domain, id)
	if err != nil || gone {
		if err != nil {
			r.log.WarnContext(ctx, "owner of a repository not read from DataZone", "repository", d.Name, "error", err.Error())
		}
		return d, false, nil
	}
	// The project's repositories are in one namespace, or none of them is put right by it: its
	// identity on another team's repository must not bring that project's tags there.
	switch _, err := r.studioNamespace(ctx, domain, id); {
	case reconcile.Rejected(err):
		return d, false, err
	case err != nil:
		r.log.WarnContext(ctx, "repositories of a Unified Studio project not looked up", "repository", d.Name, "error", err.Error())
		return d, false, nil
	}
	p, err := r.studio.teams.Project(ctx, out)
	if err != nil {
		return d, false, nil
	}
	p.Namespace, _ = naming.Namespace(d.Name)
	if want, ok := projectDesired(r.cfg, p, d.Name); ok {
		return want, true, nil
	}
	return d, false, nil
}

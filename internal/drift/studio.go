package drift

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dztypes "github.com/aws/aws-sdk-go-v2/service/datazone/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/studio"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// discoverStudio is the discovery of SageMaker Unified Studio projects, beside SageMaker's:
// the repositories of every project of the datazone-domains are found by their identity tags
// (GetResources, a page of 100), and each domain's projects are listed (ListProjects, a page of
// 50), starting with the domain the cursor names (the one the last run ran out of time in). A
// project whose repositories are all there costs nothing more, and so does one without
// repositories that has not changed since the last run that read every domain without an
// error (it was created or rejected then); an ACTIVE one that lacks some is read (GetProject,
// and its domain unit's name once a run) and its missing repositories are created (fix mode) or
// reported, in the namespace its repositories already have. The
// repositories of a project that is no longer listed are retired as DeleteProject retires
// them, once GetProject says it is gone (fix mode). A domain that cannot be listed is one
// error, named in unreachable, and the other domains and SageMaker's discovery go on. done is
// true when every domain was read to its end.
func (r *run) discoverStudio(ctx context.Context, cursor *sweep.StudioCursor, now time.Time, listing *sweep.Listing) (o outcome, done bool) {
	domains := r.cfg.DataZoneDomains
	if len(domains) == 0 {
		*cursor = sweep.StudioCursor{}
		return o, true
	}
	if r.svc.DataZone == nil || r.svc.Tags == nil {
		o.errors++
		r.log.ErrorContext(ctx, "datazone-domains is set, but the function has no DataZone client")
		return o, false
	}
	if r.stopped() {
		return o, false
	}
	found, err := studio.Repositories(ctx, r.svc.Tags, domains, "")
	switch {
	case err != nil && ctx.Err() != nil:
		return o, false // out of time: no fault of the index's
	case err != nil:
		o.errors++
		r.log.ErrorContext(ctx, "repositories of Unified Studio projects not looked up; the discovery waits", "error", err.Error())
		return o, false
	}
	owned := map[string][]registry.Tagged{} // by domain/project id
	for _, f := range found {
		key := f.Tags[naming.TagDomainID] + "/" + f.Tags[naming.TagStudioProjectID]
		owned[key] = append(owned[key], f)
	}
	teams := r.studio.teams
	listed := map[string]bool{}
	read := map[string]bool{} // domains listed to their end
	done = true
	stop := "" // the domain this run ran out of time in
	start := max(0, slices.Index(domains, cursor.Next))
	errs := o.errors
	for i := range domains {
		domain := domains[(start+i)%len(domains)]
		if ctx.Err() != nil || r.stopped() {
			stop = domain
			break
		}
		all, err := studio.Walk(ctx, r.svc.DataZone, domain, func(p dztypes.ProjectSummary) bool {
			if ctx.Err() != nil || r.stopped() {
				return false
			}
			key := domain + "/" + aws.ToString(p.Id)
			listed[key] = true
			// A project without repositories that has not changed since the last whole run was
			// looked at by it: created then, or rejected then (not again every run).
			settled := owned[key] == nil && !cursor.Since.IsZero() && changed(p).Before(cursor.Since.Add(-headOverlap))
			if r.cfg.CreateProjectRepos && studio.Active(p.ProjectStatus) && !settled && !whole(r.cfg, owned[key], listing) {
				o.add(r.visitStudio(ctx, teams, domain, aws.ToString(p.Id), owned[key], listing))
			}
			return true
		})
		switch {
		case err != nil && ctx.Err() == nil:
			if o.passOver(domain) {
				r.log.ErrorContext(ctx, "Unified Studio domain unreadable; its projects wait", "domain", domain, "error", err.Error())
			}
			done = false
		case err != nil || !all:
			stop = domain
		default:
			read[domain] = true
		}
		if stop != "" {
			break
		}
	}
	cursor.Next = stop
	done = done && stop == ""
	if done && o.errors == errs {
		cursor.Since = now
	}
	if r.fix() {
		for key, repos := range owned {
			if ctx.Err() != nil || r.stopped() {
				break
			}
			domain := repos[0].Tags[naming.TagDomainID]
			if read[domain] && !listed[key] && !retired(repos) {
				o.add(r.retireStudio(ctx, domain, repos[0].Tags[naming.TagStudioProjectID], repos))
			}
		}
	}
	return o, done
}

// changed is when a listed project last changed: its update, or its creation.
func changed(p dztypes.ProjectSummary) time.Time {
	if p.UpdatedAt != nil {
		return *p.UpdatedAt
	}
	return aws.ToTime(p.CreatedAt)
}

// whole reports whether a project's repositories, found by identity, are every one the
// configuration wants and are all there.
func whole(cfg config.Config, repos []registry.Tagged, listing *sweep.Listing) bool {
	ns, err := studio.Namespace(repos)
	if err != nil || ns == "" {
		return false
	}
	for _, t := range cfg.ProjectRepos {
		if !listing.Has(ns + "/" + t) {
			return false
		}
	}
	return true
}

// retired reports whether every repository is tagged as its project's deleted.
func retired(repos []registry.Tagged) bool {
	for _, r := range repos {
		if _, ok := r.Tags[naming.TagProjectDeleted]; !ok {
			return false
		}
	}
	return true
}

// visitStudio reads one Unified Studio project that lacks repositories and completes them.
func (r *run) visitStudio(ctx context.Context, teams *studio.Teams, domain, id string, repos []registry.Tagged, listing *sweep.Listing) (o outcome) {
	out, gone, err := studio.Get(ctx, r.svc.DataZone, domain, id)
	switch {
	case err != nil && ctx.Err() != nil:
		return o
	case err != nil:
		o.errors++
		r.log.ErrorContext(ctx, "Unified Studio project not read", "domain", domain, "project", id, "error", err.Error())
		return o
	case gone || !studio.Active(out.ProjectStatus):
		return o
	}
	project, err := teams.Identify(ctx, out, repos)
	var desired []reconcile.Desired
	if err == nil {
		desired, err = reconcile.ProjectRepositories(r.cfg, project)
	}
	switch {
	case err != nil && ctx.Err() != nil:
		return o
	case err != nil && !reconcile.Rejected(err):
		o.errors++
		r.log.ErrorContext(ctx, "Unified Studio project not identified", "domain", domain, "project", id, "error", err.Error())
		return o
	case err != nil:
		project.Domain = domain
		return r.rejectProject(ctx, project, err)
	}
	made, _ := r.complete(ctx, desired, listing)
	o.add(made)
	return o
}

// retireStudio retires the repositories of a Unified Studio project that is no longer listed,
// once DataZone says it is gone, exactly as its DeleteProject would.
func (r *run) retireStudio(ctx context.Context, domain, project string, repos []registry.Tagged) (o outcome) {
	_, gone, err := studio.Get(ctx, r.svc.DataZone, domain, project)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			o.errors++
			r.log.ErrorContext(ctx, "Unified Studio project not read", "domain", domain, "project", project, "error", err.Error())
		}
		return o
	case !gone:
		return o
	}
	results, err := r.engine.RetireStudio(ctx, r.cfg, domain, project, repos, r.svc.now())
	if reconcile.Rejected(err) {
		o.rejected++
		r.log.WarnContext(ctx, "repositories of a deleted Unified Studio project not retired", "domain", domain, "project", project, "reason", err.Error())
		return o
	}
	if err != nil && ctx.Err() == nil {
		o.errors++
		r.log.ErrorContext(ctx, "repositories of a deleted Unified Studio project not retired", "domain", domain, "project", project, "error", err.Error())
	}
	for _, ev := range publish.RetiredEvents(publish.RetiredDetail{Project: studio.ProjectName(repos), Domain: domain,
		Policy: r.cfg.OnProjectDelete}, results) {
		r.events.Add(ctx, ev)
	}
	return o
}

// studioRun is what a run learns of Unified Studio once, whatever the number of repositories
// that ask: the domain units' names (teams), and the namespace of each project's repositories.
type studioRun struct {
	teams *studio.Teams

	mu         sync.Mutex
	namespaces map[string]studioNamespace // by domain/project id
}

type studioNamespace struct {
	name string
	err  error
}

// studioNamespace is the one namespace of the repositories that carry the identity of the
// Unified Studio project id of domain, looked up by tag once a run: an error (a rejection) when
// they are in two, someone having copied the identity tags onto another team's or project's
// repository.
func (r *run) studioNamespace(ctx context.Context, domain, id string) (string, error) {
	key := domain + "/" + id
	r.studio.mu.Lock()
	got, ok := r.studio.namespaces[key]
	r.studio.mu.Unlock()
	if ok {
		return got.name, got.err
	}
	found, err := studio.Repositories(ctx, r.svc.Tags, []string{domain}, id)
	if err != nil {
		return "", err // not kept: the next repository asks again
	}
	managed := slices.DeleteFunc(found, func(t registry.Tagged) bool { return !r.cfg.Managed(t.Name) })
	got.name, got.err = studio.Namespace(managed)
	if got.err != nil {
		got.err = &reconcile.RejectedError{Project: id, Reason: got.err.Error()}
	}
	r.studio.mu.Lock()
	if r.studio.namespaces == nil {
		r.studio.namespaces = map[string]studioNamespace{}
	}
	r.studio.namespaces[key] = got
	r.studio.mu.Unlock()
	return got.name, got.err
}

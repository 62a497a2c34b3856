// Package studio is every read the product makes of SageMaker Unified Studio: its projects are
// Amazon DataZone projects, read with GetProject, listed with ListProjects, and given a team by
// a resource tag or by their domain unit (GetDomainUnit); and their repositories, which say
// whose they are by identity tags, are found through the Resource Groups Tagging API.
//
// As with SageMaker's projects, an event is a trigger and this is where the truth is read.
package studio

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datazone"
	dztypes "github.com/aws/aws-sdk-go-v2/service/datazone/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// API is what the product asks DataZone, with the SDK's own signatures.
type API interface {
	GetProject(ctx context.Context, in *datazone.GetProjectInput, opts ...func(*datazone.Options)) (*datazone.GetProjectOutput, error)
	datazone.ListProjectsAPIClient
	GetDomainUnit(ctx context.Context, in *datazone.GetDomainUnitInput, opts ...func(*datazone.Options)) (*datazone.GetDomainUnitOutput, error)
}

// Index is the Resource Groups Tagging API's lookup of resources by tag.
type Index interface {
	resourcegroupstaggingapi.GetResourcesAPIClient
}

// Get reads a project. gone is true when DataZone does not know it or is deleting it: its
// repositories are then retired as on-project-delete says. Any other status is a project that
// exists; only an ACTIVE one gets repositories (see Active).
func Get(ctx context.Context, api API, domain, id string) (_ *datazone.GetProjectOutput, gone bool, err error) {
	out, err := api.GetProject(ctx, &datazone.GetProjectInput{DomainIdentifier: aws.String(domain), Identifier: aws.String(id)})
	var notFound *dztypes.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		return nil, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("project %s of Unified Studio domain %s not read: %w", id, domain, err)
	}
	return out, out.ProjectStatus == dztypes.ProjectStatusDeleting, nil
}

// Active reports whether a project in status s gets repositories: only an ACTIVE one. One
// being created, updated or moved gets them when it is ACTIVE (the reconciler's discovery
// finds it then, if no event says so first).
func Active(s dztypes.ProjectStatus) bool { return s == dztypes.ProjectStatusActive }

// Teams gives Unified Studio projects their team: the value of the project resource tag
// TeamTag names (set by the project profile) or, with TeamTag empty, the name of the
// project's domain unit, as a name part (naming.StudioPart). It remembers the domain units it
// has read; it is safe for concurrent use.
type Teams struct {
	API     API
	TeamTag string

	mu    sync.Mutex
	units map[string]string // domain/unit id -> name
}

// Project is the project a GetProject answer describes, with its team. A project without a
// team is rejected (a *reconcile.RejectedError that names it and why): nothing is created for
// it. A domain unit that cannot be read is an error.
func (t *Teams) Project(ctx context.Context, out *datazone.GetProjectOutput) (projects.Project, error) {
	p := projects.Project{Name: aws.ToString(out.Name), ID: aws.ToString(out.Id), Domain: aws.ToString(out.DomainId)}
	if t.TeamTag != "" {
		for _, tag := range out.ResourceTags {
			if aws.ToString(tag.Key) == t.TeamTag {
				p.Team = naming.StudioPart(aws.ToString(tag.Value))
			}
		}
		if p.Team == "" {
			return p, &reconcile.RejectedError{Project: p.Name, Reason: fmt.Sprintf(
				"Unified Studio project %s of domain %s has no resource tag %q (datazone-team-tag) to name its team: set it in its project profile", p.ID, p.Domain, t.TeamTag)}
		}
		return p, nil
	}
	unit := aws.ToString(out.DomainUnitId)
	if unit == "" {
		return p, &reconcile.RejectedError{Project: p.Name, Reason: fmt.Sprintf(
			"Unified Studio project %s of domain %s is in no domain unit, and datazone-team-tag is empty: it has no team", p.ID, p.Domain)}
	}
	name, err := t.unit(ctx, p.Domain, unit)
	if err != nil {
		return p, err
	}
	if p.Team = naming.StudioPart(name); p.Team == "" {
		return p, &reconcile.RejectedError{Project: p.Name, Reason: fmt.Sprintf("the domain unit %s of Unified Studio project %s has no name to be its team", unit, p.ID)}
	}
	return p, nil
}

// Identify is Project, placed in the namespace the project's repositories, found by identity
// (see Repositories), already have: named once, at creation, a project renamed or moved keeps
// it. Repositories of one identity in two namespaces are a rejection, like a project without a
// team.
func (t *Teams) Identify(ctx context.Context, out *datazone.GetProjectOutput, found []registry.Tagged) (projects.Project, error) {
	p, err := t.Project(ctx, out)
	if err != nil {
		return p, err
	}
	if p.Namespace, err = Namespace(found); err != nil {
		return p, &reconcile.RejectedError{Project: p.Name, Reason: err.Error()}
	}
	return p, nil
}

func (t *Teams) unit(ctx context.Context, domain, id string) (string, error) {
	key := domain + "/" + id
	t.mu.Lock()
	name, ok := t.units[key]
	t.mu.Unlock()
	if ok {
		return name, nil
	}
	out, err := t.API.GetDomainUnit(ctx, &datazone.GetDomainUnitInput{DomainIdentifier: aws.String(domain), Identifier: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("domain unit %s of domain %s not read: %w", id, domain, err)
	}
	name = aws.ToString(out.Name)
	t.mu.Lock()
	if t.units == nil {
		t.units = map[string]string{}
	}
	t.units[key] = name
	t.mu.Unlock()
	return name, nil
}

// Walk calls fn with every project of domain, page after page, until fn returns false. all is
// false when fn stopped it.
func Walk(ctx context.Context, api API, domain string, fn func(dztypes.ProjectSummary) bool) (all bool, err error) {
	pages := datazone.NewListProjectsPaginator(api, &datazone.ListProjectsInput{DomainIdentifier: aws.String(domain), MaxResults: aws.Int32(50)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("projects of Unified Studio domain %s not listed: %w", domain, err)
		}
		for _, p := range page.Items {
			if !fn(p) {
				return false, nil
			}
		}
	}
	return true, nil
}

// Repositories finds the repositories that carry a Unified Studio identity: of the project
// (domain and id) when project is not empty, else of every project of the domains. They are
// found by their tags, through the Resource Groups Tagging API (one GetResources a page of 100),
// not by their names: a project renamed or moved keeps its repositories, whose names no longer
// say whose they are. The tagging API can take a little while to show a repository just
// tagged.
func Repositories(ctx context.Context, index Index, domains []string, project string) ([]registry.Tagged, error) {
	filters := []tagtypes.TagFilter{{Key: aws.String(naming.TagDomainID), Values: domains}}
	if project != "" {
		filters = append(filters, tagtypes.TagFilter{Key: aws.String(naming.TagStudioProjectID), Values: []string{project}})
	}
	found, err := registry.FindTagged(ctx, index, filters)
	if err != nil {
		return nil, fmt.Errorf("repositories of Unified Studio projects not looked up by tag: %w", err)
	}
	return found, nil
}

// Namespace is the one namespace of a project's repositories, found by Repositories: "" when
// it has none. Repositories of one identity in two namespaces are an error: someone tagged a
// repository by hand, and which to keep is a person's call.
func Namespace(found []registry.Tagged) (string, error) {
	ns := ""
	for _, r := range found {
		n, _ := naming.Namespace(r.Name)
		switch {
		case ns == "":
			ns = n
		case n != ns:
			return "", fmt.Errorf("repositories of one Unified Studio project in two namespaces, %s and %s: remove the identity tags of one", ns, n)
		}
	}
	return ns, nil
}

// ProjectName is a deleted project's name as its repositories remember it (their project-name
// tag): "" when none does.
func ProjectName(found []registry.Tagged) string {
	for _, r := range found {
		if name := r.Tags[naming.TagProjectName]; name != "" {
			return name
		}
	}
	return ""
}

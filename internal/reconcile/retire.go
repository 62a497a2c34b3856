package reconcile

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Retire handles a deleted project of account ("" for this account's own). Its repositories
// are found by name (a project namespace that ends in the project's name) and confirmed by
// their tags (managed-by, sagemaker:project-name, and sagemaker:project-account naming the same
// account, or none for this account's), since the team is no longer readable from the deleted
// project: a project of the same name in another account keeps its repositories.
//
// With on-project-delete=retain every repository stays and is tagged
// sagemaker:project-deleted=<time>. With delete-if-empty a repository without images is deleted
// and one with images is retained and tagged. Images are never force-deleted: the delete call
// is made without force, so ECR itself refuses when an image arrives in between.
// A repository already tagged as deleted is left as it is, so a repeated event writes nothing.
func (e *Engine) Retire(ctx context.Context, cfg config.Config, project, account string, now time.Time) ([]Result, error) {
	suffix := "-" + naming.Lower(project)
	var candidates []registry.Summary
	err := e.Registry.Walk(ctx, func(s registry.Summary) error {
		ns, _ := naming.Namespace(s.Name)
		if strings.HasPrefix(s.Name, cfg.Company+naming.ProjectNamespaceInfix) && strings.HasSuffix(ns, suffix) {
			candidates = append(candidates, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var results []Result
	for _, c := range candidates {
		tags, err := e.Registry.Tags(ctx, c.ARN)
		if err != nil {
			return results, err
		}
		if tags[naming.TagManagedBy] != naming.ManagedByValue || !strings.EqualFold(tags[naming.TagProjectName], project) ||
			tags[naming.TagProjectAccount] != account || tags[naming.TagStudioProjectID] != "" {
			continue // another project's repository (perhaps of another account, or a Unified Studio one), or one the product never managed
		}
		r, err := e.retireOne(ctx, cfg, c, tags, now)
		results = append(results, r)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// RetireStudio handles a deleted Unified Studio project: the repositories found by its
// identity (domain and project id), each confirmed by its tags read again (the lookup by tag
// can lag: a repository deleted since is passed over, and one whose identity changed is not
// the project's), and retired as Retire retires one. A repository outside the managed
// namespaces, or not the product's, is left alone whatever its tags say. Repositories of the
// identity in two namespaces are a rejection and none is retired: someone copied the identity
// tags onto another team's or project's repository, and which is the project's is a person's
// call.
func (e *Engine) RetireStudio(ctx context.Context, cfg config.Config, domain, project string, found []registry.Tagged, now time.Time) ([]Result, error) {
	var confirmed []registry.Tagged
	namespace := ""
	for _, c := range found {
		if !cfg.Managed(c.Name) {
			continue
		}
		tags, err := e.Registry.Tags(ctx, c.ARN)
		if registry.IsNotFound(err) {
			continue // deleted since the lookup
		}
		if err != nil {
			return nil, err
		}
		if tags[naming.TagManagedBy] != naming.ManagedByValue || tags[naming.TagDomainID] != domain || tags[naming.TagStudioProjectID] != project {
			continue
		}
		ns, _ := naming.Namespace(c.Name)
		if namespace != "" && ns != namespace {
			return nil, &RejectedError{Project: project, Reason: fmt.Sprintf(
				"repositories of one Unified Studio project in two namespaces, %s and %s: none is retired; remove the identity tags of the one that is not the project's", namespace, ns)}
		}
		namespace = ns
		confirmed = append(confirmed, registry.Tagged{Summary: c.Summary, Tags: tags})
	}
	var results []Result
	for _, c := range confirmed {
		r, err := e.retireOne(ctx, cfg, c.Summary, c.Tags, now)
		results = append(results, r)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

func (e *Engine) retireOne(ctx context.Context, cfg config.Config, repo registry.Summary, tags map[string]string, now time.Time) (Result, error) {
	r := Result{Repository: repo.Name, URI: repo.URI, Outcome: Retained}
	if cfg.OnProjectDelete == config.OnDeleteDeleteIfEmpty {
		empty, err := e.Registry.Empty(ctx, repo.Name)
		if err != nil {
			r.Outcome, r.Error = Failed, err.Error()
			return r, err
		}
		if empty {
			deleted, err := e.Registry.DeleteIfEmpty(ctx, repo.Name)
			if err != nil {
				r.Outcome, r.Error = Failed, err.Error()
				return r, err
			}
			if deleted {
				r.Outcome, r.Changes = Deleted, []string{"deleted (no images)"}
				return r, nil
			}
		}
	}
	if _, done := tags[naming.TagProjectDeleted]; done {
		return r, nil
	}
	stamp := now.UTC().Format(time.RFC3339)
	if err := e.Registry.Tag(ctx, repo, map[string]string{naming.TagProjectDeleted: stamp}); err != nil {
		r.Outcome, r.Error = Failed, err.Error()
		return r, err
	}
	r.Changes = []string{"tagged " + naming.TagProjectDeleted + "=" + stamp}
	return r, nil
}

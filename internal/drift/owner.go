package drift

import (
	"context"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// owner finds the owner of a project repository whose owner tags someone removed, so that the
// plan can put them back: the repository's remaining tag (the project name, or the team, from
// which the name follows) names the project, and SageMaker says whether it is alive and what
// its team is. Only an owner SageMaker confirms, whose names make this very repository, is
// taken; otherwise d is returned as it is, with the owner unknown and owner tags not compared.
// Repositories whose tags are whole, or whose project is deleted, cost no call.
func (r *run) owner(ctx context.Context, d reconcile.Desired, o *registry.Repository) (reconcile.Desired, error) {
	tags := o.Tags.Value
	name, team := tags[naming.TagProjectName], tags[naming.TagTeam]
	_, retired := tags[naming.TagProjectDeleted]
	if retired || (name != "") == (team != "") {
		return d, nil // whole, retired, or nothing left to tell the owner by
	}
	ns, _ := naming.Namespace(d.Name)
	if name == "" {
		name = strings.TrimPrefix(ns, r.cfg.Company+naming.ProjectNamespaceInfix+naming.Lower(team)+"-")
	}
	arn, ok := projectARN(o.ARN, name)
	if !ok {
		return d, nil
	}
	projectTags, gone, err := projects.Tags(ctx, r.svc.SageMaker, arn)
	if err != nil || gone {
		return d, err
	}
	p := projects.Identify(name, "", projectTags, r.cfg.TeamTag)
	desired, err := reconcile.ProjectRepositories(r.cfg, p)
	if err != nil {
		return d, nil // the project cannot have repositories; nothing of it to put back
	}
	for _, want := range desired {
		if want.Name == d.Name {
			want.CheckAccess = want.CheckAccess || d.CheckAccess
			return want, nil
		}
	}
	return d, nil
}

// projectARN is the ARN of the SageMaker project name in the partition, Region and account of
// a repository ARN (arn:aws:ecr:us-east-1:123456789012:repository/...).
func projectARN(repositoryARN, name string) (string, bool) {
	parts := strings.SplitN(repositoryARN, ":", 6)
	if len(parts) != 6 || parts[2] != "ecr" {
		return "", false
	}
	return strings.Join([]string{"arn", parts[1], "sagemaker", parts[3], parts[4], "project/" + naming.Lower(name)}, ":"), true
}

// Package registry is the product's view of Amazon ECR: it observes repositories (existence,
// tags, lifecycle policy) and makes the few changes the reconciler asks for.
//
// Every write is checked against a guard before it is sent, so a bug elsewhere cannot reach a
// repository outside the managed namespaces.
package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Reader is the part of ECR the product reads. *ecr.Client satisfies it.
type Reader interface {
	ecr.DescribeRepositoriesAPIClient
	ListTagsForResource(ctx context.Context, in *ecr.ListTagsForResourceInput, opts ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error)
	GetLifecyclePolicy(ctx context.Context, in *ecr.GetLifecyclePolicyInput, opts ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error)
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, opts ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// Writer is the part of ECR the product changes. *ecr.Client satisfies it.
type Writer interface {
	CreateRepository(ctx context.Context, in *ecr.CreateRepositoryInput, opts ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	PutLifecyclePolicy(ctx context.Context, in *ecr.PutLifecyclePolicyInput, opts ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error)
	TagResource(ctx context.Context, in *ecr.TagResourceInput, opts ...func(*ecr.Options)) (*ecr.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *ecr.UntagResourceInput, opts ...func(*ecr.Options)) (*ecr.UntagResourceOutput, error)
	DeleteRepository(ctx context.Context, in *ecr.DeleteRepositoryInput, opts ...func(*ecr.Options)) (*ecr.DeleteRepositoryOutput, error)
}

// API is everything the registry calls.
type API interface {
	Reader
	Writer
}

// ErrOutsideNamespace is returned, without any call to ECR, for a write to a repository the
// guard does not allow.
var ErrOutsideNamespace = errors.New("repository is outside the managed namespaces")

// Registry reads and writes ECR repositories.
type Registry struct {
	api   API
	allow func(name string) bool
}

// New returns a Registry that writes only repositories for which allow returns true.
func New(api API, allow func(name string) bool) *Registry {
	return &Registry{api: api, allow: allow}
}

// Repository is one repository as observed.
type Repository struct {
	Name string
	ARN  string
	URI  string
	// Tags is nil when they were not read.
	Tags map[string]string
	// Policy is the lifecycle policy text; HasPolicy is false when there is none.
	Policy    string
	HasPolicy bool
}

// Summary is a repository as DescribeRepositories lists it.
type Summary struct {
	Name string
	ARN  string
	URI  string
}

func (r *Registry) guard(name string) error {
	if r.allow == nil || !r.allow(name) {
		return fmt.Errorf("%s: %w", name, ErrOutsideNamespace)
	}
	return nil
}

// Describe returns the repository's name, ARN and URI, or found=false when it does not exist.
func (r *Registry) Describe(ctx context.Context, name string) (Summary, bool, error) {
	out, err := r.api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	var notFound *ecrtypes.RepositoryNotFoundException
	switch {
	case errors.As(err, &notFound):
		return Summary{}, false, nil
	case err != nil:
		return Summary{}, false, fmt.Errorf("describe repository %s: %w", name, err)
	case len(out.Repositories) == 0:
		return Summary{}, false, nil
	}
	return summary(out.Repositories[0]), true, nil
}

func summary(repo ecrtypes.Repository) Summary {
	return Summary{
		Name: aws.ToString(repo.RepositoryName),
		ARN:  aws.ToString(repo.RepositoryArn),
		URI:  aws.ToString(repo.RepositoryUri),
	}
}

// Observe returns the repository with its tags and lifecycle policy, or nil when it does not
// exist.
func (r *Registry) Observe(ctx context.Context, name string) (*Repository, error) {
	s, found, err := r.Describe(ctx, name)
	if err != nil || !found {
		return nil, err
	}
	tags, err := r.Tags(ctx, s.ARN)
	if err != nil {
		return nil, err
	}
	policy, has, err := r.Policy(ctx, name)
	if err != nil {
		return nil, err
	}
	return &Repository{Name: s.Name, ARN: s.ARN, URI: s.URI, Tags: tags, Policy: policy, HasPolicy: has}, nil
}

// Tags returns the repository's tags.
func (r *Registry) Tags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := r.api.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// Policy returns the repository's lifecycle policy text, or has=false when it has none.
func (r *Registry) Policy(ctx context.Context, name string) (text string, has bool, err error) {
	out, err := r.api.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	var none *ecrtypes.LifecyclePolicyNotFoundException
	switch {
	case errors.As(err, &none):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("get lifecycle policy of %s: %w", name, err)
	}
	return aws.ToString(out.LifecyclePolicyText), true, nil
}

// Empty reports whether the repository holds no image.
func (r *Registry) Empty(ctx context.Context, name string) (bool, error) {
	out, err := r.api.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(name), MaxResults: aws.Int32(1)})
	if err != nil {
		return false, fmt.Errorf("describe images of %s: %w", name, err)
	}
	return len(out.ImageDetails) == 0, nil
}

// Walk calls fn for every repository in the registry, a page at a time (1,000 a page, the most
// ECR returns), without holding more than one page. It stops at fn's first error.
func (r *Registry) Walk(ctx context.Context, fn func(Summary) error) error {
	pages := ecr.NewDescribeRepositoriesPaginator(r.api, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(1000)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list repositories: %w", err)
		}
		for _, repo := range page.Repositories {
			if err := fn(summary(repo)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Package registry is the product's view of Amazon ECR: it observes repositories (their
// settings, tags, lifecycle policy and repository policy) and makes the few changes the
// reconciler asks for.
//
// An observation says what it did not read: a setting that was not read is unknown, never
// absent. Tag mutability and encryption come with DescribeRepositories, so they are always
// known; tags, the lifecycle policy and the repository policy cost a call each and are read
// only when asked for.
//
// Every write is checked against a guard before it is sent, so a bug elsewhere cannot reach a
// repository outside the managed namespaces.
//
// Images are only ever tagged and untagged, never deleted: AddImageTag adds a protecting or a
// released tag, and RemoveInUseTag, the one caller of BatchDeleteImage, removes a protecting tag
// only from an image that keeps another tag.
package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Reader is the part of ECR the product reads. *ecr.Client satisfies it.
type Reader interface {
	ecr.DescribeRepositoriesAPIClient
	ListTagsForResource(ctx context.Context, in *ecr.ListTagsForResourceInput, opts ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error)
	GetLifecyclePolicy(ctx context.Context, in *ecr.GetLifecyclePolicyInput, opts ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error)
	GetRepositoryPolicy(ctx context.Context, in *ecr.GetRepositoryPolicyInput, opts ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error)
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, opts ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, opts ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
}

// Writer is the part of ECR the product changes. *ecr.Client satisfies it.
type Writer interface {
	CreateRepository(ctx context.Context, in *ecr.CreateRepositoryInput, opts ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	PutLifecyclePolicy(ctx context.Context, in *ecr.PutLifecyclePolicyInput, opts ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error)
	PutImageTagMutability(ctx context.Context, in *ecr.PutImageTagMutabilityInput, opts ...func(*ecr.Options)) (*ecr.PutImageTagMutabilityOutput, error)
	SetRepositoryPolicy(ctx context.Context, in *ecr.SetRepositoryPolicyInput, opts ...func(*ecr.Options)) (*ecr.SetRepositoryPolicyOutput, error)
	DeleteRepositoryPolicy(ctx context.Context, in *ecr.DeleteRepositoryPolicyInput, opts ...func(*ecr.Options)) (*ecr.DeleteRepositoryPolicyOutput, error)
	TagResource(ctx context.Context, in *ecr.TagResourceInput, opts ...func(*ecr.Options)) (*ecr.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *ecr.UntagResourceInput, opts ...func(*ecr.Options)) (*ecr.UntagResourceOutput, error)
	DeleteRepository(ctx context.Context, in *ecr.DeleteRepositoryInput, opts ...func(*ecr.Options)) (*ecr.DeleteRepositoryOutput, error)
	PutImage(ctx context.Context, in *ecr.PutImageInput, opts ...func(*ecr.Options)) (*ecr.PutImageOutput, error)
	// BatchDeleteImage is called in one place only, RemoveInUseTag, behind its guard.
	BatchDeleteImage(ctx context.Context, in *ecr.BatchDeleteImageInput, opts ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error)
}

// API is everything the registry calls.
type API interface {
	Reader
	Writer
}

// ErrOutsideNamespace is returned, without any call to ECR, for a write to a repository the
// guard does not allow, and for a read of images there (see Images).
var ErrOutsideNamespace = errors.New("repository is outside the managed namespaces")

// Registry reads and writes ECR repositories.
type Registry struct {
	api   API
	allow func(name string) bool
	// settle are the waits of the retry right after our own CreateRepository (see AfterCreate).
	settle []time.Duration
}

// New returns a Registry that writes only repositories for which allow returns true.
func New(api API, allow func(name string) bool) *Registry {
	return &Registry{api: api, allow: allow, settle: settleDelays}
}

// Observed is a setting an observation read (Known) or did not: unknown is not absent.
type Observed[T any] struct {
	Value T
	Known bool
}

// Known returns an observed value.
func Known[T any](v T) Observed[T] { return Observed[T]{Value: v, Known: true} }

// Mutability is a repository's image tag mutability: MUTABLE, IMMUTABLE, or one of the
// *_WITH_EXCLUSION modes with its wildcard filters (sorted). An empty Mode was not reported,
// and is unknown.
type Mutability struct {
	Mode       string
	Exclusions []string
}

// Encryption is how a repository is encrypted: AES256, or KMS with a key. A zero Encryption was
// not reported, and is unknown.
type Encryption struct {
	Type   string
	KMSKey string
}

// Document is a policy text, or none.
type Document struct {
	Text   string
	Exists bool
}

// Summary is a repository as DescribeRepositories describes it: every setting it returns.
type Summary struct {
	Name       string
	ARN        string
	URI        string
	Mutability Mutability
	Encryption Encryption
}

// Repository is one repository as observed.
type Repository struct {
	Summary
	Tags      Observed[map[string]string]
	Lifecycle Observed[Document]
	// Access is the repository policy.
	Access Observed[Document]
}

// Tagged is a repository with its tags, as a lookup by tag finds it (its URI unknown).
type Tagged struct {
	Summary
	Tags map[string]string
}

// Reads says what an observation reads beyond DescribeRepositories.
type Reads struct {
	Tags, Lifecycle, Access bool
}

func (r *Registry) guard(name string) error {
	if r.allow == nil || !r.allow(name) {
		return fmt.Errorf("%s: %w", name, ErrOutsideNamespace)
	}
	return nil
}

// IsNotFound reports whether err says the repository does not exist (any more): deleted since
// it was listed, say.
func IsNotFound(err error) bool {
	var notFound *ecrtypes.RepositoryNotFoundException
	return errors.As(err, &notFound)
}

// Describe returns the repository as DescribeRepositories describes it, or found=false when it
// does not exist.
func (r *Registry) Describe(ctx context.Context, name string) (Summary, bool, error) {
	out, err := r.api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	switch {
	case IsNotFound(err):
		return Summary{}, false, nil
	case err != nil:
		return Summary{}, false, fmt.Errorf("describe repository %s: %w", name, err)
	case len(out.Repositories) == 0:
		return Summary{}, false, nil
	}
	return summary(out.Repositories[0]), true, nil
}

func summary(repo ecrtypes.Repository) Summary {
	s := Summary{
		Name:       aws.ToString(repo.RepositoryName),
		ARN:        aws.ToString(repo.RepositoryArn),
		URI:        aws.ToString(repo.RepositoryUri),
		Mutability: Mutability{Mode: string(repo.ImageTagMutability)},
	}
	for _, f := range repo.ImageTagMutabilityExclusionFilters {
		s.Mutability.Exclusions = append(s.Mutability.Exclusions, aws.ToString(f.Filter))
	}
	slices.Sort(s.Mutability.Exclusions)
	if e := repo.EncryptionConfiguration; e != nil {
		s.Encryption = Encryption{Type: string(e.EncryptionType), KMSKey: aws.ToString(e.KmsKey)}
	}
	return s
}

// Observe describes the repository and reads what reads names, or returns nil when it does not
// exist.
func (r *Registry) Observe(ctx context.Context, name string, reads Reads) (*Repository, error) {
	s, found, err := r.Describe(ctx, name)
	if err != nil || !found {
		return nil, err
	}
	return r.Complete(ctx, s, reads)
}

// Complete reads what reads names for a repository already described (by a listing, say).
func (r *Registry) Complete(ctx context.Context, s Summary, reads Reads) (*Repository, error) {
	repo := &Repository{Summary: s}
	if reads.Tags {
		tags, err := r.Tags(ctx, s.ARN)
		if err != nil {
			return nil, err
		}
		repo.Tags = Known(tags)
	}
	if reads.Lifecycle {
		doc, err := r.Policy(ctx, s.Name)
		if err != nil {
			return nil, err
		}
		repo.Lifecycle = Known(doc)
	}
	if reads.Access {
		doc, err := r.AccessPolicy(ctx, s.Name)
		if err != nil {
			return nil, err
		}
		repo.Access = Known(doc)
	}
	return repo, nil
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

// Policy returns the repository's lifecycle policy.
func (r *Registry) Policy(ctx context.Context, name string) (Document, error) {
	out, err := r.api.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	var none *ecrtypes.LifecyclePolicyNotFoundException
	switch {
	case errors.As(err, &none):
		return Document{}, nil
	case err != nil:
		return Document{}, fmt.Errorf("get lifecycle policy of %s: %w", name, err)
	}
	return Document{Text: aws.ToString(out.LifecyclePolicyText), Exists: true}, nil
}

// AccessPolicy returns the repository's repository policy.
func (r *Registry) AccessPolicy(ctx context.Context, name string) (Document, error) {
	out, err := r.api.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(name)})
	var none *ecrtypes.RepositoryPolicyNotFoundException
	switch {
	case errors.As(err, &none):
		return Document{}, nil
	case err != nil:
		return Document{}, fmt.Errorf("get repository policy of %s: %w", name, err)
	}
	return Document{Text: aws.ToString(out.PolicyText), Exists: true}, nil
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

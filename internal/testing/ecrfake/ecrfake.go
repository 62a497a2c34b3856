// Package ecrfake is a small in-memory ECR at the registry boundary: a map of repositories
// behind the SDK's own method signatures, so *ecrfake.Registry stands where *ecr.Client
// stands and the engine's rules are unit-tested in milliseconds, without a server. It answers
// with the SDK's typed errors, as ECR does, and counts every call by operation.
//
// It is for the engine's logic only. What ECR's wire protocol does is tested against moto.
package ecrfake

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Account and Region are those of every ARN and URI the fake makes.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Repository is one repository as the fake holds it.
type Repository struct {
	Name   string
	Tags   map[string]string
	Images int
	// Policy is the lifecycle policy text, "" for none; Access the repository policy's.
	Policy string
	Access string
	// Mutability is MUTABLE when empty; Exclusions its filters.
	Mutability string
	Exclusions []string
	// Encryption is AES256 when empty; KMSKey the key of KMS encryption.
	Encryption string
	KMSKey     string
	// Created is what CreateRepository was given (nil for repositories seeded with Put).
	Created *ecr.CreateRepositoryInput
	// lag is how many more calls on the repository answer RepositoryNotFoundException.
	lag int
}

// Registry is the fake ECR. The zero value is not usable; call New.
type Registry struct {
	mu    sync.Mutex
	repos map[string]*Repository
	calls map[string]int
	// pageSize is how many repositories a DescribeRepositories page holds at most.
	pageSize int
	// lag is what a created repository's lag starts at (see SetLag).
	lag int
}

// New returns an empty registry whose listing pages hold at most 1,000 repositories, as ECR's.
func New() *Registry {
	return &Registry{repos: map[string]*Repository{}, calls: map[string]int{}, pageSize: 1000}
}

// SetPageSize makes listing pages hold at most n repositories, to exercise paging.
func (r *Registry) SetPageSize(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pageSize = n
}

// SetLag makes the next n calls on every repository CreateRepository creates from now on
// answer RepositoryNotFoundException, as ECR may right after a create: CreateRepository is
// eventually consistent.
func (r *Registry) SetLag(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lag = n
}

// Put adds or replaces a repository, as a person or another tool would have made it.
func (r *Registry) Put(repo Repository) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := repo
	c.Tags = maps.Clone(repo.Tags)
	if c.Tags == nil {
		c.Tags = map[string]string{}
	}
	r.repos[repo.Name] = &c
}

// Get returns a copy of the repository; ok is false when there is none.
func (r *Registry) Get(name string) (Repository, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	repo, ok := r.repos[name]
	if !ok {
		return Repository{}, false
	}
	c := *repo
	c.Tags = maps.Clone(repo.Tags)
	return c, true
}

// Names lists every repository, sorted.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.repos))
}

// Calls returns how many times each operation was called.
func (r *Registry) Calls() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.calls)
}

// Writes counts the calls that change state, by operation.
func (r *Registry) Writes() map[string]int {
	out := map[string]int{}
	for op, n := range r.Calls() {
		if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") {
			out[op] = n
		}
	}
	return out
}

// ResetCalls forgets the counted calls.
func (r *Registry) ResetCalls() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.calls)
}

// call counts an operation and returns the repository it names (see lookup). The caller holds
// r.mu.
func (r *Registry) call(op, name string) *Repository {
	r.calls[op]++
	return r.lookup(name)
}

// lookup returns the repository name, or nil when there is none or while its lag lasts. The
// caller holds r.mu.
func (r *Registry) lookup(name string) *Repository {
	repo := r.repos[name]
	if repo != nil && repo.lag > 0 {
		repo.lag--
		return nil
	}
	return repo
}

func arn(name string) string {
	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", Region, Account, name)
}

func nameOf(resourceARN string) string {
	_, name, _ := strings.Cut(resourceARN, ":repository/")
	return name
}

func notFound(name string) error {
	return &ecrtypes.RepositoryNotFoundException{Message: aws.String(fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", name, Account))}
}

func (repo *Repository) describe() ecrtypes.Repository {
	d := ecrtypes.Repository{
		RepositoryName:          aws.String(repo.Name),
		RepositoryArn:           aws.String(arn(repo.Name)),
		RepositoryUri:           aws.String(fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, Region, repo.Name)),
		RegistryId:              aws.String(Account),
		ImageTagMutability:      ecrtypes.ImageTagMutability(cmp.Or(repo.Mutability, "MUTABLE")),
		EncryptionConfiguration: &ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionType(cmp.Or(repo.Encryption, "AES256"))},
	}
	if repo.KMSKey != "" {
		d.EncryptionConfiguration.KmsKey = aws.String(repo.KMSKey)
	}
	for _, f := range repo.Exclusions {
		d.ImageTagMutabilityExclusionFilters = append(d.ImageTagMutabilityExclusionFilters,
			ecrtypes.ImageTagMutabilityExclusionFilter{Filter: aws.String(f), FilterType: ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard})
	}
	return d
}

// DescribeRepositories lists repositories by name (every name must exist) or, without names,
// a page at a time in name order; NextToken is the offset of the next page.
func (r *Registry) DescribeRepositories(_ context.Context, in *ecr.DescribeRepositoriesInput, _ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls["DescribeRepositories"]++
	out := &ecr.DescribeRepositoriesOutput{}
	if len(in.RepositoryNames) > 0 {
		for _, name := range in.RepositoryNames {
			repo := r.lookup(name)
			if repo == nil {
				return nil, notFound(name)
			}
			out.Repositories = append(out.Repositories, repo.describe())
		}
		return out, nil
	}
	names := slices.Sorted(maps.Keys(r.repos))
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	limit := r.pageSize
	if in.MaxResults != nil {
		limit = min(limit, int(*in.MaxResults))
	}
	end := min(start+limit, len(names))
	for _, name := range names[min(start, end):end] {
		out.Repositories = append(out.Repositories, r.repos[name].describe())
	}
	if end < len(names) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

// ListTagsForResource returns the repository's tags.
func (r *Registry) ListTagsForResource(_ context.Context, in *ecr.ListTagsForResourceInput, _ ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := nameOf(aws.ToString(in.ResourceArn))
	repo := r.call("ListTagsForResource", name)
	if repo == nil {
		return nil, notFound(name)
	}
	out := &ecr.ListTagsForResourceOutput{}
	for _, k := range slices.Sorted(maps.Keys(repo.Tags)) {
		out.Tags = append(out.Tags, ecrtypes.Tag{Key: aws.String(k), Value: aws.String(repo.Tags[k])})
	}
	return out, nil
}

// GetLifecyclePolicy returns the policy text as it was put.
func (r *Registry) GetLifecyclePolicy(_ context.Context, in *ecr.GetLifecyclePolicyInput, _ ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("GetLifecyclePolicy", name)
	switch {
	case repo == nil:
		return nil, notFound(name)
	case repo.Policy == "":
		return nil, &ecrtypes.LifecyclePolicyNotFoundException{Message: aws.String("Lifecycle policy does not exist for the repository with name '" + name + "'")}
	}
	return &ecr.GetLifecyclePolicyOutput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(repo.Policy)}, nil
}

// DescribeImages returns as many image details as the repository holds images, up to
// MaxResults.
func (r *Registry) DescribeImages(_ context.Context, in *ecr.DescribeImagesInput, _ ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("DescribeImages", name)
	if repo == nil {
		return nil, notFound(name)
	}
	n := repo.Images
	if in.MaxResults != nil {
		n = min(n, int(*in.MaxResults))
	}
	out := &ecr.DescribeImagesOutput{}
	for i := range n {
		out.ImageDetails = append(out.ImageDetails, ecrtypes.ImageDetail{ImageDigest: aws.String(fmt.Sprintf("sha256:%064d", i))})
	}
	return out, nil
}

// CreateRepository creates the repository with its tags, or answers
// RepositoryAlreadyExistsException.
func (r *Registry) CreateRepository(_ context.Context, in *ecr.CreateRepositoryInput, _ ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	r.calls["CreateRepository"]++
	if r.repos[name] != nil {
		return nil, &ecrtypes.RepositoryAlreadyExistsException{Message: aws.String("The repository with name '" + name + "' already exists")}
	}
	repo := &Repository{Name: name, Tags: map[string]string{}, Created: in, lag: r.lag,
		Mutability: string(in.ImageTagMutability)}
	for _, f := range in.ImageTagMutabilityExclusionFilters {
		repo.Exclusions = append(repo.Exclusions, aws.ToString(f.Filter))
	}
	if e := in.EncryptionConfiguration; e != nil {
		repo.Encryption, repo.KMSKey = string(e.EncryptionType), aws.ToString(e.KmsKey)
	}
	for _, t := range in.Tags {
		repo.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	r.repos[name] = repo
	d := repo.describe()
	d.CreatedAt = aws.Time(time.Now())
	return &ecr.CreateRepositoryOutput{Repository: &d}, nil
}

// PutLifecyclePolicy stores the text as given.
func (r *Registry) PutLifecyclePolicy(_ context.Context, in *ecr.PutLifecyclePolicyInput, _ ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("PutLifecyclePolicy", name)
	if repo == nil {
		return nil, notFound(name)
	}
	repo.Policy = aws.ToString(in.LifecyclePolicyText)
	return &ecr.PutLifecyclePolicyOutput{RepositoryName: in.RepositoryName, LifecyclePolicyText: in.LifecyclePolicyText}, nil
}

// PutImageTagMutability sets the mutability and its exclusion filters.
func (r *Registry) PutImageTagMutability(_ context.Context, in *ecr.PutImageTagMutabilityInput, _ ...func(*ecr.Options)) (*ecr.PutImageTagMutabilityOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("PutImageTagMutability", name)
	if repo == nil {
		return nil, notFound(name)
	}
	repo.Mutability, repo.Exclusions = string(in.ImageTagMutability), nil
	for _, f := range in.ImageTagMutabilityExclusionFilters {
		repo.Exclusions = append(repo.Exclusions, aws.ToString(f.Filter))
	}
	return &ecr.PutImageTagMutabilityOutput{RepositoryName: in.RepositoryName, ImageTagMutability: in.ImageTagMutability}, nil
}

// GetRepositoryPolicy returns the repository policy text as it was set.
func (r *Registry) GetRepositoryPolicy(_ context.Context, in *ecr.GetRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("GetRepositoryPolicy", name)
	switch {
	case repo == nil:
		return nil, notFound(name)
	case repo.Access == "":
		return nil, policyNotFound()
	}
	return &ecr.GetRepositoryPolicyOutput{RepositoryName: in.RepositoryName, PolicyText: aws.String(repo.Access)}, nil
}

// SetRepositoryPolicy stores the text as given.
func (r *Registry) SetRepositoryPolicy(_ context.Context, in *ecr.SetRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.SetRepositoryPolicyOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("SetRepositoryPolicy", name)
	if repo == nil {
		return nil, notFound(name)
	}
	repo.Access = aws.ToString(in.PolicyText)
	return &ecr.SetRepositoryPolicyOutput{RepositoryName: in.RepositoryName, PolicyText: in.PolicyText}, nil
}

// DeleteRepositoryPolicy deletes the policy, or answers RepositoryPolicyNotFoundException.
func (r *Registry) DeleteRepositoryPolicy(_ context.Context, in *ecr.DeleteRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.DeleteRepositoryPolicyOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("DeleteRepositoryPolicy", name)
	switch {
	case repo == nil:
		return nil, notFound(name)
	case repo.Access == "":
		return nil, policyNotFound()
	}
	text := repo.Access
	repo.Access = ""
	return &ecr.DeleteRepositoryPolicyOutput{RepositoryName: in.RepositoryName, PolicyText: aws.String(text)}, nil
}

func policyNotFound() error {
	return &ecrtypes.RepositoryPolicyNotFoundException{Message: aws.String("Repository policy does not exist for the repository")}
}

// TagResource adds or overwrites tags.
func (r *Registry) TagResource(_ context.Context, in *ecr.TagResourceInput, _ ...func(*ecr.Options)) (*ecr.TagResourceOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := nameOf(aws.ToString(in.ResourceArn))
	repo := r.call("TagResource", name)
	if repo == nil {
		return nil, notFound(name)
	}
	for _, t := range in.Tags {
		repo.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &ecr.TagResourceOutput{}, nil
}

// UntagResource removes tag keys.
func (r *Registry) UntagResource(_ context.Context, in *ecr.UntagResourceInput, _ ...func(*ecr.Options)) (*ecr.UntagResourceOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := nameOf(aws.ToString(in.ResourceArn))
	repo := r.call("UntagResource", name)
	if repo == nil {
		return nil, notFound(name)
	}
	for _, k := range in.TagKeys {
		delete(repo.Tags, k)
	}
	return &ecr.UntagResourceOutput{}, nil
}

// DeleteRepository deletes a repository; one holding images only with Force, as ECR does.
func (r *Registry) DeleteRepository(_ context.Context, in *ecr.DeleteRepositoryInput, _ ...func(*ecr.Options)) (*ecr.DeleteRepositoryOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := aws.ToString(in.RepositoryName)
	repo := r.call("DeleteRepository", name)
	switch {
	case repo == nil:
		return nil, notFound(name)
	case repo.Images > 0 && !in.Force:
		return nil, &ecrtypes.RepositoryNotEmptyException{Message: aws.String("The repository with name '" + name + "' cannot be deleted because it still contains images")}
	}
	delete(r.repos, name)
	d := repo.describe()
	return &ecr.DeleteRepositoryOutput{Repository: &d}, nil
}

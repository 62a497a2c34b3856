// Package ecrfake is a small in-memory ECR at the registry boundary: a map of repositories
// behind the SDK's own method signatures, so *ecrfake.Registry stands where *ecr.Client
// stands and the engine's rules are unit-tested in milliseconds, without a server. It answers
// with the SDK's typed errors, as ECR does, counts every call by operation and, when observed
// (see Observe), reports each call as the wire recorder would have seen it. A test arranges it
// and reads it back with Put, Edit, Delete, Get, PushImage, ImagesOf and Image, which are not
// calls.
//
// It is for the product's logic only. What ECR's wire protocol does is tested against moto.
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
	"golang.org/x/time/rate"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// Account and Region are those of every ARN and URI the fake makes.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Repository is one repository as the fake holds it.
type Repository struct {
	Name string
	Tags map[string]string
	// Images is how many images the repository holds. Put and Edit make it so, a shortcut for a
	// repository that merely holds images: a higher count adds untagged images, a lower one
	// drops the most recently pushed. Get reports the count; ImagesOf lists the images.
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
	// images are the repository's images, oldest push first.
	images []*Image
}

// Registry is the fake ECR. The zero value is not usable; call New.
type Registry struct {
	mu    sync.Mutex
	repos map[string]*Repository
	calls map[string]int
	// pageSize is how many repositories a DescribeRepositories page holds at most, and
	// imagePageSize how many images a DescribeImages page.
	pageSize, imagePageSize int
	// pushes counts the images made by Put and Edit, to make each one's manifest unique.
	pushes int
	// lag is what a created repository's lag starts at (see SetLag).
	lag int
	// observe sees every call (see Observe); limiter paces them (see SetRate).
	observe func(wire.Request)
	limiter *rate.Limiter
}

// New returns an empty registry whose listing pages hold at most 1,000 repositories, and 1,000
// images, as ECR's.
func New() *Registry {
	return &Registry{repos: map[string]*Repository{}, calls: map[string]int{}, pageSize: 1000, imagePageSize: 1000}
}

// SetImagePageSize makes DescribeImages pages hold at most n images, to exercise paging.
func (r *Registry) SetImagePageSize(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.imagePageSize = n
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

// Observe has fn see every call from now on, before it is answered, as a wire.Recorder sees a
// request: ECR's service and operation, the repository the call names (none for
// DescribeRepositories, whose names are a list) and its force flag. fn must not call the
// registry.
func (r *Registry) Observe(fn func(wire.Request)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.observe = fn
}

// SetRate makes the registry answer at most perSecond calls a second, with bursts of up to a
// second's worth, as the product's own rate cap paces its ECR client (awsclient.Pace); a call
// waits for its turn, or fails when its context ends first. 0 lifts the cap.
func (r *Registry) SetRate(perSecond float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limiter = nil
	if perSecond > 0 {
		r.limiter = rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
	}
}

// begin waits for the call's turn under the rate cap, then takes r.mu and counts and observes
// the call. The caller unlocks r.mu when begin succeeds.
func (r *Registry) begin(ctx context.Context, call wire.Request) error {
	r.mu.Lock()
	limiter := r.limiter
	r.mu.Unlock()
	if limiter != nil {
		if err := limiter.Wait(ctx); err != nil {
			return fmt.Errorf("rate cap: %w", err)
		}
	}
	r.mu.Lock()
	call.Service = "ecr"
	r.calls[call.Operation]++
	if r.observe != nil {
		r.observe(call)
	}
	return nil
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
	c.images = cloneImages(repo.images)
	r.resize(&c)
	r.repos[repo.Name] = &c
}

// Edit changes the repository in place, as a person at the console would; it is not a call.
// ok is false when there is no such repository.
func (r *Registry) Edit(name string, fn func(*Repository)) (ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	repo := r.repos[name]
	if repo == nil {
		return false
	}
	fn(repo)
	repo.Name = name
	if repo.Tags == nil {
		repo.Tags = map[string]string{}
	}
	r.resize(repo)
	return true
}

// Delete removes the repository, images and all, as a person would; it is not a call. ok is
// false when there was none.
func (r *Registry) Delete(name string) (ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok = r.repos[name]
	delete(r.repos, name)
	return ok
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
	c.images = cloneImages(repo.images)
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
		if (wire.Request{Operation: op}).Write() {
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

// ARN is the repository's ARN, as the fake reports it.
func ARN(name string) string {
	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", Region, Account, name)
}

// URI is the repository's URI, as the fake reports it.
func URI(name string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, Region, name)
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
		RepositoryArn:           aws.String(ARN(repo.Name)),
		RepositoryUri:           aws.String(URI(repo.Name)),
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
func (r *Registry) DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, _ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	if err := r.begin(ctx, wire.Request{Operation: "DescribeRepositories"}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
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
func (r *Registry) ListTagsForResource(ctx context.Context, in *ecr.ListTagsForResourceInput, _ ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error) {
	name := nameOf(aws.ToString(in.ResourceArn))
	if err := r.begin(ctx, wire.Request{Operation: "ListTagsForResource", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
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
func (r *Registry) GetLifecyclePolicy(ctx context.Context, in *ecr.GetLifecyclePolicyInput, _ ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "GetLifecyclePolicy", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	switch {
	case repo == nil:
		return nil, notFound(name)
	case repo.Policy == "":
		return nil, &ecrtypes.LifecyclePolicyNotFoundException{Message: aws.String("Lifecycle policy does not exist for the repository with name '" + name + "'")}
	}
	return &ecr.GetLifecyclePolicyOutput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(repo.Policy)}, nil
}

// CreateRepository creates the repository with its tags, or answers
// RepositoryAlreadyExistsException.
func (r *Registry) CreateRepository(ctx context.Context, in *ecr.CreateRepositoryInput, _ ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "CreateRepository", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
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
func (r *Registry) PutLifecyclePolicy(ctx context.Context, in *ecr.PutLifecyclePolicyInput, _ ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "PutLifecyclePolicy", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	repo.Policy = aws.ToString(in.LifecyclePolicyText)
	return &ecr.PutLifecyclePolicyOutput{RepositoryName: in.RepositoryName, LifecyclePolicyText: in.LifecyclePolicyText}, nil
}

// PutImageTagMutability sets the mutability and its exclusion filters.
func (r *Registry) PutImageTagMutability(ctx context.Context, in *ecr.PutImageTagMutabilityInput, _ ...func(*ecr.Options)) (*ecr.PutImageTagMutabilityOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "PutImageTagMutability", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
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
func (r *Registry) GetRepositoryPolicy(ctx context.Context, in *ecr.GetRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "GetRepositoryPolicy", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	switch {
	case repo == nil:
		return nil, notFound(name)
	case repo.Access == "":
		return nil, policyNotFound()
	}
	return &ecr.GetRepositoryPolicyOutput{RepositoryName: in.RepositoryName, PolicyText: aws.String(repo.Access)}, nil
}

// SetRepositoryPolicy stores the text as given.
func (r *Registry) SetRepositoryPolicy(ctx context.Context, in *ecr.SetRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.SetRepositoryPolicyOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "SetRepositoryPolicy", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	repo.Access = aws.ToString(in.PolicyText)
	return &ecr.SetRepositoryPolicyOutput{RepositoryName: in.RepositoryName, PolicyText: in.PolicyText}, nil
}

// DeleteRepositoryPolicy deletes the policy, or answers RepositoryPolicyNotFoundException.
func (r *Registry) DeleteRepositoryPolicy(ctx context.Context, in *ecr.DeleteRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.DeleteRepositoryPolicyOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "DeleteRepositoryPolicy", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
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
func (r *Registry) TagResource(ctx context.Context, in *ecr.TagResourceInput, _ ...func(*ecr.Options)) (*ecr.TagResourceOutput, error) {
	name := nameOf(aws.ToString(in.ResourceArn))
	if err := r.begin(ctx, wire.Request{Operation: "TagResource", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	for _, t := range in.Tags {
		repo.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &ecr.TagResourceOutput{}, nil
}

// UntagResource removes tag keys.
func (r *Registry) UntagResource(ctx context.Context, in *ecr.UntagResourceInput, _ ...func(*ecr.Options)) (*ecr.UntagResourceOutput, error) {
	name := nameOf(aws.ToString(in.ResourceArn))
	if err := r.begin(ctx, wire.Request{Operation: "UntagResource", Repository: name}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	for _, k := range in.TagKeys {
		delete(repo.Tags, k)
	}
	return &ecr.UntagResourceOutput{}, nil
}

// DeleteRepository deletes a repository; one holding images only with Force, as ECR does.
func (r *Registry) DeleteRepository(ctx context.Context, in *ecr.DeleteRepositoryInput, _ ...func(*ecr.Options)) (*ecr.DeleteRepositoryOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "DeleteRepository", Repository: name, Force: in.Force}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	switch {
	case repo == nil:
		return nil, notFound(name)
	case len(repo.images) > 0 && !in.Force:
		return nil, &ecrtypes.RepositoryNotEmptyException{Message: aws.String("The repository with name '" + name + "' cannot be deleted because it still contains images")}
	}
	delete(r.repos, name)
	d := repo.describe()
	return &ecr.DeleteRepositoryOutput{Repository: &d}, nil
}

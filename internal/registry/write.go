package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Settings are what a repository is created with, all in the one CreateRepository call.
type Settings struct {
	Tags       map[string]string
	ScanOnPush bool
	Mutability Mutability
	// KMSKey, when set, encrypts with that key; otherwise AES256. ECR cannot change a
	// repository's encryption after its creation.
	KMSKey string
}

// Create creates the repository with its tags and settings in the one CreateRepository call.
// CreateRepository is not idempotent: RepositoryAlreadyExistsException means another run got
// there first, which is no failure; created is false then, and the caller observes the
// repository to converge from what is there.
func (r *Registry) Create(ctx context.Context, name string, s Settings) (repo Summary, created bool, err error) {
	if err := r.guard(name); err != nil {
		return Summary{}, false, err
	}
	enc := &ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionTypeAes256}
	if s.KMSKey != "" {
		enc = &ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionTypeKms, KmsKey: aws.String(s.KMSKey)}
	}
	out, err := r.api.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:                     aws.String(name),
		Tags:                               tagList(s.Tags),
		ImageScanningConfiguration:         &ecrtypes.ImageScanningConfiguration{ScanOnPush: s.ScanOnPush},
		ImageTagMutability:                 ecrtypes.ImageTagMutability(s.Mutability.Mode),
		ImageTagMutabilityExclusionFilters: filters(s.Mutability.Exclusions),
		EncryptionConfiguration:            enc,
	})
	var exists *ecrtypes.RepositoryAlreadyExistsException
	switch {
	case errors.As(err, &exists):
		return Summary{}, false, nil
	case err != nil:
		return Summary{}, false, fmt.Errorf("create repository %s: %w", name, err)
	}
	return summary(*out.Repository), true, nil
}

// settleDelays are the waits before each retry of a write that meets RepositoryNotFoundException
// right after our own CreateRepository: about 3 seconds in all, enough for ECR's eventual
// consistency as AWS Support describes it (terraform-provider-aws #3849), short enough that a
// repository deleted meanwhile fails the invocation quickly.
var settleDelays = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}

// AfterCreate runs write, a call on a repository this process has just created, retrying it
// briefly while ECR still answers RepositoryNotFoundException: CreateRepository is eventually
// consistent. Nowhere else is that answer retried; for a repository that existed before it
// means the repository is gone.
func (r *Registry) AfterCreate(ctx context.Context, write func() error) error {
	err := write()
	for _, d := range r.settle {
		if !IsNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		err = write()
	}
	return err
}

// PutPolicy writes the whole lifecycle policy in one call. A policy is never deleted first: a
// repository is never left without one.
func (r *Registry) PutPolicy(ctx context.Context, name, text string) error {
	if err := r.guard(name); err != nil {
		return err
	}
	_, err := r.api.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{
		RepositoryName:      aws.String(name),
		LifecyclePolicyText: aws.String(text),
	})
	if err != nil {
		return fmt.Errorf("put lifecycle policy of %s: %w", name, err)
	}
	return nil
}

// PutMutability sets the repository's tag mutability, with its exclusion filters for the
// *_WITH_EXCLUSION modes. ECR changes it at any time; it applies to tags pushed afterwards.
func (r *Registry) PutMutability(ctx context.Context, name string, m Mutability) error {
	if err := r.guard(name); err != nil {
		return err
	}
	_, err := r.api.PutImageTagMutability(ctx, &ecr.PutImageTagMutabilityInput{
		RepositoryName:                     aws.String(name),
		ImageTagMutability:                 ecrtypes.ImageTagMutability(m.Mode),
		ImageTagMutabilityExclusionFilters: filters(m.Exclusions),
	})
	if err != nil {
		return fmt.Errorf("put image tag mutability of %s: %w", name, err)
	}
	return nil
}

// SetAccess writes the whole repository policy in one call.
func (r *Registry) SetAccess(ctx context.Context, name, text string) error {
	if err := r.guard(name); err != nil {
		return err
	}
	_, err := r.api.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(name), PolicyText: aws.String(text)})
	if err != nil {
		return fmt.Errorf("set repository policy of %s: %w", name, err)
	}
	return nil
}

// DeleteAccess deletes the repository policy. The caller has made sure it holds only the
// product's statements; a policy already gone is no failure.
func (r *Registry) DeleteAccess(ctx context.Context, name string) error {
	if err := r.guard(name); err != nil {
		return err
	}
	_, err := r.api.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String(name)})
	var none *ecrtypes.RepositoryPolicyNotFoundException
	if err != nil && !errors.As(err, &none) {
		return fmt.Errorf("delete repository policy of %s: %w", name, err)
	}
	return nil
}

// Tag adds or overwrites tags on the repository; other tags stay as they are.
func (r *Registry) Tag(ctx context.Context, repo Summary, tags map[string]string) error {
	if err := r.guard(repo.Name); err != nil {
		return err
	}
	_, err := r.api.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: aws.String(repo.ARN), Tags: tagList(tags)})
	if err != nil {
		return fmt.Errorf("tag repository %s: %w", repo.Name, err)
	}
	return nil
}

// Untag removes the tag keys from the repository.
func (r *Registry) Untag(ctx context.Context, repo Summary, keys []string) error {
	if err := r.guard(repo.Name); err != nil {
		return err
	}
	_, err := r.api.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: aws.String(repo.ARN), TagKeys: keys})
	if err != nil {
		return fmt.Errorf("untag repository %s: %w", repo.Name, err)
	}
	return nil
}

// DeleteIfEmpty deletes the repository only when it holds no image: the call is made without
// force, so ECR itself refuses when an image arrived meanwhile, and deleted is false then.
func (r *Registry) DeleteIfEmpty(ctx context.Context, name string) (deleted bool, err error) {
	if err := r.guard(name); err != nil {
		return false, err
	}
	_, err = r.api.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name), Force: false})
	var notEmpty *ecrtypes.RepositoryNotEmptyException
	switch {
	case errors.As(err, &notEmpty):
		return false, nil
	case IsNotFound(err):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("delete repository %s: %w", name, err)
	}
	return true, nil
}

func filters(exclusions []string) []ecrtypes.ImageTagMutabilityExclusionFilter {
	var out []ecrtypes.ImageTagMutabilityExclusionFilter
	for _, f := range exclusions {
		out = append(out, ecrtypes.ImageTagMutabilityExclusionFilter{Filter: aws.String(f), FilterType: ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard})
	}
	return out
}

// tagList renders tags sorted by key, so requests are deterministic.
func tagList(tags map[string]string) []ecrtypes.Tag {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ecrtypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, ecrtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

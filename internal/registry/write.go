package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Settings are what a repository is created with. ECR applies them only at creation; encryption
// cannot change afterwards at all.
type Settings struct {
	Tags          map[string]string
	ScanOnPush    bool
	TagMutability string
	// KMSKey, when set, encrypts with that key; otherwise AES256.
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
		RepositoryName:             aws.String(name),
		Tags:                       tagList(s.Tags),
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: s.ScanOnPush},
		ImageTagMutability:         ecrtypes.ImageTagMutability(s.TagMutability),
		EncryptionConfiguration:    enc,
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
	var notFound *ecrtypes.RepositoryNotFoundException
	switch {
	case errors.As(err, &notEmpty):
		return false, nil
	case errors.As(err, &notFound):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("delete repository %s: %w", name, err)
	}
	return true, nil
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

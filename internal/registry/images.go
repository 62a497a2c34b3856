package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// The tags the product puts on images. Each ends with the 64 hex digits of the sha256 digest of
// the image it is on, so a tag names its image and no other.
const (
	// InUsePrefix begins the protecting tag of an image SageMaker uses (see InUseTag): the
	// product's lifecycle policy never expires an image that carries it.
	InUsePrefix = "sagemaker-in-use-"
	// ReleasedPrefix begins the tag an image gets before its protecting tag is removed when
	// that is its only tag (see ReleasedTag): removing the last tag of an image deletes the
	// image, and with this one the image stays, for the lifecycle policy to decide on like any
	// other tagged image.
	ReleasedPrefix = "sagemaker-released-"
)

// ErrInvalidDigest is returned, without any call to ECR, for a digest that is not "sha256:"
// followed by 64 lower-case hex digits.
var ErrInvalidDigest = errors.New("not a sha256 image digest")

// ErrNotProductTag is returned, without any call to ECR, by AddImageTag for a tag other than
// the image's InUseTag or ReleasedTag: the product puts no other tag on an image.
var ErrNotProductTag = errors.New("not a tag the product puts on this image")

// ErrImageNotFound is returned when the repository holds no image with the digest.
var ErrImageNotFound = errors.New("image not found")

// ErrWouldDeleteImage is returned, without any call that deletes, by RemoveInUseTag when the
// image does not carry its protecting tag or carries no other tag: removing the tag could then
// delete an image.
var ErrWouldDeleteImage = errors.New("refused: removing the tag could delete an image")

// acceptedMediaTypes are the manifest types BatchGetImage may return: Docker image manifest
// v2 schema 2 and manifest list, OCI image manifest and index. ECR answers with the manifest as
// it was pushed, byte for byte, when its type is one of them.
var acceptedMediaTypes = []string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}

// Image is one image of a repository, as DescribeImages describes it.
type Image struct {
	// Digest is the image manifest's digest, "sha256:<hex>".
	Digest string
	// Tags are the image's tags, none for an untagged image.
	Tags     []string
	PushedAt time.Time
	// PulledAt is the image's lastRecordedPullTime: zero when ECR recorded no pull. ECR
	// refreshes it at least once every 24 hours, so a pull may show only up to a day late.
	PulledAt time.Time
}

// digestHex returns the 64 hex digits of a sha256 digest, or ErrInvalidDigest.
func digestHex(digest string) (string, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q: %w", digest, ErrInvalidDigest)
	}
	return hex, nil
}

// InUseTag returns the tag that protects the image with the digest: InUsePrefix and the 64 hex
// digits of the digest. The digest must be "sha256:" and 64 lower-case hex digits.
func InUseTag(digest string) (string, error) {
	hex, err := digestHex(digest)
	if err != nil {
		return "", err
	}
	return InUsePrefix + hex, nil
}

// ReleasedTag returns the tag that keeps the image with the digest tagged once its protecting
// tag is released: ReleasedPrefix and the 64 hex digits of the digest. The digest must be
// "sha256:" and 64 lower-case hex digits.
func ReleasedTag(digest string) (string, error) {
	hex, err := digestHex(digest)
	if err != nil {
		return "", err
	}
	return ReleasedPrefix + hex, nil
}

// Images returns every image of the repository, DescribeImages a page at a time (1,000 a page,
// the most ECR returns). Like a write, it is refused with ErrOutsideNamespace, without a call,
// for a repository outside the managed namespaces: the product never needs their images.
func (r *Registry) Images(ctx context.Context, repository string) ([]Image, error) {
	if err := r.guard(repository); err != nil {
		return nil, err
	}
	pages := ecr.NewDescribeImagesPaginator(r.api, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repository),
		MaxResults:     aws.Int32(1000),
	})
	var images []Image
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe images of %s: %w", repository, err)
		}
		for _, d := range page.ImageDetails {
			images = append(images, Image{
				Digest:   aws.ToString(d.ImageDigest),
				Tags:     slices.Clone(d.ImageTags),
				PushedAt: aws.ToTime(d.ImagePushedAt),
				PulledAt: aws.ToTime(d.LastRecordedPullTime),
			})
		}
	}
	return images, nil
}

// AddImageTag adds tag to the image with the digest: tag must be the image's InUseTag or
// ReleasedTag, anything else is refused with ErrNotProductTag without a call. It reads the
// manifest with BatchGetImage and puts it back with PutImage byte for byte as ECR returned it,
// with imageDigest set (ECR refuses a manifest that is not that digest's) and the manifest's
// media type: no layer moves, and the image is the same image with one more tag. A new tag is
// accepted in an IMMUTABLE repository too. ImageAlreadyExistsException means the image carries
// the tag already, which is no failure. A digest the repository does not hold is
// ErrImageNotFound.
func (r *Registry) AddImageTag(ctx context.Context, repository, digest, tag string) error {
	inUse, err := InUseTag(digest)
	if err != nil {
		return err
	}
	released, _ := ReleasedTag(digest)
	if tag != inUse && tag != released {
		return fmt.Errorf("tag %q on %s: %w", tag, digest, ErrNotProductTag)
	}
	if err := r.guard(repository); err != nil {
		return err
	}
	got, err := r.api.BatchGetImage(ctx, &ecr.BatchGetImageInput{
		RepositoryName:     aws.String(repository),
		ImageIds:           []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}},
		AcceptedMediaTypes: acceptedMediaTypes,
	})
	if err != nil {
		return fmt.Errorf("get image %s@%s: %w", repository, digest, err)
	}
	var image *ecrtypes.Image
	for i, img := range got.Images {
		if img.ImageId != nil && aws.ToString(img.ImageId.ImageDigest) == digest && img.ImageManifest != nil {
			image = &got.Images[i]
			break
		}
	}
	if image == nil {
		return fmt.Errorf("get image %s@%s: %w", repository, digest, failed(got.Failures, ErrImageNotFound))
	}
	in := &ecr.PutImageInput{
		RepositoryName: aws.String(repository),
		ImageManifest:  image.ImageManifest,
		ImageDigest:    aws.String(digest),
		ImageTag:       aws.String(tag),
	}
	if mediaType := aws.ToString(image.ImageManifestMediaType); mediaType != "" {
		in.ImageManifestMediaType = aws.String(mediaType)
	}
	_, err = r.api.PutImage(ctx, in)
	var exists *ecrtypes.ImageAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("tag image %s@%s with %s: %w", repository, digest, tag, err)
	}
	return nil
}

// RemoveInUseTag removes the protecting tag, InUseTag(digest), from the image with the digest,
// and never deletes an image. It is the package's only caller of BatchDeleteImage.
//
// BatchDeleteImage removes a tag, and deletes the image with its last tag. So right before the
// call RemoveInUseTag reads the image (DescribeImages by digest) and refuses with
// ErrWouldDeleteImage, without any call that deletes, when the image does not carry the
// protecting tag (a tag of that name on another image is not the product's to remove) or
// carries no other tag. The caller that means to release the only tag of an image first adds
// ReleasedTag(digest) with AddImageTag: the image then keeps a tag, and the lifecycle policy
// decides its fate like any other tagged image's. RemoveInUseTag itself only refuses.
//
// The call names the image by imageTag alone. ECR documents an image id as either a tag (remove
// that tag) or a digest (delete the image with all its tags), not both; moto, given both,
// deletes the image with all its tags. The tag names its image anyway: it ends with the digest,
// and the read has just found it on that image. A response that names another digest is an
// error, as is any failure.
//
// One race remains: ECR has no conditional delete, so a person who removes the image's other
// tags (or moves the protecting tag to another image, in a mutable repository) between the read
// and the delete, a few milliseconds, makes the removal of the protecting tag delete that
// image. An image the repository does not hold is ErrImageNotFound.
func (r *Registry) RemoveInUseTag(ctx context.Context, repository, digest string) error {
	tag, err := InUseTag(digest)
	if err != nil {
		return err
	}
	if err := r.guard(repository); err != nil {
		return err
	}
	out, err := r.api.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repository),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}},
	})
	var none *ecrtypes.ImageNotFoundException
	switch {
	case errors.As(err, &none):
		return fmt.Errorf("describe image %s@%s: %w", repository, digest, ErrImageNotFound)
	case err != nil:
		return fmt.Errorf("describe image %s@%s: %w", repository, digest, err)
	}
	i := slices.IndexFunc(out.ImageDetails, func(d ecrtypes.ImageDetail) bool { return aws.ToString(d.ImageDigest) == digest })
	if i < 0 {
		return fmt.Errorf("describe image %s@%s: %w", repository, digest, ErrImageNotFound)
	}
	tags := out.ImageDetails[i].ImageTags
	switch {
	case !slices.Contains(tags, tag):
		return fmt.Errorf("%s@%s does not carry %s: %w", repository, digest, tag, ErrWouldDeleteImage)
	case !slices.ContainsFunc(tags, func(t string) bool { return t != tag }):
		return fmt.Errorf("%s is the only tag of %s@%s: %w", tag, repository, digest, ErrWouldDeleteImage)
	}
	del, err := r.api.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{
		RepositoryName: aws.String(repository),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	if err != nil {
		return fmt.Errorf("remove tag %s from %s: %w", tag, repository, err)
	}
	if len(del.Failures) > 0 {
		return fmt.Errorf("remove tag %s from %s: %w", tag, repository, failed(del.Failures, nil))
	}
	for _, id := range del.ImageIds {
		if d := aws.ToString(id.ImageDigest); d != "" && d != digest {
			return fmt.Errorf("remove tag %s from %s: ECR reports it removed from %s, not %s", tag, repository, d, digest)
		}
	}
	return nil
}

// failed describes the failures of a batch call as one error; a failure ImageNotFound, or none
// at all, is notFound when that is set.
func failed(failures []ecrtypes.ImageFailure, notFound error) error {
	if notFound != nil && (len(failures) == 0 || slices.ContainsFunc(failures, func(f ecrtypes.ImageFailure) bool {
		return f.FailureCode == ecrtypes.ImageFailureCodeImageNotFound
	})) {
		return notFound
	}
	var msgs []string
	for _, f := range failures {
		msgs = append(msgs, fmt.Sprintf("%s: %s", f.FailureCode, aws.ToString(f.FailureReason)))
	}
	if len(msgs) == 0 {
		return errors.New("no image in the answer")
	}
	return errors.New(strings.Join(msgs, "; "))
}

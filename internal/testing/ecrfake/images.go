package ecrfake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// OCIManifest is the media type of an OCI image manifest, what an image made without one is
// given.
const OCIManifest = "application/vnd.oci.image.manifest.v1+json"

// Image is one image as the fake holds it. Its digest is the sha256 of its manifest, as ECR's.
type Image struct {
	Digest string
	// Tags are in the order they were put; none for an untagged image.
	Tags      []string
	Manifest  string
	MediaType string
	PushedAt  time.Time
	// PulledAt is when ECR last recorded a pull of the image (see Pulled); zero for never.
	PulledAt time.Time
}

func (img *Image) clone() *Image {
	c := *img
	c.Tags = slices.Clone(img.Tags)
	return &c
}

func cloneImages(images []*Image) []*Image {
	out := make([]*Image, 0, len(images))
	for _, img := range images {
		out = append(out, img.clone())
	}
	return out
}

// Digest returns the digest of a manifest, as ECR computes it: "sha256:" and the hex sha256 of
// its bytes.
func Digest(manifest string) string {
	sum := sha256.Sum256([]byte(manifest))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// mediaTypeOf returns the manifest's own mediaType field, "" when it has none.
func mediaTypeOf(manifest string) string {
	var m struct {
		MediaType string `json:"mediaType"`
	}
	_ = json.Unmarshal([]byte(manifest), &m)
	return m.MediaType
}

// resize makes the repository hold repo.Images images: it adds untagged ones or drops the most
// recently pushed. The caller holds r.mu.
func (r *Registry) resize(repo *Repository) {
	for len(repo.images) < repo.Images {
		r.pushes++
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:%064x"},"layers":[]}`,
			OCIManifest, r.pushes)
		repo.images = append(repo.images, &Image{Digest: Digest(manifest), Manifest: manifest, MediaType: OCIManifest, PushedAt: time.Now()})
	}
	repo.images = repo.images[:max(0, repo.Images)]
	repo.Images = len(repo.images)
}

// PushImage pushes the manifest into the repository with the tags, as a person's docker push
// would; it is not a call. It returns the image's digest. An image with that digest gets the
// tags added; a tag another image carries moves, whatever the repository's mutability, leaving
// that image untagged when it was its last. The media type is the manifest's own, OCIManifest
// when it has none. It panics when there is no such repository.
func (r *Registry) PushImage(repository, manifest string, tags ...string) (digest string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	repo := r.repos[repository]
	if repo == nil {
		panic("ecrfake: PushImage to " + repository + ", which does not exist")
	}
	digest = Digest(manifest)
	img := repo.image(digest)
	if img == nil {
		mediaType := mediaTypeOf(manifest)
		if mediaType == "" {
			mediaType = OCIManifest
		}
		img = &Image{Digest: digest, Manifest: manifest, MediaType: mediaType, PushedAt: time.Now()}
		repo.images = append(repo.images, img)
		repo.Images = len(repo.images)
	}
	for _, tag := range tags {
		if other := repo.tagged(tag); other != nil && other != img {
			other.Tags = slices.DeleteFunc(other.Tags, func(t string) bool { return t == tag })
		}
		if !slices.Contains(img.Tags, tag) {
			img.Tags = append(img.Tags, tag)
		}
	}
	return digest
}

// ImagesOf returns copies of the repository's images, oldest push first; none when there is no
// such repository. It is not a call.
func (r *Registry) ImagesOf(repository string) []Image {
	r.mu.Lock()
	defer r.mu.Unlock()
	repo := r.repos[repository]
	if repo == nil {
		return nil
	}
	out := make([]Image, 0, len(repo.images))
	for _, img := range repo.images {
		out = append(out, *img.clone())
	}
	return out
}

// Image returns a copy of the repository's image with the digest; ok is false when there is
// none. It is not a call.
func (r *Registry) Image(repository, digest string) (img Image, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if repo := r.repos[repository]; repo != nil {
		if found := repo.image(digest); found != nil {
			return *found.clone(), true
		}
	}
	return Image{}, false
}

// image returns the image with the digest, or nil.
func (repo *Repository) image(digest string) *Image {
	for _, img := range repo.images {
		if img.Digest == digest {
			return img
		}
	}
	return nil
}

// tagged returns the image that carries the tag, or nil.
func (repo *Repository) tagged(tag string) *Image {
	for _, img := range repo.images {
		if slices.Contains(img.Tags, tag) {
			return img
		}
	}
	return nil
}

// find returns the image an image id names: by digest, by tag, or by both when the tag is on
// the image with the digest.
func (repo *Repository) find(id ecrtypes.ImageIdentifier) *Image {
	digest, tag := aws.ToString(id.ImageDigest), aws.ToString(id.ImageTag)
	switch {
	case digest != "" && tag != "":
		if img := repo.image(digest); img != nil && slices.Contains(img.Tags, tag) {
			return img
		}
		return nil
	case digest != "":
		return repo.image(digest)
	case tag != "":
		return repo.tagged(tag)
	}
	return nil
}

// remove deletes the image from the repository.
func (repo *Repository) remove(img *Image) {
	repo.images = slices.DeleteFunc(repo.images, func(i *Image) bool { return i == img })
	repo.Images = len(repo.images)
}

// immutable reports whether the repository's mutability keeps the tag on its image: IMMUTABLE,
// IMMUTABLE_WITH_EXCLUSION for a tag no filter matches, MUTABLE_WITH_EXCLUSION for a tag one
// matches.
func (repo *Repository) immutable(tag string) bool {
	excluded := slices.ContainsFunc(repo.Exclusions, func(f string) bool { return wildcard(f, tag) })
	switch repo.Mutability {
	case "IMMUTABLE":
		return true
	case "IMMUTABLE_WITH_EXCLUSION":
		return !excluded
	case "MUTABLE_WITH_EXCLUSION":
		return excluded
	}
	return false
}

// wildcard reports whether s matches the pattern, in which '*' stands for any run of
// characters, as ECR's WILDCARD filters do.
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// wireIDs renders image ids as wire.Describe reads them from the request.
func wireIDs(ids []ecrtypes.ImageIdentifier) string {
	out := make([]wire.ImageID, 0, len(ids))
	for _, id := range ids {
		out = append(out, wire.ImageID{Digest: aws.ToString(id.ImageDigest), Tag: aws.ToString(id.ImageTag)})
	}
	return wire.EncodeImages(out...)
}

func (repo *Repository) detail(img *Image) ecrtypes.ImageDetail {
	return ecrtypes.ImageDetail{
		RegistryId:             aws.String(Account),
		RepositoryName:         aws.String(repo.Name),
		ImageDigest:            aws.String(img.Digest),
		ImageTags:              slices.Clone(img.Tags),
		ImagePushedAt:          aws.Time(img.PushedAt),
		ImageManifestMediaType: aws.String(img.MediaType),
		ImageSizeInBytes:       aws.Int64(int64(len(img.Manifest))),
		ImageStatus:            ecrtypes.ImageStatusActive,
		LastRecordedPullTime:   nonZero(img.PulledAt),
	}
}

func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Pulled records a pull of the repository's image with the digest at t, as ECR records one in
// the image's lastRecordedPullTime. It is not a call.
func (r *Registry) Pulled(repository, digest string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if repo := r.repos[repository]; repo != nil {
		if img := repo.image(digest); img != nil {
			img.PulledAt = t
		}
	}
}

func imageNotFound(repository string, id ecrtypes.ImageIdentifier) error {
	return &ecrtypes.ImageNotFoundException{Message: aws.String(fmt.Sprintf(
		"The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
		aws.ToString(id.ImageDigest), aws.ToString(id.ImageTag), repository, Account))}
}

func failure(id ecrtypes.ImageIdentifier, code ecrtypes.ImageFailureCode, reason string) ecrtypes.ImageFailure {
	return ecrtypes.ImageFailure{ImageId: &id, FailureCode: code, FailureReason: aws.String(reason)}
}

// DescribeImages describes the images the ids name (ImageNotFoundException for one that names
// none), or, without ids, every image (Filter's tagStatus applies), oldest push first, a page at
// a time: MaxResults or 100, at most the image page size (see SetImagePageSize); NextToken is
// the offset of the next page.
func (r *Registry) DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, _ ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "DescribeImages", Repository: name, Images: wireIDs(in.ImageIds)}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	out := &ecr.DescribeImagesOutput{}
	if len(in.ImageIds) > 0 {
		for _, id := range in.ImageIds {
			img := repo.find(id)
			if img == nil {
				return nil, imageNotFound(name, id)
			}
			out.ImageDetails = append(out.ImageDetails, repo.detail(img))
		}
		return out, nil
	}
	var status ecrtypes.TagStatus
	if in.Filter != nil {
		status = in.Filter.TagStatus
	}
	images := slices.DeleteFunc(slices.Clone(repo.images), func(img *Image) bool {
		switch status {
		case ecrtypes.TagStatusTagged:
			return len(img.Tags) == 0
		case ecrtypes.TagStatusUntagged:
			return len(img.Tags) > 0
		}
		return false
	})
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	limit := min(100, r.imagePageSize)
	if in.MaxResults != nil {
		limit = min(int(*in.MaxResults), r.imagePageSize)
	}
	end := min(start+limit, len(images))
	for _, img := range images[min(start, end):end] {
		out.ImageDetails = append(out.ImageDetails, repo.detail(img))
	}
	if end < len(images) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

// BatchGetImage returns the manifests of the images the ids name, as they were pushed, and a
// failure ImageNotFound for an id that names none. AcceptedMediaTypes is not checked.
func (r *Registry) BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, _ ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "BatchGetImage", Repository: name, Images: wireIDs(in.ImageIds)}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	out := &ecr.BatchGetImageOutput{}
	for _, id := range in.ImageIds {
		img := repo.find(id)
		if img == nil {
			out.Failures = append(out.Failures, failure(id, ecrtypes.ImageFailureCodeImageNotFound, "Requested image not found"))
			continue
		}
		out.Images = append(out.Images, ecrtypes.Image{
			RegistryId:             aws.String(Account),
			RepositoryName:         aws.String(name),
			ImageId:                &ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.Digest), ImageTag: id.ImageTag},
			ImageManifest:          aws.String(img.Manifest),
			ImageManifestMediaType: aws.String(img.MediaType),
		})
	}
	return out, nil
}

// PutImage puts a manifest with a tag, as ECR does: the digest is the manifest's sha256
// (ImageDigestDoesNotMatchException when imageDigest says otherwise); a manifest already there
// gets the tag, ImageAlreadyExistsException when it carries it already; a tag on another image
// moves in a mutable repository and is ImageTagAlreadyExistsException where the mutability keeps
// it (see Repository.Mutability and Exclusions).
func (r *Registry) PutImage(ctx context.Context, in *ecr.PutImageInput, _ ...func(*ecr.Options)) (*ecr.PutImageOutput, error) {
	name := aws.ToString(in.RepositoryName)
	var ids []ecrtypes.ImageIdentifier
	if in.ImageDigest != nil || in.ImageTag != nil {
		ids = []ecrtypes.ImageIdentifier{{ImageDigest: in.ImageDigest, ImageTag: in.ImageTag}}
	}
	if err := r.begin(ctx, wire.Request{Operation: "PutImage", Repository: name, Images: wireIDs(ids)}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	manifest := aws.ToString(in.ImageManifest)
	if manifest == "" {
		return nil, &ecrtypes.InvalidParameterException{Message: aws.String("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must not be empty'")}
	}
	digest := Digest(manifest)
	if d := aws.ToString(in.ImageDigest); d != "" && d != digest {
		return nil, &ecrtypes.ImageDigestDoesNotMatchException{Message: aws.String(fmt.Sprintf("Provided digest '%s' does not match digest of image manifest '%s'", d, digest))}
	}
	mediaType := aws.ToString(in.ImageManifestMediaType)
	if mediaType == "" {
		mediaType = mediaTypeOf(manifest)
	}
	if mediaType == "" {
		return nil, &ecrtypes.InvalidParameterException{Message: aws.String("image manifest media type not provided in the manifest or the request")}
	}
	tag := aws.ToString(in.ImageTag)
	img := repo.image(digest)
	if img != nil && (tag == "" || slices.Contains(img.Tags, tag)) {
		return nil, &ecrtypes.ImageAlreadyExistsException{Message: aws.String(fmt.Sprintf(
			"Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, tag, name, Account))}
	}
	if other := repo.tagged(tag); tag != "" && other != nil {
		if repo.immutable(tag) {
			return nil, &ecrtypes.ImageTagAlreadyExistsException{Message: aws.String(fmt.Sprintf(
				"The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the tag is immutable.", tag, name))}
		}
		other.Tags = slices.DeleteFunc(other.Tags, func(t string) bool { return t == tag })
	}
	if img == nil {
		img = &Image{Digest: digest, Manifest: manifest, MediaType: mediaType, PushedAt: time.Now()}
		repo.images = append(repo.images, img)
		repo.Images = len(repo.images)
	}
	if tag != "" {
		img.Tags = append(img.Tags, tag)
	}
	return &ecr.PutImageOutput{Image: &ecrtypes.Image{
		RegistryId:             aws.String(Account),
		RepositoryName:         aws.String(name),
		ImageId:                &ecrtypes.ImageIdentifier{ImageDigest: aws.String(digest), ImageTag: in.ImageTag},
		ImageManifest:          aws.String(manifest),
		ImageManifestMediaType: aws.String(mediaType),
	}}, nil
}

// BatchDeleteImage deletes what the ids name: an id with a tag alone removes that tag, and
// deletes the image with its last tag; an id with a digest deletes the image with all its
// tags, with or without a tag beside it (ECR documents an id as a tag or a digest; moto,
// given both, deletes the image). An id that names no image is a failure, as is one with
// neither digest nor tag, or with a tag the image with the digest does not carry.
func (r *Registry) BatchDeleteImage(ctx context.Context, in *ecr.BatchDeleteImageInput, _ ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error) {
	name := aws.ToString(in.RepositoryName)
	if err := r.begin(ctx, wire.Request{Operation: "BatchDeleteImage", Repository: name, Images: wireIDs(in.ImageIds)}); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	repo := r.lookup(name)
	if repo == nil {
		return nil, notFound(name)
	}
	out := &ecr.BatchDeleteImageOutput{}
	for _, id := range in.ImageIds {
		digest, tag := aws.ToString(id.ImageDigest), aws.ToString(id.ImageTag)
		switch img := repo.find(id); {
		case digest == "" && tag == "":
			out.Failures = append(out.Failures, failure(id, ecrtypes.ImageFailureCodeMissingDigestAndTag, "Invalid request parameters: both tag and digest cannot be null"))
		case img == nil && digest != "" && tag != "" && repo.image(digest) != nil:
			out.Failures = append(out.Failures, failure(id, ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest, "Invalid request parameters: given tag does not map to the given digest"))
		case img == nil:
			out.Failures = append(out.Failures, failure(id, ecrtypes.ImageFailureCodeImageNotFound, "Requested image not found"))
		case digest == "":
			out.ImageIds = append(out.ImageIds, ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.Digest), ImageTag: aws.String(tag)})
			img.Tags = slices.DeleteFunc(img.Tags, func(t string) bool { return t == tag })
			if len(img.Tags) == 0 {
				repo.remove(img)
			}
		default:
			if len(img.Tags) == 0 {
				out.ImageIds = append(out.ImageIds, ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.Digest)})
			}
			for _, t := range img.Tags {
				out.ImageIds = append(out.ImageIds, ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.Digest), ImageTag: aws.String(t)})
			}
			repo.remove(img)
		}
	}
	return out, nil
}

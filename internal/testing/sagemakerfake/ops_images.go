package sagemakerfake

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Wire shapes of the SageMaker (Studio) image calls, field names as in the SageMaker API model.

type imageSummary struct {
	ImageName        string
	ImageArn         string
	ImageStatus      string
	CreationTime     float64
	LastModifiedTime float64
}

type listImagesOutput struct {
	Images    []imageSummary
	NextToken *string `json:",omitempty"`
}

type imageVersionSummary struct {
	ImageArn           string
	ImageVersionArn    string
	Version            int
	ImageVersionStatus string
	CreationTime       float64
	LastModifiedTime   float64
}

type listImageVersionsOutput struct {
	ImageVersions []imageVersionSummary
	NextToken     *string `json:",omitempty"`
}

// describeImageVersionOutput has the summary's members and the base image.
type describeImageVersionOutput struct {
	imageVersionSummary
	BaseImage string `json:",omitempty"`
}

var (
	imageListing = listing{order: ascDescUpper, sortBy: []sortChoice{
		{"CREATION_TIME", byTime}, {"LAST_MODIFIED_TIME", byTime}, {"IMAGE_NAME", byName}}}
	versionListing = listing{order: ascDescUpper, sortBy: []sortChoice{
		{"CREATION_TIME", byTime}, {"LAST_MODIFIED_TIME", byTime}, {"VERSION", byName}}}
)

// listImages answers ListImages.
func (s *Server) listImages(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var rows []row[imageSummary]
	for _, im := range s.inv.images {
		at := epochSeconds(im.created)
		rows = append(rows, row[imageSummary]{name: im.name, created: im.created,
			item: imageSummary{ImageName: im.name, ImageArn: im.arn, ImageStatus: "CREATED",
				CreationTime: at, LastModifiedTime: at}})
	}
	s.mu.Unlock()
	items, next, err := list(&in, imageListing, rows)
	if err != nil {
		return nil, err
	}
	return listImagesOutput{Images: items, NextToken: next}, nil
}

// listImageVersions answers ListImageVersions for ImageName; an unknown image is
// ResourceNotFound.
func (s *Server) listImageVersions(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.ImageName, "imageName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	im := s.inv.images[strings.ToLower(*in.ImageName)]
	var rows []row[imageVersionSummary]
	if im != nil {
		for _, v := range im.versions {
			rows = append(rows, row[imageVersionSummary]{seq: v.Version, created: v.created,
				item: versionSummary(im, v)})
		}
	}
	s.mu.Unlock()
	if im == nil {
		return nil, resourceNotFound("Image %s does not exist.", s.arn("image", *in.ImageName))
	}
	items, next, err := list(&in, versionListing, rows)
	if err != nil {
		return nil, err
	}
	return listImageVersionsOutput{ImageVersions: items, NextToken: next}, nil
}

func versionSummary(im *studioImage, v *imageVersion) imageVersionSummary {
	at := epochSeconds(v.created)
	return imageVersionSummary{ImageArn: im.arn, ImageVersionArn: v.arn, Version: v.Version,
		ImageVersionStatus: v.Status, CreationTime: at, LastModifiedTime: at}
}

// describeImageVersion answers DescribeImageVersion: Version, or the latest version when it
// is absent. Aliases are not kept here: a request by Alias finds nothing. An unknown image or
// version is ResourceNotFound.
func (s *Server) describeImageVersion(body []byte) (any, *apiError) {
	var in struct {
		ImageName *string
		Version   *int
		Alias     *string
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.ImageName, "imageName"); err != nil {
		return nil, err
	}
	if in.Version != nil && *in.Version < 0 {
		return nil, validationError("1 validation error detected: Value '%d' at 'version' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.Version)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	im := s.inv.images[strings.ToLower(*in.ImageName)]
	if im == nil {
		return nil, resourceNotFound("Image %s does not exist.", s.arn("image", *in.ImageName))
	}
	var v *imageVersion
	switch {
	case in.Alias != nil:
	case in.Version != nil:
		v = im.versions[*in.Version]
	case len(im.versions) > 0:
		v = im.versions[slices.Max(slices.Collect(maps.Keys(im.versions)))]
	}
	if v == nil {
		which := "latest"
		switch {
		case in.Alias != nil:
			which = *in.Alias
		case in.Version != nil:
			which = strconv.Itoa(*in.Version)
		}
		return nil, resourceNotFound("Image version %s/%s does not exist.", s.arn("image-version", im.name), which)
	}
	return describeImageVersionOutput{imageVersionSummary: versionSummary(im, v), BaseImage: v.BaseImage}, nil
}

package sagemakerfake

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ModelPackage is a version of a model package group as DescribeModelPackage reports it.
type ModelPackage struct {
	// Version is the ModelPackageVersion; 0 means the group's next one.
	Version int
	// Approval is the ModelApprovalStatus; empty means "PendingManualApproval".
	Approval string
	// Status is the ModelPackageStatus; empty means "Completed".
	Status string
	// Images are InferenceSpecification.Containers[].Image, as written (":tag" or "@digest").
	Images []string
}

// TrainingJob is a training job as DescribeTrainingJob reports it.
type TrainingJob struct {
	// Name is the TrainingJobName.
	Name string
	// Status is the TrainingJobStatus; empty means "InProgress".
	Status string
	// Image is AlgorithmSpecification.TrainingImage.
	Image string
}

// ProcessingJob is a processing job as DescribeProcessingJob reports it.
type ProcessingJob struct {
	// Name is the ProcessingJobName.
	Name string
	// Status is the ProcessingJobStatus; empty means "InProgress".
	Status string
	// Image is AppSpecification.ImageUri.
	Image string
}

// ImageVersion is a version of a SageMaker (Studio) image as DescribeImageVersion reports it.
type ImageVersion struct {
	// Version is the version number; 0 means the image's next one.
	Version int
	// BaseImage is the container image the version was created from.
	BaseImage string
	// Status is the ImageVersionStatus; empty means "CREATED".
	Status string
}

type packageGroup struct {
	name     string
	arn      string
	created  time.Time
	packages map[int]*modelPackage
}

type modelPackage struct {
	ModelPackage
	arn     string
	created time.Time
}

type job struct {
	name, status, image string
	arn                 string
	created             time.Time
}

type studioImage struct {
	name     string
	arn      string
	created  time.Time
	versions map[int]*imageVersion
}

type imageVersion struct {
	ImageVersion
	arn     string
	created time.Time
}

// PutModelPackageGroup creates the model package group name, with no versions, unless it
// exists, and returns its ARN.
func (s *Server) PutModelPackageGroup(name string) (arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groupNamed(name).arn
}

// groupNamed returns the model package group name, created if need be. The caller holds s.mu.
func (s *Server) groupNamed(name string) *packageGroup {
	g := s.inv.groups[strings.ToLower(name)]
	if g == nil {
		g = &packageGroup{name: name, arn: s.arn("model-package-group", name),
			created: time.Now().UTC(), packages: map[int]*modelPackage{}}
		s.inv.groups[strings.ToLower(name)] = g
	}
	return g
}

// PutModelPackage creates version p.Version of the model package group (the group too, if
// need be), or replaces it, and returns its ARN (…:model-package/<group>/<version>).
func (s *Server) PutModelPackage(group string, p ModelPackage) (arn string) {
	p.Approval = cmp.Or(p.Approval, "PendingManualApproval")
	p.Status = cmp.Or(p.Status, "Completed")
	p.Images = slices.Clone(p.Images)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupNamed(group)
	if p.Version == 0 {
		p.Version = nextVersion(g.packages)
	}
	r := &modelPackage{ModelPackage: p, created: time.Now().UTC(),
		arn: s.arn("model-package", g.name+"/"+strconv.Itoa(p.Version))}
	g.packages[p.Version] = r
	return r.arn
}

// PutTrainingJob creates the training job j.Name, or replaces it, and returns its ARN.
func (s *Server) PutTrainingJob(j TrainingJob) (arn string) {
	r := &job{name: j.Name, status: cmp.Or(j.Status, "InProgress"), image: j.Image,
		arn: s.arn("training-job", j.Name), created: time.Now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv.training[strings.ToLower(j.Name)] = r
	return r.arn
}

// PutProcessingJob creates the processing job j.Name, or replaces it, and returns its ARN.
func (s *Server) PutProcessingJob(j ProcessingJob) (arn string) {
	r := &job{name: j.Name, status: cmp.Or(j.Status, "InProgress"), image: j.Image,
		arn: s.arn("processing-job", j.Name), created: time.Now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv.processing[strings.ToLower(j.Name)] = r
	return r.arn
}

// PutImage creates the SageMaker image name, with no versions, unless it exists, and returns
// its ARN.
func (s *Server) PutImage(name string) (arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.imageNamed(name).arn
}

// imageNamed returns the SageMaker image name, created if need be. The caller holds s.mu.
func (s *Server) imageNamed(name string) *studioImage {
	im := s.inv.images[strings.ToLower(name)]
	if im == nil {
		im = &studioImage{name: name, arn: s.arn("image", name), created: time.Now().UTC(),
			versions: map[int]*imageVersion{}}
		s.inv.images[strings.ToLower(name)] = im
	}
	return im
}

// PutImageVersion creates version v.Version of the SageMaker image (the image too, if need
// be), or replaces it, and returns its ARN (…:image-version/<image>/<version>).
func (s *Server) PutImageVersion(image string, v ImageVersion) (arn string) {
	v.Status = cmp.Or(v.Status, "CREATED")
	s.mu.Lock()
	defer s.mu.Unlock()
	im := s.imageNamed(image)
	if v.Version == 0 {
		v.Version = nextVersion(im.versions)
	}
	r := &imageVersion{ImageVersion: v, created: time.Now().UTC(),
		arn: s.arn("image-version", im.name+"/"+strconv.Itoa(v.Version))}
	im.versions[v.Version] = r
	return r.arn
}

// DeleteImageVersion removes version of the SageMaker image; an unknown one does nothing.
func (s *Server) DeleteImageVersion(image string, version int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if im := s.inv.images[strings.ToLower(image)]; im != nil {
		delete(im.versions, version)
	}
}

// nextVersion is one past the highest version of m, 1 for an empty m.
func nextVersion[T any](m map[int]T) int {
	versions := slices.Collect(maps.Keys(m))
	if len(versions) == 0 {
		return 1
	}
	return slices.Max(versions) + 1
}

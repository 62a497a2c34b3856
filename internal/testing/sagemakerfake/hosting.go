package sagemakerfake

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// inventory is what the in-use calls read in one account: its hosting, model registry,
// jobs and Studio images. The maps are keyed by lower-cased name, as the ARNs are; the
// server's mutex guards them.
type inventory struct {
	endpoints  map[string]*endpoint
	configs    map[string]*endpointConfig
	models     map[string]*model
	components map[string]*inferenceComponent
	groups     map[string]*packageGroup
	training   map[string]*job
	processing map[string]*job
	images     map[string]*studioImage
}

func newInventory() inventory {
	return inventory{
		endpoints:  map[string]*endpoint{},
		configs:    map[string]*endpointConfig{},
		models:     map[string]*model{},
		components: map[string]*inferenceComponent{},
		groups:     map[string]*packageGroup{},
		training:   map[string]*job{},
		processing: map[string]*job{},
		images:     map[string]*studioImage{},
	}
}

// DeployedImage is an image as SageMaker reports it deployed (the SDK's types.DeployedImage).
type DeployedImage struct {
	// SpecifiedImage is the image as the model names it: registry/repository[:tag] or [@digest].
	SpecifiedImage string
	// ResolvedImage is the digest the image resolved to when it was deployed:
	// registry/repository@sha256:....
	ResolvedImage string
	// ResolutionTime is when it was resolved; zero means when the endpoint or component was put.
	ResolutionTime time.Time
}

// Variant is a production (or shadow) variant of an endpoint and the images it runs, as
// DescribeEndpoint reports them in ProductionVariants[].DeployedImages.
type Variant struct {
	// Name is the VariantName, for example "AllTraffic".
	Name string
	// Images are the variant's DeployedImages, one a container.
	Images []DeployedImage
}

// Pending is the deployment an endpoint is being created or updated with, as DescribeEndpoint
// reports it in PendingDeploymentSummary.
type Pending struct {
	// ConfigName is the endpoint configuration being deployed.
	ConfigName string
	// Variants and Shadow are its ProductionVariants and ShadowProductionVariants.
	Variants []Variant
	Shadow   []Variant
	// StartTime is when the deployment started; zero means when the endpoint was put.
	StartTime time.Time
}

// Endpoint is a SageMaker endpoint as DescribeEndpoint reports it.
type Endpoint struct {
	// Name is the EndpointName.
	Name string
	// Status is the EndpointStatus; empty means "InService".
	Status string
	// ConfigName is the EndpointConfigName the endpoint runs.
	ConfigName string
	// Variants and Shadow are its ProductionVariants and ShadowProductionVariants.
	Variants []Variant
	Shadow   []Variant
	// Pending, if not nil, is the deployment in progress.
	Pending *Pending
}

// ConfigVariant is a production (or shadow) variant of an endpoint configuration: the model
// it is to run.
type ConfigVariant struct {
	// Name is the VariantName; empty means "variant-<n>", n counting from 1.
	Name string
	// ModelName is the model the variant runs.
	ModelName string
}

// EndpointConfig is an endpoint configuration as DescribeEndpointConfig reports it.
type EndpointConfig struct {
	// Name is the EndpointConfigName.
	Name string
	// Variants and Shadow are its ProductionVariants and ShadowProductionVariants.
	Variants []ConfigVariant
	Shadow   []ConfigVariant
}

// Model is a SageMaker model as DescribeModel reports it: a single container (Image, reported
// as PrimaryContainer.Image) or an inference pipeline (Containers, reported as Containers[].Image).
type Model struct {
	// Name is the ModelName.
	Name string
	// Image, if not empty, is PrimaryContainer.Image, as written (":tag" or "@digest").
	Image string
	// Containers are Containers[].Image, as written.
	Containers []string
}

// InferenceComponent is an inference component as DescribeInferenceComponent reports it.
type InferenceComponent struct {
	// Name is the InferenceComponentName.
	Name string
	// EndpointName is the endpoint that hosts it.
	EndpointName string
	// VariantName is the endpoint's variant that hosts it; empty means "AllTraffic".
	VariantName string
	// Status is the InferenceComponentStatus; empty means "InService".
	Status string
	// ModelName is Specification.ModelName, if any.
	ModelName string
	// Container, if not nil, is Specification.Container.DeployedImage. SageMaker's container
	// summary has no Image of its own: the image as specified is Container.SpecifiedImage.
	Container *DeployedImage
}

type endpoint struct {
	Endpoint
	arn     string
	created time.Time
}

type endpointConfig struct {
	EndpointConfig
	arn     string
	created time.Time
}

type model struct {
	Model
	arn     string
	created time.Time
}

type inferenceComponent struct {
	InferenceComponent
	arn     string
	created time.Time
}

// PutEndpoint creates the endpoint e.Name, or replaces it (with a new creation time), and
// returns its ARN. Names are compared without case, as SageMaker's ARNs hold them lower-cased.
func (s *Server) PutEndpoint(e Endpoint) (arn string) {
	e.Status = cmp.Or(e.Status, "InService")
	e.Variants, e.Shadow = cloneVariants(e.Variants), cloneVariants(e.Shadow)
	if e.Pending != nil {
		p := *e.Pending
		p.Variants, p.Shadow = cloneVariants(p.Variants), cloneVariants(p.Shadow)
		e.Pending = &p
	}
	r := &endpoint{Endpoint: e, arn: s.arn("endpoint", e.Name), created: time.Now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv.endpoints[strings.ToLower(e.Name)] = r
	return r.arn
}

// DeleteEndpoint removes the endpoint name; an unknown one does nothing. Its configuration,
// models and inference components stay, as in SageMaker.
func (s *Server) DeleteEndpoint(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inv.endpoints, strings.ToLower(name))
}

// PutEndpointConfig creates the endpoint configuration c.Name, or replaces it, and returns
// its ARN.
func (s *Server) PutEndpointConfig(c EndpointConfig) (arn string) {
	c.Variants, c.Shadow = nameVariants(c.Variants), nameVariants(c.Shadow)
	r := &endpointConfig{EndpointConfig: c, arn: s.arn("endpoint-config", c.Name), created: time.Now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv.configs[strings.ToLower(c.Name)] = r
	return r.arn
}

// PutModel creates the model m.Name, or replaces it, and returns its ARN.
func (s *Server) PutModel(m Model) (arn string) {
	m.Containers = slices.Clone(m.Containers)
	r := &model{Model: m, arn: s.arn("model", m.Name), created: time.Now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv.models[strings.ToLower(m.Name)] = r
	return r.arn
}

// PutInferenceComponent creates the inference component c.Name, or replaces it, and returns
// its ARN. Its endpoint need not exist.
func (s *Server) PutInferenceComponent(c InferenceComponent) (arn string) {
	c.VariantName = cmp.Or(c.VariantName, "AllTraffic")
	c.Status = cmp.Or(c.Status, "InService")
	if c.Container != nil {
		d := *c.Container
		c.Container = &d
	}
	r := &inferenceComponent{InferenceComponent: c, arn: s.arn("inference-component", c.Name), created: time.Now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv.components[strings.ToLower(c.Name)] = r
	return r.arn
}

// DeleteInferenceComponent removes the inference component name; an unknown one does nothing.
func (s *Server) DeleteInferenceComponent(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inv.components, strings.ToLower(name))
}

func cloneVariants(vs []Variant) []Variant {
	out := slices.Clone(vs)
	for i := range out {
		out[i].Images = slices.Clone(out[i].Images)
	}
	return out
}

func nameVariants(vs []ConfigVariant) []ConfigVariant {
	out := slices.Clone(vs)
	for i := range out {
		if out[i].Name == "" {
			out[i].Name = "variant-" + strconv.Itoa(i+1)
		}
	}
	return out
}

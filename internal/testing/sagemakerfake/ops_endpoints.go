package sagemakerfake

import (
	"strings"
	"time"
)

// Wire shapes of the endpoint calls, field names as in the SageMaker API model.

type endpointSummary struct {
	EndpointName     string
	EndpointArn      string
	CreationTime     float64
	LastModifiedTime float64
	EndpointStatus   string
}

type listEndpointsOutput struct {
	Endpoints []endpointSummary
	NextToken *string `json:",omitempty"`
}

type deployedImage struct {
	SpecifiedImage string  `json:",omitempty"`
	ResolvedImage  string  `json:",omitempty"`
	ResolutionTime float64 `json:",omitempty"`
}

type variantSummary struct {
	VariantName    string
	DeployedImages []deployedImage `json:",omitempty"`
}

type pendingDeploymentSummary struct {
	EndpointConfigName       string
	ProductionVariants       []variantSummary `json:",omitempty"`
	ShadowProductionVariants []variantSummary `json:",omitempty"`
	StartTime                float64
}

type describeEndpointOutput struct {
	EndpointName             string
	EndpointArn              string
	EndpointConfigName       string                    `json:",omitempty"`
	ProductionVariants       []variantSummary          `json:",omitempty"`
	ShadowProductionVariants []variantSummary          `json:",omitempty"`
	PendingDeploymentSummary *pendingDeploymentSummary `json:",omitempty"`
	EndpointStatus           string
	CreationTime             float64
	LastModifiedTime         float64
}

type productionVariant struct {
	VariantName string
	ModelName   string `json:",omitempty"`
}

type describeEndpointConfigOutput struct {
	EndpointConfigName       string
	EndpointConfigArn        string
	ProductionVariants       []productionVariant
	ShadowProductionVariants []productionVariant `json:",omitempty"`
	CreationTime             float64
}

type containerDefinition struct {
	Image string `json:",omitempty"`
}

type describeModelOutput struct {
	ModelName        string
	ModelArn         string
	PrimaryContainer *containerDefinition  `json:",omitempty"`
	Containers       []containerDefinition `json:",omitempty"`
	CreationTime     float64
}

var endpointListing = listing{sortBy: nameTimeStatus, order: ascDesc, statuses: []string{
	"OutOfService", "Creating", "Updating", "SystemUpdating", "RollingBack", "InService",
	"Deleting", "Failed", "UpdateRollbackFailed"}}

// listEndpoints answers ListEndpoints.
func (s *Server) listEndpoints(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var rows []row[endpointSummary]
	for _, e := range s.inv.endpoints {
		at := epochSeconds(e.created)
		rows = append(rows, row[endpointSummary]{name: e.Name, created: e.created, status: e.Status,
			item: endpointSummary{EndpointName: e.Name, EndpointArn: e.arn, CreationTime: at,
				LastModifiedTime: at, EndpointStatus: e.Status}})
	}
	s.mu.Unlock()
	items, next, err := list(&in, endpointListing, rows)
	if err != nil {
		return nil, err
	}
	return listEndpointsOutput{Endpoints: items, NextToken: next}, nil
}

// describeEndpoint answers DescribeEndpoint. An unknown endpoint is a ValidationException,
// as SageMaker answers (the operation declares no ResourceNotFound).
func (s *Server) describeEndpoint(body []byte) (any, *apiError) {
	var in struct{ EndpointName *string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.inv.endpoints[strings.ToLower(*in.EndpointName)]
	if e == nil {
		return nil, validationError("Could not find endpoint %q.", s.arn("endpoint", *in.EndpointName))
	}
	at := epochSeconds(e.created)
	out := describeEndpointOutput{
		EndpointName:             e.Name,
		EndpointArn:              e.arn,
		EndpointConfigName:       e.ConfigName,
		ProductionVariants:       variantSummaries(e.Variants, e.created),
		ShadowProductionVariants: variantSummaries(e.Shadow, e.created),
		EndpointStatus:           e.Status,
		CreationTime:             at,
		LastModifiedTime:         at,
	}
	if p := e.Pending; p != nil {
		start := p.StartTime
		if start.IsZero() {
			start = e.created
		}
		out.PendingDeploymentSummary = &pendingDeploymentSummary{
			EndpointConfigName:       p.ConfigName,
			ProductionVariants:       variantSummaries(p.Variants, e.created),
			ShadowProductionVariants: variantSummaries(p.Shadow, e.created),
			StartTime:                epochSeconds(start),
		}
	}
	return out, nil
}

// variantSummaries encodes variants; an image's zero ResolutionTime becomes put.
func variantSummaries(vs []Variant, put time.Time) []variantSummary {
	var out []variantSummary
	for _, v := range vs {
		out = append(out, variantSummary{VariantName: v.Name, DeployedImages: deployedImages(v.Images, put)})
	}
	return out
}

func deployedImages(images []DeployedImage, put time.Time) []deployedImage {
	var out []deployedImage
	for _, d := range images {
		out = append(out, encodeDeployedImage(d, put))
	}
	return out
}

func encodeDeployedImage(d DeployedImage, put time.Time) deployedImage {
	at := d.ResolutionTime
	if at.IsZero() {
		at = put
	}
	return deployedImage{SpecifiedImage: d.SpecifiedImage, ResolvedImage: d.ResolvedImage, ResolutionTime: epochSeconds(at)}
}

// describeEndpointConfig answers DescribeEndpointConfig; an unknown configuration is a
// ValidationException, as SageMaker answers.
func (s *Server) describeEndpointConfig(body []byte) (any, *apiError) {
	var in struct{ EndpointConfigName *string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.inv.configs[strings.ToLower(*in.EndpointConfigName)]
	if c == nil {
		return nil, validationError("Could not find endpoint configuration %q.", s.arn("endpoint-config", *in.EndpointConfigName))
	}
	return describeEndpointConfigOutput{
		EndpointConfigName:       c.Name,
		EndpointConfigArn:        c.arn,
		ProductionVariants:       productionVariants(c.Variants),
		ShadowProductionVariants: productionVariants(c.Shadow),
		CreationTime:             epochSeconds(c.created),
	}, nil
}

func productionVariants(vs []ConfigVariant) []productionVariant {
	out := []productionVariant{} // ProductionVariants is required
	for _, v := range vs {
		out = append(out, productionVariant{VariantName: v.Name, ModelName: v.ModelName})
	}
	return out
}

// describeModel answers DescribeModel; an unknown model is a ValidationException, as
// SageMaker answers.
func (s *Server) describeModel(body []byte) (any, *apiError) {
	var in struct{ ModelName *string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.ModelName, "modelName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.inv.models[strings.ToLower(*in.ModelName)]
	if m == nil {
		return nil, validationError("Could not find model %q.", s.arn("model", *in.ModelName))
	}
	out := describeModelOutput{ModelName: m.Name, ModelArn: m.arn, CreationTime: epochSeconds(m.created)}
	if m.Image != "" {
		out.PrimaryContainer = &containerDefinition{Image: m.Image}
	}
	for _, image := range m.Containers {
		out.Containers = append(out.Containers, containerDefinition{Image: image})
	}
	return out, nil
}

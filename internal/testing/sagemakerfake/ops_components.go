package sagemakerfake

import "strings"

// Wire shapes of the inference component calls, field names as in the SageMaker API model.

type inferenceComponentSummary struct {
	InferenceComponentName   string
	InferenceComponentArn    string
	EndpointName             string
	EndpointArn              string
	VariantName              string
	InferenceComponentStatus string
	CreationTime             float64
	LastModifiedTime         float64
}

type listInferenceComponentsOutput struct {
	InferenceComponents []inferenceComponentSummary
	NextToken           *string `json:",omitempty"`
}

type containerSpecificationSummary struct {
	DeployedImage *deployedImage `json:",omitempty"`
}

type specificationSummary struct {
	ModelName string                         `json:",omitempty"`
	Container *containerSpecificationSummary `json:",omitempty"`
}

// describeInferenceComponentOutput has the summary's members and the specification.
type describeInferenceComponentOutput struct {
	inferenceComponentSummary
	Specification *specificationSummary `json:",omitempty"`
}

var componentListing = listing{sortBy: nameTimeStatus, order: ascDesc, statuses: []string{
	"InService", "Creating", "Updating", "Failed", "Deleting"}}

// listInferenceComponents answers ListInferenceComponents, with its EndpointNameEquals filter
// (compared without case, as endpoint names are).
func (s *Server) listInferenceComponents(body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var rows []row[inferenceComponentSummary]
	for _, c := range s.inv.components {
		if in.EndpointNameEquals != nil && !strings.EqualFold(c.EndpointName, *in.EndpointNameEquals) {
			continue
		}
		rows = append(rows, row[inferenceComponentSummary]{name: c.Name, created: c.created,
			status: c.Status, item: s.componentSummary(c)})
	}
	s.mu.Unlock()
	items, next, err := list(&in, componentListing, rows)
	if err != nil {
		return nil, err
	}
	return listInferenceComponentsOutput{InferenceComponents: items, NextToken: next}, nil
}

func (s *Server) componentSummary(c *inferenceComponent) inferenceComponentSummary {
	at := epochSeconds(c.created)
	return inferenceComponentSummary{
		InferenceComponentName:   c.Name,
		InferenceComponentArn:    c.arn,
		EndpointName:             c.EndpointName,
		EndpointArn:              s.arn("endpoint", c.EndpointName),
		VariantName:              c.VariantName,
		InferenceComponentStatus: c.Status,
		CreationTime:             at,
		LastModifiedTime:         at,
	}
}

// describeInferenceComponent answers DescribeInferenceComponent; an unknown component is a
// ValidationException, as SageMaker answers.
func (s *Server) describeInferenceComponent(body []byte) (any, *apiError) {
	var in struct{ InferenceComponentName *string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := requireName(in.InferenceComponentName, "inferenceComponentName"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.inv.components[strings.ToLower(*in.InferenceComponentName)]
	if c == nil {
		return nil, validationError("Could not find inference component %q.", s.arn("inference-component", *in.InferenceComponentName))
	}
	out := describeInferenceComponentOutput{inferenceComponentSummary: s.componentSummary(c)}
	if c.ModelName != "" || c.Container != nil {
		out.Specification = &specificationSummary{ModelName: c.ModelName}
		if c.Container != nil {
			d := encodeDeployedImage(*c.Container, c.created)
			out.Specification.Container = &containerSpecificationSummary{DeployedImage: &d}
		}
	}
	return out, nil
}

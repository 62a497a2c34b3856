package inuse

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// liveEndpoint reports whether an endpoint in status s runs, or is about to run, its images:
// any status but OutOfService, Deleting and Failed (see ReadLimit).
func liveEndpoint(s types.EndpointStatus) bool {
	switch s {
	case types.EndpointStatusOutOfService, types.EndpointStatusDeleting, types.EndpointStatusFailed:
		return false
	}
	return true
}

// liveComponent reports whether an inference component in status s runs, or is about to run,
// its image: any status but Failed and Deleting.
func liveComponent(s types.InferenceComponentStatus) bool {
	switch s {
	case types.InferenceComponentStatusFailed, types.InferenceComponentStatusDeleting:
		return false
	}
	return true
}

// deployed is the image SageMaker reports deployed: the digest it resolved, else the image
// as specified.
func deployed(d types.DeployedImage) string {
	if image := aws.ToString(d.ResolvedImage); image != "" {
		return image
	}
	return aws.ToString(d.SpecifiedImage)
}

func (r *reader) endpoints() error {
	p := sagemaker.NewListEndpointsPaginator(r.api, &sagemaker.ListEndpointsInput{MaxResults: aws.Int32(pageSize)})
	return pages(r.ctx, "list endpoints", p, func(out *sagemaker.ListEndpointsOutput) error {
		for _, e := range out.Endpoints {
			if !liveEndpoint(e.EndpointStatus) {
				continue
			}
			name := aws.ToString(e.EndpointName)
			r.describe(KindEndpoint, name, func(ctx context.Context) error { return r.endpoint(ctx, name) })
		}
		return nil
	})
}

// endpoint reads what the endpoint name runs and is being deployed with.
func (r *reader) endpoint(ctx context.Context, name string) error {
	out, err := r.api.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)})
	if gone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe endpoint %s: %w", name, err)
	}
	if !liveEndpoint(out.EndpointStatus) {
		return nil
	}
	use := r.use(KindEndpoint, name)
	unreported := len(out.ProductionVariants) == 0
	for _, v := range slices.Concat(out.ProductionVariants, out.ShadowProductionVariants) {
		unreported = unreported || len(v.DeployedImages) == 0
		for _, d := range v.DeployedImages {
			r.add(ctx, use, deployed(d))
		}
	}
	var configs []string
	if p := out.PendingDeploymentSummary; p != nil {
		for _, v := range slices.Concat(p.ProductionVariants, p.ShadowProductionVariants) {
			for _, d := range v.DeployedImages {
				r.add(ctx, use, deployed(d))
			}
		}
		configs = append(configs, aws.ToString(p.EndpointConfigName))
	}
	if out.EndpointStatus != types.EndpointStatusInService || unreported {
		configs = append(configs, aws.ToString(out.EndpointConfigName))
	}
	return r.configModels(ctx, use, configs)
}

// configModels adds, for use, the images of the models of the endpoint configurations named
// (empty names and repeats are skipped). A configuration or model that is gone is skipped.
func (r *reader) configModels(ctx context.Context, use Use, configs []string) error {
	seenConfig, seenModel := map[string]bool{"": true}, map[string]bool{"": true}
	for _, c := range configs {
		if seenConfig[c] {
			continue
		}
		seenConfig[c] = true
		out, err := r.api.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(c)})
		if gone(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("describe endpoint configuration %s of endpoint %s: %w", c, use.Name, err)
		}
		for _, v := range slices.Concat(out.ProductionVariants, out.ShadowProductionVariants) {
			model := aws.ToString(v.ModelName)
			if seenModel[model] {
				continue
			}
			seenModel[model] = true
			images, err := r.modelImages(ctx, model)
			if err != nil {
				return err
			}
			r.add(ctx, use, images...)
		}
	}
	return nil
}

// modelImages is the images of the model name as written (":tag" or "@digest"): its primary
// container's and its inference pipeline's. A model that is gone has none.
func (r *reader) modelImages(ctx context.Context, name string) ([]string, error) {
	out, err := r.api.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(name)})
	if gone(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe model %s: %w", name, err)
	}
	var images []string
	if out.PrimaryContainer != nil {
		images = append(images, aws.ToString(out.PrimaryContainer.Image))
	}
	for _, c := range out.Containers {
		images = append(images, aws.ToString(c.Image))
	}
	return images, nil
}

func (r *reader) inferenceComponents() error {
	p := sagemaker.NewListInferenceComponentsPaginator(r.api, &sagemaker.ListInferenceComponentsInput{MaxResults: aws.Int32(pageSize)})
	return pages(r.ctx, "list inference components", p, func(out *sagemaker.ListInferenceComponentsOutput) error {
		for _, c := range out.InferenceComponents {
			if !liveComponent(c.InferenceComponentStatus) {
				continue
			}
			name := aws.ToString(c.InferenceComponentName)
			r.describe(KindInferenceComponent, name, func(ctx context.Context) error { return r.inferenceComponent(ctx, name) })
		}
		return nil
	})
}

// inferenceComponent reads the image the inference component name runs.
func (r *reader) inferenceComponent(ctx context.Context, name string) error {
	out, err := r.api.DescribeInferenceComponent(ctx, &sagemaker.DescribeInferenceComponentInput{InferenceComponentName: aws.String(name)})
	if gone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe inference component %s: %w", name, err)
	}
	spec := out.Specification
	if !liveComponent(out.InferenceComponentStatus) || spec == nil {
		return nil
	}
	use := r.use(KindInferenceComponent, name)
	if spec.Container != nil && spec.Container.DeployedImage != nil {
		if image := deployed(*spec.Container.DeployedImage); image != "" {
			r.add(ctx, use, image)
			return nil
		}
	}
	if model := aws.ToString(spec.ModelName); model != "" {
		images, err := r.modelImages(ctx, model)
		if err != nil {
			return fmt.Errorf("inference component %s: %w", name, err)
		}
		r.add(ctx, use, images...)
	}
	return nil
}

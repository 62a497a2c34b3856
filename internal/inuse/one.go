package inuse

import (
	"context"
	"fmt"
	"slices"
)

// ReadOne returns what one resource uses, as the record of its creation or change names it:
// an endpoint (with the models of the configuration it is being deployed with), an
// inference component, or a model package version (name is then its ARN; only an approved
// version uses anything), read as Read reads each. A resource that is gone uses nothing.
func ReadOne(ctx context.Context, api SageMaker, account, kind, name string) ([]Reference, error) {
	r := &reader{api: api, account: account, ctx: ctx}
	var read func(context.Context, string) error
	switch kind {
	case KindEndpoint:
		read = r.endpoint
	case KindInferenceComponent:
		read = r.inferenceComponent
	case KindModelPackage:
		read = r.modelPackage
	default:
		return nil, fmt.Errorf("a %s is not read on its own", kind)
	}
	if err := read(ctx, name); err != nil {
		return nil, fmt.Errorf("read what %s %s uses: %w", kind, name, err)
	}
	slices.SortFunc(r.refs, Reference.Compare)
	return slices.Compact(r.refs), nil
}

package drift

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// protectRecord is the fast path of protect-in-use: the resource a SageMaker record names is
// read again, in the account the record came from, and the images it uses are protected in
// this invocation, seconds after the call. Nothing is released here: only a complete
// inventory releases. Its cost does not grow with the registry: the reads of one resource,
// and for each repository it names a DescribeRepositories, a ListTagsForResource and a
// DescribeImages walk (and the protecting writes).
func (r *run) protectRecord(ctx context.Context, rec *useRecord) (Summary, error) {
	sum := Summary{Event: rec.Call}
	if !r.cfg.ProtectInUse {
		sum.Status, sum.Reason = publish.StatusIgnored, "protect-in-use is false"
		return sum, nil
	}
	if err := r.accounts.Serve(rec.Account); err != nil {
		sum.Status, sum.Reason = publish.StatusIgnored, err.Error()
		return sum, nil
	}
	api, err := r.accounts.SageMaker(ctx, rec.Account)
	if err != nil {
		sum.Errors = 1
		return sum, err
	}
	sm, ok := api.(inuse.SageMaker)
	if !ok {
		sum.Errors = 1
		return sum, fmt.Errorf("the SageMaker client of account %s cannot read what SageMaker uses", rec.Account)
	}
	refs, err := inuse.ReadOne(ctx, sm, r.accounts.ProjectAccount(rec.Account), rec.Kind, rec.Name)
	if err != nil {
		sum.Errors = 1
		return sum, err
	}
	found := r.collect(refs)
	var errs []error
	for _, name := range found.Repositories() {
		m, err := r.markOf(ctx, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		// The repository is stamped before its images are looked at: an inventory under way,
		// which may have read this account before the use began, releases nothing in it from
		// now on (or protects again what it released meanwhile).
		if err := r.stamp(ctx, name, m); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		inv, err := r.protectRepository(ctx, name, found, m, releaser{})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		sum.InUse, sum.Protected = sum.InUse+inv.inUse, sum.Protected+inv.protected
	}
	complete := false // one resource read, not an inventory
	sum.InventoryComplete = &complete
	sum.Errors = len(errs)
	return sum, errors.Join(errs...)
}

// stamp writes TagInUseRecorded on the repository name (fix mode): now.
func (r *run) stamp(ctx context.Context, name string, m mark) error {
	if !r.fix() || m.arn == "" {
		return nil
	}
	return r.engine.Registry.Tag(ctx, registry.Summary{Name: name, ARN: m.arn},
		map[string]string{TagInUseRecorded: r.svc.now().UTC().Format(time.RFC3339)})
}

package reconcile

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
)

func TestScanStopsStartingWorkWhenTold(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stopAfter int // Stop answers true from this check on
		want      ScanResult
	}{
		{name: "never", stopAfter: 1000, want: ScanResult{Scanned: 10, Drifted: 10, Fixed: 10, Complete: true, Last: "acme-sm-t-p9/training"}},
		{name: "at once", stopAfter: 0, want: ScanResult{}},
		{name: "midway", stopAfter: 4, want: ScanResult{Scanned: 4, Drifted: 4, Fixed: 4, Last: "acme-sm-t-p3/training"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, fake := engineOn(t, testConfig(t))
			for i := range 10 {
				fake.Put(ecrfake.Repository{Name: fmt.Sprintf("acme-sm-t-p%d/training", i), Policy: lifecycle.Policy(99)})
			}
			checks := 0
			got := e.Scan(context.Background(), testConfig(t), listed(t, e), ScanOptions{Checking: Checking{Fix: true}, Concurrency: 3,
				Stop: func() bool { checks++; return checks > tc.stopAfter }})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("scan (-want +got):\n%s", diff)
			}
			if puts := fake.Calls()["PutLifecyclePolicy"]; puts != tc.want.Fixed {
				t.Errorf("puts: got %d; want %d, one per repository started", puts, tc.want.Fixed)
			}
		})
	}
}

// cutAfterPolicy is the fake ECR whose PutLifecyclePolicy succeeds and then ends the run's
// time, as a Lambda deadline would between two writes of one repository.
type cutAfterPolicy struct {
	*ecrfake.Registry
	cancel context.CancelFunc
}

func (c cutAfterPolicy) PutLifecyclePolicy(ctx context.Context, in *ecr.PutLifecyclePolicyInput, opts ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error) {
	out, err := c.Registry.PutLifecyclePolicy(ctx, in, opts...)
	c.cancel()
	return out, err
}

func (c cutAfterPolicy) PutImageTagMutability(ctx context.Context, in *ecr.PutImageTagMutabilityInput, opts ...func(*ecr.Options)) (*ecr.PutImageTagMutabilityOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Registry.PutImageTagMutability(ctx, in, opts...)
}

// A fix written before the deadline cut the check short is counted and announced; the
// repository is still checked again next run.
func TestScanCountsAFixWrittenBeforeTheDeadline(t *testing.T) {
	cfg := testConfig(t)
	fake := ecrfake.New()
	name := "acme-sm-t-p0/training"
	fake.Put(ecrfake.Repository{Name: name, Policy: lifecycle.Policy(99), Mutability: "IMMUTABLE"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := &Engine{Registry: registry.New(cutAfterPolicy{fake, cancel}, cfg.Managed)}
	batch := listed(t, e)
	var announced []Result
	got := e.Scan(ctx, cfg, batch, ScanOptions{Checking: Checking{Fix: true}, Concurrency: 1, OnDrift: func(r Result) { announced = append(announced, r) }})
	if got.Fixed != 1 || got.Drifted != 1 || got.Complete || got.Last != "" {
		t.Errorf("scan: %+v; want the written fix counted, the repository not passed", got)
	}
	if len(announced) != 1 || !slices.ContainsFunc(announced[0].Differences, func(d Finding) bool { return d.Setting == SettingLifecycle && d.Fixed }) {
		t.Errorf("announced %+v; want the lifecycle fix announced", announced)
	}
	if r, _ := fake.Get(name); r.Policy != lifecycle.Policy(10) {
		t.Errorf("lifecycle policy %q; want it written", r.Policy)
	}
}

// goneOnWrite is the fake ECR in which every repository is deleted between its observation
// and the write that would fix it.
type goneOnWrite struct{ *ecrfake.Registry }

func (goneOnWrite) PutLifecyclePolicy(context.Context, *ecr.PutLifecyclePolicyInput, ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error) {
	return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String("deleted meanwhile")}
}

// A repository deleted during its check is gone, as one deleted before it: not an error that
// would hold the cycle back.
func TestScanCountsARepositoryDeletedDuringItsCheckAsGone(t *testing.T) {
	cfg := testConfig(t)
	fake := ecrfake.New()
	fake.Put(ecrfake.Repository{Name: "acme-sm-t-p/training", Tags: map[string]string{naming.TagManagedBy: naming.ManagedByValue}, Policy: lifecycle.Policy(99)})
	e := &Engine{Registry: registry.New(goneOnWrite{fake}, cfg.Managed)}
	got := e.Scan(context.Background(), cfg, listed(t, e), ScanOptions{Checking: Checking{Fix: true}, Concurrency: 1})
	if got.Gone != 1 || got.Errors != 0 || !got.Complete {
		t.Errorf("scan %+v; want the repository gone, no error, the batch complete", got)
	}
}

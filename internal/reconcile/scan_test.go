package reconcile

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// policies is an in-memory registry of policies: enough ECR for the scan's logic. The real
// protocol is exercised against moto in internal/drift.
type policies struct {
	registry.API
	mu   sync.Mutex
	text map[string]string
	puts int
}

func (p *policies) DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	out := &ecr.DescribeRepositoriesOutput{}
	for i := range 10 {
		out.Repositories = append(out.Repositories, ecrtypes.Repository{RepositoryName: aws.String(fmt.Sprintf("acme-sm-t-p%d/training", i))})
	}
	return out, nil
}

func (p *policies) GetLifecyclePolicy(_ context.Context, in *ecr.GetLifecyclePolicyInput, _ ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &ecr.GetLifecyclePolicyOutput{LifecyclePolicyText: aws.String(p.text[aws.ToString(in.RepositoryName)])}, nil
}

func (p *policies) PutLifecyclePolicy(_ context.Context, in *ecr.PutLifecyclePolicyInput, _ ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.text[aws.ToString(in.RepositoryName)] = aws.ToString(in.LifecyclePolicyText)
	p.puts++
	return &ecr.PutLifecyclePolicyOutput{}, nil
}

func TestScanStopsStartingWorkWhenTold(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stopAfter int // Stop answers true from this check on
		want      ScanResult
	}{
		{name: "never", stopAfter: 1000, want: ScanResult{Scanned: 10, Drifted: 10, Fixed: 10, Complete: true}},
		{name: "at once", stopAfter: 0, want: ScanResult{}},
		{name: "midway", stopAfter: 4, want: ScanResult{Scanned: 4, Drifted: 4, Fixed: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &policies{text: map[string]string{}}
			for i := range 10 {
				api.text[fmt.Sprintf("acme-sm-t-p%d/training", i)] = lifecycle.Policy(99)
			}
			checks := 0
			e := Engine{Registry: registry.New(api, testConfig(t).Managed)}
			got, err := e.Scan(context.Background(), testConfig(t), ScanOptions{Fix: true, Concurrency: 3,
				Stop: func() bool { checks++; return checks > tc.stopAfter }})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(ScanResult{}, "Seen")); diff != "" {
				t.Errorf("scan (-want +got):\n%s", diff)
			}
			if api.puts != tc.want.Fixed {
				t.Errorf("puts: got %d; want %d, one per repository started", api.puts, tc.want.Fixed)
			}
		})
	}
}

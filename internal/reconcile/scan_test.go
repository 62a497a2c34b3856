package reconcile

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
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
			got := e.Scan(context.Background(), testConfig(t), listed(t, e), ScanOptions{Fix: true, Concurrency: 3,
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

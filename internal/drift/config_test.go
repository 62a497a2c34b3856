//go:build integration

package drift_test

import (
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// A configuration that only this account's id, or the length of a repository policy, makes
// invalid stops a drift run before anything is read in ECR or written, like any invalid value.
func TestDriftWritesNothingWhenConfigurationChecksFail(t *testing.T) {
	for _, tc := range []struct {
		name, param, value string
	}{
		{"this account in member-accounts", "member-accounts", member + " " + account.ID},
		{"pull-accounts too many for a repository policy", "pull-accounts", account.IDs(config.MaxPullAccounts("") + 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := world.New(t, server)
			w.PutConfig(t, map[string]string{"company": "acme", tc.param: tc.value})
			w.SageMaker.PutProject("churn", "p-home", map[string]string{"team": "risk"})
			sink := w.CaptureEvents(t)

			sum, err := service(w).Handle(world.Deadline(t), manual("fix"))
			w.WantConfigurationRefused(t, sink, err, configPath, tc.param, tc.value)
			if sum.Status != "failed" || !strings.Contains(sum.Reason, configPath+"/"+tc.param) {
				t.Errorf("summary %+v; want failed, naming the parameter", sum)
			}
		})
	}
}

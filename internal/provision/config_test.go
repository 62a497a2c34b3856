//go:build integration

package provision_test

import (
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// A configuration that only this account's id, or the length of a repository policy, makes
// invalid stops a project event before anything is read in ECR or written, like any invalid
// value.
func TestProvisionWritesNothingWhenConfigurationChecksFail(t *testing.T) {
	for _, tc := range []struct {
		name, param, value string
	}{
		{"this account in member-accounts", "member-accounts", account.ID},
		{"this account among member-accounts", "member-accounts", member + " " + account.ID},
		{"pull-accounts too many for a repository policy", "pull-accounts", account.IDs(config.MaxPullAccounts("") + 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, sink, svc := setup(t, map[string]string{tc.param: tc.value})
			sum, err := svc.Handle(world.Deadline(t), event("create-project.json"))
			w.WantConfigurationRefused(t, sink, err, configPath, tc.param, tc.value)
			if sum.Status != "failed" || !strings.Contains(sum.Reason, configPath+"/"+tc.param) {
				t.Errorf("summary %+v; want failed, naming the parameter", sum)
			}
		})
	}
}

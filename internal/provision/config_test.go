//go:build integration

package provision_test

import (
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
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
			invalid := config.Invalid(err)
			if len(invalid) != 1 || invalid[0].Parameter != configPath+"/"+tc.param || invalid[0].Value != tc.value {
				t.Errorf("error %v; want %s/%s invalid, with its value", err, configPath, tc.param)
			}
			if sum.Status != "failed" || !strings.Contains(sum.Reason, configPath+"/"+tc.param) {
				t.Errorf("summary %+v; want failed, naming the parameter", sum)
			}
			for _, r := range w.Rec.Requests() {
				if r.Service == "ecr" || r.Service == "sts" || r.Service == "sagemaker" {
					t.Errorf("called %s %s; want nothing read or written with an invalid configuration", r.Service, r.Operation)
				}
			}
			if got := w.Repositories(t); len(got) != 0 {
				t.Errorf("repositories %v; want none", got)
			}
			if got := account.ByType(sink.Drain(t)); got[publish.ConfigurationInvalid] != 1 || len(got) != 1 {
				t.Errorf("events %v; want one %q", got, publish.ConfigurationInvalid)
			}
		})
	}
}

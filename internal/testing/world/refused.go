package world

import (
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
)

// WantConfigurationRefused fails the test unless err is the one invalid parameter name (under
// configPath) with its value, and the run before it did nothing else: no call to ECR, STS or
// SageMaker, no repository, and one ECR Configuration Invalid event on sink.
func (w *World) WantConfigurationRefused(t testing.TB, sink *Sink, err error, configPath, name, value string) {
	t.Helper()
	invalid := config.Invalid(err)
	if len(invalid) != 1 || invalid[0].Parameter != configPath+"/"+name || invalid[0].Value != value {
		t.Errorf("error %v; want %s/%s invalid, with its value", err, configPath, name)
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
}

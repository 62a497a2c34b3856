//go:build integration

package resilience

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

const configPath = "/sagemaker-platform/ecr"

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func provisioner(w *world.World) *provision.Service {
	p := publish.New(w.EventBridge, "default")
	p.Backoff = 0
	return &provision.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, Publisher: p, ConfigPath: configPath, Logger: quiet}
}

func reconciler(w *world.World) *drift.Service {
	p := publish.New(w.EventBridge, "default")
	p.Backoff = 0
	return &drift.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, Publisher: p, ConfigPath: configPath,
		Concurrency: 8, Logger: quiet, Metrics: io.Discard}
}

// createProject is the sample CreateProject event for another project and team.
func createProject(t *testing.T, project, team string) json.RawMessage {
	t.Helper()
	return samples.Edit("create-project.json", func(ev map[string]any) {
		samples.RequestParameters(ev)["projectName"] = project
		samples.RequestParameters(ev)["tags"] = []any{map[string]any{"key": "team", "value": team}}
		samples.Detail(ev)["responseElements"] = nil
	})
}

// retentionOf reads a repository's policy straight from moto: the keep-newest-N it says, or 0
// when there is no policy or it says something else.
func retentionOf(t *testing.T, w *world.World, name string) int {
	t.Helper()
	out, err := w.Setup.ECR.GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	if err != nil {
		return 0
	}
	n, _ := lifecycle.Retention(aws.ToString(out.LifecyclePolicyText))
	return n
}

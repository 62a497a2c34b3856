package resilience

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testenv"
)

const configPath = "/sagemaker-platform/ecr"

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func provisioner(w *testenv.World) *provision.Service {
	p := publish.New(w.EventBridge, "default")
	p.Backoff = 0
	return &provision.Service{SSM: w.SSM, ECR: w.ECR, SageMaker: w.Projects, Publisher: p, ConfigPath: configPath, Logger: quiet}
}

func reconciler(w *testenv.World) *drift.Service {
	p := publish.New(w.EventBridge, "default")
	p.Backoff = 0
	return &drift.Service{SSM: w.SSM, ECR: w.ECR, SageMaker: w.Projects, Publisher: p, ConfigPath: configPath,
		Concurrency: 8, Logger: quiet, Metrics: io.Discard}
}

// createProject is the sample CreateProject event for another project and team.
func createProject(t *testing.T, project, team string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/create-project.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	rp := d["requestParameters"].(map[string]any)
	rp["projectName"] = project
	rp["tags"] = []any{map[string]any{"key": "team", "value": team}}
	d["responseElements"] = nil
	out, _ := json.Marshal(ev)
	return out
}

// retentionOf reads a repository's policy straight from moto: the keep-newest-N it says, or 0
// when there is no policy or it says something else.
func retentionOf(t *testing.T, w *testenv.World, name string) int {
	t.Helper()
	out, err := w.SetupECR.GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	if err != nil {
		return 0
	}
	n, _ := lifecycle.Retention(aws.ToString(out.LifecyclePolicyText))
	return n
}

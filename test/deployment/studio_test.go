//go:build integration

package deployment

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// TestStudioCallsExactlyWhatIsGranted runs both functions' SageMaker Unified Studio paths
// (provision, rename, delete-if-empty; the reconciler's discovery and its retirement of a
// deleted project) and checks that every call made is granted with DataZoneDomains set, and
// that every grant made only for it is called.
func TestStudioCallsExactlyWhatIsGranted(t *testing.T) {
	const domain, unit = "dzd_4p9n6sw4qt9xgn", "3thg1pbxn6pz9j"
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			w := world.New(t, server)
			w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "datazone-domains": domain,
				"on-project-delete": "delete-if-empty"})
			w.DataZone.PutDomainUnit(domain, unit, "Data Science")
			w.DataZone.PutProject(domain, datazonefake.Project{ID: "5rpbc7vhrajx7b", Name: "Churn Model", DomainUnitID: unit})
			ctx := world.Deadline(t)
			switch fn {
			case provisionID:
				svc := &provision.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, DataZone: w.Studio, Tags: w.Tags,
					Publisher: publish.New(w.EventBridge, "default"), ConfigPath: configPath, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
				for _, ev := range []string{"datazone-create-project.json", "datazone-delete-project.json"} {
					if ev == "datazone-delete-project.json" {
						w.DataZone.Delete(domain, "5rpbc7vhrajx7b")
					}
					if sum, err := svc.Handle(ctx, samples.Event(ev)); err != nil || sum.Status == publish.StatusRejected || sum.Status == publish.StatusSkipped {
						t.Fatalf("%s: %+v, %v", ev, sum, err)
					}
				}
			case driftID:
				svc := &drift.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, DataZone: w.Studio, Tags: w.Tags,
					Publisher: publish.New(w.EventBridge, "default"), ConfigPath: configPath, Concurrency: 2,
					Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard}
				if sum, err := svc.Handle(ctx, json.RawMessage(`{"mode":"fix"}`)); err != nil || sum.Created != 3 {
					t.Fatalf("discovery: %+v, %v; want the project's 3 repositories", sum, err)
				}
				w.DataZone.Delete(domain, "5rpbc7vhrajx7b")
				if _, err := svc.Handle(ctx, json.RawMessage(`{"mode":"fix"}`)); err != nil {
					t.Fatalf("retirement: %v", err)
				}
				if n := len(w.Repositories(t)); n != 0 {
					t.Fatalf("%d repositories left; want the empty ones deleted", n)
				}
			}
			all, conditional := grantedWith(t, fn, "HasDataZone")
			called := calledActions(w)
			for a := range called {
				if !all[a] {
					t.Errorf("%s was called; the template does not grant it with DataZoneDomains set", a)
				}
			}
			missing := map[string]bool{}
			for a := range conditional {
				if !called[a] {
					missing[a] = true
				}
			}
			if diff := cmp.Diff([]string{}, keys(missing)); diff != "" {
				t.Errorf("granted only for Unified Studio, never called (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProtectInUseCallsExactlyWhatIsGranted runs the inventory of images in use over every kind
// of use SageMaker has, protects, then releases, and checks that every call made is granted
// with ProtectInUse true, and that every grant made only for it is called.
func TestProtectInUseCallsExactlyWhatIsGranted(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "none", "protect-in-use": "true"})
	const repo = "acme-sm-risk-fraud/inference"
	ctx := world.Deadline(t)
	if _, err := w.Setup.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo),
		Tags: []ecrtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("sagemaker-ecr-provisioner")}}}); err != nil {
		t.Fatal(err)
	}
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:` +
		strings.Repeat("a", 64) + `"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:` + strings.Repeat("b", 64) + `"}]}`
	out, err := w.Setup.ECR.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	uri := "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + repo
	digest := aws.ToString(out.Image.ImageId.ImageDigest)
	sm := w.SageMaker
	sm.PutModel(sagemakerfake.Model{Name: "fraud-model", Image: uri + ":v1"})
	sm.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "fraud-config", Variants: []sagemakerfake.ConfigVariant{{ModelName: "fraud-model"}}})
	sm.PutEndpoint(sagemakerfake.Endpoint{Name: "fraud", Status: "Creating", ConfigName: "fraud-config"})
	sm.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "fraud-ic", EndpointName: "fraud",
		Container: &sagemakerfake.DeployedImage{SpecifiedImage: uri + ":v1", ResolvedImage: uri + "@" + digest}})
	sm.PutModelPackageGroup("fraud")
	sm.PutModelPackage("fraud", sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{uri + ":v1"}})
	sm.PutTrainingJob(sagemakerfake.TrainingJob{Name: "fraud-train", Image: uri + ":v1"})
	sm.PutProcessingJob(sagemakerfake.ProcessingJob{Name: "fraud-prep", Image: uri + ":v1"})
	sm.PutImage("fraud-studio")
	sm.PutImageVersion("fraud-studio", sagemakerfake.ImageVersion{BaseImage: uri + ":v1"})

	svc := &drift.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, DataZone: w.Studio, Tags: w.Tags, Region: "us-east-1",
		Publisher: publish.New(w.EventBridge, "default"), ConfigPath: configPath, Concurrency: 2,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard}
	if sum, err := svc.Handle(ctx, json.RawMessage(`{"mode":"fix"}`)); err != nil || sum.Protected != 1 {
		t.Fatalf("protect: %+v, %v", sum, err)
	}
	// Nothing uses it any more, and v1 is removed by hand: released tag, then release.
	for _, name := range []string{"fraud"} {
		sm.DeleteEndpoint(name)
	}
	sm.DeleteInferenceComponent("fraud-ic")
	sm.PutModelPackage("fraud", sagemakerfake.ModelPackage{Version: 1, Approval: "Rejected", Images: []string{uri + ":v1"}})
	sm.PutTrainingJob(sagemakerfake.TrainingJob{Name: "fraud-train", Status: "Completed", Image: uri + ":v1"})
	sm.PutProcessingJob(sagemakerfake.ProcessingJob{Name: "fraud-prep", Status: "Completed", Image: uri + ":v1"})
	sm.DeleteImageVersion("fraud-studio", 1)
	if _, err := w.Setup.ECR.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}}); err != nil {
		t.Fatal(err)
	}
	if sum, err := svc.Handle(ctx, json.RawMessage(`{"mode":"fix"}`)); err != nil || sum.Released != 1 {
		t.Fatalf("release: %+v, %v", sum, err)
	}

	all, conditional := grantedWith(t, driftID, "HasProtectInUse")
	called := calledActions(w)
	for a := range called {
		if !all[a] {
			t.Errorf("%s was called; the template does not grant it with ProtectInUse true", a)
		}
	}
	missing := map[string]bool{}
	for a := range conditional {
		if !called[a] {
			missing[a] = true
		}
	}
	if diff := cmp.Diff([]string{}, keys(missing)); diff != "" {
		t.Errorf("granted only for ProtectInUse, never called (-want +got):\n%s", diff)
	}
}

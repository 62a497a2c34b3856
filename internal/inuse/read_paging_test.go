package inuse_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

// Every listing is read to its last page: a page holds at most 100.
func TestReadPages(t *testing.T) {
	fake, client, c := standIn(t)
	image := func(kind string, i int) string { return fmt.Sprintf("%s/%s:%03d", host, kind, i) }
	for i := range 101 {
		fake.PutEndpoint(sagemakerfake.Endpoint{Name: fmt.Sprintf("ep-%03d", i),
			Variants: []sagemakerfake.Variant{{Name: "AllTraffic", Images: []sagemakerfake.DeployedImage{{SpecifiedImage: image("ep", i)}}}}})
		fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: fmt.Sprintf("ic-%03d", i),
			Container: &sagemakerfake.DeployedImage{SpecifiedImage: image("ic", i)}})
		fake.PutProcessingJob(sagemakerfake.ProcessingJob{Name: fmt.Sprintf("proc-%03d", i), Image: image("proc", i)})
		fake.PutModelPackage("big", sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{image("big-pkg", i)}})
		fake.PutImageVersion("big", sagemakerfake.ImageVersion{BaseImage: image("big-studio", i)})
	}
	for i := range 100 {
		fake.PutModelPackage(fmt.Sprintf("group-%03d", i), sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{image("pkg", i)}})
		fake.PutImageVersion(fmt.Sprintf("image-%03d", i), sagemakerfake.ImageVersion{BaseImage: image("studio", i)})
	}
	for i := range 201 {
		fake.PutTrainingJob(sagemakerfake.TrainingJob{Name: fmt.Sprintf("train-%03d", i), Image: image("train", i)})
	}

	got, err := inuse.Read(context.Background(), client, "")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range got {
		kinds[r.Use.Kind]++
	}
	for kind, want := range map[string]int{inuse.KindEndpoint: 101, inuse.KindInferenceComponent: 101,
		inuse.KindModelPackage: 201, inuse.KindTrainingJob: 201, inuse.KindProcessingJob: 101, inuse.KindImageVersion: 201} {
		if kinds[kind] != want {
			t.Errorf("%s references: got %d; want %d", kind, kinds[kind], want)
		}
	}
	calls := c.get()
	// 101 groups and 101 images: two pages of each, then one listing a group or image, and a
	// second page for the big one.
	for op, want := range map[string]int{"ListEndpoints": 2, "ListInferenceComponents": 2,
		"ListModelPackageGroups": 2, "ListModelPackages": 102, "ListTrainingJobs": 3,
		"ListProcessingJobs": 2, "ListImages": 2, "ListImageVersions": 102} {
		if calls[op] != want {
			t.Errorf("%s calls: got %d; want %d", op, calls[op], want)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/lifecycleeval"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

// demoServing is the repository a production endpoint runs an image of.
const demoServing = "acme-sm-data-science-churn-model/inference"

// inUse: with protect-in-use, the image a live endpoint runs survives eleven newer pushes.
func (d *demo) inUse(ctx context.Context) error {
	d.heading("5. The image a live endpoint runs is never expired")
	if err := d.stack.Account.PutConfig(ctx, map[string]string{"protect-in-use": "true"}); err != nil {
		return err
	}
	d.para("The platform team sets protect-in-use=true in Parameter Store. A production endpoint runs " +
		"image v1 of " + demoServing + ".")
	digests := map[string]string{}
	push := func(i int) error {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
			`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:%s"},`+
			`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:%064x"}]}`, strings.Repeat("c", 64), i)
		out, err := d.stack.Account.ECR.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(demoServing),
			ImageManifest: aws.String(manifest), ImageTag: aws.String(fmt.Sprintf("v%d", i))})
		if err != nil {
			return err
		}
		digests[fmt.Sprintf("v%d", i)] = aws.ToString(out.Image.ImageId.ImageDigest)
		return nil
	}
	if err := push(1); err != nil {
		return err
	}
	uri := account.ID + ".dkr.ecr." + account.Region + ".amazonaws.com/" + demoServing
	d.stack.SageMaker.PutEndpoint(sagemakerfake.Endpoint{Name: "churn-model-prod", Variants: []sagemakerfake.Variant{{Name: "primary",
		Images: []sagemakerfake.DeployedImage{{SpecifiedImage: uri + ":v1", ResolvedImage: uri + "@" + digests["v1"]}}}}})
	sum, err := d.drift(ctx, "fix")
	if err != nil {
		return err
	}
	if sum.Protected != 1 {
		return fmt.Errorf("the reconcile protected %d images; want the endpoint's one", sum.Protected)
	}
	d.para("Its lifecycle policy gets a first rule that never expires an image tagged sagemaker-in-use-*, " +
		"and the endpoint's image gets that tag (PutImage of its own manifest: no layer moves).")
	for i := 2; i <= 12; i++ {
		if err := push(i); err != nil {
			return err
		}
	}
	d.para("The team then pushes eleven newer images, v2 to v12. The policy keeps the newest 10; " +
		"evaluated as the ECR user guide describes, it would expire:")
	repo, _, err := d.stack.Account.Repository(ctx, demoServing)
	if err != nil {
		return err
	}
	out, err := d.stack.Account.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(demoServing)})
	if err != nil {
		return err
	}
	tags := map[string][]string{}
	for _, img := range out.ImageDetails {
		tags[aws.ToString(img.ImageDigest)] = img.ImageTags
	}
	var images []lifecycleeval.Image
	base := time.Now().Add(-24 * time.Hour)
	for i := 1; i <= 12; i++ {
		dg := digests[fmt.Sprintf("v%d", i)]
		images = append(images, lifecycleeval.Image{Digest: dg, Tags: tags[dg], PushedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	expired, err := lifecycleeval.Evaluate(repo.Policy, images, time.Now())
	if err != nil {
		return err
	}
	t := table{}
	for _, e := range expired {
		t.add(fmt.Sprint(e.Tags), e.Digest[:19]+"...")
	}
	t.write(&d.printer)
	if len(expired) != 1 || expired[0].Digest != digests["v2"] {
		return fmt.Errorf("the policy would expire %v; want only v2", expired)
	}
	d.printf("   %s\n", d.st.green("v1, the image the endpoint runs, is kept although it is the oldest; v2 goes."))
	return nil
}

package sagemakerfake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

func TestListImagesAndVersions(t *testing.T) {
	fake, client, _ := start(t)
	var want []string
	for i := range 11 {
		want = append(want, fmt.Sprintf("studio-%02d", i))
	}
	for i := 10; i >= 0; i-- {
		if i == 3 {
			fake.PutImage(want[i]) // an image without versions
			continue
		}
		fake.PutImageVersion(want[i], sagemakerfake.ImageVersion{BaseImage: registry + "/studio:v1"})
	}
	pages := allPages[*sagemaker.ListImagesOutput](t, sagemaker.NewListImagesPaginator(client, &sagemaker.ListImagesInput{MaxResults: aws.Int32(4)}))
	var got []string
	for _, out := range pages {
		for _, im := range out.Images {
			got = append(got, aws.ToString(im.ImageName))
			if im.ImageArn == nil || im.ImageStatus != types.ImageStatusCreated || im.CreationTime == nil || im.LastModifiedTime == nil {
				t.Errorf("image: got %+v", im)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || len(pages) != 3 {
		t.Errorf("%d pages; images (-want +got):\n%s", len(pages), diff)
	}
	desc, err := client.ListImages(context.Background(), &sagemaker.ListImagesInput{SortBy: types.ImageSortByImageName, SortOrder: types.ImageSortOrderDescending, MaxResults: aws.Int32(1)})
	if err != nil || len(desc.Images) != 1 || aws.ToString(desc.Images[0].ImageName) != "studio-10" {
		t.Errorf("by name, descending: got %+v, %v; want studio-10 first", desc, err)
	}
	_, err = client.ListImages(context.Background(), &sagemaker.ListImagesInput{SortBy: "Name"})
	wantAPIError(t, err, "ValidationException", "CREATION_TIME, LAST_MODIFIED_TIME, IMAGE_NAME")

	for range 11 {
		fake.PutImageVersion("Churn-Studio", sagemakerfake.ImageVersion{BaseImage: registry + "/studio:v1"})
	}
	fake.PutImageVersion("churn-studio", sagemakerfake.ImageVersion{Version: 5, Status: "CREATE_FAILED"})
	vpages := allPages[*sagemaker.ListImageVersionsOutput](t, sagemaker.NewListImageVersionsPaginator(client,
		&sagemaker.ListImageVersionsInput{ImageName: aws.String("churn-studio"), MaxResults: aws.Int32(5)}))
	var versions []int32
	for _, out := range vpages {
		for _, v := range out.ImageVersions {
			versions = append(versions, aws.ToInt32(v.Version))
			wantARN := fmt.Sprintf("arn:aws:sagemaker:us-east-1:123456789012:image-version/churn-studio/%d", aws.ToInt32(v.Version))
			if aws.ToString(v.ImageVersionArn) != wantARN || aws.ToString(v.ImageArn) != "arn:aws:sagemaker:us-east-1:123456789012:image/churn-studio" ||
				v.CreationTime == nil || v.LastModifiedTime == nil || (v.ImageVersionStatus == types.ImageVersionStatusCreateFailed) != (aws.ToInt32(v.Version) == 5) {
				t.Errorf("version: got %+v", v)
			}
		}
	}
	if diff := cmp.Diff([]int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, versions); diff != "" || len(vpages) != 3 {
		t.Errorf("%d pages; versions (-want +got):\n%s", len(vpages), diff)
	}

	_, err = client.ListImageVersions(context.Background(), &sagemaker.ListImageVersionsInput{ImageName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFound", "arn:aws:sagemaker:us-east-1:123456789012:image/nope")
	var notFound *types.ResourceNotFound
	if !errors.As(err, &notFound) {
		t.Errorf("ListImageVersions of an unknown image: got %T; want *types.ResourceNotFound", err)
	}
}

func TestDescribeImageVersion(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	fake.PutImageVersion("studio", sagemakerfake.ImageVersion{BaseImage: registry + "/studio:v1"})
	latest := fake.PutImageVersion("studio", sagemakerfake.ImageVersion{BaseImage: registry + "/studio@" + digestB, Status: "CREATING"})
	fake.PutImage("empty")

	tests := []struct {
		name      string
		in        sagemaker.DescribeImageVersionInput
		version   int32
		baseImage string
		status    types.ImageVersionStatus
	}{
		{"latest", sagemaker.DescribeImageVersionInput{ImageName: aws.String("Studio")}, 2, registry + "/studio@" + digestB, types.ImageVersionStatusCreating},
		{"version 1", sagemaker.DescribeImageVersionInput{ImageName: aws.String("studio"), Version: aws.Int32(1)}, 1, registry + "/studio:v1", types.ImageVersionStatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.DescribeImageVersion(ctx, &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToInt32(out.Version) != tt.version || aws.ToString(out.BaseImage) != tt.baseImage || out.ImageVersionStatus != tt.status ||
				aws.ToString(out.ImageArn) != "arn:aws:sagemaker:us-east-1:123456789012:image/studio" || out.ImageVersionArn == nil ||
				out.CreationTime == nil || out.LastModifiedTime == nil {
				t.Errorf("got %+v", out)
			}
		})
	}
	if out, _ := client.DescribeImageVersion(ctx, &sagemaker.DescribeImageVersionInput{ImageName: aws.String("studio")}); out == nil || aws.ToString(out.ImageVersionArn) != latest {
		t.Errorf("latest version ARN: got %+v; want %s", out, latest)
	}

	fake.DeleteImageVersion("STUDIO", 1)
	errTests := []struct {
		name    string
		in      sagemaker.DescribeImageVersionInput
		message string
	}{
		{"unknown image", sagemaker.DescribeImageVersionInput{ImageName: aws.String("nope")}, "image/nope does not exist"},
		{"no versions", sagemaker.DescribeImageVersionInput{ImageName: aws.String("empty")}, "image-version/empty/latest does not exist"},
		{"deleted version", sagemaker.DescribeImageVersionInput{ImageName: aws.String("studio"), Version: aws.Int32(1)}, "image-version/studio/1 does not exist"},
		{"alias", sagemaker.DescribeImageVersionInput{ImageName: aws.String("studio"), Alias: aws.String("stable")}, "image-version/studio/stable does not exist"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.DescribeImageVersion(ctx, &tt.in)
			wantAPIError(t, err, "ResourceNotFound", tt.message)
			var notFound *types.ResourceNotFound
			if !errors.As(err, &notFound) {
				t.Errorf("got %T; want *types.ResourceNotFound", err)
			}
		})
	}
}

package sagemakerfake_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

func TestListModelPackageGroups(t *testing.T) {
	fake, client, _ := start(t)
	var want []string
	for i := range 12 {
		want = append(want, fmt.Sprintf("group-%02d", i))
	}
	for i := range 12 {
		if i%2 == 0 {
			fake.PutModelPackageGroup(want[i])
		} else {
			fake.PutModelPackage(want[i], sagemakerfake.ModelPackage{})
		}
	}
	if again := fake.PutModelPackageGroup("GROUP-00"); again != "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/group-00" {
		t.Errorf("PutModelPackageGroup of an existing group: got %s", again)
	}
	pages := allPages[*sagemaker.ListModelPackageGroupsOutput](t,
		sagemaker.NewListModelPackageGroupsPaginator(client, &sagemaker.ListModelPackageGroupsInput{MaxResults: aws.Int32(5)}))
	var got []string
	for _, out := range pages {
		for _, g := range out.ModelPackageGroupSummaryList {
			got = append(got, aws.ToString(g.ModelPackageGroupName))
			if g.ModelPackageGroupArn == nil || g.CreationTime == nil || g.ModelPackageGroupStatus != types.ModelPackageGroupStatusCompleted {
				t.Errorf("group summary: got %+v", g)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || len(pages) != 3 {
		t.Errorf("%d pages; groups (-want +got):\n%s", len(pages), diff)
	}
}

func TestListModelPackages(t *testing.T) {
	fake, client, _ := start(t)
	approvals := []string{"Approved", "Rejected", "PendingManualApproval"}
	for i := range 9 {
		fake.PutModelPackage("Churn", sagemakerfake.ModelPackage{Approval: approvals[i%3]}) // versions 1 to 9
	}
	fake.PutModelPackage("other", sagemakerfake.ModelPackage{Approval: "Approved"})
	fake.PutModelPackage("churn", sagemakerfake.ModelPackage{Version: 4, Approval: "Rejected"}) // replaces an approved one

	tests := []struct {
		name string
		in   sagemaker.ListModelPackagesInput
		want []string
	}{
		{"group approved", sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String("churn"), ModelApprovalStatus: types.ModelApprovalStatusApproved, MaxResults: aws.Int32(1)},
			[]string{"Churn/1", "Churn/7"}},
		{"group", sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String("CHURN"), MaxResults: aws.Int32(4)},
			[]string{"Churn/1", "Churn/2", "Churn/3", "Churn/4", "Churn/5", "Churn/6", "Churn/7", "Churn/8", "Churn/9"}},
		{"unknown group", sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String("nope")}, nil},
		{"no group: unversioned only", sagemaker.ListModelPackagesInput{}, nil},
		{"all approved", sagemaker.ListModelPackagesInput{ModelPackageType: types.ModelPackageTypeBoth, ModelApprovalStatus: types.ModelApprovalStatusApproved},
			[]string{"Churn/1", "Churn/7", "other/1"}},
		{"group unversioned", sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String("churn"), ModelPackageType: types.ModelPackageTypeUnversioned}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := allPages[*sagemaker.ListModelPackagesOutput](t, sagemaker.NewListModelPackagesPaginator(client, &tt.in))
			var got []string
			for _, out := range pages {
				for _, p := range out.ModelPackageSummaryList {
					got = append(got, fmt.Sprintf("%s/%d", aws.ToString(p.ModelPackageGroupName), aws.ToInt32(p.ModelPackageVersion)))
					if aws.ToString(p.ModelPackageName) != aws.ToString(p.ModelPackageGroupName) || p.ModelPackageArn == nil ||
						p.CreationTime == nil || p.ModelPackageStatus != types.ModelPackageStatusCompleted || p.ModelApprovalStatus == "" {
						t.Errorf("package summary: got %+v", p)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
	_, err := client.ListModelPackages(context.Background(), &sagemaker.ListModelPackagesInput{ModelApprovalStatus: "approved"})
	wantAPIError(t, err, "ValidationException", "modelApprovalStatus")
	_, err = client.ListModelPackages(context.Background(), &sagemaker.ListModelPackagesInput{SortBy: "Status"})
	wantAPIError(t, err, "ValidationException", "sortBy")
}

func TestDescribeModelPackage(t *testing.T) {
	fake, client, _ := start(t)
	ctx := context.Background()
	arn := fake.PutModelPackage("Churn", sagemakerfake.ModelPackage{Approval: "Approved",
		Images: []string{registry + "/churn:v1", registry + "/churn@" + digestA}})
	if want := "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1"; arn != want {
		t.Errorf("PutModelPackage ARN: got %s; want %s", arn, want)
	}
	bare := fake.PutModelPackage("churn", sagemakerfake.ModelPackage{Status: "InProgress"})

	out, err := client.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ModelPackageArn) != arn || aws.ToString(out.ModelPackageName) != "Churn" || aws.ToString(out.ModelPackageGroupName) != "Churn" ||
		aws.ToInt32(out.ModelPackageVersion) != 1 || out.ModelApprovalStatus != types.ModelApprovalStatusApproved ||
		out.ModelPackageStatus != types.ModelPackageStatusCompleted || out.ModelPackageStatusDetails == nil || out.CreationTime == nil {
		t.Errorf("package: got %+v", out)
	}
	var images []string
	if out.InferenceSpecification != nil {
		for _, c := range out.InferenceSpecification.Containers {
			images = append(images, aws.ToString(c.Image))
		}
	}
	if diff := cmp.Diff([]string{registry + "/churn:v1", registry + "/churn@" + digestA}, images); diff != "" {
		t.Errorf("InferenceSpecification.Containers[].Image (-want +got):\n%s", diff)
	}

	out, err = client.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(bare)})
	if err != nil {
		t.Fatal(err)
	}
	if out.ModelApprovalStatus != types.ModelApprovalStatusPendingManualApproval || out.ModelPackageStatus != types.ModelPackageStatusInProgress ||
		out.InferenceSpecification != nil || aws.ToInt32(out.ModelPackageVersion) != 2 {
		t.Errorf("package without images: got %+v", out)
	}

	tests := []struct{ name, in, message string }{
		{"unknown version", arn[:len(arn)-1] + "3", "ModelPackage " + arn[:len(arn)-1] + "3 does not exist."},
		{"name", "Churn", "ModelPackage arn:aws:sagemaker:us-east-1:123456789012:model-package/churn does not exist."},
		{"upper case ARN", arn[:len(arn)-7] + "Churn/1", "does not exist"},
		{"other account", "arn:aws:sagemaker:us-east-1:210987654321:model-package/churn/1", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(tt.in)})
			wantAPIError(t, err, "ValidationException", tt.message)
		})
	}
}

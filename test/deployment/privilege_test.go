//go:build integration

package deployment

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

var server *moto.Server

func TestMain(m *testing.M) { world.Main(m, &server) }

const configPath = "/sagemaker-platform/ecr"

// memberAccount is a member account of the central registry.
const memberAccount = "444455556666"

// calledActions turns the recorded requests into IAM actions.
func calledActions(w *world.World) map[string]bool {
	out := map[string]bool{}
	for _, r := range w.Rec.Requests() {
		out[r.Service+":"+r.Operation] = true
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sample(name string, edit func(map[string]any)) json.RawMessage {
	if edit == nil {
		return samples.Event(name)
	}
	return samples.Edit(name, edit)
}

// wantMemberCallsGranted checks the SageMaker calls made in the member account, through its
// member role, against what member.yaml grants that role: exactly the ones named, all granted.
func wantMemberCallsGranted(t *testing.T, w *world.World, want ...string) {
	t.Helper()
	granted := memberRoleActions(t)
	var got []string
	for op := range w.SageMaker.Account(memberAccount).Calls() {
		got = append(got, op)
		if !granted["sagemaker:"+op] {
			t.Errorf("sagemaker:%s was called in the member account; member.yaml's MemberRole does not grant it", op)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls in the member account (-want +got):\n%s", diff)
	}
}

func untaggedRepository(t *testing.T, w *world.World, name string) {
	t.Helper()
	if _, err := w.Setup.ECR.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// TestProvisionFunctionCallsExactlyWhatItIsGranted runs every path of ProvisionFunction (create,
// adopt an existing repository whose settings differ, AddTags, retain, re-create,
// delete-if-empty) with pull access configured, and compares the API operations it called with
// the actions template.yaml grants it. A grant nobody uses, or a call nobody granted, fails.
func TestProvisionFunctionCallsExactlyWhatItIsGranted(t *testing.T) {
	w := world.New(t, server)
	// Adopted repositories are MUTABLE: PutImageTagMutability; pull access: Get/SetRepositoryPolicy.
	w.PutConfig(t, map[string]string{"company": "acme", "tag-mutability": "IMMUTABLE", "pull-accounts": "222233334444",
		"member-accounts": memberAccount})
	svc := &provision.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, Publisher: publish.New(w.EventBridge, "default"),
		ConfigPath: configPath, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	ctx := world.Deadline(t)
	handle := func(ev json.RawMessage) {
		t.Helper()
		if sum, err := svc.Handle(ctx, ev); err != nil || sum.Status == publish.StatusRejected {
			t.Fatalf("Handle: %+v, %v", sum, err)
		}
	}
	untaggedRepository(t, w, "acme-sm-data-science-churn-model/training") // adopted: TagResource
	handle(sample("create-project.json", nil))
	w.SageMaker.PutProject("fraud-detect", "p-2", map[string]string{"team": "risk"})
	handle(sample("add-tags.json", nil))       // ListTags
	handle(sample("delete-project.json", nil)) // retain: TagResource
	handle(sample("create-project.json", nil)) // re-created: UntagResource
	w.PutConfig(t, map[string]string{"on-project-delete": "delete-if-empty"})
	w.SageMaker.DeleteProject("fraud-detect")                      // gone, as its DeleteProject record says
	handle(sample("delete-project.json", func(ev map[string]any) { // DescribeImages, DeleteRepository
		ev["detail"].(map[string]any)["requestParameters"] = map[string]any{"projectName": "fraud-detect"}
	}))
	// A member account's project: its tags are read through the member role (AssumeRole).
	w.SageMaker.Account(memberAccount).PutProject("Forecast", "p-9z8y7x6w5v4u", map[string]string{"team": "demand"})
	handle(sample("add-tags.json", func(ev map[string]any) {
		ev["account"] = memberAccount
		samples.RequestParameters(ev)["resourceArn"] = "arn:aws:sagemaker:us-east-1:" + memberAccount + ":project/forecast"
	}))
	w.SageMaker.Account(memberAccount).DeleteProject("Forecast")
	handle(sample("delete-project.json", func(ev map[string]any) { // DescribeProject in the member account
		ev["account"] = memberAccount
		samples.RequestParameters(ev)["projectName"] = "Forecast"
	}))
	wantMemberCallsGranted(t, w, "ListTags", "DescribeProject")

	if diff := cmp.Diff(keys(grantedActions(t, "ProvisionFunction")), keys(calledActions(w))); diff != "" {
		t.Errorf("granted (-) versus called (+):\n%s", diff)
	}
}

// TestDriftFunctionCallsExactlyWhatItIsGranted does the same for DriftFunction: scan, fix,
// create shared repositories, backfill a project whose repositories are partly there, keep
// tags (check-tags), grant pull access and withdraw it again, keep the sweep's state, repair a
// deleted repository.
func TestDriftFunctionCallsExactlyWhatItIsGranted(t *testing.T) {
	w := world.New(t, server)
	w.PutConfig(t, map[string]string{"company": "acme", "tag-mutability": "IMMUTABLE", "pull-accounts": "222233334444", "check-tags": "true",
		"member-accounts": memberAccount})
	w.SageMaker.Account(memberAccount).PutProject("Forecast", "", map[string]string{"team": "demand"}) // AssumeRole
	ctx := context.Background()
	untaggedRepository(t, w, "acme-sm-risk-fraud-detect/training") // no managed tags: TagResource
	if _, err := w.Setup.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("acme-sm-risk-fraud-detect/inference"),
		Tags: []ecrtypes.Tag{
			{Key: aws.String("managed-by"), Value: aws.String("sagemaker-ecr-provisioner")},
			{Key: aws.String("repository-type"), Value: aws.String("inference")},
			{Key: aws.String("scope"), Value: aws.String("project")},
			{Key: aws.String("team"), Value: aws.String("risk")},
			{Key: aws.String("sagemaker:project-name"), Value: aws.String("fraud-detect")},
			{Key: aws.String("sagemaker:project-deleted"), Value: aws.String("2026-01-01T00:00:00Z")}, // UntagResource

		}}); err != nil {
		t.Fatal(err)
	}
	w.SageMaker.PutProject("fraud-detect", "", map[string]string{"team": "risk"})
	svc := &drift.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, Publisher: publish.New(w.EventBridge, "default"),
		ConfigPath: configPath, Concurrency: 2, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard}
	sum, err := svc.Handle(world.Deadline(t), json.RawMessage(`{"mode":"fix"}`))
	if err != nil || sum.Created != 7 || sum.Fixed != 2 {
		t.Fatalf("drift run: %+v, %v; want 3 shared + 1 project + 3 member project repositories created, 2 repositories fixed", sum, err)
	}
	// Pull access withdrawn: the Parameter Store Change makes the run read every repository
	// policy, and delete those that held only the product's statement (this account's
	// project's), or write back the member's pull (the shared ones, the member project's).
	w.DeleteConfig(t, "pull-accounts")
	withdrawn := sample("parameter-store-change.json", func(ev map[string]any) {
		samples.Detail(ev)["name"], samples.Detail(ev)["operation"] = configPath+"/pull-accounts", "Delete"
	})
	if sum, err := svc.Handle(world.Deadline(t), withdrawn); err != nil || sum.Fixed != 9 {
		t.Fatalf("drift run after the withdrawal: %+v, %v; want all 9 repository policies rewritten or removed", sum, err)
	}
	// A project repository deleted by hand: the repair asks SageMaker whether the project is
	// being deleted (DescribeProject), then creates it again.
	if _, err := w.Setup.ECR.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("acme-sm-risk-fraud-detect/training"), Force: true}); err != nil {
		t.Fatal(err)
	}
	deleted := sample("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
		samples.Detail(ev)["eventName"] = "DeleteRepository"
		samples.Detail(ev)["requestParameters"] = map[string]any{"repositoryName": "acme-sm-risk-fraud-detect/training"}
	})
	if sum, err := svc.Handle(world.Deadline(t), deleted); err != nil || sum.Created != 1 {
		t.Fatalf("repair of a deleted repository: %+v, %v; want it created again", sum, err)
	}

	wantMemberCallsGranted(t, w, "ListProjects", "ListTags")
	if diff := cmp.Diff(keys(grantedActions(t, "DriftFunction")), keys(calledActions(w))); diff != "" {
		t.Errorf("granted (-) versus called (+):\n%s", diff)
	}
}

// TestConfigurationCallsOnlyWhatDriftFunctionIsGranted runs the Configuration custom resource
// (served by DriftFunction) through a Create, an Update that meets a hand edit and one that
// writes, and a Delete, and checks every call it made against DriftFunction's grants, and that
// it answered CloudFormation each time. TestGrantedResources pins where: the parameters under
// the configuration path.
func TestConfigurationCallsOnlyWhatDriftFunctionIsGranted(t *testing.T) {
	w := world.New(t, server)
	var answered atomic.Int32
	cf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			answered.Add(1)
		}
	}))
	defer cf.Close()
	svc := &drift.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, Publisher: publish.New(w.EventBridge, "default"),
		ConfigPath: configPath, Concurrency: 2, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard}
	request := func(typ string, values, old map[string]any) json.RawMessage {
		ev := map[string]any{"RequestType": typ, "RequestId": "r-" + typ, "ResponseURL": cf.URL, "ResourceType": "Custom::Configuration",
			"LogicalResourceId": "Configuration", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
			"PhysicalResourceId": "sagemaker-ecr-provisioner-configuration:" + configPath,
			"ResourceProperties": map[string]any{"ServiceToken": "x", "ConfigPath": configPath, "Values": values}}
		if old != nil {
			ev["OldResourceProperties"] = map[string]any{"ServiceToken": "x", "ConfigPath": configPath, "Values": old}
		}
		b, _ := json.Marshal(ev)
		return b
	}
	v1 := map[string]any{"company": "acme", "image-retention": "10", "drift-mode": "fix"}
	v2 := map[string]any{"company": "acme", "image-retention": "15", "drift-mode": "report"}
	ctx := world.Deadline(t)
	for i, step := range []json.RawMessage{request("Create", v1, nil), request("Update", v2, v1), request("Delete", v2, nil)} {
		if i == 1 {
			w.PutConfig(t, map[string]string{"image-retention": "20"}) // by hand
		}
		if sum, err := svc.Handle(ctx, step); err != nil {
			t.Fatalf("step %d: %+v, %v", i, sum, err)
		}
	}
	if n := answered.Load(); n != 3 {
		t.Errorf("responses to CloudFormation: %d; want 3", n)
	}
	granted := grantedActions(t, "DriftFunction")
	for _, a := range keys(calledActions(w)) {
		if !granted[a] {
			t.Errorf("the Configuration resource called %s; DriftFunction is not granted it", a)
		}
	}
	if diff := cmp.Diff([]string{"ssm:GetParameter", "ssm:PutParameter"}, keys(calledActions(w))); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

package memworld_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
)

const (
	member      = "222233334444"
	otherMember = "333344445555"
)

// A member's SageMaker is read through the member role, assumed through the STS fake: the
// stand-in answers with that account's projects, and a denied role makes the member
// unreachable.
func TestMemberAccountsAreReachedThroughSTS(t *testing.T) {
	w := memworld.New(t)
	w.SageMaker.PutProject("churn", "p-home", map[string]string{"team": "risk"})
	w.SageMaker.Account(member).PutProject("forecast", "p-m", map[string]string{"team": "demand"})
	w.STS.Deny(otherMember)
	session := w.Accounts.Session(config.Config{MemberAccounts: []string{member, otherMember}, MemberRoleName: "member-role"})
	ctx := memworld.Deadline(t)

	for account, want := range map[string]string{"": "churn", member: "forecast"} {
		api, err := session.SageMaker(ctx, account)
		if err != nil {
			t.Fatalf("SageMaker of %q: %v", account, err)
		}
		out, err := api.ListProjects(ctx, &sagemaker.ListProjectsInput{})
		if err != nil || len(out.ProjectSummaryList) != 1 || aws.ToString(out.ProjectSummaryList[0].ProjectName) != want {
			t.Errorf("projects of %q: %+v, %v; want %s alone", account, out, err, want)
		}
	}
	_, err := session.SageMaker(ctx, otherMember)
	var unreachable *accounts.UnreachableError
	if !errors.As(err, &unreachable) || unreachable.Account != otherMember {
		t.Errorf("a denied member: %v; want it unreachable", err)
	}
	if got := w.Rec.Count("AssumeRole"); got != 2 {
		t.Errorf("AssumeRole recorded %d times; want one a member", got)
	}
	if got := w.Rec.Count("ListProjects"); got != 2 {
		t.Errorf("ListProjects recorded %d times; want 2", got)
	}
}

// A run reads and writes only through the fakes; the world reads back what it did.
func TestRunIsRecordedAndReadBack(t *testing.T) {
	w := memworld.New(t)
	w.PutConfig(t, map[string]string{"company": "acme", "shared-repos": "base-sklearn", "create-project-repos": "false"})
	sink := w.CaptureEvents(t)
	sum, err := w.Service().Handle(memworld.Deadline(t), []byte(`{"mode":"fix"}`))
	if err != nil || sum.Created != 1 {
		t.Fatalf("run: %+v, %v; want the shared repository created", sum, err)
	}
	r := w.Repository(t, "acme-sagemaker-shared/base-sklearn")
	if n, _ := r.Retention(); n != 10 || r.Mutability != "MUTABLE" || r.Encryption != "AES256" || !strings.HasSuffix(r.ARN, ":repository/"+r.Name) {
		t.Errorf("repository %+v; want the default policy and settings, and its ARN", r)
	}
	if got := account.ByType(sink.Drain(t)); got[publish.RepositoriesProvisioned] != 1 || got[publish.ReconcileCompleted] != 1 {
		t.Errorf("events %v; want the repository announced and the run completed", got)
	}
	if got := sink.Drain(t); len(got) != 0 {
		t.Errorf("a second drain: %v; want nothing new", got)
	}
	if w.Rec.Count("CreateRepository") != 1 || w.Rec.Count("GetParametersByPath") == 0 || w.Rec.Count("PutEvents") == 0 {
		t.Errorf("recorded %v; want the configuration read, the repository created and the events put", w.Rec.Requests())
	}
}

// failures is a testing.TB that keeps the failures and cleanups of the world it is given.
type failures struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *failures) Helper()           {}
func (f *failures) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *failures) Errorf(s string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(s, args...))
}

// end runs the cleanups, last first, as the testing package does.
func (f *failures) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// An ECR write outside the managed namespaces fails the test that made it, whatever the test
// asserts itself.
func TestInvariantsAreChecked(t *testing.T) {
	f := &failures{TB: t}
	w := memworld.New(f)
	w.PutConfig(f, map[string]string{"company": "acme"})
	w.CreateManaged(f, []string{"other-team/app"}, "")
	if _, err := w.ECR.PutLifecyclePolicy(context.Background(), &ecr.PutLifecyclePolicyInput{
		RepositoryName: aws.String("other-team/app"), LifecyclePolicyText: aws.String(lifecycle.Policy(10))}); err != nil {
		t.Fatal(err)
	}
	f.end()
	if len(f.errors) != 1 || !strings.Contains(f.errors[0], "outside the managed namespaces") {
		t.Errorf("failures %q; want the write outside the managed namespaces", f.errors)
	}
}

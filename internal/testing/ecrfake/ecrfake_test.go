package ecrfake_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// The fake stands where the product's ECR client stands.
var _ registry.API = (*ecrfake.Registry)(nil)

// Calls are observed in order, as the wire recorder would see them; arranging the registry is
// not a call.
func TestCallsAreObservedAndHandEditsAreNot(t *testing.T) {
	r := ecrfake.New()
	var seen []wire.Request
	r.Observe(func(q wire.Request) { seen = append(seen, q) })
	r.Put(ecrfake.Repository{Name: "acme-sm-t-p/training"})
	r.Edit("acme-sm-t-p/training", func(repo *ecrfake.Repository) { repo.Tags["team"] = "t" })
	ctx := context.Background()
	if _, err := r.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: aws.String(ecrfake.ARN("acme-sm-t-p/training")), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("acme-sm-t-p/training"), Force: true}); err != nil {
		t.Fatal(err)
	}
	want := []wire.Request{
		{Service: "ecr", Operation: "DescribeRepositories"},
		{Service: "ecr", Operation: "UntagResource", Repository: "acme-sm-t-p/training"},
		{Service: "ecr", Operation: "DeleteRepository", Repository: "acme-sm-t-p/training", Force: true},
	}
	if !slices.Equal(seen, want) {
		t.Errorf("observed %v; want %v", seen, want)
	}
	if r.Delete("acme-sm-t-p/training") || r.Edit("acme-sm-t-p/training", func(*ecrfake.Repository) {}) {
		t.Error("Delete or Edit of a repository that is gone reported success")
	}
}

func TestTypedErrors(t *testing.T) {
	r := ecrfake.New()
	ctx := context.Background()
	var missing *ecrtypes.RepositoryNotFoundException
	if _, err := r.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("none")}); !errors.As(err, &missing) {
		t.Errorf("GetLifecyclePolicy of no repository: %v; want RepositoryNotFoundException", err)
	}
	if _, err := r.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("a/b")}); err != nil {
		t.Fatal(err)
	}
	var exists *ecrtypes.RepositoryAlreadyExistsException
	if _, err := r.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("a/b")}); !errors.As(err, &exists) {
		t.Errorf("CreateRepository twice: %v; want RepositoryAlreadyExistsException", err)
	}
	var noPolicy *ecrtypes.LifecyclePolicyNotFoundException
	if _, err := r.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("a/b")}); !errors.As(err, &noPolicy) {
		t.Errorf("GetLifecyclePolicy without a policy: %v; want LifecyclePolicyNotFoundException", err)
	}
}

// SetRate paces the calls as the product's rate cap does: a second's worth at once, then the
// rate; a call whose context ends while it waits fails.
func TestSetRatePacesCalls(t *testing.T) {
	r := ecrfake.New()
	r.SetRate(20)
	ctx := context.Background()
	start := time.Now()
	for range 30 {
		if _, err := r.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("30 calls at 20 a second (a burst of 20) took %s; want about half a second", took)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := r.DescribeRepositories(short, &ecr.DescribeRepositoriesInput{}); err == nil {
		t.Error("a call that cannot get its turn before its deadline succeeded")
	}
	r.SetRate(0)
	start = time.Now()
	for range 30 {
		if _, err := r.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("30 calls without a cap took %s; want no wait", took)
	}
}

package account

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"golang.org/x/sync/errgroup"
)

// seedConcurrency is how many seeding calls are in flight at once: moto_server gains little
// from more.
const seedConcurrency = 8

// CreateManaged creates the repositories tagged managed-by as the product tags its own, for a
// benchmark or a test at scale; policy, when not empty, is put on each as its lifecycle
// policy. The calls go straight to moto, several at a time.
func (a *Account) CreateManaged(ctx context.Context, names []string, policy string) error {
	return each(ctx, names, func(ctx context.Context, name string) error {
		_, err := a.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name),
			Tags: []ecrtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("sagemaker-ecr-provisioner")}}})
		if err != nil || policy == "" {
			return err
		}
		return a.putPolicy(ctx, name, policy)
	})
}

// PutPolicies puts policy on every repository named, several at a time.
func (a *Account) PutPolicies(ctx context.Context, names []string, policy string) error {
	return each(ctx, names, func(ctx context.Context, name string) error { return a.putPolicy(ctx, name, policy) })
}

func (a *Account) putPolicy(ctx context.Context, name, policy string) error {
	_, err := a.ECR.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(policy)})
	return err
}

func each(ctx context.Context, names []string, fn func(context.Context, string) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(seedConcurrency)
	for _, name := range names {
		g.Go(func() error {
			if err := fn(ctx, name); err != nil {
				return fmt.Errorf("seed %s: %w", name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// ProjectRepositoryNames returns n repository names of company's projects, as the product names
// them: three a project (preprocessing, training, inference), the projects spread over 25 teams.
func ProjectRepositoryNames(company string, n int) []string {
	types := []string{"preprocessing", "training", "inference"}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-sm-team%02d-project%05d/%s", company, i/3%25, i/3, types[i%3])
	}
	return names
}

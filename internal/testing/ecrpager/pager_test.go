//go:build integration

package ecrpager_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrpager"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

var server *moto.Server

func TestMain(m *testing.M) { world.Main(m, &server) }

// seed resets moto, creates n repositories, and returns their names sorted, a client straight
// to moto and one through a pager.
func seed(t *testing.T, n int) (names []string, direct, paged *ecr.Client, p *ecrpager.Pager) {
	t.Helper()
	if err := server.Reset(); err != nil {
		t.Fatal(err)
	}
	direct = ecr.NewFromConfig(account.SDK(server.URL, &wire.Recorder{}))
	for i := range n {
		name := fmt.Sprintf("acme-sm-team-p%03d/training", i)
		if _, err := direct.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	p = ecrpager.New(faultproxy.New(server.URL, faultproxy.Options{}))
	url, err := p.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return names, direct, ecr.NewFromConfig(account.SDK(url, &wire.Recorder{})), p
}

// list pages through every repository with page size size (0: unset), and returns the names in
// the order listed, the page count and the largest page.
func list(t *testing.T, c *ecr.Client, size int32) (names []string, pages, largest int) {
	t.Helper()
	in := &ecr.DescribeRepositoriesInput{}
	if size > 0 {
		in.MaxResults = aws.Int32(size)
	}
	for p := ecr.NewDescribeRepositoriesPaginator(c, in); p.HasMorePages(); {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages, largest = pages+1, max(largest, len(out.Repositories))
		for _, r := range out.Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
		}
	}
	return names, pages, largest
}

func TestPagesAsECRDoes(t *testing.T) {
	names, direct, paged, p := seed(t, 250)

	// What the pager is for: moto answers every repository in one page.
	if got, pages, _ := list(t, direct, 100); pages != 1 || len(got) != 250 {
		t.Fatalf("moto alone: %d repositories in %d pages; the pager is there because moto ignores maxResults", len(got), pages)
	}

	for _, tc := range []struct {
		max         int32
		wantPages   int
		wantLargest int
	}{{100, 3, 100}, {1000, 1, 250}, {7, 36, 7}, {0, 3, 100}} { // 0: unset, ECR's default of 100
		t.Run(fmt.Sprint("maxResults=", tc.max), func(t *testing.T) {
			p.ResetCalls()
			got, pages, largest := list(t, paged, tc.max)
			slices.Sort(got)
			if !slices.Equal(got, names) || pages != tc.wantPages {
				t.Errorf("listed %d repositories (every one once: %v) in %d pages; want 250 in %d", len(got), slices.Equal(got, names), pages, tc.wantPages)
			}
			if largest != tc.wantLargest {
				t.Errorf("largest page: %d repositories; want %d", largest, tc.wantLargest)
			}
			if n := p.Calls()["DescribeRepositories"]; n != tc.wantPages {
				t.Errorf("calls counted: %d; want one a page, %d", n, tc.wantPages)
			}
		})
	}
}

// A listing's later pages come from its snapshot: a repository created meanwhile shows in the
// next listing, not in the one under way.
func TestAListingIsASnapshot(t *testing.T) {
	_, direct, paged, _ := seed(t, 3)
	first, err := paged.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(2)})
	if err != nil || len(first.Repositories) != 2 || first.NextToken == nil {
		t.Fatalf("first page: %v, %v; want 2 and a token", first, err)
	}
	if _, err := direct.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("acme-sm-team-late/training")}); err != nil {
		t.Fatal(err)
	}
	rest, err := paged.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(2), NextToken: first.NextToken})
	if err != nil || len(rest.Repositories) != 1 || rest.NextToken != nil {
		t.Errorf("second page: %v, %v; want the snapshot's last repository, and no token", rest, err)
	}
	if again, _, _ := list(t, paged, 1000); len(again) != 4 {
		t.Errorf("a new listing: %d repositories; want 4", len(again))
	}
}

func TestBadTokenAndLookupsByName(t *testing.T) {
	_, _, paged, _ := seed(t, 2)
	_, err := paged.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{NextToken: aws.String("nonsense")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterException" {
		t.Errorf("bad token: %v; want InvalidParameterException", err)
	}
	out, err := paged.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"acme-sm-team-p001/training"}})
	if err != nil || len(out.Repositories) != 1 || aws.ToString(out.Repositories[0].RepositoryName) != "acme-sm-team-p001/training" {
		t.Errorf("lookup by name: %v, %v; want the one repository, passed through", out, err)
	}
	_, err = paged.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"acme-sm-team-nope/training"}})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "RepositoryNotFoundException" {
		t.Errorf("lookup of a missing name: %v; want moto's RepositoryNotFoundException", err)
	}
}

// With Reuse, a new listing costs moto nothing until a repository is created or deleted
// through the pager.
func TestReuseUntilTheSetChanges(t *testing.T) {
	_, direct, paged, p := seed(t, 3)
	p.Reuse = true
	if got, _, _ := list(t, paged, 1000); len(got) != 3 {
		t.Fatalf("first listing: %d; want 3", len(got))
	}
	if _, err := direct.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("acme-sm-team-direct/training")}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := list(t, paged, 1000); len(got) != 3 {
		t.Errorf("listing after a creation past the pager: %d; want the reused 3", len(got))
	}
	if _, err := paged.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("acme-sm-team-paged/training")}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := list(t, paged, 1000); len(got) != 5 {
		t.Errorf("listing after a creation through the pager: %d; want moto's 5", len(got))
	}
}

package ssmfake_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ssmfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// The fake stands where the reconciler's Parameter Store client stands.
var _ drift.ParametersAPI = (*ssmfake.Store)(nil)

// walk reads every page under path, and returns the names and how many a page held.
func walk(t *testing.T, s *ssmfake.Store, path string, recursive bool) (names []string, pages []int) {
	t.Helper()
	p := ssm.NewGetParametersByPathPaginator(s, &ssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(recursive)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(page.Parameters))
		for _, param := range page.Parameters {
			names = append(names, aws.ToString(param.Name))
		}
	}
	return names, pages
}

func TestPagesHoldAtMostTenAndRecursiveReachesDeeper(t *testing.T) {
	s := ssmfake.New()
	var top []string
	for i := range 23 {
		name := fmt.Sprintf("/app/p%02d", i)
		s.Set(name, "v")
		top = append(top, name)
	}
	s.Set("/app/overrides/team/retention", "5")
	s.Set("/app-staging/p00", "v") // a sibling path, never under /app

	names, pages := walk(t, s, "/app", false)
	if !slices.Equal(names, top) || !slices.Equal(pages, []int{10, 10, 3}) {
		t.Errorf("one level: %v in pages %v; want the 23 top-level names in pages of 10, 10, 3", names, pages)
	}
	names, _ = walk(t, s, "/app/", true)
	if len(names) != 24 || !slices.Contains(names, "/app/overrides/team/retention") || slices.Contains(names, "/app-staging/p00") {
		t.Errorf("recursive: %v; want the 24 under /app, the deeper one included, not the sibling", names)
	}

	_, err := s.GetParametersByPath(context.Background(), &ssm.GetParametersByPathInput{Path: aws.String("/app"), MaxResults: aws.Int32(11)})
	var invalid *ssmtypes.ValidationException
	if !errors.As(err, &invalid) {
		t.Errorf("MaxResults 11: %v; want a ValidationException", err)
	}
	_, err = s.GetParametersByPath(context.Background(), &ssm.GetParametersByPathInput{Path: aws.String("/app"), NextToken: aws.String("forged")})
	var token *ssmtypes.InvalidNextToken
	if !errors.As(err, &token) {
		t.Errorf("a token the fake did not hand out: %v; want InvalidNextToken", err)
	}
}

// Short and empty pages with NextToken set are followed to the end, as config.Load must.
func TestShortAndEmptyPagesAreFollowed(t *testing.T) {
	s := ssmfake.New()
	s.SetPageSize(3)
	s.SetEmptyPages(true)
	values := map[string]string{"company": "acme", "image-retention": "20", "shared-repos": "none", "drift-mode": "report",
		"lifecycle-exempt": "acme-sm-a/*", "overrides/acme-sm-b-c/image-retention": "7", "check-tags": "true"}
	for name, value := range values {
		s.Set(config.DefaultPath+"/"+name, value)
	}
	_, pages := walk(t, s, config.DefaultPath, true)
	if !slices.Contains(pages, 0) || slices.Max(pages) != 3 {
		t.Errorf("pages %v; want empty pages and none over 3", pages)
	}
	cfg, err := config.Load(context.Background(), s, config.DefaultPath, ssmfake.Account)
	if err != nil || cfg.Company != "acme" || cfg.DriftMode != config.ModeReport || !cfg.CheckTags {
		t.Errorf("config.Load through short and empty pages: %+v, %v; want every parameter read", cfg, err)
	}
}

func TestPutParameterOverwriteRulesAndVersions(t *testing.T) {
	s := ssmfake.New()
	ctx := context.Background()
	put := func(value string, overwrite bool) (*ssm.PutParameterOutput, error) {
		return s.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/state"), Value: aws.String(value),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(overwrite)})
	}
	if out, err := put("one", false); err != nil || out.Version != 1 {
		t.Fatalf("create: %+v, %v; want version 1", out, err)
	}
	_, err := put("two", false)
	var exists *ssmtypes.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("put without Overwrite over an existing parameter: %v; want ParameterAlreadyExists", err)
	}
	if v, _ := s.Value("/app/state"); v != "one" {
		t.Errorf("value after the refused put: %q; want one", v)
	}
	if out, err := put("two", true); err != nil || out.Version != 2 {
		t.Errorf("overwrite: %+v, %v; want version 2", out, err)
	}
	got, err := s.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/state")})
	if err != nil || aws.ToString(got.Parameter.Value) != "two" || got.Parameter.Version != 2 {
		t.Errorf("GetParameter: %+v, %v; want two at version 2", got, err)
	}

	var invalid *ssmtypes.ValidationException
	if _, err := put(strings.Repeat("x", ssmfake.MaxStandardValue+1), true); !errors.As(err, &invalid) {
		t.Errorf("a value over the standard tier's size: %v; want a ValidationException", err)
	}
	if _, err := s.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("relative/name"), Value: aws.String("v")}); !errors.As(err, &invalid) {
		t.Errorf("a hierarchical name without its leading slash: %v; want a ValidationException", err)
	}
}

func TestMissingParametersAreParameterNotFound(t *testing.T) {
	s := ssmfake.New()
	ctx := context.Background()
	var missing *ssmtypes.ParameterNotFound
	if _, err := s.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/none")}); !errors.As(err, &missing) {
		t.Errorf("GetParameter: %v; want ParameterNotFound", err)
	}
	if _, err := s.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/none")}); !errors.As(err, &missing) {
		t.Errorf("DeleteParameter: %v; want ParameterNotFound", err)
	}
	s.Set("/app/a", "v")
	out, err := s.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/app/a", "/none"}})
	if err != nil || !slices.Equal(out.DeletedParameters, []string{"/app/a"}) || !slices.Equal(out.InvalidParameters, []string{"/none"}) {
		t.Errorf("DeleteParameters: %+v, %v; want /app/a deleted and /none named invalid", out, err)
	}
}

// Calls are counted and observed; arranging and reading the store are not calls.
func TestCallsAreObservedAndSetIsNot(t *testing.T) {
	s := ssmfake.New()
	var seen []wire.Request
	s.Observe(func(r wire.Request) { seen = append(seen, r) })
	s.Set("/app/a", "v")
	s.Value("/app/a")
	if _, err := s.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/a")}); err != nil {
		t.Fatal(err)
	}
	if want := []wire.Request{{Service: "ssm", Operation: "GetParameter"}}; !slices.Equal(seen, want) {
		t.Errorf("observed %v; want %v", seen, want)
	}
	if got := s.Calls(); got["GetParameter"] != 1 || len(got) != 1 {
		t.Errorf("calls %v; want the one GetParameter", got)
	}
}

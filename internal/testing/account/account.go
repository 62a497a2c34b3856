// Package account is the emulated AWS account as a person at the console sees it: SDK clients
// on moto_server that are not the product's, to arrange the world before a run and to read it
// back afterwards (repositories with their tags and policies, the configuration in SSM, the
// events the product published). The tests, the end-to-end tests and the demo all use it.
package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
)

// The emulated account, and the product's settings in it.
const (
	Region = "us-east-1"
	// ID is moto's default account, the one every request without other credentials acts in.
	ID = "123456789012"
	// ConfigPath is where the configuration lives in SSM (the product's default CONFIG_PATH).
	ConfigPath = config.DefaultPath
	// EventBus receives the product's events (the product's default EVENT_BUS_NAME).
	EventBus = "default"
	// Company is the company of the default configuration.
	Company = "acme"
)

// DefaultConfig is the configuration the demo and the tests start from: company acme, every
// other parameter absent, so the product's defaults apply.
func DefaultConfig() map[string]string {
	return map[string]string{"company": Company}
}

// ConnectionRetryer is the retryer for clients of the emulated account: it retries a dropped
// connection, at most twice and a few milliseconds apart, and nothing else. moto answers every
// request with "Connection: close", and now and then the client's transport sees the close as
// a reset ("connection reset", or "use of closed network connection" while it reads a 200
// answer); the SDK's standard retryer retries those against AWS too. Throttling and 5xx are
// not retried: moto never throttles, and a retry would only hide a bug.
func ConnectionRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.NoRetryCanceledError{}, retry.RetryableConnectionError{}}
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
		o.RateLimiter = ratelimit.None
	})
}

// SDK returns an SDK configuration for the emulated account: every request to endpoint through
// transport (http.DefaultTransport when nil), static test credentials, ConnectionRetryer.
func SDK(endpoint string, transport http.RoundTripper) aws.Config {
	cfg := aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      ConnectionRetryer,
	}
	if transport != nil {
		cfg.HTTPClient = &http.Client{Transport: transport}
	}
	return cfg
}

// Account holds clients for the emulated account.
type Account struct {
	ECR         *ecr.Client
	SSM         *ssm.Client
	SQS         *sqs.Client
	EventBridge *eventbridge.Client
}

// New returns clients for the moto server at motoURL.
func New(motoURL string) *Account {
	cfg := SDK(motoURL, nil)
	return &Account{
		ECR:         ecr.NewFromConfig(cfg),
		SSM:         ssm.NewFromConfig(cfg),
		SQS:         sqs.NewFromConfig(cfg),
		EventBridge: eventbridge.NewFromConfig(cfg),
	}
}

// PutConfig writes configuration parameters, named relative to ConfigPath, in name order.
func (a *Account) PutConfig(ctx context.Context, values map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(values)) {
		_, err := a.SSM.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(ConfigPath + "/" + name), Value: aws.String(values[name]),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("put parameter %s/%s: %w", ConfigPath, name, err)
		}
	}
	return nil
}

// DeleteConfig deletes configuration parameters, named relative to ConfigPath; one that is not
// there is no failure.
func (a *Account) DeleteConfig(ctx context.Context, names ...string) error {
	for _, name := range names {
		_, err := a.SSM.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(ConfigPath + "/" + name)})
		var missing *ssmtypes.ParameterNotFound
		if err != nil && !errors.As(err, &missing) {
			return fmt.Errorf("delete parameter %s/%s: %w", ConfigPath, name, err)
		}
	}
	return nil
}

// Repository is one ECR repository as moto holds it.
type Repository struct {
	Name, URI, ARN string
	Tags           map[string]string
	// Policy is the lifecycle policy text; HasPolicy is false when there is none.
	Policy    string
	HasPolicy bool
	// Access is the repository policy text, "" when there is none.
	Access string
	// Mutability is the image tag mutability, Exclusions its filters; Encryption the
	// encryption type, KMSKey its key.
	Mutability, Encryption, KMSKey string
	Exclusions                     []string
}

// Retention is N when the policy is exactly "keep the newest N images".
func (r Repository) Retention() (n int, ok bool) {
	if !r.HasPolicy {
		return 0, false
	}
	return lifecycle.Retention(r.Policy)
}

// PullAccounts lists, sorted and each once, the accounts the product's pull statements (Sids
// SageMakerEcrProvisionerPullAccounts and SageMakerEcrProvisionerPullProjectAccount) of the
// repository policy name, read here independently of the product's own code; nil when there is
// no such statement or the policy does not parse. ECR hands an account back as its root ARN;
// the id is returned.
func (r Repository) PullAccounts() []string {
	if r.Access == "" {
		return nil
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Principal struct{ AWS any }
		}
	}
	if err := json.Unmarshal([]byte(r.Access), &doc); err != nil {
		return nil
	}
	var out []string
	for _, s := range doc.Statement {
		if s.Sid != "SageMakerEcrProvisionerPullAccounts" && s.Sid != "SageMakerEcrProvisionerPullProjectAccount" {
			continue
		}
		switch p := s.Principal.AWS.(type) {
		case string:
			out = append(out, p)
		case []any:
			for _, v := range p {
				if id, ok := v.(string); ok {
					out = append(out, id)
				}
			}
		}
	}
	for i, p := range out {
		if _, id, ok := strings.Cut(p, "::"); ok {
			out[i], _, _ = strings.Cut(id, ":")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ProjectAccount is the account the product's project-account statement (Sid
// SageMakerEcrProvisionerPullProjectAccount) names, as ECR hands it back; "" for none.
func (r Repository) ProjectAccount() string {
	var doc struct {
		Statement []struct {
			Sid       string
			Principal struct{ AWS any }
		}
	}
	if err := json.Unmarshal([]byte(r.Access), &doc); err != nil {
		return ""
	}
	for _, s := range doc.Statement {
		if p, ok := s.Principal.AWS.(string); ok && s.Sid == "SageMakerEcrProvisionerPullProjectAccount" {
			if _, id, ok := strings.Cut(p, "::"); ok {
				p, _, _ = strings.Cut(id, ":")
			}
			return p
		}
	}
	return ""
}

// RepositoryNames lists the name of every repository, in the order moto lists them.
func (a *Account) RepositoryNames(ctx context.Context) ([]string, error) {
	var names []string
	err := a.walk(ctx, func(r ecrtypes.Repository) error {
		names = append(names, aws.ToString(r.RepositoryName))
		return nil
	})
	return names, err
}

// Repositories returns every repository, with its tags and lifecycle policy, sorted by name.
func (a *Account) Repositories(ctx context.Context) ([]Repository, error) {
	var out []Repository
	err := a.walk(ctx, func(r ecrtypes.Repository) error {
		repo, err := a.details(ctx, r)
		out = append(out, repo)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y Repository) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

func (a *Account) walk(ctx context.Context, fn func(ecrtypes.Repository) error) error {
	pages := ecr.NewDescribeRepositoriesPaginator(a.ECR, &ecr.DescribeRepositoriesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe repositories: %w", err)
		}
		for _, r := range page.Repositories {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// Repository returns one repository; ok is false when it does not exist.
func (a *Account) Repository(ctx context.Context, name string) (repo Repository, ok bool, err error) {
	d, err := a.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	var notFound *ecrtypes.RepositoryNotFoundException
	if errors.As(err, &notFound) {
		return Repository{}, false, nil
	}
	if err != nil {
		return Repository{}, false, fmt.Errorf("describe repository %s: %w", name, err)
	}
	if len(d.Repositories) == 0 {
		return Repository{}, false, nil
	}
	repo, err = a.details(ctx, d.Repositories[0])
	return repo, err == nil, err
}

func (a *Account) details(ctx context.Context, r ecrtypes.Repository) (Repository, error) {
	repo := Repository{
		Name: aws.ToString(r.RepositoryName), URI: aws.ToString(r.RepositoryUri),
		ARN: aws.ToString(r.RepositoryArn), Tags: map[string]string{}, Mutability: string(r.ImageTagMutability),
	}
	for _, f := range r.ImageTagMutabilityExclusionFilters {
		repo.Exclusions = append(repo.Exclusions, aws.ToString(f.Filter))
	}
	if e := r.EncryptionConfiguration; e != nil {
		repo.Encryption, repo.KMSKey = string(e.EncryptionType), aws.ToString(e.KmsKey)
	}
	tags, err := a.ECR.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: r.RepositoryArn})
	if err != nil {
		return repo, fmt.Errorf("tags of %s: %w", repo.Name, err)
	}
	for _, t := range tags.Tags {
		repo.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	pol, err := a.ECR.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: r.RepositoryName})
	var none *ecrtypes.LifecyclePolicyNotFoundException
	switch {
	case errors.As(err, &none):
	case err != nil:
		return repo, fmt.Errorf("lifecycle policy of %s: %w", repo.Name, err)
	default:
		repo.Policy, repo.HasPolicy = aws.ToString(pol.LifecyclePolicyText), true
	}
	access, err := a.ECR.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: r.RepositoryName})
	var noAccess *ecrtypes.RepositoryPolicyNotFoundException
	switch {
	case errors.As(err, &noAccess):
	case err != nil:
		return repo, fmt.Errorf("repository policy of %s: %w", repo.Name, err)
	default:
		repo.Access = aws.ToString(access.PolicyText)
	}
	return repo, nil
}

// SetMutabilityByHand switches the repository's image tag mutability, as a person at the
// console would.
func (a *Account) SetMutabilityByHand(ctx context.Context, name, mode string) error {
	_, err := a.ECR.PutImageTagMutability(ctx, &ecr.PutImageTagMutabilityInput{
		RepositoryName: aws.String(name), ImageTagMutability: ecrtypes.ImageTagMutability(mode),
	})
	if err != nil {
		return fmt.Errorf("put image tag mutability %s: %w", name, err)
	}
	return nil
}

// EditRetentionByHand does what a person at the console would: it reads the repository's
// lifecycle policy, sets countNumber in every rule to n, and puts the text back (see
// WithRetention).
func (a *Account) EditRetentionByHand(ctx context.Context, name string, n int) error {
	pol, err := a.ECR.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("lifecycle policy of %s: %w", name, err)
	}
	text, err := WithRetention(aws.ToString(pol.LifecyclePolicyText), n)
	if err != nil {
		return fmt.Errorf("lifecycle policy of %s: %w", name, err)
	}
	_, err = a.ECR.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{
		RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(text),
	})
	if err != nil {
		return fmt.Errorf("put lifecycle policy %s: %w", name, err)
	}
	return nil
}

// WithRetention is the lifecycle policy text with countNumber set to n in every rule, as a
// person editing it by hand would leave it; nothing else in the text changes.
func WithRetention(policy string, n int) (string, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return "", err
	}
	rules, _ := doc["rules"].([]any)
	for _, r := range rules {
		if sel, ok := r.(map[string]any)["selection"].(map[string]any); ok {
			sel["countNumber"] = n
		}
	}
	text, err := json.Marshal(doc)
	return string(text), err
}

// UntagByHand removes the tag keys from the repository, as a person at the console would.
func (a *Account) UntagByHand(ctx context.Context, name string, keys ...string) error {
	repo, ok, err := a.Repository(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("untag %s: no such repository", name)
	}
	if _, err := a.ECR.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: aws.String(repo.ARN), TagKeys: keys}); err != nil {
		return fmt.Errorf("untag %s: %w", name, err)
	}
	return nil
}

// TagByHand sets the tags on the repository, as a person at the console would.
func (a *Account) TagByHand(ctx context.Context, name string, tags map[string]string) error {
	repo, ok, err := a.Repository(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("tag %s: no such repository", name)
	}
	var list []ecrtypes.Tag
	for k, v := range tags {
		list = append(list, ecrtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := a.ECR.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: aws.String(repo.ARN), Tags: list}); err != nil {
		return fmt.Errorf("tag %s: %w", name, err)
	}
	return nil
}

// IDs returns n distinct 12-digit account ids, space-separated, as member-accounts and
// pull-accounts take them.
func IDs(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%012d", 500000000000+i)
	}
	return strings.Join(ids, " ")
}

package config

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ParametersAPI is the one SSM call the configuration needs.
type ParametersAPI interface {
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, opts ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

// Load reads every parameter under configPath in one paged walk and parses it. Parameter Store
// returns at most 10 parameters a page, and a page may be short or even empty while NextToken
// is still set, so the walk follows NextToken to the end rather than stopping on a short page.
//
// home is the id of the account the configuration is read in ("" when unknown), as ParseFor
// takes it.
//
// A read failure is returned wrapped as it came (the caller decides whether it is transient); an
// invalid value is returned as ParseFor returns it.
func Load(ctx context.Context, client ParametersAPI, configPath, home string) (Config, error) {
	values := map[string]string{}
	pages := ssm.NewGetParametersByPathPaginator(client, &ssm.GetParametersByPathInput{
		Path:      aws.String(configPath),
		Recursive: aws.Bool(true),
	})
	var secure []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return Config{}, fmt.Errorf("read configuration under %s: %w", configPath, err)
		}
		for _, p := range page.Parameters {
			name := aws.ToString(p.Name)
			if p.Type == ssmtypes.ParameterTypeSecureString {
				secure = append(secure, name)
				continue
			}
			values[name] = aws.ToString(p.Value)
		}
	}
	cfg, err := ParseFor(configPath, home, values)
	if len(secure) == 0 {
		return cfg, err
	}
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		invalid = &ValidationError{}
	}
	for _, name := range secure {
		// The configuration holds no secrets; reading one would need kms:Decrypt for nothing.
		invalid.Problems = append(invalid.Problems, &InvalidError{Parameter: name, Value: "(SecureString)", Valid: "a String parameter"})
	}
	return Config{}, invalid
}

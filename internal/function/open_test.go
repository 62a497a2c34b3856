package function_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/function"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
)

const (
	configPath = "/sagemaker-platform/ecr"
	home       = "111122223333"
)

type fakeSSM map[string]string

func (f fakeSSM) GetParametersByPath(_ context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	out := &ssm.GetParametersByPathOutput{}
	for name, value := range f {
		out.Parameters = append(out.Parameters, ssmtypes.Parameter{Name: aws.String(configPath + "/" + name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString})
	}
	return out, nil
}

type fakeEvents struct{ entries []map[string]any }

func (f *fakeEvents) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	for _, e := range in.Entries {
		var detail map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &detail); err != nil {
			return nil, err
		}
		detail["detail-type"] = aws.ToString(e.DetailType)
		f.entries = append(f.entries, detail)
	}
	return &eventbridge.PutEventsOutput{}, nil
}

func TestOpenChecksAgainstThisAccount(t *testing.T) {
	tests := []struct {
		name    string
		home    string
		members string
		param   string // the parameter announced invalid, "" for none
	}{
		{"this account in member-accounts", home, "222233334444 " + home, "member-accounts"},
		{"other accounts only", home, "222233334444", ""},
		{"this account unknown", "", home, ""},
		{"more member accounts than a repository policy holds", home, account.IDs(config.MaxPullAccounts("") + 1), "member-accounts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := &fakeEvents{}
			pub := publish.New(events, "default")
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			cfg, err := function.Open(context.Background(), fakeSSM{"company": "acme", "member-accounts": tt.members}, pub, configPath, tt.home, log)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if len(events.entries) != 0 {
					t.Errorf("announced %v; want nothing", events.entries)
				}
				if cfg.Company != "acme" {
					t.Errorf("config = %+v; want it loaded", cfg)
				}
				return
			}
			invalid := config.Invalid(err)
			if len(invalid) != 1 || invalid[0].Parameter != configPath+"/"+tt.param || invalid[0].Value != tt.members {
				t.Fatalf("Open: %v; want %s/%s invalid with its value", err, configPath, tt.param)
			}
			if len(events.entries) != 1 || events.entries[0]["detail-type"] != publish.ConfigurationInvalid {
				t.Fatalf("announced %v; want one %s", events.entries, publish.ConfigurationInvalid)
			}
			errs, _ := events.entries[0]["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["parameter"] != configPath+"/"+tt.param {
				t.Errorf("event detail %v; want it to name %s/%s", events.entries[0], configPath, tt.param)
			}
		})
	}
}

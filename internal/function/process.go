package function

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/awsclient"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

// Process is what a function sets up once, at its cold start, before it builds its handler:
// the JSON logger with the Lambda request id, the environment, the SDK configuration, this
// account's id, and the publisher of result events.
type Process struct {
	Log       *slog.Logger
	Env       Env
	AWS       aws.Config
	Publisher *publish.Publisher
	// Account is this account's id: ACCOUNT_ID, or STS GetCallerIdentity's answer when unset.
	Account string
}

// Start sets the process up. On an error, Log is still usable to report it.
func Start(ctx context.Context) (*Process, error) {
	p := &Process{Log: lambdacontext.NewLogger()}
	var err error
	if p.Env, err = FromEnv(); err != nil {
		return p, err
	}
	if p.AWS, err = awsclient.Load(ctx, p.Log); err != nil {
		return p, err
	}
	p.Account = p.Env.Account
	if p.Account == "" {
		// GetCallerIdentity needs no permission.
		out, err := sts.NewFromConfig(p.AWS).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return p, fmt.Errorf("this account's id (ACCOUNT_ID is unset): %w", err)
		}
		p.Account = aws.ToString(out.Account)
	}
	p.Publisher = publish.New(eventbridge.NewFromConfig(p.AWS), p.Env.EventBus)
	p.Publisher.Logger = p.Log // an event EventBridge refuses is logged in full instead
	return p, nil
}

// Accounts is the function's view of the accounts it serves: this one, and the member accounts
// reached through the member role. Every account's SageMaker client is paced on its own at
// perSecond (0: not paced); session names the function's sessions in the members' CloudTrail.
func (p *Process) Accounts(session string, perSecond float64) *accounts.Directory {
	newSageMaker := func(cfg aws.Config) accounts.SageMaker {
		return sagemaker.NewFromConfig(cfg, func(o *sagemaker.Options) {
			if perSecond > 0 {
				o.HTTPClient = awsclient.Pace(o.HTTPClient, perSecond)
			}
		})
	}
	return &accounts.Directory{
		Home: p.Account, HomeSageMaker: newSageMaker(p.AWS),
		Partition: p.Env.Partition,
		STS:       sts.NewFromConfig(p.AWS), AWS: p.AWS, NewSageMaker: newSageMaker,
		SessionName: session,
	}
}

package handler

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/awsclient"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

// Process is what a function sets up once, at its cold start, before it builds its handler:
// the JSON logger with the Lambda request id, the environment, the SDK configuration, and the
// publisher of result events.
type Process struct {
	Log       *slog.Logger
	Env       Env
	AWS       aws.Config
	Publisher *publish.Publisher
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
	p.Publisher = publish.New(eventbridge.NewFromConfig(p.AWS), p.Env.EventBus)
	p.Publisher.Logger = p.Log // an event EventBridge refuses is logged in full instead
	return p, nil
}

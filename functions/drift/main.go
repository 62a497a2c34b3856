// Command drift is DriftFunction: the reconciler that keeps every managed repository's
// lifecycle policy as configured and creates what is missing. The work is in internal/drift;
// this is wiring only.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/awsclient"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

func main() {
	log := lambdacontext.NewLogger()
	env := config.FromEnv()
	limits, err := awsclient.LimitsFromEnv()
	if err != nil {
		log.Error("read limits", "error", err.Error())
		os.Exit(1)
	}
	cfg, err := awsclient.Load(context.Background(), log)
	if err != nil {
		log.Error("load AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	publisher := publish.New(eventbridge.NewFromConfig(cfg), env.EventBus)
	publisher.Logger = log // an event EventBridge refuses is logged in full instead
	svc := &drift.Service{
		SSM: ssm.NewFromConfig(cfg),
		ECR: ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.HTTPClient = awsclient.Pace(o.HTTPClient, limits.ECRPerSecond) }),
		SageMaker: sagemaker.NewFromConfig(cfg, func(o *sagemaker.Options) {
			o.HTTPClient = awsclient.Pace(o.HTTPClient, limits.SageMakerPerSecond)
		}),
		Publisher:   publisher,
		ConfigPath:  env.ConfigPath,
		Concurrency: limits.Concurrency,
		Logger:      log,
	}
	lambda.Start(svc.Handle)
}

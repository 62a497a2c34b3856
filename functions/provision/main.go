// Command provision is ProvisionFunction: SageMaker project events in, the project's ECR
// repositories out. The work is in internal/provision; this is wiring only.
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
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

func main() {
	log := lambdacontext.NewLogger()
	env := config.FromEnv()
	cfg, err := awsclient.Load(context.Background(), log)
	if err != nil {
		log.Error("load AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	publisher := publish.New(eventbridge.NewFromConfig(cfg), env.EventBus)
	publisher.Logger = log // an event EventBridge refuses is logged in full instead
	svc := &provision.Service{
		SSM:        ssm.NewFromConfig(cfg),
		ECR:        ecr.NewFromConfig(cfg),
		SageMaker:  sagemaker.NewFromConfig(cfg),
		Publisher:  publisher,
		ConfigPath: env.ConfigPath,
		Logger:     log,
	}
	lambda.Start(svc.Handle)
}

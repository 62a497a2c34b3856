// Command provision is ProvisionFunction: SageMaker project events in, the project's ECR
// repositories out. The work is in internal/provision; this is wiring only.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	settings "github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("load AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	svc := &provision.Service{
		SSM:        ssm.NewFromConfig(cfg),
		ECR:        ecr.NewFromConfig(cfg),
		SageMaker:  sagemaker.NewFromConfig(cfg),
		Publisher:  publish.New(eventbridge.NewFromConfig(cfg), env("EVENT_BUS_NAME", "default")),
		ConfigPath: env("CONFIG_PATH", settings.DefaultPath),
		Logger:     log,
	}
	lambda.Start(svc.Handle)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

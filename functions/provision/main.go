// Command provision is ProvisionFunction: SageMaker project events in, the project's ECR
// repositories out. The work is in internal/provision; this is wiring only.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/datazone"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/function"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/provision"
)

func main() {
	p, err := function.Start(context.Background())
	if err != nil {
		p.Log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	svc := &provision.Service{
		SSM:        ssm.NewFromConfig(p.AWS),
		ECR:        ecr.NewFromConfig(p.AWS),
		Accounts:   p.Accounts("sagemaker-ecr-provisioner-provision", 0),
		DataZone:   datazone.NewFromConfig(p.AWS),
		Tags:       resourcegroupstaggingapi.NewFromConfig(p.AWS),
		Publisher:  p.Publisher,
		ConfigPath: p.Env.ConfigPath,
		Logger:     p.Log,
	}
	lambda.Start(svc.Handle)
}

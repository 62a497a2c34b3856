// Command drift is DriftFunction: the reconciler that keeps every managed repository as
// configured and creates what is missing. The work is in internal/drift; this is wiring only.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/datazone"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/awsclient"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/function"
)

func main() {
	p, err := function.Start(context.Background())
	if err != nil {
		p.Log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	svc := &drift.Service{
		SSM: ssm.NewFromConfig(p.AWS),
		// The reconciler paces itself: ECR publishes no rate quota for these calls.
		ECR: ecr.NewFromConfig(p.AWS, func(o *ecr.Options) { o.HTTPClient = awsclient.Pace(o.HTTPClient, p.Env.ECRPerSecond) }),
		// Each account's SageMaker is paced on its own.
		Accounts: p.Accounts("sagemaker-ecr-provisioner-drift", p.Env.SageMakerPerSecond),
		// DataZone and the tagging API are paced like each account's SageMaker.
		DataZone: datazone.NewFromConfig(p.AWS, func(o *datazone.Options) { o.HTTPClient = awsclient.Pace(o.HTTPClient, p.Env.SageMakerPerSecond) }),
		Tags: resourcegroupstaggingapi.NewFromConfig(p.AWS, func(o *resourcegroupstaggingapi.Options) {
			o.HTTPClient = awsclient.Pace(o.HTTPClient, p.Env.SageMakerPerSecond)
		}),
		Publisher:      p.Publisher,
		ConfigPath:     p.Env.ConfigPath,
		Region:         p.AWS.Region,
		StateParameter: p.Env.StateParameter,
		Concurrency:    p.Env.Concurrency,
		ECRPerSecond:   p.Env.ECRPerSecond,
		Logger:         p.Log,
	}
	lambda.Start(svc.Handle)
}

//go:build integration

package faultproxy_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// Throttle every PutLifecyclePolicy on one repository, and nothing else, then read the log.
func Example() {
	if err := server.Reset(); err != nil { // moto was started by TestMain
		fmt.Println(err)
		return
	}
	proxy := faultproxy.New(server.URL, faultproxy.Options{
		Match:  faultproxy.Only("PutLifecyclePolicy", "acme-sm-risk-fraud/training"),
		Always: faultproxy.Throttle,
	})
	url, err := proxy.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer proxy.Close()

	client := ecr.NewFromConfig(account.SDK(url, &wire.Recorder{})) // one attempt a call
	ctx := context.Background()
	for _, name := range []string{"acme-sm-risk-fraud/training", "acme-sm-risk-fraud/inference"} {
		if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
			fmt.Println(err)
		}
		_, err := client.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{
			RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(lifecycle.Policy(10)),
		})
		fmt.Printf("put %s: %q\n", name, errorCode(err))
	}
	for _, e := range proxy.Log() {
		fmt.Printf("%s %s %s fault=%q status=%d\n", e.Service, e.Operation, e.Repository, e.Fault, e.Status)
	}
	// Output:
	// put acme-sm-risk-fraud/training: "ThrottlingException"
	// put acme-sm-risk-fraud/inference: ""
	// ecr CreateRepository acme-sm-risk-fraud/training fault="" status=200
	// ecr PutLifecyclePolicy acme-sm-risk-fraud/training fault="throttle" status=400
	// ecr CreateRepository acme-sm-risk-fraud/inference fault="" status=200
	// ecr PutLifecyclePolicy acme-sm-risk-fraud/inference fault="" status=200
}

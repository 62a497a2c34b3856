package account_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
)

// The emulated account's clients try a dropped connection again, and nothing else.
func TestConnectionRetryerRetriesDroppedConnectionsOnly(t *testing.T) {
	for _, tc := range []struct {
		fault    faultproxy.Fault
		attempts int
	}{
		{faultproxy.Drop, 3},
		{faultproxy.Throttle, 1},
		{faultproxy.InternalError, 1},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			// Every request meets the fault before it would be forwarded: no service is needed.
			proxy := faultproxy.New("http://127.0.0.1:9", faultproxy.Options{Always: tc.fault})
			url, err := proxy.Start()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(proxy.Close)
			client := ecr.NewFromConfig(aws.Config{
				Region:       account.Region,
				Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
				BaseEndpoint: aws.String(url),
				Retryer:      account.ConnectionRetryer,
			})
			if _, err := client.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{}); err == nil {
				t.Fatalf("DescribeRepositories through a proxy that always answers %s succeeded", tc.fault)
			}
			if got := len(proxy.Log()); got != tc.attempts {
				t.Errorf("%s: %d attempts; want %d", tc.fault, got, tc.attempts)
			}
		})
	}
}

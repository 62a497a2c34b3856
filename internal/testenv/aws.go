package testenv

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/emulator"
)

// Region is the region every test speaks to.
const Region = "us-east-1"

// Account is moto's default account id.
const Account = "123456789012"

// Config returns an SDK configuration that sends every request to endpoint through rec, with
// static credentials and emulator.ConnectionRetryer: a connection moto closed under the client
// is tried again, nothing else is (moto never throttles; a retry would only hide a bug).
func Config(endpoint string, rec *Recorder) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      emulator.ConnectionRetryer,
		HTTPClient:   &http.Client{Transport: rec},
	}
}

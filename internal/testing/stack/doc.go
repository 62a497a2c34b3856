// Package stack runs the whole product locally, as it runs in Lambda, for the demo (cmd/demo)
// and the end-to-end tests (test/e2e): both real bootstrap binaries, built by the Makefile,
// each under aws-lambda-rie (internal/testing/rie); moto_server for ECR, SSM, EventBridge and
// SQS; and the SageMaker stand-in (internal/testing/sagemakerfake) served in this process,
// because moto does not implement SageMaker projects.
//
// The functions reach the stand-ins the way they reach AWS: through the SDK's own endpoint
// variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SAGEMAKER), so nothing in the product knows it
// is being emulated.
//
// Every process it starts gets its own process group and is ended with it; Stack.Stop ends all
// of them, and a process this program forgets is killed when this program dies (Pdeathsig).
package stack

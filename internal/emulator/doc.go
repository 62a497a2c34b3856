// Package emulator runs the product locally, as it runs in Lambda, for the demo (cmd/demo) and
// the end-to-end tests (internal/e2e): the real bootstrap binaries, built with the Makefile's
// flags, each under aws-lambda-rie; moto_server for ECR, SSM, EventBridge and SQS; and the
// SageMaker stand-in (internal/sagemakerfake) served in this process, because moto does not
// implement SageMaker projects.
//
// The functions reach the stand-ins the way they reach AWS: through the SDK's own endpoint
// variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SAGEMAKER), so nothing in the product knows it
// is being emulated.
//
// Every process it starts gets its own process group and is ended with it; Stack.Stop ends all
// of them, and a process this program forgets is killed when this program dies (Pdeathsig).
//
// What aws-lambda-rie does that shapes this package:
//   - it starts the bootstrap lazily, on the first invocation, and only then prints
//     "INIT REPORT(durationMs: N)": the time from starting the bootstrap to the runtime's first
//     request for work, which is what Lambda calls Init Duration. The "Init Duration" in its own
//     REPORT line times an asynchronous call and says about 0.2 ms whatever the function does;
//     Function.InitDuration reads the INIT REPORT line instead;
//   - it handles one invocation at a time and crashes on a second concurrent one, so
//     Function.Invoke queues them;
//   - a handler error is still HTTP 200, with errorType and errorMessage in the body;
//     Function.Invoke turns that into an *InvokeError;
//   - it passes its whole environment to the function, so the environment it gets is built
//     from scratch (see FunctionConfig);
//   - it starts the bootstrap in a process group of its own; on SIGTERM it kills the bootstrap
//     and exits, which is how Function.Stop ends both.
package emulator

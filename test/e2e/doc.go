// Package e2e holds the end-to-end tests: the real bootstrap binaries, built as the Makefile
// builds them, run under aws-lambda-rie against moto_server and the SageMaker stand-in
// (internal/testing/stack), and the tests assert on the state of the emulated account afterwards:
// repositories, tags, lifecycle policies and the events that reached SQS. They also check
// that the targets sam build runs produce static linux/arm64 binaries.
//
// They need moto_server (pip install 'moto[server]') and aws-lambda-rie (make rie), and fail,
// rather than skip, when either is missing.
package e2e

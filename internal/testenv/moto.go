// Package testenv runs the local stand-ins the integration tests talk to: a moto_server on a
// free port, reset between tests, and AWS SDK configurations that point at it and record every
// request they send.
//
// Tests use the real SDK over HTTP against moto rather than in-memory fakes, so request
// serialisation, error codes and paging are exercised as they are in AWS.
package testenv

import (
	"context"
	"fmt"
	"os"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/emulator"
)

// Moto is a running moto_server. The launcher lives in internal/emulator, which the demo and
// the end-to-end tests share.
type Moto = emulator.Moto

// StartMoto starts moto_server on a free loopback port and waits until it answers. When the
// environment names a server in MOTO_URL, that one is used instead and Stop leaves it running.
func StartMoto() (*Moto, error) {
	return emulator.StartMoto(context.Background(), nil)
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	return emulator.FreePort()
}

// Main is a test package's TestMain for integration tests: it starts moto_server, stores it in
// *moto for the tests, runs them, stops the server and exits. Without moto_server the package
// fails (it is not skipped) with a message that says how to install it.
func Main(m interface{ Run() int }, moto **Moto) {
	var err error
	if *moto, err = StartMoto(); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need moto_server:", err)
		os.Exit(1)
	}
	code := m.Run()
	(*moto).Stop()
	os.Exit(code)
}

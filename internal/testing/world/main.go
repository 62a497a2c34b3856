package world

import (
	"context"
	"fmt"
	"os"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
)

// Main is a test package's TestMain for integration tests: it starts moto_server (or uses the
// one MOTO_URL names), stores it in *server for the tests, runs them, stops the server and
// exits. Without moto_server the package fails (it is not skipped) with a message that says
// how to install it.
func Main(m interface{ Run() int }, server **moto.Server) {
	var err error
	if *server, err = moto.Start(context.Background(), nil); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need moto_server:", err)
		os.Exit(1)
	}
	code := m.Run()
	(*server).Stop()
	os.Exit(code)
}

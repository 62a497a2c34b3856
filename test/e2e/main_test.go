//go:build integration

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// local is shared by every test: one moto_server, one stand-in, one aws-lambda-rie per
// function. Tests run one at a time (RIE takes one invocation at a time) and each starts from
// a reset world.
var local *stack.Stack

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := stack.CheckTools(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the end-to-end tests run the functions under aws-lambda-rie against moto_server:\n%v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "sagemaker-ecr-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	began := time.Now()
	bins, err := rie.Build(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the functions:", err)
		return 1
	}
	built := time.Since(began)
	local, err = stack.Start(ctx, stack.Options{Binaries: bins})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the local stack:", err)
		return 1
	}
	defer local.Stop()
	if testing.Verbose() {
		fmt.Printf("e2e: built in %s, started in %s: %s\n", built.Round(time.Millisecond),
			(time.Since(began) - built).Round(time.Millisecond), local.Describe())
	}
	return m.Run()
}

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/emulator"
)

// stack is shared by every test: one moto_server, one stand-in, one aws-lambda-rie per
// function. Tests run one at a time (RIE takes one invocation at a time) and each starts from
// a reset world.
var stack *emulator.Stack

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := emulator.CheckTools(ctx); err != nil {
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
	bins, err := emulator.Build(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the functions:", err)
		return 1
	}
	built := time.Since(began)
	stack, err = emulator.Start(ctx, emulator.Options{Binaries: bins})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the emulator:", err)
		return 1
	}
	defer stack.Stop()
	if testing.Verbose() {
		fmt.Printf("e2e: built in %s, started in %s: %s\n", built.Round(time.Millisecond),
			(time.Since(began) - built).Round(time.Millisecond), stack.Describe())
	}
	return m.Run()
}

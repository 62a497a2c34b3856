// Command demo runs the whole product locally and tells its story (make demo): the real
// bootstrap binaries under aws-lambda-rie, moto_server, and the SageMaker stand-in
// (internal/testing/stack). A project is created and gets its repositories; the first
// reconcile creates the shared ones; a lifecycle policy edited by hand is reported, fixed and
// reported compliant; and the events the product published are read back.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
)

func main() {
	logDir := flag.String("log-dir", "", "keep each process's output (moto.log, provision.log, drift.log) in this directory")
	flag.Parse()

	// Ctrl-C cancels the story; RunDemo stops everything it started before it returns.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, options{Out: os.Stdout, Color: isTerminal(os.Stdout), LogDir: *logDir})
	interrupted := ctx.Err() != nil
	stop()
	switch {
	case interrupted:
		fmt.Fprintln(os.Stderr, "\ndemo: interrupted; everything it started has been stopped")
		os.Exit(130)
	case errors.Is(err, moto.ErrMissing), errors.Is(err, rie.ErrMissing):
		fmt.Fprintf(os.Stderr, "\ndemo: cannot run:\n%v\n", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "\ndemo: %v\n", err)
		os.Exit(1)
	}
}

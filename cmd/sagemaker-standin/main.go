// Command sagemaker-standin serves the SageMaker calls the provisioner makes
// (see internal/sagemakerfake) for the local demo and end-to-end tests. Once it
// accepts connections it prints one line, "listening on http://HOST:PORT", and
// serves until SIGINT or SIGTERM.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sagemakerfake"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address; port 0 picks a free port")
	region := flag.String("region", cmp.Or(os.Getenv("AWS_REGION"), "us-east-1"), "region in project ARNs")
	account := flag.String("account", "123456789012", "account id in project ARNs")
	flag.Parse()

	// Catch signals before announcing the address: whoever reads the line may
	// send SIGTERM at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("sagemaker-standin: %v", err)
	}
	srv := &http.Server{Handler: sagemakerfake.New(*region, *account), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("listening on http://%s\n", ln.Addr())

	select {
	case err := <-errc:
		log.Fatalf("sagemaker-standin: %v", err)
	case <-ctx.Done():
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Printf("sagemaker-standin: shutdown: %v", err)
	}
}

//go:build integration

package resilience

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/awsclient"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

var server *moto.Server

func TestMain(m *testing.M) { world.Main(m, &server) }

// retryer is the product's retryer (awsclient.NewRetryer) with short backoffs, so a test with
// hundreds of injected faults runs in seconds, and with attempts as the test chooses.
func retryer(attempts int) func() aws.Retryer {
	return func() aws.Retryer {
		short := retry.AddWithMaxBackoffDelay(awsclient.NewRetryer(), 20*time.Millisecond)
		return retry.AddWithMaxAttempts(short, attempts)
	}
}

// faulty returns a world whose product clients go through a fault proxy in front of moto.
func faulty(t *testing.T, opts faultproxy.Options, attempts int) (*world.World, *faultproxy.Proxy) {
	t.Helper()
	w := world.New(t, server)
	p := faultproxy.New(server.URL, opts)
	url, err := p.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	w.Route(url, retryer(attempts))
	return w, p
}

// twentyPercent injects 20% faults in all: throttling, HTTP 500 and dropped connections.
var twentyPercent = faultproxy.Options{ThrottleRate: 0.10, ErrorRate: 0.05, DropRate: 0.05, Seed: 7}

package sagemakerfake

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Listener is a Server served in this process on a free loopback port, for functions that run
// in other processes. The embedded Server holds its projects: PutProject, SetStatus, DeleteProject, Reset.
type Listener struct {
	*Server
	// URL is the endpoint the functions get as AWS_ENDPOINT_URL_SAGEMAKER.
	URL string
	srv *http.Server
}

// Listen serves an empty stand-in whose project ARNs name region and account.
func Listen(region, account string) (*Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("serve the SageMaker stand-in: %w", err)
	}
	fake := New(region, account)
	s := &Listener{
		Server: fake,
		URL:    "http://" + ln.Addr().String(),
		srv:    &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second},
	}
	// Serve returns when Stop closes the server; the functions' calls fail loudly after that.
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Stop closes the server. It is safe to call more than once, and on a nil Listener.
func (s *Listener) Stop() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
}

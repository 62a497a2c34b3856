package sagemakerfake

import "net/http/httptest"

// Listener is a Server served in this process on a free loopback port, for functions that run
// in other processes. The embedded Server holds its projects and resources: PutProject,
// SetStatus, DeleteProject, PutEndpoint, ..., Reset.
type Listener struct {
	*Server
	// URL is the endpoint the functions get as AWS_ENDPOINT_URL_SAGEMAKER.
	URL string
	srv *httptest.Server
}

// Listen serves an empty stand-in whose project ARNs name region and account.
func Listen(region, account string) (*Listener, error) {
	fake := New(region, account)
	srv := httptest.NewServer(fake)
	return &Listener{Server: fake, URL: srv.URL, srv: srv}, nil
}

// Stop closes the server. It is safe to call more than once, and on a nil Listener.
func (s *Listener) Stop() {
	if s == nil {
		return
	}
	s.srv.Close()
}

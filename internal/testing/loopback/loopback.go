// Package loopback serves an in-process HTTP handler (a stand-in, a proxy) on a free loopback
// port, for the functions under aws-lambda-rie, which run in other processes, to reach.
package loopback

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a handler served on 127.0.0.1.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:<port>.
	URL string
	srv *http.Server
}

// Serve serves h on a free loopback port until Close; name says what it is, in errors.
func Serve(name string, h http.Handler) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("serve %s: %w", name, err)
	}
	s := &Server{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	// Serve returns when Close closes the server; calls fail loudly after that.
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// Close stops the server, letting requests under way finish for up to two seconds. It is safe
// to call more than once, and on a nil Server.
func (s *Server) Close() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
}

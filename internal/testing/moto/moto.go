// Package moto starts and resets moto_server, the local stand-in for ECR, SSM, EventBridge,
// SQS and STS that the integration tests, the end-to-end tests and the demo talk to over HTTP
// with the real SDK.
package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/proc"
)

// ErrMissing says moto_server is not installed, and how to install it.
var ErrMissing = errors.New("moto_server not found on PATH: install it with pip install 'moto[server]'")

// Server is a running moto_server: ECR, SSM, EventBridge, SQS and STS on one endpoint.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:40123.
	URL string
	// Output holds the server's request log; nil for a server named by MOTO_URL.
	Output *proc.Output
	proc   *proc.Process
}

// Start starts moto_server on a free loopback port and waits until it answers; its output
// is also copied to logTo when that is not nil. When the environment names a server in
// MOTO_URL, that one is used instead and Stop leaves it running.
func Start(ctx context.Context, logTo io.Writer) (*Server, error) {
	if url := os.Getenv("MOTO_URL"); url != "" {
		m := &Server{URL: strings.TrimRight(url, "/")}
		return m, m.waitReady(ctx, 10*time.Second)
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrMissing
	}
	// The free port is free when asked for; another test binary starting its own server at the
	// same moment may take it first, and then this server exits at once: try another port.
	for attempt := 1; ; attempt++ {
		m, err := start(ctx, bin, logTo)
		switch {
		case err == nil:
			return m, nil
		case m == nil || attempt == 3 || ctx.Err() != nil:
			return nil, err
		}
	}
}

// start starts one moto_server on a free port. On failure it returns the server too (stopped)
// when it exited before it answered, nil when it never answered.
func start(ctx context.Context, bin string, logTo io.Writer) (*Server, error) {
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	out := proc.NewOutput(logTo)
	// moto gets this program's whole environment: a PYENV_VERSION or a virtualenv may be what
	// finds the moto that is installed.
	p, err := proc.Start("moto_server", []string{bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port)}, os.Environ(), out)
	if err != nil {
		return nil, err
	}
	m := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Output: out, proc: p}
	if err := m.waitReady(ctx, 60*time.Second); err != nil {
		exited := !p.Running()
		m.Stop()
		if exited {
			return m, err
		}
		return nil, err
	}
	return m, nil
}

// waitReady polls moto until it answers, it exits, ctx ends or limit passes.
func (m *Server) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/data.json", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if m.proc != nil && !m.proc.Running() {
			return m.proc.ExitError()
		}
		select {
		case <-ctx.Done():
			if cause := context.Cause(ctx); !errors.Is(cause, context.DeadlineExceeded) {
				return cause
			}
			return fmt.Errorf("moto_server at %s not ready after %s: %v", m.URL, limit, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Reset empties every service's state (POST /moto-api/reset).
func (m *Server) Reset() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/moto-api/reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Stop ends a server that Start started, with its whole process group. It is safe to call
// more than once, and on a nil Server.
func (m *Server) Stop() {
	if m == nil || m.proc == nil {
		return
	}
	m.proc.Stop(5 * time.Second)
}

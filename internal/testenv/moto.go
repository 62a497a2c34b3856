// Package testenv runs the local stand-ins the integration tests talk to: a moto_server on a
// free port, reset between tests, and AWS SDK configurations that point at it and record every
// request they send.
//
// Tests use the real SDK over HTTP against moto rather than in-memory fakes, so request
// serialisation, error codes and paging are exercised as they are in AWS.
package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Moto is a running moto_server.
type Moto struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:40123.
	URL string
	cmd *exec.Cmd
}

// StartMoto starts moto_server on a free loopback port and waits until it answers. When the
// environment names a server in MOTO_URL, that one is used instead and Stop leaves it running.
func StartMoto() (*Moto, error) {
	if url := os.Getenv("MOTO_URL"); url != "" {
		m := &Moto{URL: strings.TrimRight(url, "/")}
		return m, m.waitReady(10 * time.Second)
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New("moto_server not found on PATH: install it with pip install 'moto[server]'")
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	go drain(stderr)
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	if err := m.waitReady(60 * time.Second); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

func drain(r interface{ Read([]byte) (int, error) }) {
	s := bufio.NewScanner(r)
	for s.Scan() {
	}
}

func (m *Moto) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(m.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto_server at %s not ready after %s: %v", m.URL, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Reset empties every service's state.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Stop ends a server that StartMoto started, with its whole process group.
func (m *Moto) Stop() {
	if m == nil || m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

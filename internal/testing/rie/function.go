package rie

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/proc"
)

// invokePath is where aws-lambda-rie accepts invocations, as Lambda's Invoke API.
const invokePath = "/2015-03-31/functions/function/invocations"

// Config describes one function to run under aws-lambda-rie.
type Config struct {
	// Name is the function's name, as in the logs and errors; the function sees it as
	// AWS_LAMBDA_FUNCTION_NAME.
	Name string
	// Bootstrap is the function's binary; RIE is aws-lambda-rie's path (see Find).
	Bootstrap string
	RIE       string
	// Timeout is the function's Lambda timeout, which sets the handler's deadline; whole
	// seconds, 60 when zero.
	Timeout time.Duration
	// Env adds to or overrides the environment: the SDK's region, credentials and endpoints,
	// the function's own variables.
	Env map[string]string
	// LogTo, when not nil, gets a copy of everything the process prints.
	LogTo io.Writer
}

// environ is the function's whole environment. aws-lambda-rie passes its own environment on
// to the bootstrap, so it starts from nothing rather than from this program's: a developer's
// AWS_PROFILE or AWS_LAMBDA_MAX_CONCURRENCY (which switches RIE into another mode) must not
// leak in.
func (c Config) environ() []string {
	timeout := max(int(c.Timeout/time.Second), 1)
	if c.Timeout == 0 {
		timeout = 60
	}
	env := map[string]string{
		"PATH": os.Getenv("PATH"),
		"HOME": os.Getenv("HOME"),
		// A profile in ~/.aws/config could send calls elsewhere (ignore_configured_endpoint_urls,
		// a services section); the emulated functions read none.
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		// What Lambda sets for a function deployed as template.yaml says.
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_LAMBDA_FUNCTION_NAME":        c.Name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(timeout),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
	}
	maps.Copy(env, c.Env)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// Function is one bootstrap running under aws-lambda-rie.
type Function struct {
	// Name is the function's name; URL is RIE's base URL.
	Name string
	URL  string
	// Started is when the process was started.
	Started time.Time

	proc    *proc.Process
	timeout time.Duration
	client  *http.Client
	turn    chan struct{} // holds a token while an invocation runs: RIE takes one at a time
}

// errPortTaken means another process bound a port between FreePort and RIE.
var errPortTaken = errors.New("address already in use")

// Start starts cfg.Bootstrap under aws-lambda-rie on two free loopback ports and waits
// until RIE accepts invocations. RIE starts the bootstrap itself on the first invocation.
func Start(ctx context.Context, cfg Config) (*Function, error) {
	var err error
	for range 3 {
		var f *Function
		if f, err = start(ctx, cfg); !errors.Is(err, errPortTaken) {
			return f, err
		}
	}
	return nil, err
}

func start(ctx context.Context, cfg Config) (*Function, error) {
	runtimePort, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	invokePort, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	invokeAddr := fmt.Sprintf("127.0.0.1:%d", invokePort)
	argv := []string{cfg.RIE,
		// Both always: RIE's defaults (127.0.0.1:9001, 0.0.0.0:8080) may be taken, and the
		// second would listen on every interface.
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", runtimePort),
		"--runtime-interface-emulator-address", invokeAddr,
		cfg.Bootstrap}
	out := proc.NewOutput(cfg.LogTo)
	p, err := proc.Start(cfg.Name+" (aws-lambda-rie)", argv, cfg.environ(), out)
	if err != nil {
		return nil, err
	}
	f := &Function{
		Name: cfg.Name, URL: "http://" + invokeAddr, Started: time.Now(),
		proc: p, timeout: cfg.Timeout, client: &http.Client{}, turn: make(chan struct{}, 1),
	}
	if err := f.waitListening(ctx, invokeAddr, 10*time.Second); err != nil {
		f.Stop()
		if strings.Contains(out.String(), "address already in use") {
			return nil, fmt.Errorf("%s: %w", cfg.Name, errPortTaken)
		}
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	return f, nil
}

// waitListening waits until addr accepts a connection.
func (f *Function) waitListening(ctx context.Context, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		if !f.proc.Running() {
			return f.proc.ExitError()
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("aws-lambda-rie not listening on %s after %s: %v", addr, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// InvokeError is a handler error: RIE answers HTTP 200 with errorType and errorMessage, as
// Lambda's Invoke API does for an unhandled function error.
type InvokeError struct {
	Function string
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *InvokeError) Error() string {
	return fmt.Sprintf("%s failed: %s: %s", e.Function, e.Type, e.Message)
}

// Invoke runs one invocation with payload and returns the function's response. Invocations of
// one Function run one at a time: a second concurrent one crashes aws-lambda-rie. A handler
// error is returned as an *InvokeError, with the response body.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case f.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: %w", f.Name, context.Cause(ctx))
	}
	id := requestID()
	released := false
	defer func() {
		if !released {
			<-f.turn
		}
	}()
	if !f.proc.Running() {
		return nil, fmt.Errorf("invoke %s: %w", f.Name, f.proc.ExitError())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL+invokePath, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil && f.proc.Running() {
			// The invocation goes on inside RIE; the next one must wait for its end.
			released = true
			go f.releaseAfter(id)
		}
		return nil, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: read response: %w", f.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("invoke %s: HTTP %d: %s", f.Name, resp.StatusCode, bytes.TrimSpace(body))
	}
	fail := InvokeError{Function: f.Name}
	if json.Unmarshal(body, &fail) == nil && fail.Type != "" {
		return body, &fail
	}
	return body, nil
}

// releaseAfter gives the turn back once RIE has printed the end of invocation id, the process
// has exited, or the function's timeout has passed.
func (f *Function) releaseAfter(id string) {
	defer func() { <-f.turn }()
	deadline := time.Now().Add(f.timeout + 5*time.Second)
	for f.proc.Running() && time.Now().Before(deadline) {
		if strings.Contains(f.proc.Out.String(), "END RequestId: "+id) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// Output is everything the process printed: the function's JSON log lines and RIE's own.
func (f *Function) Output() *proc.Output {
	return f.proc.Out
}

// InitDuration is the function's init time as aws-lambda-rie measured it: from starting the
// bootstrap to the runtime's first request for work (its INIT REPORT line). RIE initialises on
// the first invocation, so ok is false before one has run.
func (f *Function) InitDuration() (d time.Duration, ok bool) {
	return parseInitReport(f.proc.Out.String())
}

// PeakRSS is the bootstrap's peak resident memory so far (VmHWM in /proc/<pid>/status): what
// Lambda reports as Max Memory Used, near enough. RIE keeps one bootstrap between invocations,
// so it covers every invocation since the first; ok is false before the first has started it.
func (f *Function) PeakRSS() (bytes int64, ok bool) {
	for _, pid := range proc.Children(f.proc.Pid()) {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(status)) {
			if rest, found := strings.CutPrefix(line, "VmHWM:"); found {
				var kB int64
				if _, err := fmt.Sscan(rest, &kB); err == nil {
					bytes, ok = max(bytes, kB<<10), true
				}
			}
		}
	}
	return bytes, ok
}

// Stop ends aws-lambda-rie and the bootstrap. RIE starts the bootstrap in a process group of
// its own and, on SIGTERM, kills it and exits; should it not, both groups are killed. Stop is
// safe to call more than once, and on a nil Function.
func (f *Function) Stop() {
	if f == nil {
		return
	}
	// Find the bootstrap now: once RIE is gone it has another parent.
	runtimes := proc.Children(f.proc.Pid())
	f.proc.Stop(3*time.Second, runtimes...)
}

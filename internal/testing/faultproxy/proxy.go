// Package faultproxy is a reverse proxy for tests and benchmarks that sits between an AWS SDK
// client and moto_server (or any JSON-protocol AWS endpoint) and makes the network and the
// service misbehave on purpose: added latency, ThrottlingException, HTTP 500, and connections
// dropped without an answer.
//
// Faults are drawn from a seeded math/rand source, so a run that sends its requests in the same
// order meets the same faults every time. A Match function limits faults to some requests, and
// Always fails every matching request, e.g. PutLifecyclePolicy on one repository and nothing
// else. Every request is logged with the fault it met.
package faultproxy

import (
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// Fault is what the proxy did to a request instead of passing it on.
type Fault string

// The faults. An Entry's Fault is empty when the request was passed through.
const (
	// Throttle answers HTTP 400 with a ThrottlingException, as ECR and the other JSON-protocol
	// services do. The SDK's standard retryer retries it as a throttling error.
	Throttle Fault = "throttle"
	// InternalError answers HTTP 500 with an InternalFailure; the standard retryer retries it.
	InternalError Fault = "error"
	// Drop closes the connection without an answer, before the request reaches the service.
	// The SDK sees a connection error, which the standard retryer retries.
	Drop Fault = "drop"
)

// Options are the faults a proxy injects. The zero value passes every request through unchanged.
type Options struct {
	// Latency is added to every request, faulted or not, before anything else happens to it.
	Latency time.Duration

	// ThrottleRate, ErrorRate and DropRate are probabilities from 0 to 1. For every request that
	// Match accepts, each is drawn independently, always in that order and always all three, so
	// the sequence one rate produces for a seed does not depend on the other rates. When more
	// than one fires, Drop wins over Throttle, and Throttle over InternalError.
	ThrottleRate float64
	ErrorRate    float64
	DropRate     float64
	// Seed seeds the draws. SetOptions restarts the sequence from it. Draws are taken in the
	// order requests arrive: concurrent callers get the same sequence of faults, but which
	// request meets which depends on their timing.
	Seed int64

	// Match limits faults (not latency) to the requests for which it returns true; nil means
	// every request. It is called under the proxy's lock, so it must be quick and must not call
	// the proxy.
	Match func(wire.Request) bool
	// Always, when set, is injected into every request Match accepts, whatever the rates.
	Always Fault
}

// Only returns a Match function for one operation, e.g. "PutLifecyclePolicy", and, when repository
// is not empty, only for that repository.
func Only(operation, repository string) func(wire.Request) bool {
	return func(r wire.Request) bool {
		return r.Operation == operation && (repository == "" || r.Repository == repository)
	}
}

// Entry is one request the proxy handled.
type Entry struct {
	// Service, Operation and Repository are read from the request as wire.Describe reads them.
	Service    string
	Operation  string
	Repository string
	// Fault is the fault injected, empty when the request was passed through.
	Fault Fault
	// Status is the HTTP status the client got: the service's own when passed through, 0 when
	// the connection was dropped, 502 when the service could not be reached.
	Status int
}

// Proxy is a fault-injecting reverse proxy. It is an http.Handler, so it can be served by
// httptest.NewServer, or by Start on a free loopback port. It is safe for concurrent use.
type Proxy struct {
	target    *url.URL
	targetErr error
	forward   *httputil.ReverseProxy
	transport *http.Transport

	mu     sync.Mutex
	opts   Options
	rng    *rand.Rand
	log    []Entry
	nextID int
	srv    *http.Server
}

// New returns a proxy that forwards to target, a base URL such as moto's http://127.0.0.1:5000.
// A target that is not an absolute URL makes Start fail and every request answer 502.
func New(target string, opts Options) *Proxy {
	p := &Proxy{}
	p.target, p.targetErr = url.Parse(target)
	if p.targetErr == nil && (p.target.Scheme == "" || p.target.Host == "") {
		p.targetErr = fmt.Errorf("fault proxy target %q: want an absolute URL such as http://127.0.0.1:5000", target)
	}
	// The SDK's own transport settings: enough idle connections per host for a benchmark's
	// concurrency (http.DefaultTransport keeps only 2, and reconnects for the rest).
	p.transport = awshttp.NewBuildableClient().GetTransport()
	p.forward = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.target)
			// Keep the Host the client signed, so a service that checks SigV4 signatures
			// still accepts the request.
			pr.Out.Host = pr.In.Host
		},
		Transport: p.transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.SetOptions(opts)
	return p
}

// SetOptions replaces the options; requests already past their fault decision are not affected.
// The random sequence restarts from opts.Seed.
func (p *Proxy) SetOptions(opts Options) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts = opts
	p.rng = rand.New(rand.NewSource(opts.Seed))
}

// Start serves the proxy on a free loopback port and returns its base URL.
func (p *Proxy) Start() (string, error) {
	if p.targetErr != nil {
		return "", p.targetErr
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fault proxy listen: %w", err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.mu.Lock()
	if p.srv != nil {
		p.mu.Unlock()
		l.Close()
		return "", errors.New("fault proxy already started")
	}
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), nil
}

// Close stops a server that Start started, cutting the connections it holds, and releases the
// connections to the target.
func (p *Proxy) Close() {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
	p.transport.CloseIdleConnections()
}

// Log returns a copy of every entry logged so far, in the order the answers were decided.
func (p *Proxy) Log() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Entry(nil), p.log...)
}

// ResetLog forgets every logged entry.
func (p *Proxy) ResetLog() {
	p.mu.Lock()
	p.log = nil
	p.mu.Unlock()
}

// ServeHTTP waits out the latency, then injects the fault drawn for the request or passes it on.
// The entry is logged before the client can see the answer, so a client that has its answer
// always finds its request in the log.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := wire.Describe(r) // restores the body for forwarding
	opts, fault, id := p.decide(req)
	entry := Entry{Service: req.Service, Operation: req.Operation, Repository: req.Repository, Fault: fault}

	if opts.Latency > 0 {
		t := time.NewTimer(opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			p.record(entry) // the client gave up; nobody reads an answer
			return
		}
	}
	if p.targetErr != nil {
		entry.Status = http.StatusBadGateway
		p.record(entry)
		http.Error(w, "fault proxy: "+p.targetErr.Error(), entry.Status)
		return
	}
	switch fault {
	case Throttle:
		entry.Status = http.StatusBadRequest
		p.record(entry)
		writeError(w, r, entry.Status, "ThrottlingException", "Rate exceeded", id)
	case InternalError:
		entry.Status = http.StatusInternalServerError
		p.record(entry)
		writeError(w, r, entry.Status, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", id)
	case Drop:
		p.record(entry)
		drop(w)
	default:
		sw := &statusWriter{ResponseWriter: w, header: func(status int) {
			entry.Status = status
			p.record(entry)
		}}
		p.forward.ServeHTTP(sw, r)
		if sw.status == 0 { // nothing was answered at all
			p.record(entry)
		}
	}
}

// decide takes the options in force and draws the request's fault.
func (p *Proxy) decide(req wire.Request) (Options, Fault, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	o := p.opts
	if o.Match != nil && !o.Match(req) {
		return o, "", p.nextID
	}
	if o.Always != "" {
		return o, o.Always, p.nextID
	}
	throttle, fail, drop := p.rng.Float64(), p.rng.Float64(), p.rng.Float64()
	switch {
	case drop < o.DropRate:
		return o, Drop, p.nextID
	case throttle < o.ThrottleRate:
		return o, Throttle, p.nextID
	case fail < o.ErrorRate:
		return o, InternalError, p.nextID
	}
	return o, "", p.nextID
}

func (p *Proxy) record(e Entry) {
	p.mu.Lock()
	p.log = append(p.log, e)
	p.mu.Unlock()
}

// statusWriter calls header with the status the service answered, before passing it on.
type statusWriter struct {
	http.ResponseWriter
	header func(status int)
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
		s.header(code)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer (the reverse proxy flushes).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

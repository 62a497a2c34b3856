// Package stsgate stands in front of moto_server's STS and refuses AssumeRole into chosen
// accounts, as STS does when a member account has no such role or its trust policy does not
// name the caller. moto's AssumeRole never fails (it does not check that the role exists, nor
// its trust policy), so a test of an unreachable member account needs this.
//
// Every other request passes through to moto unchanged, so an assumed role still acts in its
// account there.
package stsgate

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Gate is an http.Handler; Start serves it on a loopback port.
type Gate struct {
	forward *httputil.ReverseProxy

	mu     sync.Mutex
	denied map[string]bool
	calls  map[string]int // AssumeRole calls by the role's account
	srv    *httptest.Server
}

// New returns a gate in front of moto at target.
func New(target string) (*Gate, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("sts gate target %q: want an absolute URL", target)
	}
	return &Gate{forward: httputil.NewSingleHostReverseProxy(u), denied: map[string]bool{}, calls: map[string]int{}}, nil
}

// Deny makes AssumeRole into account fail with AccessDenied from now on.
func (g *Gate) Deny(account string) {
	g.mu.Lock()
	g.denied[account] = true
	g.mu.Unlock()
}

// Reset allows every account again and forgets the counts.
func (g *Gate) Reset() {
	g.mu.Lock()
	clear(g.denied)
	clear(g.calls)
	g.mu.Unlock()
}

// AssumeRoleCalls returns how many AssumeRole calls named a role in each account.
func (g *Gate) AssumeRoleCalls() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]int, len(g.calls))
	for k, v := range g.calls {
		out[k] = v
	}
	return out
}

// Start serves the gate on a free loopback port and returns its base URL.
func (g *Gate) Start() (string, error) {
	srv := httptest.NewServer(g)
	g.mu.Lock()
	g.srv = srv
	g.mu.Unlock()
	return srv.URL, nil
}

// Close stops a gate Start started.
func (g *Gate) Close() {
	g.mu.Lock()
	srv := g.srv
	g.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") == "AssumeRole" {
		role := form.Get("RoleArn")
		account := accountOf(role)
		g.mu.Lock()
		g.calls[account]++
		denied := g.denied[account]
		g.mu.Unlock()
		if denied {
			writeAccessDenied(w, role)
			return
		}
	}
	g.forward.ServeHTTP(w, r)
}

// accountOf reads the account of a role ARN (arn:aws:iam::<account>:role/<name>).
func accountOf(role string) string {
	parts := strings.SplitN(role, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// writeAccessDenied answers as STS does (query protocol: an XML ErrorResponse, HTTP 403).
func writeAccessDenied(w http.ResponseWriter, role string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
		`<Message>User: arn:aws:sts::123456789012:assumed-role/central/function is not authorized to perform: sts:AssumeRole on resource: %s</Message>`+
		`</Error><RequestId>sts-gate</RequestId></ErrorResponse>`, html.EscapeString(role))
}

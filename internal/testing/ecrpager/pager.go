// Package ecrpager makes moto_server page ECR's DescribeRepositories as ECR does. moto answers
// every repository in one response whatever maxResults says; ECR answers at most maxResults
// (1 to 1,000, 100 when unset) and a nextToken. A client listing 100,000 repositories through
// moto would otherwise get them all at once, and the memory and call counts measured would not
// be those it has against ECR.
//
// A Pager is an http.Handler in front of another one (a reverse proxy to moto): it answers a
// first DescribeRepositories call (no nextToken, no repositoryNames) by asking the next handler
// once for the whole list, keeps that list as the listing's snapshot, and serves it a page at a
// time; a listing's later pages come from its snapshot, as consistent as ECR's own paging
// promises to be, and cost moto nothing. Every other call passes through untouched. It counts
// the calls it receives, by operation, so the count is the client's, pages included.
package ecrpager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// ECR's page sizes for DescribeRepositories.
const (
	defaultPage = 100
	maxPage     = 1000
	// kept bounds the listings whose snapshots are held at once; the oldest goes first.
	kept = 4
)

// Pager serves DescribeRepositories in pages; see the package doc. It is safe for concurrent use.
type Pager struct {
	// Reuse, when set, answers a new listing from the last snapshot for as long as no
	// CreateRepository or DeleteRepository has passed through the pager. moto takes seconds to
	// list 100,000 repositories, ECR milliseconds a page: a benchmark would otherwise count
	// moto's time against the function's budget. It is only right when every change to the
	// set of repositories goes through the pager (or happens before the first listing).
	Reuse bool

	next http.Handler

	mu       sync.Mutex
	listings map[int][]json.RawMessage
	last     []json.RawMessage // the last snapshot, for Reuse; nil once a change passed
	changes  int               // CreateRepository and DeleteRepository calls seen
	order    []int
	nextID   int
	calls    map[string]int
	srv      *httptest.Server
}

// New returns a Pager in front of next.
func New(next http.Handler) *Pager {
	return &Pager{next: next, listings: map[int][]json.RawMessage{}, calls: map[string]int{}}
}

// Start serves the pager on a free loopback port and returns its base URL.
func (p *Pager) Start() (string, error) {
	srv := httptest.NewServer(p)
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	return srv.URL, nil
}

// Close stops a server that Start started.
func (p *Pager) Close() {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Calls returns how many calls of each operation the pager received, every page counted.
func (p *Pager) Calls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.calls))
	for op, n := range p.calls {
		out[op] = n
	}
	return out
}

// ResetCalls forgets the counts.
func (p *Pager) ResetCalls() {
	p.mu.Lock()
	p.calls = map[string]int{}
	p.mu.Unlock()
}

// describeInput is what DescribeRepositories' paging depends on.
type describeInput struct {
	RepositoryNames []string `json:"repositoryNames"`
	MaxResults      *int     `json:"maxResults"`
	NextToken       string   `json:"nextToken"`
}

func (p *Pager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := wire.Describe(r) // restores the body for the next handler
	p.mu.Lock()
	p.calls[req.Operation]++
	if req.Operation == "CreateRepository" || req.Operation == "DeleteRepository" {
		p.last, p.changes = nil, p.changes+1
	}
	p.mu.Unlock()
	if req.Service != "ecr" || req.Operation != "DescribeRepositories" {
		p.next.ServeHTTP(w, r)
		return
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(r.Body); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	r.Body.Close()
	var in describeInput
	if err := json.Unmarshal(body.Bytes(), &in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if len(in.RepositoryNames) > 0 {
		// ECR does not page a lookup by name (names and paging cannot be combined).
		r.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
		p.next.ServeHTTP(w, r)
		return
	}
	size := defaultPage
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxPage {
			writeError(w, http.StatusBadRequest, "InvalidParameterException",
				fmt.Sprintf("maxResults %d: must be between 1 and %d", *in.MaxResults, maxPage))
			return
		}
		size = *in.MaxResults
	}

	id, offset := 0, 0
	var repos []json.RawMessage
	if in.NextToken == "" {
		var err error
		r.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
		if id, repos, err = p.snapshot(r); err != nil {
			writeError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
	} else {
		var ok bool
		if id, offset, ok = parseToken(in.NextToken); ok {
			p.mu.Lock()
			repos, ok = p.listings[id]
			p.mu.Unlock()
		}
		if !ok || offset > len(repos) {
			writeError(w, http.StatusBadRequest, "InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'the token is invalid or has expired'")
			return
		}
	}
	end := min(offset+size, len(repos))
	out := struct {
		Repositories []json.RawMessage `json:"repositories"`
		NextToken    string            `json:"nextToken,omitempty"`
	}{Repositories: repos[offset:end]}
	if out.Repositories == nil {
		out.Repositories = []json.RawMessage{}
	}
	if end < len(repos) {
		out.NextToken = fmt.Sprintf("%d:%d", id, end)
	} else {
		p.forget(id)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// snapshot asks the next handler for every repository (or, with Reuse, takes the last list
// while it holds) and keeps the list as a new listing.
func (p *Pager) snapshot(r *http.Request) (int, []json.RawMessage, error) {
	p.mu.Lock()
	last, changes := p.last, p.changes
	p.mu.Unlock()
	if p.Reuse && last != nil {
		return p.keep(last), last, nil
	}
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		return 0, nil, fmt.Errorf("DescribeRepositories upstream: HTTP %d: %.200s", rec.Code, rec.Body.String())
	}
	var all struct {
		Repositories []json.RawMessage `json:"repositories"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &all); err != nil {
		return 0, nil, fmt.Errorf("DescribeRepositories upstream: %w", err)
	}
	p.mu.Lock()
	if p.changes == changes { // no change passed while moto listed
		p.last = all.Repositories
	}
	p.mu.Unlock()
	return p.keep(all.Repositories), all.Repositories, nil
}

// keep keeps repos as a new listing and returns its id.
func (p *Pager) keep(repos []json.RawMessage) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	id := p.nextID
	p.listings[id] = repos
	p.order = append(p.order, id)
	for len(p.order) > kept {
		delete(p.listings, p.order[0])
		p.order = p.order[1:]
	}
	return id
}

// forget drops a listing whose last page was served.
func (p *Pager) forget(id int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.listings, id)
	for i, o := range p.order {
		if o == id {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

func parseToken(token string) (id, offset int, ok bool) {
	a, b, found := strings.Cut(token, ":")
	if !found {
		return 0, 0, false
	}
	id, err1 := strconv.Atoi(a)
	offset, err2 := strconv.Atoi(b)
	return id, offset, err1 == nil && err2 == nil && offset >= 0
}

// writeError answers as ECR's JSON protocol does; the SDK reads the code from __type.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

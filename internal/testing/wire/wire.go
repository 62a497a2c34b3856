// Package wire reads AWS JSON-protocol requests as they go over the wire (service, operation,
// the repository they name) and records them: what the tests assert the product sent, and
// what the fault proxy decides on. The in-memory fakes report the calls they answer in the same
// form (see Recorder.Add), so one record holds a test's calls whichever stand-in answered them.
package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Request is one API call as it went over the wire.
type Request struct {
	// Service is the AWS service's target prefix, shortened (ecr, ssm, events, sagemaker, sqs),
	// or its IAM prefix (datazone, tag for the Resource Groups Tagging API).
	Service string
	// Operation is the API operation, e.g. CreateRepository.
	Operation string
	// Repository is the ECR repository the call names (repositoryName, or the repository part
	// of resourceArn), when it names one.
	Repository string
	// Force is the request's force flag (DeleteRepository, BatchDeleteImage's cousins).
	Force bool
	// Images are the images an ECR request names (its imageIds, or PutImage's imageDigest and
	// imageTag) as EncodeImages renders them, so that a Request stays comparable; ImageIDs
	// reads them back. Empty when the request names none.
	Images string
}

// ImageID is one image a request names: by digest, by tag, or both.
type ImageID struct {
	Digest string `json:"imageDigest,omitempty"`
	Tag    string `json:"imageTag,omitempty"`
}

// EncodeImages renders ids as Request.Images holds them: "" for none.
func EncodeImages(ids ...ImageID) string {
	if len(ids) == 0 {
		return ""
	}
	b, err := json.Marshal(ids)
	if err != nil {
		panic(err) // two strings always marshal
	}
	return string(b)
}

// ImageIDs returns the images the request names, in its order. A Request whose Images cannot be
// read returns one ImageID with neither digest nor tag, which names no image.
func (r Request) ImageIDs() []ImageID {
	if r.Images == "" {
		return nil
	}
	var ids []ImageID
	if json.Unmarshal([]byte(r.Images), &ids) != nil {
		return []ImageID{{}}
	}
	return ids
}

// Write reports whether the operation changes state. AWS names every read Describe, Get or
// List; STS's AssumeRole changes nothing either.
func (r Request) Write() bool {
	for _, p := range []string{"Describe", "Get", "List", "BatchGet", "Receive", "AssumeRole"} {
		if strings.HasPrefix(r.Operation, p) {
			return false
		}
	}
	return true
}

// Recorder is an http.RoundTripper that records every request before passing it on.
type Recorder struct {
	Next http.RoundTripper
	// Check, when set, sees every request before it is sent; the test world uses it to assert
	// the product's safety invariants on every call of every test.
	Check func(Request)

	mu   sync.Mutex
	reqs []Request
}

var services = map[string]string{
	"AmazonEC2ContainerRegistry_V20150921": "ecr",
	"AmazonSSM":                            "ssm",
	"AWSEvents":                            "events",
	"SageMaker":                            "sagemaker",
	"AmazonSQS":                            "sqs",
	"ResourceGroupsTaggingAPI_20170126":    "tag",
}

// restOperation names the call of a request that carries its operation in its path rather than
// in X-Amz-Target: DataZone's REST JSON (the few calls the product makes), and a Smithy RPC v2
// CBOR request (/service/<service>/operation/<operation>).
func restOperation(req *http.Request) (service, operation string) {
	path := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	switch {
	case len(path) == 4 && path[0] == "service" && path[2] == "operation":
		if s, ok := services[path[1]]; ok {
			return s, path[3]
		}
		return path[1], path[3]
	case req.Method == http.MethodGet && len(path) >= 4 && path[0] == "v2" && path[1] == "domains":
		switch {
		case len(path) == 4 && path[3] == "projects":
			return "datazone", "ListProjects"
		case len(path) == 5 && path[3] == "projects":
			return "datazone", "GetProject"
		case len(path) == 5 && path[3] == "domain-units":
			return "datazone", "GetDomainUnit"
		}
	}
	return "", ""
}

// RoundTrip records the request's service, operation and repository, then sends it.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.Add(Describe(req))
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(req)
}

// Add records a call that did not go over HTTP, one an in-memory fake answered, as RoundTrip
// records a request: Check sees it first.
func (r *Recorder) Add(req Request) {
	if r.Check != nil {
		r.Check(req)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
}

// Describe reads a JSON-protocol AWS request's service, operation and repository. It restores the
// body so the request can still be sent.
func Describe(req *http.Request) Request {
	var rec Request
	target := req.Header.Get("X-Amz-Target")
	if prefix, op, ok := strings.Cut(target, "."); ok {
		rec.Service, rec.Operation = services[prefix], op
		if rec.Service == "" {
			rec.Service = prefix
		}
	} else if service, op := restOperation(req); op != "" {
		rec.Service, rec.Operation = service, op
		return rec
	}
	if req.Body == nil || req.Body == http.NoBody {
		return rec
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return rec
	}
	if rec.Operation == "" {
		// A query-protocol service (STS): the operation is the form's Action, the service
		// the signature's scope (Credential=<key>/<date>/<region>/<service>/aws4_request).
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			rec.Operation = form.Get("Action")
			if scope := strings.Split(req.Header.Get("Authorization"), "/"); len(scope) >= 5 {
				rec.Service = scope[3]
			}
		}
		return rec
	}
	var fields struct {
		RepositoryName string    `json:"repositoryName"`
		ResourceArn    string    `json:"resourceArn"`
		Force          bool      `json:"force"`
		ImageIDs       []ImageID `json:"imageIds"`
		ImageDigest    string    `json:"imageDigest"`
		ImageTag       string    `json:"imageTag"`
	}
	if json.Unmarshal(body, &fields) == nil {
		rec.Repository, rec.Force = fields.RepositoryName, fields.Force
		if rec.Service == "ecr" {
			if rec.Repository == "" {
				if _, repo, ok := strings.Cut(fields.ResourceArn, ":repository/"); ok {
					rec.Repository = repo
				}
			}
			ids := fields.ImageIDs
			if fields.ImageDigest != "" || fields.ImageTag != "" {
				ids = append(ids, ImageID{Digest: fields.ImageDigest, Tag: fields.ImageTag})
			}
			rec.Images = EncodeImages(ids...)
		}
	}
	return rec
}

// Requests returns a copy of every request recorded so far.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Writes returns the recorded requests that change state.
func (r *Recorder) Writes() []Request {
	var w []Request
	for _, q := range r.Requests() {
		if q.Write() {
			w = append(w, q)
		}
	}
	return w
}

// Count returns how many recorded requests had the operation.
func (r *Recorder) Count(operation string) int {
	n := 0
	for _, q := range r.Requests() {
		if q.Operation == operation {
			n++
		}
	}
	return n
}

// Clear forgets every recorded request.
func (r *Recorder) Clear() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

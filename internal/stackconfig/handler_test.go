package stackconfig_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/stackconfig"
)

// cloudFormation stands for the presigned response URL: it records every request.
type cloudFormation struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	// status, when set, is answered to the first len(status) requests.
	status []int
}

type received struct {
	Method, ContentType string
	Body                map[string]any
}

func newCloudFormation(t *testing.T) *cloudFormation {
	cf := &cloudFormation{}
	cf.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("response body is not JSON: %v: %s", err, body)
		}
		cf.mu.Lock()
		n := len(cf.requests)
		cf.requests = append(cf.requests, received{Method: r.Method, ContentType: r.Header.Get("Content-Type"), Body: m})
		cf.mu.Unlock()
		if n < len(cf.status) {
			w.WriteHeader(cf.status[n])
		}
	}))
	t.Cleanup(cf.Close)
	return cf
}

// only returns the one response received; the test fails when there is not exactly one.
func (cf *cloudFormation) only(t *testing.T) received {
	t.Helper()
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if len(cf.requests) != 1 {
		t.Fatalf("responses: got %d; want 1: %+v", len(cf.requests), cf.requests)
	}
	return cf.requests[0]
}

// request is a custom resource request as CloudFormation sends it, for Configuration.
func request(typ, responseURL string, values, old map[string]any) []byte {
	ev := map[string]any{
		"RequestType":       typ,
		"RequestId":         "5f2a1c4e-request-" + strings.ToLower(typ),
		"ResponseURL":       responseURL,
		"ResourceType":      "Custom::Configuration",
		"LogicalResourceId": "Configuration",
		"StackId":           "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-ecr-provisioner/1a2b3c4d",
		"ResourceProperties": map[string]any{
			"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:sagemaker-ecr-provisioner-drift",
			"ConfigPath":   path, "Values": values,
		},
	}
	if typ != "Create" {
		ev["PhysicalResourceId"] = stackconfig.PhysicalID(path)
	}
	if old != nil {
		ev["OldResourceProperties"] = map[string]any{"ServiceToken": "x", "ConfigPath": path, "Values": old}
	}
	b, _ := json.Marshal(ev)
	return b
}

func handler(f *fakeSSM, log io.Writer) *stackconfig.Handler {
	if log == nil {
		log = io.Discard
	}
	return &stackconfig.Handler{SSM: f, ConfigPath: path, Logger: slog.New(slog.NewJSONHandler(log, nil))}
}

// wantResponse checks the fields CloudFormation reads, copied from the request where they must
// be.
func wantResponse(t *testing.T, got received, status, physicalID string) {
	t.Helper()
	if got.Method != http.MethodPut {
		t.Errorf("method: got %s; want PUT", got.Method)
	}
	if got.ContentType != "" {
		t.Errorf("Content-Type: got %q; want none (the presigned URL is signed without one)", got.ContentType)
	}
	for k, want := range map[string]string{
		"Status": status, "PhysicalResourceId": physicalID, "LogicalResourceId": "Configuration",
		"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-ecr-provisioner/1a2b3c4d",
	} {
		if got.Body[k] != want {
			t.Errorf("%s: got %v; want %q", k, got.Body[k], want)
		}
	}
	if id, _ := got.Body["RequestId"].(string); !strings.HasPrefix(id, "5f2a1c4e-request-") {
		t.Errorf("RequestId: got %v; want the request's", got.Body["RequestId"])
	}
}

func TestCreate(t *testing.T) {
	cf := newCloudFormation(t)
	f := newFake(map[string]string{"image-retention": "20"})
	out, err := handler(f, nil).Handle(context.Background(),
		request("Create", cf.URL, map[string]any{"company": "acme", "image-retention": "10", "scan-on-push": true}, nil))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := cf.only(t)
	wantResponse(t, got, "SUCCESS", stackconfig.PhysicalID(path))
	if diff := cmp.Diff(map[string]any{"Kept": "image-retention", "Written": "company scan-on-push"}, got.Body["Data"]); diff != "" {
		t.Errorf("Data (-want +got):\n%s", diff)
	}
	if v, _ := f.value("scan-on-push"); v != "true" {
		t.Errorf("scan-on-push: got %q; want \"true\" (a boolean property as it prints)", v)
	}
	if out.Status != "SUCCESS" || len(out.Written) != 2 {
		t.Errorf("outcome: %+v", out)
	}
}

// The hand value stays, the response says so in Data.Kept, and the log names the parameter,
// the value kept and the stack's value, as a warning. The update does not fail.
func TestUpdateKeepsAHandValue(t *testing.T) {
	cf := newCloudFormation(t)
	f := newFake(map[string]string{"company": "acme", "image-retention": "20", "drift-mode": "fix"})
	var log bytes.Buffer
	_, err := handler(f, &log).Handle(context.Background(), request("Update", cf.URL,
		map[string]any{"company": "acme", "image-retention": "15", "drift-mode": "report"},
		map[string]any{"company": "acme", "image-retention": "10", "drift-mode": "fix"}))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := cf.only(t)
	wantResponse(t, got, "SUCCESS", stackconfig.PhysicalID(path))
	if diff := cmp.Diff(map[string]any{"Kept": "image-retention", "Written": "drift-mode"}, got.Body["Data"]); diff != "" {
		t.Errorf("Data (-want +got):\n%s", diff)
	}
	if v, _ := f.value("image-retention"); v != "20" {
		t.Errorf("image-retention: got %q; want the hand value 20", v)
	}
	var warned bool
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var rec map[string]any
		_ = json.Unmarshal([]byte(line), &rec)
		if rec["level"] == "WARN" && rec["parameter"] == path+"/image-retention" && rec["kept"] == "20" && rec["stack"] == "15" {
			warned = true
		}
	}
	if !warned {
		t.Errorf("log: got\n%s\nwant a warning naming %s/image-retention, kept 20, stack 15", log.String(), path)
	}
}

func TestUpdateLeavesUnchangedValuesAlone(t *testing.T) {
	cf := newCloudFormation(t)
	f := newFake(map[string]string{"image-retention": "20"}) // changed by hand; the stack did not change it
	values := map[string]any{"company": "acme", "image-retention": "10"}
	if _, err := handler(f, nil).Handle(context.Background(), request("Update", cf.URL, values, values)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("Parameter Store calls: got %v; want none", f.calls)
	}
	if diff := cmp.Diff(map[string]any{"Kept": "none", "Written": "none"}, cf.only(t).Body["Data"]); diff != "" {
		t.Errorf("Data (-want +got):\n%s", diff)
	}
}

func TestDeleteWritesNothing(t *testing.T) {
	cf := newCloudFormation(t)
	f := newFake(map[string]string{"company": "acme"})
	if _, err := handler(f, nil).Handle(context.Background(), request("Delete", cf.URL, map[string]any{"company": "acme"}, nil)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("Parameter Store calls: got %v; want none", f.calls)
	}
	wantResponse(t, cf.only(t), "SUCCESS", stackconfig.PhysicalID(path))
	if v, ok := f.value("company"); !ok || v != "acme" {
		t.Errorf("company after Delete: %q, %v; want it kept", v, ok)
	}
}

// A Parameter Store failure is a FAILED response that says why; the handler returns an error.
func TestFailureIsAnswered(t *testing.T) {
	cf := newCloudFormation(t)
	f := newFake(nil)
	f.fail[path+"/company"] = errors.New("AccessDeniedException: not authorized to perform ssm:PutParameter")
	_, err := handler(f, nil).Handle(context.Background(), request("Create", cf.URL, map[string]any{"company": "acme"}, nil))
	if err == nil {
		t.Fatal("Handle: got no error; want one")
	}
	got := cf.only(t)
	wantResponse(t, got, "FAILED", stackconfig.PhysicalID(path))
	if reason, _ := got.Body["Reason"].(string); !strings.Contains(reason, path+"/company") || !strings.Contains(reason, "AccessDenied") {
		t.Errorf("Reason: got %q; want the parameter and the cause", reason)
	}
}

func TestMalformedRequestsAreAnsweredFailed(t *testing.T) {
	good := func() map[string]any {
		var m map[string]any
		_ = json.Unmarshal(request("Create", "", map[string]any{"company": "acme"}, nil), &m)
		return m
	}
	tests := []struct {
		name   string
		edit   func(m map[string]any)
		reason string
	}{
		{"unknown RequestType", func(m map[string]any) { m["RequestType"] = "Replace" }, `RequestType "Replace"`},
		{"no StackId", func(m map[string]any) { delete(m, "StackId") }, "StackId"},
		{"no ConfigPath", func(m map[string]any) { delete(m["ResourceProperties"].(map[string]any), "ConfigPath") }, "ConfigPath"},
		{"another configuration path", func(m map[string]any) {
			m["ResourceProperties"].(map[string]any)["ConfigPath"] = "/other/ecr"
		}, "not this function's configuration path"},
		{"Values not a mapping", func(m map[string]any) { m["ResourceProperties"].(map[string]any)["Values"] = "company=acme" }, "Values"},
		{"a value that is a list", func(m map[string]any) {
			m["ResourceProperties"].(map[string]any)["Values"] = map[string]any{"company": []any{"acme"}}
		}, "Values.company"},
		{"a name that is no parameter name", func(m map[string]any) {
			m["ResourceProperties"].(map[string]any)["Values"] = map[string]any{"../company": "acme"}
		}, "parameter name"},
		{"ResourceProperties of the wrong type", func(m map[string]any) { m["ResourceProperties"] = "company=acme" }, "malformed request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cf := newCloudFormation(t)
			m := good()
			m["ResponseURL"] = cf.URL
			tc.edit(m)
			raw, _ := json.Marshal(m)
			f := newFake(nil)
			if _, err := handler(f, nil).Handle(context.Background(), raw); err == nil {
				t.Error("Handle: got no error; want one")
			}
			got := cf.only(t)
			if got.Body["Status"] != "FAILED" {
				t.Errorf("Status: got %v; want FAILED", got.Body["Status"])
			}
			if reason, _ := got.Body["Reason"].(string); !strings.Contains(reason, tc.reason) {
				t.Errorf("Reason: got %q; want it to mention %q", reason, tc.reason)
			}
			if len(f.writes()) != 0 {
				t.Errorf("writes: got %v; want none", f.writes())
			}
		})
	}
}

// Without a usable ResponseURL there is nobody to answer: an error, and no write.
func TestNoResponseURL(t *testing.T) {
	for _, u := range []string{"", "file:///etc/passwd", "not a url"} {
		f := newFake(nil)
		if _, err := handler(f, nil).Handle(context.Background(), request("Create", u, map[string]any{"company": "acme"}, nil)); err == nil {
			t.Errorf("ResponseURL %q: got no error; want one", u)
		}
		if len(f.calls) != 0 {
			t.Errorf("ResponseURL %q: Parameter Store calls %v; want none", u, f.calls)
		}
	}
}

// S3 answers 500 or 503 now and then: the response is sent again.
func TestResponseIsRetried(t *testing.T) {
	cf := newCloudFormation(t)
	cf.status = []int{http.StatusServiceUnavailable}
	if _, err := handler(newFake(nil), nil).Handle(context.Background(), request("Delete", cf.URL, map[string]any{}, nil)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if len(cf.requests) != 2 {
		t.Errorf("attempts: got %d; want 2", len(cf.requests))
	}
}

// A path change is another resource: seeded like a Create, with a new physical id; the old
// one's Delete deletes nothing.
func TestPathChangeIsAnotherResource(t *testing.T) {
	cf := newCloudFormation(t)
	f := newFake(map[string]string{"image-retention": "20"})
	var m map[string]any
	_ = json.Unmarshal(request("Update", cf.URL, map[string]any{"image-retention": "15"}, nil), &m)
	m["OldResourceProperties"] = map[string]any{"ConfigPath": "/old/ecr", "Values": map[string]any{"image-retention": "20"}}
	m["PhysicalResourceId"] = stackconfig.PhysicalID("/old/ecr")
	raw, _ := json.Marshal(m)
	if _, err := handler(f, nil).Handle(context.Background(), raw); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := cf.only(t)
	wantResponse(t, got, "SUCCESS", stackconfig.PhysicalID(path))
	if v, _ := f.value("image-retention"); v != "20" {
		t.Errorf("image-retention: got %q; want 20 kept (the new path's own value)", v)
	}
}

func TestResponseFitsCloudFormationsLimit(t *testing.T) {
	cf := newCloudFormation(t)
	values := map[string]any{}
	for i := range 300 {
		values["a-rather-long-parameter-name-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	if _, err := handler(newFake(nil), nil).Handle(context.Background(), request("Create", cf.URL, values, nil)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	body, _ := json.Marshal(cf.only(t).Body)
	if len(body) > 4096 {
		t.Errorf("response: %d bytes; want at most 4096", len(body))
	}
	if kept := cf.only(t).Body["Data"].(map[string]any)["Kept"]; kept != "none" {
		t.Errorf("Data.Kept: got %v; want none", kept)
	}
}

func TestIsRequest(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{string(request("Create", "https://example.com/r", map[string]any{}, nil)), true},
		{`{"RequestType":"Delete"}`, true},
		{`{"ResponseURL":"https://example.com/r"}`, true},
		{`{}`, false},
		{`{"mode":"fix"}`, false},
		{`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`, false},
		{`not json`, false},
	} {
		if got := stackconfig.IsRequest([]byte(tc.raw)); got != tc.want {
			t.Errorf("IsRequest(%s): got %v; want %v", tc.raw, got, tc.want)
		}
	}
}

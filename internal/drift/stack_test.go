//go:build integration

package drift_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/drift"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// stackResponses stands for CloudFormation's presigned response URL.
type stackResponses struct {
	*httptest.Server
	mu   sync.Mutex
	got  []map[string]any
	puts int
}

func newStackResponses(t *testing.T) *stackResponses {
	s := &stackResponses{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("response body: %v", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Method == http.MethodPut {
			s.puts++
		}
		s.got = append(s.got, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// last is the last response, and how many there were.
func (s *stackResponses) last(t *testing.T, n int) map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) != n || s.puts != n {
		t.Fatalf("responses: got %d (%d PUT); want %d", len(s.got), s.puts, n)
	}
	return s.got[n-1]
}

// stackRequest is the request CloudFormation sends the Configuration resource of template.yaml.
func stackRequest(typ, responseURL string, values, old map[string]string) json.RawMessage {
	props := func(v map[string]string) map[string]any {
		return map[string]any{
			"ServiceToken":   "arn:aws:lambda:us-east-1:" + account.ID + ":function:sagemaker-ecr-provisioner-drift",
			"ServiceTimeout": "600", "ConfigPath": account.ConfigPath, "Values": v,
		}
	}
	ev := map[string]any{
		"RequestType": typ, "RequestId": "req-" + strings.ToLower(typ), "ResponseURL": responseURL,
		"ResourceType": "Custom::Configuration", "LogicalResourceId": "Configuration",
		"StackId":            "arn:aws:cloudformation:us-east-1:" + account.ID + ":stack/sagemaker-ecr-provisioner/0a1b2c3d",
		"ResourceProperties": props(values),
	}
	if typ != "Create" {
		ev["PhysicalResourceId"] = "sagemaker-ecr-provisioner-configuration:" + account.ConfigPath
	}
	if old != nil {
		ev["OldResourceProperties"] = props(old)
	}
	b, _ := json.Marshal(ev)
	return b
}

func parameter(t *testing.T, w *world.World, name string) string {
	t.Helper()
	out, err := w.Setup.SSM.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(account.ConfigPath + "/" + name)})
	if err != nil {
		t.Fatalf("parameter %s: %v", name, err)
	}
	return aws.ToString(out.Parameter.Value)
}

// TestStackConfigurationKeepsAHandEdit drives DriftFunction's handler, against moto's Parameter
// Store through the real SDK, with the requests CloudFormation sends the Configuration
// resource: the stack is created (the configuration is seeded), someone sets image-retention
// from 10 to 20 in Parameter Store, and a stack update changes the stack's ImageRetention from
// 10 to 15 and DriftMode from fix to report. The hand value 20 stays, the response names it in
// Data.Kept, and the function logs a warning; drift-mode, still the stack's, becomes report.
func TestStackConfigurationKeepsAHandEdit(t *testing.T) {
	w := world.New(t, server)
	cf := newStackResponses(t)
	var log bytes.Buffer
	svc := &drift.Service{SSM: w.SSM, ECR: w.ECR, Accounts: w.Accounts, Publisher: publish.New(w.EventBridge, "default"),
		ConfigPath: account.ConfigPath, Concurrency: 2, Logger: slog.New(slog.NewJSONHandler(&log, nil)), Metrics: io.Discard}
	created := map[string]string{"company": "acme", "image-retention": "10", "drift-mode": "fix", "enabled": "true"}

	sum, err := svc.Handle(world.Deadline(t), stackRequest("Create", cf.URL, created, nil))
	if err != nil || sum.Trigger != drift.TriggerStack {
		t.Fatalf("Create: %+v, %v", sum, err)
	}
	resp := cf.last(t, 1)
	if resp["Status"] != "SUCCESS" || resp["RequestId"] != "req-create" || resp["LogicalResourceId"] != "Configuration" {
		t.Fatalf("Create response: %v", resp)
	}
	if got := resp["Data"].(map[string]any)["Kept"]; got != "none" {
		t.Errorf("Create Data.Kept: %v; want none", got)
	}
	for name, want := range created {
		if got := parameter(t, w, name); got != want {
			t.Errorf("after Create, %s: %q; want %q", name, got, want)
		}
	}

	w.PutConfig(t, map[string]string{"image-retention": "20"}) // by hand

	updated := map[string]string{"company": "acme", "image-retention": "15", "drift-mode": "report", "enabled": "true"}
	if sum, err := svc.Handle(world.Deadline(t), stackRequest("Update", cf.URL, updated, created)); err != nil {
		t.Fatalf("Update: %+v, %v", sum, err)
	}
	resp = cf.last(t, 2)
	if resp["Status"] != "SUCCESS" || resp["PhysicalResourceId"] != "sagemaker-ecr-provisioner-configuration:"+account.ConfigPath {
		t.Fatalf("Update response: %v; want SUCCESS, the same physical id", resp)
	}
	data, _ := resp["Data"].(map[string]any)
	if data["Kept"] != "image-retention" || data["Written"] != "drift-mode" {
		t.Errorf("Update Data: %v; want Kept image-retention, Written drift-mode", data)
	}
	if got := parameter(t, w, "image-retention"); got != "20" {
		t.Errorf("image-retention: %q; want the hand value 20 kept", got)
	}
	if got := parameter(t, w, "drift-mode"); got != "report" {
		t.Errorf("drift-mode: %q; want report (Parameter Store held the stack's previous value)", got)
	}
	if !strings.Contains(log.String(), `"level":"WARN"`) || !strings.Contains(log.String(), `"kept":"20"`) || !strings.Contains(log.String(), `"stack":"15"`) {
		t.Errorf("log: want a warning with the kept value 20 and the stack's 15; got\n%s", log.String())
	}

	// The stack is deleted: the configuration outlives it.
	if _, err := svc.Handle(world.Deadline(t), stackRequest("Delete", cf.URL, updated, nil)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if resp := cf.last(t, 3); resp["Status"] != "SUCCESS" {
		t.Errorf("Delete response: %v", resp)
	}
	if got := parameter(t, w, "company"); got != "acme" {
		t.Errorf("company after Delete: %q; want acme, kept", got)
	}
	for _, r := range w.Rec.Requests() {
		if r.Service != "ssm" || (r.Operation != "GetParameter" && r.Operation != "PutParameter") {
			t.Errorf("call %s:%s; want only ssm:GetParameter and ssm:PutParameter", r.Service, r.Operation)
		}
	}
}

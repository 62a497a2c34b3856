package eventsrec_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/eventsrec"
)

// The recorder stands where the publisher's EventBridge client stands.
var _ publish.API = (*eventsrec.Recorder)(nil)

func publisher(r *eventsrec.Recorder) *publish.Publisher {
	p := publish.New(r, "default")
	p.Backoff = 0
	p.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	return p
}

func events(n int, detailType string) []publish.Event {
	out := make([]publish.Event, n)
	for i := range out {
		out[i] = publish.Event{DetailType: detailType, Detail: map[string]any{"repository": fmt.Sprintf("acme-sm-t-p/%02d", i)}}
	}
	return out
}

func TestEveryEntryIsKeptInOrder(t *testing.T) {
	r := eventsrec.New()
	if err := publisher(r).Publish(context.Background(), events(23, publish.DriftFixed)...); err != nil {
		t.Fatal(err)
	}
	got := r.Events()
	if len(got) != 23 || r.Calls() != 3 {
		t.Fatalf("%d events in %d calls; want 23 in 3 (at most 10 a call)", len(got), r.Calls())
	}
	var d struct{ Repository string }
	if err := json.Unmarshal(got[22].Detail, &d); err != nil || d.Repository != "acme-sm-t-p/22" {
		t.Errorf("last detail %s (%v); want the 23rd event's", got[22].Detail, err)
	}
	if got[0].Source != publish.Source || got[0].DetailType != publish.DriftFixed || got[0].Bus != "default" || got[0].Time.IsZero() {
		t.Errorf("first event %+v; want the product's source, its detail type, the default bus and a time", got[0])
	}
}

// Rejected entries fail by position, the others of the call are kept; the publisher retries
// the rejected and, in the end, counts them undelivered.
func TestRejectFailsEntriesByPosition(t *testing.T) {
	r := eventsrec.New()
	r.Reject(publish.DriftDetected)
	batch := append(events(2, publish.DriftFixed), events(1, publish.DriftDetected)...)
	if lost := publisher(r).Announce(context.Background(), batch...); lost != 1 {
		t.Errorf("undelivered %d; want the one rejected entry", lost)
	}
	if got := len(r.Events()); got != 2 {
		t.Errorf("kept %d events; want the 2 not rejected", got)
	}
	out, err := r.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("s"), DetailType: aws.String(publish.DriftDetected), Detail: aws.String(`{}`)},
		{Source: aws.String("s"), DetailType: aws.String("other"), Detail: aws.String(`not json`)},
		{Source: aws.String("s"), DetailType: aws.String("other"), Detail: aws.String(`{}`)},
	}})
	if err != nil || out.FailedEntryCount != 2 || aws.ToString(out.Entries[0].ErrorCode) != "InternalFailure" ||
		aws.ToString(out.Entries[1].ErrorCode) != "MalformedDetail" || out.Entries[2].EventId == nil {
		t.Errorf("PutEvents: %+v, %v; want the rejected and the malformed entry failed by position, the third kept", out, err)
	}

	r.Reject()
	if lost := publisher(r).Announce(context.Background(), events(1, publish.DriftDetected)...); lost != 0 {
		t.Errorf("undelivered %d after Reject(); want none", lost)
	}
}

func TestFailFailsWholeCalls(t *testing.T) {
	r := eventsrec.New()
	down := errors.New("EventBridge is down")
	r.Fail(down)
	if err := publisher(r).Publish(context.Background(), events(3, publish.DriftFixed)...); !errors.Is(err, down) {
		t.Errorf("Publish: %v; want the failure", err)
	}
	if len(r.Events()) != 0 {
		t.Errorf("events kept from a failed call: %v", r.Events())
	}
	_, err := r.PutEvents(context.Background(), &eventbridge.PutEventsInput{})
	r.Fail(nil)
	if !errors.Is(err, down) {
		t.Errorf("an empty call while failing: %v; want the failure first", err)
	}
	_, err = r.PutEvents(context.Background(), &eventbridge.PutEventsInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
		t.Errorf("a call without entries: %v; want a ValidationException", err)
	}
}

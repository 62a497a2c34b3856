// Package eventsrec is an in-memory EventBridge for the one call the product makes, PutEvents
// (publish.API): it keeps every entry it accepts (bus, source, detail type, detail JSON, time),
// so a test reads back what the product published without a rule and a queue, and it fails on
// demand, a whole call (Fail) or chosen entries by position (Reject), as EventBridge does.
//
// It checks what EventBridge checks of a call: 1 to 10 entries and under 256 KB, and of each
// entry a source, a detail type and a detail that is a JSON object. What EventBridge's wire
// protocol does is tested against moto.
package eventsrec

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// PutEvents limits.
const (
	maxEntries   = 10
	maxCallBytes = 256 * 1024
)

// Event is one entry the recorder accepted.
type Event struct {
	// Bus is the entry's EventBusName, "default" when it named none.
	Bus string
	// Source, DetailType, Detail and Resources are the entry's, as sent.
	Source     string
	DetailType string
	Detail     json.RawMessage
	Resources  []string
	// Time is the entry's time, or when it was accepted.
	Time time.Time
}

// Recorder is the fake EventBridge. The zero value is ready to use, and it is safe for
// concurrent use.
type Recorder struct {
	mu      sync.Mutex
	events  []Event
	calls   int
	fail    error
	reject  map[string]bool
	observe func(wire.Request)
}

// New returns an empty recorder.
func New() *Recorder { return &Recorder{} }

// Observe has fn see every call from now on, before it is answered, as a wire.Recorder sees a
// request (service events, operation PutEvents). fn must not call the recorder.
func (r *Recorder) Observe(fn func(wire.Request)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.observe = fn
}

// Fail makes every PutEvents call from now on fail as a whole with err, nothing kept; nil lets
// them through again.
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// Reject makes every entry of one of the detail types fail from now on, by its position in the
// response (ErrorCode InternalFailure), while the other entries of the call are kept, as
// EventBridge's partial failures go. Reject() accepts every entry again.
func (r *Recorder) Reject(detailTypes ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reject = map[string]bool{}
	for _, t := range detailTypes {
		r.reject[t] = true
	}
}

// Events returns a copy of every entry accepted so far, in the order accepted.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Calls returns how many PutEvents calls were made, failed ones included.
func (r *Recorder) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// PutEvents keeps the entries, or fails the call or some entries as told (see Fail, Reject).
func (r *Recorder) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.observe != nil {
		r.observe(wire.Request{Service: "events", Operation: "PutEvents"})
	}
	if r.fail != nil {
		return nil, r.fail
	}
	if n := len(in.Entries); n < 1 || n > maxEntries {
		return nil, validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and %d (got %d)", maxEntries, n)
	}
	size := 0
	for _, e := range in.Entries {
		size += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail)) + 14
	}
	if size > maxCallBytes {
		return nil, validation("Total size of the entries in the request is over the limit: %d bytes", size)
	}
	out := &eventbridge.PutEventsOutput{}
	now := time.Now().UTC()
	for _, e := range in.Entries {
		code, message := check(e)
		if code == "" && r.reject[aws.ToString(e.DetailType)] {
			code, message = "InternalFailure", "Rejected by the test"
		}
		if code != "" {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String(message)})
			continue
		}
		ev := Event{Bus: aws.ToString(e.EventBusName), Source: aws.ToString(e.Source), DetailType: aws.ToString(e.DetailType),
			Detail: json.RawMessage(aws.ToString(e.Detail)), Resources: slices.Clone(e.Resources), Time: now}
		if ev.Bus == "" {
			ev.Bus = "default"
		}
		if e.Time != nil {
			ev.Time = *e.Time
		}
		r.events = append(r.events, ev)
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("eventsrec-%08d", len(r.events)))})
	}
	return out, nil
}

// check answers, as EventBridge does by position, an entry that lacks a field or whose detail
// is not a JSON object; "" for a good entry.
func check(e ebtypes.PutEventsRequestEntry) (code, message string) {
	var detail map[string]any
	switch {
	case aws.ToString(e.Source) == "" || aws.ToString(e.DetailType) == "" || e.Detail == nil:
		return "InvalidArgument", "Parameters Source, DetailType and Detail are required"
	case json.Unmarshal([]byte(aws.ToString(e.Detail)), &detail) != nil || detail == nil:
		return "MalformedDetail", "Detail is malformed."
	}
	return "", ""
}

func validation(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "ValidationException", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

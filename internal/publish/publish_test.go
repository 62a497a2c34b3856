package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// fakeBus records PutEvents calls and fails the entries fail chooses.
type fakeBus struct {
	mu    sync.Mutex
	calls [][]string // detail of every entry, per call
	fail  func(call int, detail string) bool
	err   error
}

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	call := len(f.calls)
	var details []string
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		d := aws.ToString(e.Detail)
		details = append(details, d)
		if f.fail != nil && f.fail(call, d) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again")})
		} else {
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String("id")})
		}
	}
	f.calls = append(f.calls, details)
	return out, nil
}

func events(n int, size int) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{DetailType: DriftFixed, Detail: map[string]any{"n": i, "pad": strings.Repeat("x", size)}}
	}
	return out
}

func TestPublishBatchesAtMostTenEntries(t *testing.T) {
	bus := &fakeBus{}
	if err := New(bus, "default").Publish(context.Background(), events(23, 0)...); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, c := range bus.calls {
		sizes = append(sizes, len(c))
	}
	if got := len(sizes); got != 3 || sizes[0] != 10 || sizes[1] != 10 || sizes[2] != 3 {
		t.Errorf("batch sizes: got %v; want [10 10 3]", sizes)
	}
}

func TestPublishSplitsBySize(t *testing.T) {
	bus := &fakeBus{}
	// Five 100 KB events cannot share a 256 KB call two by two... they go two, two, one.
	if err := New(bus, "default").Publish(context.Background(), events(5, 100*1024)...); err != nil {
		t.Fatal(err)
	}
	for i, c := range bus.calls {
		total := 0
		for _, d := range c {
			total += len(d)
		}
		if total >= maxCallBytes {
			t.Errorf("call %d carries %d bytes; want under %d", i, total, maxCallBytes)
		}
	}
	if got := len(bus.calls); got != 3 {
		t.Errorf("calls: got %d; want 3", got)
	}
}

func TestPublishRetriesFailedEntriesByPosition(t *testing.T) {
	// The first call fails the entries with an odd n; the retry must send exactly those.
	bus := &fakeBus{fail: func(call int, d string) bool {
		var v struct{ N int }
		_ = json.Unmarshal([]byte(d), &v)
		return call == 0 && v.N%2 == 1
	}}
	p := New(bus, "default")
	p.Backoff = 0
	if err := p.Publish(context.Background(), events(6, 0)...); err != nil {
		t.Fatal(err)
	}
	if len(bus.calls) != 2 {
		t.Fatalf("calls: got %d; want 2", len(bus.calls))
	}
	var retried []int
	for _, d := range bus.calls[1] {
		var v struct{ N int }
		_ = json.Unmarshal([]byte(d), &v)
		retried = append(retried, v.N)
	}
	if len(retried) != 3 || retried[0] != 1 || retried[1] != 3 || retried[2] != 5 {
		t.Errorf("retried: got %v; want [1 3 5]", retried)
	}
}

func TestPublishGivesUpAndSaysHowMany(t *testing.T) {
	bus := &fakeBus{fail: func(int, string) bool { return true }}
	p := New(bus, "default")
	p.Backoff, p.Attempts = 0, 3
	err := p.Publish(context.Background(), events(4, 0)...)
	if err == nil || !strings.Contains(err.Error(), "4 of 4 entries failed after 3 attempts") {
		t.Errorf("error: got %v; want one counting the lost entries", err)
	}
	if len(bus.calls) != 3 {
		t.Errorf("calls: got %d; want 3 attempts", len(bus.calls))
	}
}

func TestPublishReturnsCallErrors(t *testing.T) {
	bus := &fakeBus{err: errors.New("boom")}
	if err := New(bus, "default").Publish(context.Background(), events(1, 0)...); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("error: got %v; want the call's error", err)
	}
}

func TestBufferSendsTenAtATime(t *testing.T) {
	bus := &fakeBus{}
	b := NewBuffer(New(bus, "default"))
	var wg sync.WaitGroup
	for _, ev := range events(25, 0) {
		wg.Go(func() { b.Add(context.Background(), ev) })
	}
	wg.Wait()
	if got := len(bus.calls); got != 2 {
		t.Errorf("calls before Flush: got %d; want 2 full batches", got)
	}
	if lost := b.Flush(context.Background()); lost != 0 {
		t.Fatalf("undelivered: got %d; want 0", lost)
	}
	if got := len(bus.calls); got != 3 {
		t.Errorf("calls after Flush: got %d; want 3", got)
	}
}

func TestAnnounceLogsWhatItCouldNotDeliver(t *testing.T) {
	bus := &fakeBus{fail: func(_ int, d string) bool { return strings.Contains(d, `"n":2`) }}
	var log bytes.Buffer
	p := New(bus, "default")
	p.Backoff, p.Attempts = 0, 2
	p.Logger = slog.New(slog.NewJSONHandler(&log, nil))
	if lost := p.Announce(context.Background(), events(4, 0)...); lost != 1 {
		t.Errorf("undelivered: got %d; want 1", lost)
	}
	var rec struct {
		Msg, DetailType string
		Detail          struct{ N int }
	}
	if err := json.Unmarshal(log.Bytes(), &rec); err != nil {
		t.Fatalf("log %q: %v", log.String(), err)
	}
	if rec.DetailType != DriftFixed || rec.Detail.N != 2 {
		t.Errorf("logged: got %+v; want the undelivered event 2 in full", rec)
	}
}

func TestAnnounceKeepsEventsItCannotEncode(t *testing.T) {
	var log bytes.Buffer
	p := New(&fakeBus{}, "default")
	p.Logger = slog.New(slog.NewJSONHandler(&log, nil))
	lost := p.Announce(context.Background(), Event{DetailType: DriftFixed, Detail: map[string]any{"bad": make(chan int)}},
		Event{DetailType: DriftFixed, Detail: map[string]any{"n": 1}})
	if lost != 2 {
		t.Errorf("undelivered: got %d; want 2 (the call never went)", lost)
	}
	if got := strings.Count(log.String(), "result event not published"); got != 2 {
		t.Errorf("logged events: got %d; want 2:\n%s", got, log.String())
	}
}

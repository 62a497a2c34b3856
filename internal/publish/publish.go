// Package publish is the product's outgoing events: every detail type and the shape of its
// detail (the contract consumers read, with a JSON sample of each in testdata/events), the
// words the functions' summaries use, and the publisher that sends the events to EventBridge,
// batched and retried.
package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Source is the source of every event the product emits.
const Source = "sagemaker-ecr-provisioner"

// Detail types of the events the product emits.
const (
	RepositoriesProvisioned = "ECR Repositories Provisioned"
	ProvisioningFailed      = "ECR Provisioning Failed"
	RepositoriesRetained    = "ECR Project Repositories Retained"
	RepositoriesDeleted     = "ECR Project Repositories Deleted"
	DriftDetected           = "ECR Lifecycle Drift Detected"
	DriftFixed              = "ECR Lifecycle Drift Fixed"
	ReconcileCompleted      = "ECR Reconcile Completed"
	ConfigurationInvalid    = "ECR Configuration Invalid"
)

// DetailTypes lists every detail type the product emits, sorted.
func DetailTypes() []string {
	return slices.Sorted(slices.Values([]string{RepositoriesProvisioned, ProvisioningFailed, RepositoriesRetained,
		RepositoriesDeleted, DriftDetected, DriftFixed, ReconcileCompleted, ConfigurationInvalid}))
}

// PutEvents limits: at most 10 entries a call, and under 256 KB a call.
const (
	maxEntries   = 10
	maxCallBytes = 256 * 1024
)

// API is the one EventBridge call the publisher makes. *eventbridge.Client satisfies it.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Event is one result to publish.
type Event struct {
	DetailType string
	// Detail is marshalled to JSON.
	Detail any
}

// Publisher sends events to one bus.
type Publisher struct {
	api API
	bus string
	// Attempts is how often an entry is sent before it counts as failed.
	Attempts int
	// Backoff is the wait before the first retry; it doubles each time.
	Backoff time.Duration
	// Logger records the events Announce could not deliver; slog.Default when nil.
	Logger *slog.Logger
}

// New returns a Publisher for the bus (a name or ARN).
func New(api API, bus string) *Publisher {
	return &Publisher{api: api, bus: bus, Attempts: 4, Backoff: 100 * time.Millisecond}
}

// Publish sends the events in calls of at most 10 entries and 256 KB. Entries EventBridge
// rejects are retried by their position in the response, with backoff; an error says how many
// were lost in the end. A call that fails as a whole is retried by the SDK's retryer.
func (p *Publisher) Publish(ctx context.Context, events ...Event) error {
	_, err := p.publish(ctx, events)
	return err
}

// Announce publishes the events as Publish does, but an event EventBridge still refuses after
// every retry is written to the log in full instead, and counted; it never fails the run it
// describes. Failing the invocation would not help: Lambda's retry would find the work done and
// have nothing left to announce, so the log is where an undelivered result survives.
func (p *Publisher) Announce(ctx context.Context, events ...Event) (undelivered int) {
	lost, err := p.publish(ctx, events)
	if lost == nil && err != nil { // not even encoded: every event stays here
		for _, ev := range events {
			p.logger().ErrorContext(ctx, "result event not published; recorded here instead",
				"detailType", ev.DetailType, "detail", fmt.Sprintf("%+v", ev.Detail), "error", err.Error())
		}
		return len(events)
	}
	for _, e := range lost {
		p.logger().ErrorContext(ctx, "result event not published; recorded here instead",
			"detailType", aws.ToString(e.DetailType), "detail", json.RawMessage(aws.ToString(e.Detail)), "error", err.Error())
	}
	return len(lost)
}

func (p *Publisher) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// publish sends every batch and returns the entries that were not delivered.
func (p *Publisher) publish(ctx context.Context, events []Event) ([]ebtypes.PutEventsRequestEntry, error) {
	entries := make([]ebtypes.PutEventsRequestEntry, 0, len(events))
	for _, ev := range events {
		detail, err := json.Marshal(ev.Detail)
		if err != nil {
			return nil, fmt.Errorf("encode %s event: %w", ev.DetailType, err)
		}
		entries = append(entries, ebtypes.PutEventsRequestEntry{
			Source:       aws.String(Source),
			DetailType:   aws.String(ev.DetailType),
			Detail:       aws.String(string(detail)),
			EventBusName: aws.String(p.bus),
		})
	}
	var errs []error
	var lost []ebtypes.PutEventsRequestEntry
	for _, batch := range batches(entries) {
		if failed, err := p.send(ctx, batch); err != nil {
			errs, lost = append(errs, err), append(lost, failed...)
		}
	}
	return lost, errors.Join(errs...)
}

// send puts one batch, retrying the entries that failed, and returns those that never went.
func (p *Publisher) send(ctx context.Context, batch []ebtypes.PutEventsRequestEntry) ([]ebtypes.PutEventsRequestEntry, error) {
	wait := p.Backoff
	var lastCode, lastMessage string
	for attempt := 1; ; attempt++ {
		out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: batch})
		if err != nil {
			return batch, fmt.Errorf("put %d events: %w", len(batch), err)
		}
		if out.FailedEntryCount == 0 {
			return nil, nil
		}
		var retry []ebtypes.PutEventsRequestEntry
		for i, res := range out.Entries {
			if res.ErrorCode != nil && i < len(batch) {
				retry = append(retry, batch[i])
				lastCode, lastMessage = aws.ToString(res.ErrorCode), aws.ToString(res.ErrorMessage)
			}
		}
		if len(retry) == 0 {
			// FailedEntryCount without a failed entry: nothing to retry by position.
			return batch, fmt.Errorf("put events: %d entries failed, none identified", out.FailedEntryCount)
		}
		if attempt >= p.Attempts {
			return retry, fmt.Errorf("put events: %d of %d entries failed after %d attempts: %s: %s", len(retry), len(batch), attempt, lastCode, lastMessage)
		}
		batch = retry
		select {
		case <-ctx.Done():
			return batch, fmt.Errorf("put events: %d entries not sent: %w", len(batch), ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// entrySize is how EventBridge counts an entry against the 256 KB limit.
func entrySize(e ebtypes.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail)) + 14 // time
	return n
}

// batches splits entries into PutEvents calls of at most 10 entries and 256 KB.
func batches(entries []ebtypes.PutEventsRequestEntry) [][]ebtypes.PutEventsRequestEntry {
	var out [][]ebtypes.PutEventsRequestEntry
	var cur []ebtypes.PutEventsRequestEntry
	size := 0
	for _, e := range entries {
		n := entrySize(e)
		if len(cur) == maxEntries || (len(cur) > 0 && size+n > maxCallBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

package publish

import (
	"context"
	"errors"
	"sync"
)

// Buffer collects events from many goroutines and sends them ten at a time, so a run that
// finds thousands of results neither holds them all nor makes a call per result.
type Buffer struct {
	p *Publisher

	mu      sync.Mutex
	pending []Event
	errs    []error
	sent    int
}

// NewBuffer returns an empty buffer that publishes through p.
func NewBuffer(p *Publisher) *Buffer { return &Buffer{p: p} }

// Add queues the event and sends a full batch. A failure is kept for Flush to return.
func (b *Buffer) Add(ctx context.Context, ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, ev)
	if len(b.pending) >= maxEntries {
		b.sendLocked(ctx)
	}
}

// Flush sends what is queued and returns every failure since the buffer was made.
func (b *Buffer) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) > 0 {
		b.sendLocked(ctx)
	}
	return errors.Join(b.errs...)
}

// Sent is how many events were handed to EventBridge so far.
func (b *Buffer) Sent() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sent
}

func (b *Buffer) sendLocked(ctx context.Context) {
	if err := b.p.Publish(ctx, b.pending...); err != nil {
		b.errs = append(b.errs, err)
	} else {
		b.sent += len(b.pending)
	}
	b.pending = b.pending[:0]
}

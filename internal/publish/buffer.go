package publish

import (
	"context"
	"sync"
)

// Buffer collects events from many goroutines and sends them ten at a time, so a run that
// finds thousands of results neither holds them all nor makes a call per result.
type Buffer struct {
	p *Publisher

	mu          sync.Mutex
	pending     []Event
	undelivered int
}

// NewBuffer returns an empty buffer that publishes through p.
func NewBuffer(p *Publisher) *Buffer { return &Buffer{p: p} }

// Add queues the event and announces a full batch.
func (b *Buffer) Add(ctx context.Context, ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, ev)
	if len(b.pending) >= maxEntries {
		b.sendLocked(ctx)
	}
}

// Flush announces what is queued and returns how many events, since the buffer was made,
// could not be delivered (they are in the log instead; see Publisher.Announce).
func (b *Buffer) Flush(ctx context.Context) (undelivered int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) > 0 {
		b.sendLocked(ctx)
	}
	return b.undelivered
}

func (b *Buffer) sendLocked(ctx context.Context) {
	b.undelivered += b.p.Announce(ctx, b.pending...)
	b.pending = b.pending[:0]
}

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

// Add queues the event and announces a full batch. The batch is sent outside the lock, so
// other goroutines keep adding while EventBridge answers (or throttles).
func (b *Buffer) Add(ctx context.Context, ev Event) {
	b.mu.Lock()
	b.pending = append(b.pending, ev)
	var batch []Event
	if len(b.pending) >= maxEntries {
		batch, b.pending = b.pending, nil
	}
	b.mu.Unlock()
	b.send(ctx, batch)
}

// Flush announces what is queued and returns how many events, since the buffer was made,
// could not be delivered (they are in the log instead; see Publisher.Announce).
func (b *Buffer) Flush(ctx context.Context) (undelivered int) {
	b.mu.Lock()
	batch := b.pending
	b.pending = nil
	b.mu.Unlock()
	b.send(ctx, batch)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.undelivered
}

// Undelivered is how many events could not be delivered so far.
func (b *Buffer) Undelivered() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.undelivered
}

func (b *Buffer) send(ctx context.Context, batch []Event) {
	if len(batch) == 0 {
		return
	}
	n := b.p.Announce(ctx, batch...)
	b.mu.Lock()
	b.undelivered += n
	b.mu.Unlock()
}

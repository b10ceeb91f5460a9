package sync

import (
	"context"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/shophub/shophub/hub"
)

// Bulk collects bookkeeping writes and flushes them together every
// interval: one transaction instead of a disk flush per task. What it holds
// is never needed for correctness, only to save work — a write lost in a
// crash makes the relay re-send an event or a push repeat identical data,
// both harmless.
type Bulk[T any] struct {
	name     string
	flush    func(ctx context.Context, items []T) error
	log      *slog.Logger
	interval time.Duration

	mu      gosync.Mutex
	pending []T
}

// Add queues items for the next flush.
func (b *Bulk[T]) Add(items ...T) {
	if len(items) == 0 {
		return
	}
	b.mu.Lock()
	b.pending = append(b.pending, items...)
	b.mu.Unlock()
}

// Run flushes until ctx ends, then once more.
func (b *Bulk[T]) Run(ctx context.Context) {
	tick := time.NewTicker(b.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Flush(context.WithoutCancel(ctx))
			return
		case <-tick.C:
			b.Flush(ctx)
		}
	}
}

// Flush writes what is pending, in chunks of 1,000.
func (b *Bulk[T]) Flush(ctx context.Context) {
	b.mu.Lock()
	items := b.pending
	b.pending = nil
	b.mu.Unlock()
	for len(items) > 0 {
		n := min(len(items), 1000)
		if err := b.flush(ctx, items[:n]); err != nil {
			b.log.Warn("bulk bookkeeping write failed; the work will be redone", "what", b.name, "items", n, "err", err)
		}
		items = items[n:]
	}
}

// Marker records dispatched outbox events in bulk; an event dispatched but
// not yet marked when a process dies is re-sent by the relay, and its push
// tasks collapse on their ids or find nothing new to push.
type Marker = Bulk[uint64]

// NewMarker builds a marker flushing every interval (default 100 ms).
func NewMarker(store *hub.Store, log *slog.Logger, interval time.Duration) *Marker {
	return newBulk("dispatched outbox events", log, interval, func(ctx context.Context, ids []uint64) error {
		return store.MarkDispatched(ctx, ids...)
	})
}

// Mark queues events as dispatched.
func (b *Bulk[T]) Mark(items ...T) { b.Add(items...) }

// Recorder records pushes to linked records in bulk; a push recorded late
// or not at all is at worst repeated with identical data.
type Recorder = Bulk[hub.PushRecord]

// NewRecorder builds a push recorder flushing every interval.
func NewRecorder(store *hub.Store, log *slog.Logger, interval time.Duration) *Recorder {
	return newBulk("pushed state", log, interval, store.PushedMany)
}

func newBulk[T any](name string, log *slog.Logger, interval time.Duration, flush func(context.Context, []T) error) *Bulk[T] {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	return &Bulk[T]{name: name, log: log, interval: interval, flush: flush}
}

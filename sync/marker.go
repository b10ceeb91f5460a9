package sync

import (
	"context"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/shophub/shophub/hub"
)

// Marker records dispatched outbox events in bulk: one UPDATE every flush
// interval instead of a disk flush per event. An event dispatched but not
// yet marked when a process dies is re-sent by the relay; its push tasks
// collapse on their ids or find nothing new to push, so that costs nothing
// but work.
type Marker struct {
	store    *hub.Store
	log      *slog.Logger
	interval time.Duration

	mu      gosync.Mutex
	pending []uint64
}

// NewMarker builds a marker flushing every interval.
func NewMarker(store *hub.Store, log *slog.Logger, interval time.Duration) *Marker {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	return &Marker{store: store, log: log, interval: interval}
}

// Mark queues events as dispatched.
func (m *Marker) Mark(ids ...uint64) {
	if len(ids) == 0 {
		return
	}
	m.mu.Lock()
	m.pending = append(m.pending, ids...)
	m.mu.Unlock()
}

// Run flushes until ctx ends, then once more.
func (m *Marker) Run(ctx context.Context) {
	tick := time.NewTicker(m.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			m.flush(context.WithoutCancel(ctx))
			return
		case <-tick.C:
			m.flush(ctx)
		}
	}
}

func (m *Marker) flush(ctx context.Context) {
	m.mu.Lock()
	ids := m.pending
	m.pending = nil
	m.mu.Unlock()
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		if err := m.store.MarkDispatched(ctx, ids[:n]...); err != nil {
			m.log.Warn("marking outbox events dispatched; the relay will re-send them", "events", n, "err", err)
		}
		ids = ids[n:]
	}
}

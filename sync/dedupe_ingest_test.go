package sync

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/sync/redistest"
)

// fetchCounter is an id-only vendor whose record is gone (so an ingest
// applies without touching the hub) or whose API fails.
type fetchCounter struct {
	fetches atomic.Int32
	fail    atomic.Bool
}

func (f *fetchCounter) Type() string                          { return "counter" }
func (f *fetchCounter) Capabilities() connectors.Capabilities { return connectors.Capabilities{} }
func (f *fetchCounter) Connect(context.Context) error         { return nil }
func (f *fetchCounter) Close() error                          { return nil }
func (f *fetchCounter) Fetch(context.Context, string, string) (*connectors.Record, error) {
	f.fetches.Add(1)
	if f.fail.Load() {
		return nil, errors.New("vendor down")
	}
	return nil, connectors.ErrNotFound
}

// counterHandlers are ingest handlers on a test Redis with one touchpoint,
// "v", whose vendor is a fetchCounter; events are remembered for a minute.
func counterHandlers(t *testing.T) (*Handlers, *fetchCounter, *redis.Client) {
	t.Helper()
	rdb, _ := redistest.Client(t)
	conn := &fetchCounter{}
	tp := &Touchpoint{Name: "v", Conn: conn}
	h := &Handlers{Queue: NewQueue(rdb), Points: &Touchpoints{byName: map[string]*Touchpoint{"v": tp}, names: []string{"v"}},
		Log: slog.New(slog.DiscardHandler), DedupeTTL: time.Minute}
	return h, conn, rdb
}

// eventIngestTask is the ingest task of v's customer 1 for the vendor's
// event.
func eventIngestTask(t *testing.T, event string) *asynq.Task {
	t.Helper()
	tk, err := NewIngestTask(IngestPayload{Instance: "v", Resource: connectors.ResourceCustomer, ExternalID: "1", EventID: event, SourceAt: time.Now()}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// An applied event's re-delivery is dropped before any work (here: the
// vendor fetch of an id-only event); a failed attempt is not remembered and
// stays retryable.
func TestIngestDropsReDeliveredEvents(t *testing.T) {
	h, conn, rdb := counterHandlers(t)
	ctx := context.Background()
	seenSoon := func(event string) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if n, _ := rdb.Exists(ctx, keyPrefix+"seen:v:"+event).Result(); n > 0 {
				return
			}
		}
		t.Fatalf("event %s never remembered", event)
	}

	if err := h.Ingest(ctx, eventIngestTask(t, "e1")); err != nil {
		t.Fatal(err)
	}
	seenSoon("e1")
	if err := h.Ingest(ctx, eventIngestTask(t, "e1")); err != nil || conn.fetches.Load() != 1 {
		t.Fatalf("re-delivery: err %v, %d fetches, want 1", err, conn.fetches.Load())
	}

	conn.fail.Store(true)
	if err := h.Ingest(ctx, eventIngestTask(t, "e2")); err == nil {
		t.Fatal("a failed fetch reports no error")
	}
	conn.fail.Store(false)
	if err := h.Ingest(ctx, eventIngestTask(t, "e2")); err != nil || conn.fetches.Load() != 3 {
		t.Fatalf("retry of a failed attempt: err %v, %d fetches, want 3", err, conn.fetches.Load())
	}
	seenSoon("e2")
}

// An attempt that claimed its event and never returned (a worker crash)
// leaves the claim behind: the task's next attempt, with the same payload,
// still merges, and a vendor's re-delivery after it is dropped.
func TestIngestClaimSurvivesCrash(t *testing.T) {
	h, conn, _ := counterHandlers(t)
	ctx := context.Background()
	crashed := eventIngestTask(t, "e1")
	var p IngestPayload
	if err := json.Unmarshal(crashed.Payload(), &p); err != nil || p.Delivery == "" {
		t.Fatalf("an ingest task of an event has no delivery: %v %+v", err, p)
	}
	// The crashed attempt got as far as its claim.
	if ok, err := h.Queue.ClaimEvent(ctx, "seen:v:e1", p.Delivery, time.Minute); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if err := h.Ingest(ctx, crashed); err != nil || conn.fetches.Load() != 1 {
		t.Fatalf("the crashed task's next attempt: err %v, %d fetches, want 1", err, conn.fetches.Load())
	}
	if err := h.Ingest(ctx, eventIngestTask(t, "e1")); err != nil || conn.fetches.Load() != 1 {
		t.Fatalf("re-delivery: err %v, %d fetches, want still 1", err, conn.fetches.Load())
	}
}

package sync

import (
	"context"
	"errors"
	"io"
	"log/slog"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
)

// flaky is a connector whose Connect fails while down is set.
type flaky struct {
	down     atomic.Bool
	attempts atomic.Int32
	delay    time.Duration
}

func (f *flaky) Type() string                          { return "flaky" }
func (f *flaky) Capabilities() connectors.Capabilities { return connectors.Capabilities{} }
func (f *flaky) Close() error                          { return nil }
func (f *flaky) Connect(ctx context.Context) error {
	f.attempts.Add(1)
	time.Sleep(f.delay)
	if f.down.Load() {
		return errors.New("dial tcp 127.0.0.1:9: connection refused")
	}
	return nil
}

func TestReadyWaitsForADownInstance(t *testing.T) {
	ctx := context.Background()
	conn := &flaky{delay: 20 * time.Millisecond}
	conn.down.Store(true)
	tp := &Touchpoint{Name: "shopware", Conn: conn, link: newLink(true, time.Second)}
	if h := tp.Health(); h.State != StatePending {
		t.Fatalf("before any attempt: %+v, want pending", h)
	}

	// Concurrent tasks share one attempt, and all wait for its end.
	var wg gosync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = tp.Ready(ctx) }()
	}
	wg.Wait()
	if n := conn.attempts.Load(); n != 1 {
		t.Errorf("8 concurrent tasks made %d connect attempts, want 1", n)
	}
	for _, err := range errs {
		d, ok := unavailableDelay(err)
		if !ok || IsFailure(err) {
			t.Fatalf("task of a down instance got %v (failure %v), want a wait that uses no retry", err, IsFailure(err))
		}
		if d < connectBackoffMin || d > connectBackoffMax {
			t.Errorf("retry in %s, want within the backoff", d)
		}
		if rd := RetryDelay(3, err, nil); rd < d || rd > d+250*time.Millisecond {
			t.Errorf("RetryDelay %s, want the next attempt %s (plus jitter)", rd, d)
		}
	}
	h := tp.Health()
	if h.State != StateDown || h.Failures != 1 || h.Error == "" || !h.NextTry.After(time.Now()) {
		t.Errorf("after a failed attempt: %+v", h)
	}
	// Within the backoff no task reaches the vendor.
	if err := tp.Ready(ctx); err == nil || conn.attempts.Load() != 1 {
		t.Errorf("Ready within the backoff: %v after %d attempts, want a wait and no new attempt", err, conn.attempts.Load())
	}

	// Backoff doubles with each failure and is capped.
	for f, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 7: time.Minute, 40: time.Minute} {
		if got := connectBackoff(f); got != want {
			t.Errorf("backoff after %d failures = %s, want %s", f, got, want)
		}
	}

	// The vendor returns; the next due attempt connects.
	conn.down.Store(false)
	tp.link.mu.Lock()
	tp.link.next = time.Now()
	tp.link.mu.Unlock()
	if err := tp.Ready(ctx); err != nil {
		t.Fatalf("Ready once the vendor is back: %v", err)
	}
	if h := tp.Health(); h.State != StateUp || h.Failures != 0 || h.Error != "" {
		t.Errorf("after connecting: %+v", h)
	}
	if err := tp.Ready(ctx); err != nil || conn.attempts.Load() != 2 {
		t.Errorf("a connected instance is not connected again: %v, %d attempts", err, conn.attempts.Load())
	}
}

func TestRunConnectRetriesInTheBackground(t *testing.T) {
	conn := &flaky{}
	conn.down.Store(true)
	tp := &Touchpoint{Name: "shopware", Conn: conn, link: newLink(true, time.Second)}
	points := &Touchpoints{byName: map[string]*Touchpoint{"shopware": tp}, names: []string{"shopware"}}
	changes := points.HealthChanges()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { points.RunConnect(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); close(done) }()
	defer func() { cancel(); <-done }()

	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no connect attempt at start")
	}
	if h := points.Health()[0]; h.State != StateDown {
		t.Fatalf("after the first attempt: %+v, want down", h)
	}
	conn.down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for points.Health()[0].State != StateUp {
		if time.Now().After(deadline) {
			t.Fatalf("not reconnected after the backoff: %+v", points.Health()[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := conn.attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2 (one failed, one after a 1 s backoff)", n)
	}
}

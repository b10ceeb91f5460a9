package sync

import (
	"context"
	"errors"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"
)

// The pushes of one customer version share one read of the hub's
// knowledge; another version, a forced push and a failed read do not.
func TestKnownCacheSharesAVersionsRead(t *testing.T) {
	var c knownCache
	ctx := context.Background()
	var loads atomic.Int64
	gate := make(chan struct{})
	load := func(n int64) func() (knownFacts, error) {
		return func() (knownFacts, error) {
			loads.Add(1)
			<-gate
			return knownFacts{tickets: n}, nil
		}
	}
	// Five concurrent pushes of version 3: one read.
	var wg gosync.WaitGroup
	got := make([]int64, 5)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := c.get(ctx, 7, 3, false, load(1))
			if err != nil {
				t.Error(err)
			}
			got[i] = f.tickets
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("5 pushes of one version read %d times, want 1", n)
	}
	for i, v := range got {
		if v != 1 {
			t.Errorf("push %d got tickets %d, want 1", i, v)
		}
	}
	// Another version reads; a forced push reads and replaces the entry.
	if f, _ := c.get(ctx, 7, 4, false, load(2)); f.tickets != 2 || loads.Load() != 2 {
		t.Errorf("version 4: tickets %d after %d reads, want its own read", f.tickets, loads.Load())
	}
	if f, _ := c.get(ctx, 7, 3, true, load(5)); f.tickets != 5 || loads.Load() != 3 {
		t.Errorf("forced: tickets %d after %d reads, want a fresh read", f.tickets, loads.Load())
	}
	if f, _ := c.get(ctx, 7, 3, false, load(9)); f.tickets != 5 || loads.Load() != 3 {
		t.Errorf("after forced: tickets %d after %d reads, want the forced push's read", f.tickets, loads.Load())
	}
	// A failed read is not kept.
	boom := errors.New("boom")
	if _, err := c.get(ctx, 8, 1, false, func() (knownFacts, error) { return knownFacts{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if f, err := c.get(ctx, 8, 1, false, load(3)); err != nil || f.tickets != 3 {
		t.Errorf("after a failed read: %v %v, want a new read", f, err)
	}
}

// The cache stays within its bound.
func TestKnownCacheBounded(t *testing.T) {
	var c knownCache
	for i := range knownMax + 100 {
		if _, err := c.get(context.Background(), uint64(i), 1, false, func() (knownFacts, error) { return knownFacts{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.entries) > knownMax {
		t.Errorf("%d entries, bound %d", len(c.entries), knownMax)
	}
}

package sync

import (
	"context"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/shophub/shophub/sync/redistest"
)

// Remembered keys are seen by later checks, also when many tasks check
// and remember concurrently and their requests share round trips.
func TestDedupeCoalescesConcurrentRequests(t *testing.T) {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	ctx := context.Background()
	var wg gosync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			key := fmt.Sprint("seen:test:", i)
			if seen, err := q.Seen(ctx, key); err != nil || seen {
				t.Errorf("%s before it was remembered: seen=%v err=%v", key, seen, err)
				return
			}
			if i%2 == 0 {
				q.Remember(key, time.Minute, nil)
			}
		}(i)
	}
	wg.Wait()
	for i := 0; i < 200; i++ {
		key := fmt.Sprint("seen:test:", i)
		want := i%2 == 0
		// A remembered key is written before any check queued after it.
		seen, err := q.Seen(ctx, key)
		if err != nil || seen != want {
			t.Errorf("%s: seen=%v err=%v, want seen=%v", key, seen, err, want)
		}
	}
	if ttl := rdb.TTL(ctx, keyPrefix+"seen:test:0").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("remembered key has ttl %v, want at most a minute", ttl)
	}
	q.dedupe.mu.Lock()
	busy := q.dedupe.busy
	q.dedupe.mu.Unlock()
	for deadline := time.Now().Add(time.Second); busy && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		q.dedupe.mu.Lock()
		busy = q.dedupe.busy
		q.dedupe.mu.Unlock()
	}
	if busy {
		t.Error("the round-trip goroutine still runs with nothing queued")
	}
}

// A check fails with Redis gone, and a cancelled caller stops waiting.
func TestDedupeErrors(t *testing.T) {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Seen(ctx, "seen:x"); err == nil {
		t.Error("a cancelled check reports no error")
	}
	_ = rdb.Close()
	if _, err := q.Seen(context.Background(), "seen:y"); err == nil {
		t.Error("a check against a closed client reports no error")
	}
	q.Remember("seen:z", time.Minute, nil) // logged, not fatal
}

// ReleaseAll frees every lease it is given that is still ours, in one
// round trip, and leaves a lock another holder took since alone.
func TestReleaseAll(t *testing.T) {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	ctx := context.Background()
	a, ok, err := q.Lock(ctx, "test:a", time.Minute, 0)
	if err != nil || !ok {
		t.Fatalf("lock a: %v %v", ok, err)
	}
	b, ok, err := q.Lock(ctx, "test:b", 50*time.Millisecond, 0)
	if err != nil || !ok {
		t.Fatalf("lock b: %v %v", ok, err)
	}
	// b runs out and someone else takes it.
	var other *Lease
	for deadline := time.Now().Add(5 * time.Second); other == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if other, _, err = q.Lock(ctx, "test:b", time.Minute, 0); err != nil {
			t.Fatal(err)
		}
	}
	if other == nil {
		t.Fatal("lock b never ran out")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	q.ReleaseAll(cancelled, nil, a, b)
	if _, ok, _ := q.Lock(ctx, "test:a", time.Minute, 0); !ok {
		t.Error("a is still held after ReleaseAll")
	}
	if _, ok, _ := q.Lock(ctx, "test:b", time.Minute, 0); ok {
		t.Error("ReleaseAll freed b, which another holder took since")
	}
}

package sync

import (
	"context"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/shophub/shophub/sync/redistest"
)

// A claimed key is held by its delivery (and again by it), refused to any
// other, and free again once released, also when many tasks claim and
// release concurrently and their requests share round trips.
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
			if ok, err := q.ClaimEvent(ctx, key, "d1", time.Minute); err != nil || !ok {
				t.Errorf("%s: first claim: ok=%v err=%v", key, ok, err)
				return
			}
			if ok, err := q.ClaimEvent(ctx, key, "d1", time.Minute); err != nil || !ok {
				t.Errorf("%s: the same delivery again: ok=%v err=%v", key, ok, err)
			}
			if i%2 == 1 {
				q.ReleaseEvent(key, "d1", nil)
			}
		}(i)
	}
	wg.Wait()
	for i := 0; i < 200; i++ {
		key := fmt.Sprint("seen:test:", i)
		want := i%2 == 1 // released: free for another delivery
		// A release is written before any claim queued after it.
		ok, err := q.ClaimEvent(ctx, key, "d2", time.Minute)
		if err != nil || ok != want {
			t.Errorf("%s: another delivery: ok=%v err=%v, want ok=%v", key, ok, err, want)
		}
	}
	// A release by a delivery that does not hold the key changes nothing.
	q.ReleaseEvent("seen:test:0", "d2", nil)
	if ok, err := q.ClaimEvent(ctx, "seen:test:0", "d3", time.Minute); err != nil || ok {
		t.Errorf("a release by another delivery freed the key: ok=%v err=%v", ok, err)
	}
	// A mark of an older version (SET NX of 1) is held by nobody.
	rdb.Set(ctx, keyPrefix+"seen:test:old", 1, time.Minute)
	if ok, err := q.ClaimEvent(ctx, "seen:test:old", "d1", time.Minute); err != nil || ok {
		t.Errorf("an older version's mark: ok=%v err=%v", ok, err)
	}
	if ttl := rdb.TTL(ctx, keyPrefix+"seen:test:0").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("claimed key has ttl %v, want at most a minute", ttl)
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

// A claim fails with Redis gone, and a cancelled caller stops waiting.
func TestDedupeErrors(t *testing.T) {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.ClaimEvent(ctx, "seen:x", "d", time.Minute); err == nil {
		t.Error("a cancelled claim reports no error")
	}
	_ = rdb.Close()
	if _, err := q.ClaimEvent(context.Background(), "seen:y", "d", time.Minute); err == nil {
		t.Error("a claim against a closed client reports no error")
	}
	q.ReleaseEvent("seen:z", "d", nil) // logged, not fatal
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

// A claim reports from its own round trip whether the lock it watches is
// held: the ingest of a record a webhook carries takes the record's lock
// only then.
func TestClaimWatchesALock(t *testing.T) {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	ctx := context.Background()
	lease, ok, err := q.Lock(ctx, "record:shop:customer:1", time.Minute, 0)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	for i, want := range []bool{true, false} {
		ok, held, err := q.ClaimEventWatching(ctx, fmt.Sprint("seen:shop:w", i), "d", time.Minute, "record:shop:customer:1")
		if err != nil || !ok || held != want {
			t.Errorf("claim %d: ok %v held %v (%v), want held %v", i, ok, held, err, want)
		}
		lease.Release(ctx)
	}
	if ok, held, err := q.ClaimEventWatching(ctx, "seen:shop:nowatch", "d", time.Minute, ""); err != nil || !ok || held {
		t.Errorf("claim watching nothing: ok %v held %v (%v)", ok, held, err)
	}
}

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

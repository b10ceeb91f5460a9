package sync_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

// Two pacers on one Redis stand for two worker processes: together, with
// many callers each, they get one budget, and another key has its own.
func TestRedisPacerSharesBudget(t *testing.T) {
	rdb, opts := redistest.Client(t)
	other := redis.NewClient(opts) // a second process's own pool
	t.Cleanup(func() { _ = other.Close() })
	a := shsync.NewRedisPacer(rdb, "klaviyo:profile-import", 50, 5)
	b := shsync.NewRedisPacer(other, "klaviyo:profile-import", 50, 5)
	unrelated := shsync.NewRedisPacer(rdb, "klaviyo:events", 50, 5)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const window = time.Second
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 16 {
		p := a
		if i%2 == 1 {
			p = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < window {
				if err := p.Wait(ctx, 1); err != nil {
					t.Error(err)
					return
				}
				if time.Since(start) < window {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	// 5 burst + 50/s over one second, shared: about 55, far from the 110
	// two separate buckets would allow.
	if got := n.Load(); got < 40 || got > 62 {
		t.Errorf("%d requests passed in %s across two pacers, want ~55 (one shared budget)", got, window)
	}
	t0 := time.Now()
	for range 5 {
		if err := unrelated.Wait(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(t0); d > 200*time.Millisecond {
		t.Errorf("another key's burst waited %s: budgets leak between keys", d)
	}
}

// A caller whose context ends while it waits for its slot returns at once.
func TestRedisPacerHonoursContext(t *testing.T) {
	rdb, _ := redistest.Client(t)
	p := shsync.NewRedisPacer(rdb, "slow", 0.5, 1) // one request per 2 s
	if err := p.Wait(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if err := p.Wait(ctx, 1); err != context.DeadlineExceeded {
		t.Fatalf("Wait = %v, want the context's deadline", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Wait returned after %s, past its context", d)
	}
}

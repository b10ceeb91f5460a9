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

// Two limiters on one Redis stand for two worker processes: together they
// get one instance's budget, not one each.
func TestRedisLimiterSharesBudget(t *testing.T) {
	// 5 burst + 20/s over one second, shared: about 25, far from the 50
	// two separate buckets would allow.
	checkSharedBudget(t, func(rdb redis.UniversalClient, key string) waiter {
		return shsync.NewRedisLimiter(rdb, key, 20, 5)
	}, 4, 15, 30)
}

// waiter is what RedisLimiter and RedisPacer both are to a connector
// (connectors.Limiter).
type waiter interface {
	Wait(ctx context.Context, cost int) error
}

// checkSharedBudget runs callers goroutines for one second, alternating
// between two handles of newWaiter on one key, each on its own Redis
// client (two processes), and wants between lo and hi requests through in
// all: one budget, not one each. Then a burst of 5 on another key must
// pass at once.
func checkSharedBudget(t *testing.T, newWaiter func(rdb redis.UniversalClient, key string) waiter, callers int, lo, hi int64) {
	t.Helper()
	rdb, opts := redistest.Client(t)
	other := redis.NewClient(opts) // a second process's own pool
	t.Cleanup(func() { _ = other.Close() })
	a, b := newWaiter(rdb, "shared"), newWaiter(other, "shared")
	unrelated := newWaiter(rdb, "unrelated")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const window = time.Second
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range callers {
		w := a
		if i%2 == 1 {
			w = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < window {
				if err := w.Wait(ctx, 1); err != nil {
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
	if got := n.Load(); got < lo || got > hi {
		t.Errorf("%d requests passed in %s across two processes, want %d..%d (one shared budget)", got, window, lo, hi)
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

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
	rdb, opts := redistest.Client(t)
	other := redis.NewClient(opts) // a second process's own pool
	t.Cleanup(func() { _ = other.Close() })
	a := shsync.NewRedisLimiter(rdb, "shop", 20, 5)
	b := shsync.NewRedisLimiter(other, "shop", 20, 5)
	unrelated := shsync.NewRedisLimiter(rdb, "erp", 20, 5)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const window = time.Second
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, l := range []*shsync.RedisLimiter{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < window {
				if err := l.Wait(ctx, 1); err != nil {
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
	// 5 burst + 20/s over one second, shared: about 25, far from the 50
	// two separate buckets would allow.
	if got := n.Load(); got < 15 || got > 30 {
		t.Errorf("%d requests passed in %s across two limiters, want ~25 (one shared budget)", got, window)
	}
	// Another instance has a budget of its own.
	t0 := time.Now()
	for range 5 {
		if err := unrelated.Wait(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(t0); d > 200*time.Millisecond {
		t.Errorf("another instance's burst waited %s: budgets leak between instances", d)
	}
}

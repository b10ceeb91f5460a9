package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

// Two pacers on one Redis stand for two worker processes: together, with
// many callers each, they get one budget, and another key has its own.
func TestRedisPacerSharesBudget(t *testing.T) {
	// 5 burst + 50/s over one second, shared: about 55, far from the 110
	// two separate buckets would allow.
	checkSharedBudget(t, func(rdb redis.UniversalClient, key string) waiter {
		return shsync.NewRedisPacer(rdb, key, 50, 5)
	}, 16, 40, 62)
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

package sync

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// RedisLimiter paces one connector instance's requests across every worker
// process: a GCRA bucket in Redis (go-redis/redis_rate) keyed by instance.
// It satisfies connectors.Limiter.
type RedisLimiter struct {
	lim   *redis_rate.Limiter
	key   string
	limit redis_rate.Limit
	// OnWait, when set, is told how long each Wait blocked.
	OnWait func(time.Duration)
}

// NewRedisLimiter allows rps requests per second with bursts of burst
// (at least 1) for the named instance.
func NewRedisLimiter(rdb redis.UniversalClient, instance string, rps float64, burst int) *RedisLimiter {
	if burst < 1 {
		burst = max(1, int(math.Ceil(rps)))
	}
	// One request per 1/rps: redis_rate takes an integer rate per period,
	// and this keeps fractional rates (0.5 rps) exact.
	period := time.Duration(float64(time.Second) / rps)
	return &RedisLimiter{lim: redis_rate.NewLimiter(rdb), key: "shophub:rate:" + instance,
		limit: redis_rate.Limit{Rate: 1, Burst: burst, Period: period}}
}

// Wait blocks until cost requests are allowed or ctx ends. A cost above
// the burst is capped to it, or it could never be allowed.
func (l *RedisLimiter) Wait(ctx context.Context, cost int) error {
	cost = min(max(cost, 1), l.limit.Burst)
	start := time.Now()
	defer func() {
		if l.OnWait != nil {
			l.OnWait(time.Since(start))
		}
	}()
	for {
		res, err := l.lim.AllowN(ctx, l.key, l.limit, cost)
		if err != nil {
			return fmt.Errorf("shared rate limit: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		wait := res.RetryAfter
		if wait <= 0 {
			wait = time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

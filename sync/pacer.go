package sync

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisPacer paces requests across every worker process by reservation: a
// GCRA bucket in Redis where each caller, in one round trip, takes the
// next free slot and learns how long to wait for it. It satisfies
// connectors.Limiter.
//
// RedisLimiter (redis_rate) answers allowed or retry-after: callers that
// were refused wake together at the retry-after, one wins and the others
// ask again, so with many requests in flight every allowed request costs
// a Redis call per waiter, and slots pass unused while the waiters sleep
// and poll. At a vendor limit near a hundred requests a second with 48
// pushes in flight on a loaded machine that left 40 % of the limit unused.
// Reserving serves the callers in arrival order at exactly the rate with
// one call each. A caller whose context ends while it waits leaves its
// slot unused: the bucket errs on the side of the vendor.
type RedisPacer struct {
	rdb      redis.UniversalClient
	key      string
	interval time.Duration // one request's share of the rate
	burst    int
	// OnWait, when set, is told how long each Wait blocked.
	OnWait func(time.Duration)
}

// NewRedisPacer allows rps requests per second with bursts of burst (at
// least 1) for key; every process naming the same key shares the budget.
func NewRedisPacer(rdb redis.UniversalClient, key string, rps float64, burst int) *RedisPacer {
	return &RedisPacer{rdb: rdb, key: "shophub:pace:" + key, interval: time.Duration(float64(time.Second) / rps), burst: max(1, burst)}
}

// reserve: KEYS[1] holds the theoretical arrival time (TAT, µs on Redis's
// clock). A request of cost n moves it to max(TAT, now) + n·interval and
// may go once that is no more than burst·interval ahead of now; the answer
// is how many µs to wait for that. The key lives as long as it matters.
var reserve = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new = tat + tonumber(ARGV[3]) * interval
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', math.ceil((new - now) / 1000) + 1000)
local wait = new - tonumber(ARGV[2]) * interval - now
if wait < 0 then wait = 0 end
return wait
`)

// Wait reserves cost requests and blocks until their slot or until ctx
// ends. A cost above the burst is capped to it.
func (p *RedisPacer) Wait(ctx context.Context, cost int) error {
	cost = min(max(cost, 1), p.burst)
	start := time.Now()
	defer func() {
		if p.OnWait != nil {
			p.OnWait(time.Since(start))
		}
	}()
	us, err := reserve.Run(ctx, p.rdb, []string{p.key}, p.interval.Microseconds(), p.burst, cost).Int64()
	if err != nil {
		return fmt.Errorf("shared pacing: %w", err)
	}
	if us <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(min(us, math.MaxInt64/1000)) * time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

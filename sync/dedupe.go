package sync

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	gosync "sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The delivery dedupe asks Redis once per ingest task: ClaimEvent, before the
// work, sets the event's key to the delivery that brought it (SET NX GET),
// and answers whether that delivery holds it — newly, or from an earlier
// attempt of the same task (the delivery id travels in the task's payload,
// so retries, tasks recovered after a crash and dead letters run again
// carry it, and a vendor's re-delivery does not). A failed attempt gives
// its claim back (ReleaseEvent), so a failure is not remembered: the event stays
// retryable as before, and an attempt that never returns (a crash) is
// still recognised as its own by the task's next attempt.
//
// Both are coalesced: requests from concurrent tasks share one pipelined
// round trip, and a request arriving while a round trip is in flight joins
// the next one. Nothing waits to fill a batch, so a quiet worker pays one
// round trip per request, and a busy one pays one per batch.
type coalescer struct {
	mu       gosync.Mutex
	busy     bool // a goroutine is running round trips
	claims   []*claimReq
	releases []claimRelease
}

type claimReq struct {
	key, delivery string
	ttl           time.Duration
	watch         string // a lock to report on, "" for none
	ok, held      bool
	err           error
	done          chan struct{}
}

type claimRelease struct {
	key, delivery string
	log           *slog.Logger
}

// dedupeTimeout bounds one coalesced round trip; callers' contexts do not
// apply, since the trip serves many of them.
const dedupeTimeout = 10 * time.Second

// NewDelivery is a fresh delivery id for ClaimEvent: one per enqueued task.
func NewDelivery() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}

// ClaimEvent sets key to delivery for ttl unless it is set, and reports whether
// delivery holds it now: false means another delivery claimed (or an
// older version remembered) the key and has not given it back. Releases
// queued before the call are written first.
func (q *Queue) ClaimEvent(ctx context.Context, key, delivery string, ttl time.Duration) (bool, error) {
	ok, _, err := q.ClaimEventWatching(ctx, key, delivery, ttl, "")
	return ok, err
}

// ClaimEventWatching is ClaimEvent that also reports, from the same round
// trip, whether somebody holds the lock named lock ("" for none).
func (q *Queue) ClaimEventWatching(ctx context.Context, key, delivery string, ttl time.Duration, lock string) (ok, held bool, err error) {
	r := &claimReq{key: keyPrefix + key, delivery: delivery, ttl: ttl, watch: lock, done: make(chan struct{})}
	c := &q.dedupe
	c.mu.Lock()
	c.claims = append(c.claims, r)
	q.startDedupe()
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.ok, r.held, r.err
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
}

// ReleaseEvent gives a claim back if delivery still holds it, without waiting:
// it is written with the next coalesced round trip, before any ClaimEvent
// queued after it. A release lost (a crash, a failed write) leaves the
// claim to its own task's next attempt, which holds it still; failures
// are logged on log.
func (q *Queue) ReleaseEvent(key, delivery string, log *slog.Logger) {
	c := &q.dedupe
	c.mu.Lock()
	c.releases = append(c.releases, claimRelease{key: keyPrefix + key, delivery: delivery, log: log})
	q.startDedupe()
	c.mu.Unlock()
}

// startDedupe starts the round-trip goroutine unless it runs; c.mu held.
func (q *Queue) startDedupe() {
	if !q.dedupe.busy {
		q.dedupe.busy = true
		go q.dedupeLoop()
	}
}

// dedupeLoop runs round trips until nothing is queued.
func (q *Queue) dedupeLoop() {
	c := &q.dedupe
	for {
		c.mu.Lock()
		claims, releases := c.claims, c.releases
		c.claims, c.releases = nil, nil
		if len(claims) == 0 && len(releases) == 0 {
			c.busy = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		q.dedupeTrip(claims, releases)
	}
}

// dedupeTrip writes releases, then claims, in one pipeline.
func (q *Queue) dedupeTrip(claims []*claimReq, releases []claimRelease) {
	ctx, cancel := context.WithTimeout(context.Background(), dedupeTimeout)
	defer cancel()
	pipe := q.Redis.Pipeline()
	dels := make([]*redis.Cmd, len(releases))
	for i, r := range releases {
		// Rare (failed attempts only): EVAL, not EVALSHA, so a pipeline
		// never meets NOSCRIPT.
		dels[i] = unlockScript.Eval(ctx, pipe, []string{r.key}, r.delivery)
	}
	sets := make([]*redis.StatusCmd, len(claims))
	watched := make([]*redis.IntCmd, len(claims))
	for i, r := range claims {
		sets[i] = pipe.SetArgs(ctx, r.key, r.delivery, redis.SetArgs{Mode: "NX", TTL: r.ttl, Get: true})
		if r.watch != "" {
			watched[i] = pipe.Exists(ctx, lockKey(r.watch))
		}
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	failed := 0
	var firstErr error
	for _, d := range dels {
		if err := d.Err(); err != nil {
			if failed++; firstErr == nil {
				firstErr = err
			}
		}
	}
	if failed > 0 {
		log := releases[0].log
		if log == nil {
			log = slog.Default()
		}
		log.Warn("could not give back claims of failed attempts; their tasks' retries still hold them", "events", failed, "err", firstErr)
	}
	for i, r := range claims {
		// SET … NX GET answers nil when it set the key, else the value held.
		held, err := sets[i].Result()
		switch {
		case errors.Is(err, redis.Nil):
			r.ok = true
		case err != nil:
			r.err = err
		default:
			r.ok = held == r.delivery
		}
		if w := watched[i]; w != nil {
			// Unknown counts as held: the caller then takes the lock.
			r.held = w.Err() != nil || w.Val() > 0
		}
		close(r.done)
	}
}

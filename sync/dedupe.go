package sync

import (
	"context"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The delivery dedupe asks Redis twice per ingest task: was this event
// applied before (Seen), and, once it is applied, remember it (Remember).
// Both are coalesced: requests from concurrent tasks share one pipelined
// round trip, and a request arriving while a round trip is in flight joins
// the next one. Nothing waits to fill a batch, so a quiet worker pays one
// round trip per request as before, and a busy one pays one per batch.
type coalescer struct {
	mu     gosync.Mutex
	busy   bool // a goroutine is running round trips
	checks []*seenReq
	marks  []seenMark
}

type seenReq struct {
	key  string
	seen bool
	err  error
	done chan struct{}
}

type seenMark struct {
	key string
	ttl time.Duration
	log *slog.Logger
}

// dedupeTimeout bounds one coalesced round trip; callers' contexts do not
// apply, since the trip serves many of them.
const dedupeTimeout = 10 * time.Second

// Seen reports whether a key was claimed or remembered (and not yet
// expired). Marks queued by Remember before the call are written first.
func (q *Queue) Seen(ctx context.Context, key string) (bool, error) {
	r := &seenReq{key: keyPrefix + key, done: make(chan struct{})}
	c := &q.dedupe
	c.mu.Lock()
	c.checks = append(c.checks, r)
	q.startDedupe()
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.seen, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// Remember sets key for ttl unless it is set, without waiting: the mark
// is written with the next coalesced round trip, a few hundred
// microseconds later. Used for applied webhook events, where a mark lost
// in a crash or a failed write only lets a re-delivery through to a merge
// that changes nothing; failures are logged on log.
func (q *Queue) Remember(key string, ttl time.Duration, log *slog.Logger) {
	c := &q.dedupe
	c.mu.Lock()
	c.marks = append(c.marks, seenMark{key: keyPrefix + key, ttl: ttl, log: log})
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
		checks, marks := c.checks, c.marks
		c.checks, c.marks = nil, nil
		if len(checks) == 0 && len(marks) == 0 {
			c.busy = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		q.dedupeTrip(checks, marks)
	}
}

// dedupeTrip writes marks, then checks keys, in one pipeline.
func (q *Queue) dedupeTrip(checks []*seenReq, marks []seenMark) {
	ctx, cancel := context.WithTimeout(context.Background(), dedupeTimeout)
	defer cancel()
	pipe := q.Redis.Pipeline()
	sets := make([]*redis.BoolCmd, len(marks))
	for i, m := range marks {
		sets[i] = pipe.SetNX(ctx, m.key, 1, m.ttl)
	}
	exists := make([]*redis.IntCmd, len(checks))
	for i, r := range checks {
		exists[i] = pipe.Exists(ctx, r.key)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	failed := 0
	var firstErr error
	for _, s := range sets {
		if err := s.Err(); err != nil {
			if failed++; firstErr == nil {
				firstErr = err
			}
		}
	}
	if failed > 0 {
		log := marks[0].log
		if log == nil {
			log = slog.Default()
		}
		log.Warn("could not remember applied events; re-deliveries will be merged again (harmlessly)", "events", failed, "err", firstErr)
	}
	for i, r := range checks {
		n, err := exists[i].Result()
		r.seen, r.err = n > 0, err
		close(r.done)
	}
}

package sync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Queue enqueues tasks and holds the small Redis keys the pipeline shares
// across processes (delivery dedupe, poll slots, per-target push locks).
type Queue struct {
	Client *asynq.Client
	Redis  redis.UniversalClient

	dedupe  coalescer // ClaimEvent and ReleaseEvent traffic, see dedupe.go
	backlog backlog   // the ingest queue's pending length, see ingestgroup.go
	// received groups the webhook receiver's ingests (ingestgroup.go).
	received groups[received]
}

// NewQueue shares one Redis pool between asynq and our own keys.
func NewQueue(rdb redis.UniversalClient) *Queue {
	return &Queue{Client: asynq.NewClientFromRedisClient(rdb), Redis: rdb}
}

// Enqueue enqueues a task; a task whose id is already queued counts as
// enqueued, since that is what unique ids are for.
func (q *Queue) Enqueue(ctx context.Context, t *asynq.Task, opts ...asynq.Option) error {
	_, err := q.EnqueueNew(ctx, t, opts...)
	return err
}

// EnqueueNew is Enqueue that also reports whether a task with the same id
// was already queued.
func (q *Queue) EnqueueNew(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (duplicate bool, err error) {
	_, err = q.Client.EnqueueContext(ctx, t, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return false, nil
}

const keyPrefix = "shophub:"

// unlockScript deletes a lock only if we still own it; extendScript
// renews it only if we still own it.
var (
	unlockScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)
	extendScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`)
)

// lockKey is the Redis key of the lock named name.
func lockKey(name string) string { return keyPrefix + "lock:" + name }

// Lease is a held lock. A crashed holder's lease runs out after its ttl, so
// ttl stays short and long work renews it.
type Lease struct {
	q     *Queue
	key   string
	token string
	ttl   time.Duration
}

// Lock takes a named lock for ttl, waiting up to wait for it. ok=false means
// someone else holds it.
func (q *Queue) Lock(ctx context.Context, name string, ttl, wait time.Duration) (lease *Lease, ok bool, err error) {
	key := lockKey(name)
	token := strconv.FormatInt(time.Now().UnixNano(), 36) + ":" + strconv.FormatUint(rand.Uint64(), 36)
	deadline := time.Now().Add(wait)
	backoff := 10 * time.Millisecond
	for {
		set, err := q.Redis.SetNX(ctx, key, token, ttl).Result()
		if err != nil {
			return nil, false, fmt.Errorf("lock %s: %w", name, err)
		}
		if set {
			return &Lease{q: q, key: key, token: token, ttl: ttl}, true, nil
		}
		if time.Now().After(deadline) {
			return nil, false, nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
		if backoff < 200*time.Millisecond {
			backoff *= 2
		}
	}
}

// TryLockMany tries each named lock once, in one round trip (a pipeline,
// so the keys may live on different cluster nodes): the lease of each it
// took, nil for each held by someone else. A name given twice is taken
// once, by its first occurrence.
func (q *Queue) TryLockMany(ctx context.Context, names []string, ttl time.Duration) ([]*Lease, error) {
	out := make([]*Lease, len(names))
	if len(names) == 0 {
		return out, nil
	}
	token := strconv.FormatInt(time.Now().UnixNano(), 36) + ":" + strconv.FormatUint(rand.Uint64(), 36)
	pipe := q.Redis.Pipeline()
	cmds := make([]*redis.BoolCmd, len(names))
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		// One token per lease: a lease's release must not free another's.
		cmds[i] = pipe.SetNX(ctx, lockKey(n), token+":"+strconv.Itoa(i), ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		// Some may be set: give them up, the caller sees none.
		q.releaseSet(ctx, names, cmds, token)
		return nil, fmt.Errorf("lock %d names: %w", len(names), err)
	}
	for i, c := range cmds {
		if c != nil && c.Val() {
			out[i] = &Lease{q: q, key: lockKey(names[i]), token: token + ":" + strconv.Itoa(i), ttl: ttl}
		}
	}
	return out, nil
}

// releaseSet gives up the locks of a failed TryLockMany that were set.
func (q *Queue) releaseSet(ctx context.Context, names []string, cmds []*redis.BoolCmd, token string) {
	var leases []*Lease
	for i, c := range cmds {
		if c != nil && c.Err() == nil && c.Val() {
			leases = append(leases, &Lease{q: q, key: lockKey(names[i]), token: token + ":" + strconv.Itoa(i)})
		}
	}
	q.ReleaseAll(ctx, leases...)
}

// Extend renews the lease for another ttl; false if it was lost.
func (l *Lease) Extend(ctx context.Context) (bool, error) {
	n, err := extendScript.Run(ctx, l.q.Redis, []string{l.key}, l.token, l.ttl.Milliseconds()).Int()
	return n == 1, err
}

// Keep renews the lease every third of its ttl until stop is called (or
// ctx ends, or the lease is found lost): work that may outlast the ttl —
// a push to a slow vendor, whose task may run for two minutes against a
// 45 s lease — keeps its lock, and no second push of the same customer
// starts beside it and creates the vendor record twice.
func (l *Lease) Keep(ctx context.Context) (stop func()) {
	if l == nil || l.ttl <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if held, err := l.Extend(ctx); err != nil || !held {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// Release gives the lock up, even when ctx is already cancelled.
func (l *Lease) Release(ctx context.Context) {
	_ = unlockScript.Run(context.WithoutCancel(ctx), l.q.Redis, []string{l.key}, l.token).Err()
}

// ReleaseAll gives leases up in one round trip (a pipeline, so the keys
// may live on different cluster nodes), in order, even when ctx is
// already cancelled; nil leases are skipped.
func (q *Queue) ReleaseAll(ctx context.Context, leases ...*Lease) {
	ctx = context.WithoutCancel(ctx)
	pipe := q.Redis.Pipeline()
	n := 0
	for _, l := range leases {
		if l != nil {
			unlockScript.Eval(ctx, pipe, []string{l.key}, l.token)
			n++
		}
	}
	if n > 0 {
		_, _ = pipe.Exec(ctx)
	}
}

// Held reports for each named lock whether somebody holds it now, in one
// round trip (a pipeline, so the keys may live on different cluster
// nodes).
func (q *Queue) Held(ctx context.Context, names ...string) ([]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	pipe := q.Redis.Pipeline()
	cmds := make([]*redis.IntCmd, len(names))
	for i, n := range names {
		cmds[i] = pipe.Exists(ctx, lockKey(n))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("held locks: %w", err)
	}
	out := make([]bool, len(names))
	for i, c := range cmds {
		out[i] = c.Val() > 0
	}
	return out, nil
}

// Claim sets a key once for ttl; it reports whether this caller set it.
// Used for poll schedule slots.
func (q *Queue) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return q.Redis.SetNX(ctx, keyPrefix+key, 1, ttl).Result()
}

// Unclaim releases claims whose work failed.
func (q *Queue) Unclaim(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = keyPrefix + k
	}
	return q.Redis.Del(ctx, full...).Err()
}

// Raise sets a flag for ttl; Lower clears it and reports whether it was
// set. A flag raised before Lower is seen by exactly one Lower.
func (q *Queue) Raise(ctx context.Context, key string, ttl time.Duration) error {
	return q.Redis.Set(ctx, keyPrefix+key, 1, ttl).Err()
}

// Lower clears a flag; true when it was raised.
func (q *Queue) Lower(ctx context.Context, key string) (bool, error) {
	n, err := q.Redis.Del(ctx, keyPrefix+key).Result()
	return n > 0, err
}

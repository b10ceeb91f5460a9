package sync

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	gosync "sync"
	"time"

	"github.com/hibiken/asynq"
)

// Ingest tasks enqueued behind a backlog are grouped: asynq's task
// aggregation (asynq.Group, Config.GroupAggregator) collects them in Redis
// and hands a worker one task of up to ingestGroupSize of them. Each ingest
// task taken alone costs a dequeue and a done script (two EVALSHA round
// trips and their work in Redis), a processor slot, a lease and its
// heartbeat; an aggregated one pays that once for hundreds, and its
// records reach the batcher together, so merge transactions fill up.
//
// asynq checks groups every GroupGracePeriod, at least a second, so a
// grouped task waits up to about a second (two with GroupMaxDelay) before
// it is dequeued. A task is therefore grouped only when the ingest queue
// already holds ingestBacklog pending tasks — when it would wait anyway;
// a quiet webhook is enqueued alone and starts within the task check
// interval, as before.
const (
	TypeIngestBatch = "customer:ingest-batch"

	// ingestBacklog is the pending ingest tasks from which new ones are
	// grouped: at the ~2,400 ingests/s of a quiet 2-core machine, about
	// 0.4 s of queue.
	ingestBacklog = 1000
	// ingestGroups spreads grouped tasks over this many groups by record
	// (one record's events share a group, so its versions meet in one
	// batch, where the merge keeps the newest): asynq aggregates one set
	// per group per check, so groups × size per second is the most a
	// backlog drains through aggregation.
	ingestGroups = 16
	// ingestGroupSize is the most tasks aggregated into one.
	ingestGroupSize = 500
	// backlogEvery is how often the pending length is read again (one
	// LLEN per process, not per task).
	backlogEvery = 100 * time.Millisecond
)

// pendingKey is asynq's list of a queue's pending task ids (internal/base
// PendingKey in asynq v0.26); TestIngestBacklogReadsAsynqPending asserts
// the name against asynq itself.
func pendingKey(queue string) string { return "asynq:{" + queue + "}:pending" }

// backlog caches the ingest queue's pending length.
type backlog struct {
	mu      gosync.Mutex
	at      time.Time
	pending int64
}

// ingestGroup is the asynq group an ingest task of payload p joins, or ""
// to enqueue it alone (no backlog, or the length could not be read).
func (q *Queue) ingestGroup(ctx context.Context, p *IngestPayload) string {
	b := &q.backlog
	b.mu.Lock()
	if time.Since(b.at) >= backlogEvery {
		b.at = time.Now()
		// One caller reads; the others use the value it replaces until
		// it is back (a tenth of a second old at most).
		b.mu.Unlock()
		n, err := q.Redis.LLen(ctx, pendingKey(QueueIngest)).Result()
		b.mu.Lock()
		if err == nil {
			b.pending = n
		}
	}
	busy := b.pending >= ingestBacklog
	b.mu.Unlock()
	if !busy {
		return ""
	}
	return groupNames[recordHash(p.Instance, p.Resource, p.ExternalID)%ingestGroups]
}

// groupNames are the ingest groups' names, g0 to g15.
var groupNames = func() (n [ingestGroups]string) {
	for i := range n {
		n[i] = "g" + strconv.Itoa(i)
	}
	return n
}()

// recordHash is FNV-1a of a record's instance, resource and external id,
// each behind a NUL: hash/fnv's over their concatenation, without building
// it, once per webhook on the request path.
func recordHash(parts ...string) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	for i, s := range parts {
		if i > 0 {
			h *= prime // the NUL between two parts: h ^ 0 is h
		}
		for j := 0; j < len(s); j++ {
			h = (h ^ uint32(s[j])) * prime
		}
	}
	return h
}

// EnqueueIngest enqueues an ingest task of payload p (NewIngestTask),
// grouped for aggregation when the ingest queue has a backlog.
func (q *Queue) EnqueueIngest(ctx context.Context, t *asynq.Task, p IngestPayload) (duplicate bool, err error) {
	if g := q.ingestGroup(ctx, &p); g != "" {
		return q.EnqueueNew(ctx, t, asynq.Group(g))
	}
	return q.EnqueueNew(ctx, t)
}

// The receiver's ingests are enqueued by group commit (groups,
// groupcommit.go) below the backlog: while webhooks meet at the receiver
// (one arrives while another's enqueue is under way), each waits up to
// 5 ms for those behind it, and a group goes as one TypeIngestBatch task.
// Five of a propagated change's six ingests are the echoes of its five
// pushes; each task saved is an enqueue, a dequeue and a done script, a
// lease and a heartbeat (bench propagate: 7.5 tasks and 42 Redis calls a
// change became 3 and 29, BENCHMARKS.md, session 18).
//
// A sender waits for its answer before it sends again, so the wait is
// time its connection sends nothing: it ends 1 ms after the last webhook
// joined, and at once when 16 have. Under a flood of 50 connections
// (bench ingest-webhooks) a 5 ms wait alone cut the webhooks answered by
// a quarter; with these two ends they were as many as without groups.
//
// A webhook enqueued alone keeps its task id, so a re-delivery while it
// is queued collapses on it and is answered as a duplicate. One of a
// group has no task id of its own: its re-delivery is queued again and
// dropped by the ingest's claim of the event (dedupe.go), so it is
// answered as queued.
var receivedPacing = pacing{busyWithin: 20 * time.Millisecond, linger: 5 * time.Millisecond, met: true, gap: time.Millisecond, most: 16}

// receivedBatchMax is the most ingests one group's task carries.
const receivedBatchMax = 200

// received is an ingest task the receiver enqueues, and where its flush
// says whether it was a duplicate.
type received struct {
	task *asynq.Task
	dup  *bool
}

// EnqueueReceived enqueues the ingest task t of payload p as the webhook
// receiver does: grouped for aggregation behind a backlog (EnqueueIngest),
// else by group commit with the webhooks arriving meanwhile.
func (q *Queue) EnqueueReceived(ctx context.Context, t *asynq.Task, p IngestPayload) (duplicate bool, err error) {
	if g := q.ingestGroup(ctx, &p); g != "" {
		return q.EnqueueNew(ctx, t, asynq.Group(g))
	}
	err = q.received.add(ctx, QueueIngest, receivedPacing, received{task: t, dup: &duplicate}, q.flushReceived)
	return duplicate, err
}

// flushReceived enqueues a group of the receiver's ingests: one alone as
// its own task, more as batch tasks. The group's first webhook flushes it
// for all: its sender hanging up must not fail the others' answers.
func (q *Queue) flushReceived(ctx context.Context, items []received) error {
	ctx = context.WithoutCancel(ctx)
	if len(items) == 1 {
		dup, err := q.EnqueueNew(ctx, items[0].task)
		*items[0].dup = dup
		return err
	}
	for len(items) > 0 {
		n := min(len(items), receivedBatchMax)
		payloads := make([][]byte, n)
		for i, it := range items[:n] {
			payloads[i] = it.task.Payload()
		}
		if err := q.Enqueue(ctx, newIngestBatch(payloads)); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// GroupConfig sets an asynq server up to aggregate grouped ingest tasks
// (on one ingest server per worker; more would only check the same groups
// again).
func GroupConfig(c *asynq.Config) {
	c.GroupAggregator = asynq.GroupAggregatorFunc(AggregateIngest)
	c.GroupGracePeriod = time.Second // asynq's least
	c.GroupMaxDelay = 2 * time.Second
	c.GroupMaxSize = ingestGroupSize
}

// AggregateIngest packs grouped ingest tasks into one: their payloads,
// each behind its length (uvarint), so nothing is scanned or copied again
// but the bytes.
func AggregateIngest(group string, tasks []*asynq.Task) *asynq.Task {
	items := make([][]byte, len(tasks))
	for i, t := range tasks {
		items[i] = t.Payload()
	}
	return newIngestBatch(items)
}

// newIngestBatch is the aggregated task of ingest payloads.
func newIngestBatch(items [][]byte, opts ...asynq.Option) *asynq.Task {
	return newBatchTask(TypeIngestBatch, items, append([]asynq.Option{asynq.Queue(QueueIngest)}, opts...)...)
}

// newBatchTask is a task of type typ carrying items, each behind its
// length (uvarint; splitBatch unpacks them).
func newBatchTask(typ string, items [][]byte, opts ...asynq.Option) *asynq.Task {
	n := 0
	for _, it := range items {
		n += len(it) + binary.MaxVarintLen32
	}
	b := make([]byte, 0, n)
	for _, it := range items {
		b = binary.AppendUvarint(b, uint64(len(it)))
		b = append(b, it...)
	}
	return asynq.NewTask(typ, b, append([]asynq.Option{asynq.MaxRetry(25), asynq.Timeout(10 * time.Minute)}, opts...)...)
}

// splitBatch unpacks AggregateIngest's payload.
func splitBatch(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errors.New("truncated ingest batch")
		}
		out = append(out, b[k:k+int(n)])
		b = b[k+int(n):]
	}
	return out, nil
}

// IngestBatch runs an aggregated task's ingests side by side, each as its
// own task would (claim, map, merge through the batcher, fan-out), at most
// BatchItems at once in the process. An ingest that fails goes back to the
// queue as its own task, with its delivery, its own retries and backoff,
// as if it had never been grouped; only if that enqueue fails does the
// batch fail, and its retry runs the batch again: the ingests that
// succeeded hold their claims for their delivery and merge again to no
// effect. A failure that no retry can mend (asynq.SkipRetry: an instance
// no longer configured, an id-only event of one that cannot fetch, a
// payload that does not decode) goes back too: failing again as its own
// task, it is archived as a dead letter with its reason and replayable,
// where dropping it here lost the record without a trace.
func (h *Handlers) IngestBatch(ctx context.Context, t *asynq.Task) error {
	items, err := splitBatch(t.Payload())
	if err != nil {
		return fmt.Errorf("%v: %w", err, asynq.SkipRetry)
	}
	sem := h.batchSlots()
	var (
		wg     gosync.WaitGroup
		mu     gosync.Mutex
		failed [][]byte
	)
	for _, item := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			err := h.ingestTask(ctx, item)
			h.Metrics.Task(TypeIngest, payloadInstance(item), time.Since(start), err != nil)
			if err != nil {
				mu.Lock()
				failed = append(failed, item)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, item := range failed {
		opts := []asynq.Option{asynq.Queue(QueueIngest), asynq.MaxRetry(h.MaxRetry), asynq.Timeout(2 * time.Minute),
			asynq.ProcessIn(RetryDelay(0, nil, nil))}
		if p, err := decodeIngest(item); err == nil {
			opts = append(opts, asynq.TaskID(ingestTaskID(p)))
		}
		task := asynq.NewTask(TypeIngest, item, opts...)
		if err := h.Queue.Enqueue(ctx, task); err != nil {
			return fmt.Errorf("requeue a failed ingest of a batch: %w", err)
		}
	}
	if len(failed) > 0 {
		h.Log.Warn("ingests of a batch failed; queued again on their own", "failed", len(failed), "of", len(items))
	}
	return nil
}

// batchSlots is the process's semaphore for ingests of aggregated tasks.
func (h *Handlers) batchSlots() chan struct{} {
	h.batchOnce.Do(func() {
		n := h.BatchItems
		if n <= 0 {
			n = 100
		}
		h.batchSem = make(chan struct{}, n)
	})
	return h.batchSem
}

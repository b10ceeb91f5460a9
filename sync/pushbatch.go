package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/shophub/shophub/internal/trace"
)

// A merge transaction commits a dozen records at once under load, and each
// of their ingests then enqueues one push per target: for one target, a
// task per change, each paying an enqueue, a dequeue and a done script, a
// worker, a lease and its heartbeat. The fan-out therefore enqueues a
// target's pushes by group commit (groups, groupcommit.go): a push to a
// quiet queue is enqueued at once, alone, as its own task, as it always
// was; a push to a busy one waits for the pushes behind it, and each group
// goes as one TypePushBatch task, whose items run side by side in one
// worker (PushBatch).
//
// bench propagate (BENCHMARKS.md, session 17): without the wait, groups
// held 1.4 pushes at 206 changes/s; with 15 ms, 5.4, and a change's CPU
// fell by about 0.6 ms (shophub and Redis), for up to 15 ms more latency
// under load only.
const (
	TypePushBatch = "customer:push-batch"

	// pushBatchMax is the most pushes one batch task carries.
	pushBatchMax = 100
	// batchSlotWait is how long a push of a batch waits for a push slot
	// of its target: its batch holds the worker anyway, and a push
	// turned away would go back to the queue as a task of its own.
	batchSlotWait = 30 * time.Second
)

// pushPacing: a queue that was added a push within 50 ms is busy, and a
// push to it waits 15 ms for others.
var pushPacing = pacing{busyWithin: 50 * time.Millisecond, linger: 15 * time.Millisecond}

// enqueuePushes enqueues pushes, each batched with the pushes to its
// queue enqueued meanwhile: side by side, so that no target's batch waits
// for another's.
func (h *Handlers) enqueuePushes(ctx context.Context, pushes []PushPayload) error {
	if len(pushes) == 1 {
		return h.enqueuePush(ctx, pushes[0])
	}
	errs := make([]error, len(pushes))
	var wg gosync.WaitGroup
	for i, p := range pushes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.enqueuePush(ctx, p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// enqueuePush enqueues push p, batched with the pushes to the same queue
// that are enqueued meanwhile.
func (h *Handlers) enqueuePush(ctx context.Context, p PushPayload) error {
	queue := PushQueue(p.Instance)
	if p.Bulk {
		queue = PushBulkQueue(p.Instance)
	}
	err := h.pushGroups.add(ctx, queue, pushPacing, p, func(ctx context.Context, items []PushPayload) error {
		items = collapse(items)
		if len(items) == 1 {
			return h.Queue.Enqueue(ctx, NewPushTask(items[0], h.MaxRetry))
		}
		for len(items) > 0 {
			n := min(len(items), pushBatchMax)
			if err := h.Queue.Enqueue(ctx, newPushBatch(queue, items[:n])); err != nil {
				return err
			}
			items = items[n:]
		}
		return nil
	})
	if err == nil {
		trace.Mark(trace.Event{Step: trace.PushEnqueued, Instance: p.Instance, CustomerID: p.CustomerID, Version: p.Version})
	}
	return err
}

// collapse keeps one push per customer of a group: the newest version,
// forced if any was. A push renders the hub's current state, so one
// brings what each would; two of them side by side in one batch would
// only find each other holding the customer's push lock, and one would
// go back to the queue to wait.
func collapse(items []PushPayload) []PushPayload {
	if len(items) < 2 {
		return items
	}
	type key struct {
		resource, knowledge string
		customer            uint64
	}
	at := make(map[key]int, len(items))
	out := items[:0:0]
	for _, p := range items {
		k := key{p.Resource, p.Knowledge, p.CustomerID}
		i, seen := at[k]
		if !seen {
			at[k] = len(out)
			out = append(out, p)
			continue
		}
		q := &out[i]
		q.Version = max(q.Version, p.Version)
		q.Force = q.Force || p.Force
		q.Conflicts = max(q.Conflicts, p.Conflicts)
	}
	return out
}

// newPushBatch is the task of several pushes to one queue: their payloads
// framed as an aggregated ingest task's are (newIngestBatch, splitBatch).
func newPushBatch(queue string, items []PushPayload) *asynq.Task {
	raw := make([][]byte, len(items))
	for i, p := range items {
		raw[i], _ = json.Marshal(p)
	}
	return newBatchTask(TypePushBatch, raw, asynq.Queue(queue))
}

// PushBatch runs a batch's pushes side by side, each as its own task would,
// at most the target's push slots at once. A push that fails goes back to
// the queue as its own task, with its id, its own retries and backoff, as
// if it had never been batched (the way IngestBatch treats an ingest);
// only if that enqueue fails does the batch fail, and its retry runs the
// batch again: a push renders the hub's current state, so the ones that
// succeeded find nothing to write.
func (h *Handlers) PushBatch(ctx context.Context, t *asynq.Task) error {
	raw, err := splitBatch(t.Payload())
	if err != nil {
		return fmt.Errorf("%v: %w", err, asynq.SkipRetry)
	}
	type item struct {
		raw []byte
		p   PushPayload
		err error
	}
	items := make([]item, len(raw))
	width := len(raw)
	for i, b := range raw {
		items[i].raw = b
		if items[i].err = json.Unmarshal(b, &items[i].p); items[i].err != nil {
			continue
		}
		if tp, ok := h.Points.Get(items[i].p.Instance); ok && tp.slots != nil {
			width = min(width, cap(tp.slots))
		}
	}
	sem := make(chan struct{}, max(1, width))
	var wg gosync.WaitGroup
	for i := range items {
		if items[i].err != nil {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			items[i].err = ctx.Err()
			continue
		}
		wg.Add(1)
		go func(it *item) {
			defer wg.Done()
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a push task's own timeout
			defer cancel()
			start := time.Now()
			it.err = h.push(pctx, it.p, batchSlotWait)
			h.Metrics.Task(TypePush, it.p.Instance, time.Since(start), it.err != nil)
		}(&items[i])
	}
	wg.Wait()
	// Queued again even when the batch's own time ran out.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	queue, _ := asynq.GetQueueName(ctx)
	failed := 0
	for _, it := range items {
		if it.err == nil {
			continue
		}
		failed++
		task := asynq.NewTask(TypePush, it.raw, asynq.Queue(queue), asynq.MaxRetry(h.MaxRetry), asynq.Timeout(2*time.Minute))
		if it.p.Instance != "" {
			task = NewPushTask(it.p, h.MaxRetry)
		}
		if err := h.Queue.Enqueue(qctx, task, asynq.ProcessIn(RetryDelay(0, it.err, nil))); err != nil {
			return fmt.Errorf("requeue a failed push of a batch: %w", err)
		}
	}
	if failed > 0 {
		h.Log.Warn("pushes of a batch failed; queued again on their own", "failed", failed, "of", len(items))
	}
	return nil
}

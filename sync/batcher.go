package sync

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/trace"
)

// Batcher merges records handed in by concurrent ingest handlers in shared
// transactions. It adds no waiting: a merge runs at once when a merger is
// free, and requests arriving while all are busy join the next batch. So a
// quiet pipeline merges one record per transaction at the lowest latency,
// and a busy one commits many per transaction instead of queueing on disk
// flushes.
type Batcher struct {
	store   *hub.Store
	pol     hub.Policy
	max     int
	reqs    chan *mergeReq
	mergers int
	batches atomic.Int64 // transactions run, for benchmarks
	running atomic.Int32 // Run loops active
}

type mergeReq struct {
	in   hub.Inbound
	res  hub.Result
	err  error
	done chan struct{}
}

// NewBatcher builds a batcher running mergers concurrent transactions of at
// most max records each.
func NewBatcher(store *hub.Store, pol hub.Policy, mergers, max int) *Batcher {
	if mergers <= 0 {
		mergers = 4
	}
	if max <= 0 {
		max = 200
	}
	return &Batcher{store: store, pol: pol, max: max, mergers: mergers, reqs: make(chan *mergeReq, max*mergers)}
}

// Run merges until ctx ends.
func (b *Batcher) Run(ctx context.Context) {
	b.running.Add(1)
	defer b.running.Add(-1)
	done := make(chan struct{})
	for i := 0; i < b.mergers; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			b.loop(ctx)
		}()
	}
	for i := 0; i < b.mergers; i++ {
		<-done
	}
}

func (b *Batcher) loop(ctx context.Context) { batchLoop(ctx, b.reqs, b.max, b.merge) }

// batchLoop runs batches off reqs until ctx ends: it waits for one
// request, takes what else is queued up to max without waiting for more,
// and runs them together. So a quiet queue runs each request at once and a
// busy one runs them in batches; run is not cancelled with ctx, so a batch
// taken is finished.
func batchLoop[T any](ctx context.Context, reqs <-chan T, max int, run func(context.Context, []T)) {
	batch := make([]T, 0, max)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case r := <-reqs:
			batch = append(batch, r)
		}
	drain:
		for len(batch) < max {
			select {
			case r := <-reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		run(context.WithoutCancel(ctx), batch)
	}
}

func (b *Batcher) merge(ctx context.Context, batch []*mergeReq) {
	b.batches.Add(1)
	ins := make([]hub.Inbound, len(batch))
	for i, r := range batch {
		ins[i] = r.in
	}
	start := time.Now()
	res, errs := mergeIsolated(ctx, b.store, b.pol, ins)
	trace.Mark(trace.Event{Step: trace.BatchMerged, N: len(batch), Took: time.Since(start)})
	for i, r := range batch {
		r.res, r.err = res[i], errs[i]
		close(r.done)
	}
}

// mergeIsolated merges records in one batch; if the batch fails, it merges
// each alone, so one bad record does not fail its neighbours. errs[i] is
// the error of record i.
func mergeIsolated(ctx context.Context, store *hub.Store, pol hub.Policy, ins []hub.Inbound) ([]hub.Result, []error) {
	errs := make([]error, len(ins))
	res, err := store.MergeBatch(ctx, ins, pol)
	if err == nil {
		return res, errs
	}
	res = make([]hub.Result, len(ins))
	if len(ins) == 1 {
		errs[0] = err
		return res, errs
	}
	for i, in := range ins {
		res[i], errs[i] = store.MergeCustomer(ctx, in, pol)
	}
	return res, errs
}

// Merge hands one record to the batcher and waits for its result. Without
// a Run loop (a CLI command such as replay --quarantine uses the handlers
// of an app it never starts) it merges the record itself, rather than
// waiting for a loop that never comes.
func (b *Batcher) Merge(ctx context.Context, in hub.Inbound) (hub.Result, error) {
	if b.running.Load() == 0 {
		res, errs := mergeIsolated(ctx, b.store, b.pol, []hub.Inbound{in})
		return res[0], errs[0]
	}
	r := &mergeReq{in: in, done: make(chan struct{})}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		return hub.Result{}, ctx.Err()
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		// The merge still happens; it is idempotent, so a retry is harmless.
		return hub.Result{}, ctx.Err()
	}
}

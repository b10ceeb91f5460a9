package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
)

// PushFront does the first steps of pushes running side by side together:
// each push takes its customer's push lock, reads the customer and its
// links, and takes the linked record's lock — two Redis round trips and
// two SQL statements a push, and a change's five pushes (one per target)
// start within milliseconds of each other, for the same customer. The
// front takes the locks of all waiting pushes in one pipelined round trip
// each, and reads their customers and links in one statement each.
//
// Like the ingest Batcher it adds no waiting: a batch runs at once when a
// runner is free, and pushes arriving while all are busy join the next
// batch. Each push then goes on alone, as its own task: its retries,
// back-off and dead letter, its read before write, conditional write and
// record stay its own. A push whose customer lock the batch could not take
// (another push of the customer to the target runs, or a second push of
// the same customer in the batch) waits for it as it always did, and
// reads alone.
type PushFront struct {
	q       *Queue
	store   *hub.Store
	reqs    chan *frontReq
	recs    chan *recordReq
	max     int
	runners int
	running atomic.Int32
	// stopped is closed when Run ends: a push still waiting then takes
	// its first steps alone.
	stopped  chan struct{}
	stopOnce gosync.Once
	batches  atomic.Int64 // batches run, for tests and benchmarks
	recorded atomic.Int64 // record batches run
}

// frontReq is one push waiting for its first steps.
type frontReq struct {
	p PushPayload

	mu   gosync.Mutex
	gone bool // the push gave up waiting (its context ended)
	done chan struct{}
	// Results: lease is nil when the batch could not take the customer
	// lock; state is nil when the customer does not exist (err nil);
	// record is the linked record's lease when the batch took it.
	lease  *Lease
	state  *hub.PushState
	record *Lease
	recExt string
	err    error
}

// NewPushFront builds a front of runners concurrent batches of at most max
// pushes each.
func NewPushFront(q *Queue, store *hub.Store, runners, max int) *PushFront {
	if runners <= 0 {
		runners = 2
	}
	if max <= 0 {
		max = 64
	}
	return &PushFront{q: q, store: store, max: max, runners: runners, reqs: make(chan *frontReq, max*runners),
		recs: make(chan *recordReq, max*runners), stopped: make(chan struct{})}
}

// Run serves batches until ctx ends.
func (f *PushFront) Run(ctx context.Context) {
	f.running.Add(1)
	defer func() {
		if f.running.Add(-1) == 0 {
			f.stopOnce.Do(func() { close(f.stopped) })
		}
	}()
	var wg gosync.WaitGroup
	for range f.runners {
		wg.Go(func() { f.loop(ctx) })
		wg.Go(func() { f.recordLoop(ctx) })
	}
	wg.Wait()
}

func (f *PushFront) loop(ctx context.Context) { batchLoop(ctx, f.reqs, f.max, f.run) }

// pushLockName is the lock of one customer's pushes to one target.
func pushLockName(p PushPayload) string {
	return fmt.Sprintf("push:%s:%s:%d", p.Instance, p.Resource, p.CustomerID)
}

const (
	customerLockTTL  = 45 * time.Second
	customerLockWait = 10 * time.Second
)

func (f *PushFront) run(ctx context.Context, batch []*frontReq) {
	f.batches.Add(1)
	names := make([]string, len(batch))
	for i, r := range batch {
		names[i] = pushLockName(r.p)
	}
	leases, err := f.q.TryLockMany(ctx, names, customerLockTTL)
	if err != nil {
		for _, r := range batch {
			f.deliver(r, nil, nil, nil, "", err)
		}
		return
	}
	ids := make([]uint64, 0, len(batch))
	seen := map[uint64]bool{}
	for i, r := range batch {
		if leases[i] != nil && !seen[r.p.CustomerID] {
			seen[r.p.CustomerID] = true
			ids = append(ids, r.p.CustomerID)
		}
	}
	states, err := f.store.CustomersForPush(ctx, ids)
	if err != nil {
		for i, r := range batch {
			f.deliver(r, leases[i], nil, nil, "", err)
		}
		return
	}
	// The linked records' locks, taken now (after the customer locks, the
	// order a push always takes them in) for those that are free: a
	// record an ingest is reading is waited for by the push itself.
	var recNames []string
	var recOf []int
	exts := make([]string, len(batch))
	for i, r := range batch {
		st := states[r.p.CustomerID]
		if leases[i] == nil || st == nil {
			continue
		}
		_, link, _, lerr := st.Pick(r.p.Instance, r.p.Resource)
		if lerr != nil || link.VendorDeletedAt != nil || link.Unverified {
			continue
		}
		exts[i] = link.ExternalID
		recNames = append(recNames, recordLockName(r.p.Instance, r.p.Resource, link.ExternalID))
		recOf = append(recOf, i)
	}
	records := make([]*Lease, len(batch))
	if got, err := f.q.TryLockMany(ctx, recNames, recordLockTTL); err == nil {
		for j, i := range recOf {
			records[i] = got[j]
		}
	}
	for i, r := range batch {
		var st *hub.PushState
		if leases[i] != nil {
			st = states[r.p.CustomerID]
		}
		ext := exts[i]
		if records[i] == nil {
			ext = ""
		}
		f.deliver(r, leases[i], st, records[i], ext, nil)
	}
}

// deliver hands a push its batch's results, or gives its leases up when
// the push stopped waiting.
func (f *PushFront) deliver(r *frontReq, lease *Lease, st *hub.PushState, record *Lease, ext string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		f.q.ReleaseAll(context.Background(), record, lease)
		return
	}
	r.lease, r.state, r.record, r.recExt, r.err = lease, st, record, ext, err
	close(r.done)
}

// frontStart is what a push starts from: its customer lock, the customer
// and its links read after it, and the linked record's lock if it was
// taken with it.
type frontStart struct {
	lease     *Lease
	cust      *hub.Customer
	doc       map[string]any
	links     []hub.Link
	link      *hub.Link
	linkWaits bool
	record    *Lease
	recExt    string
}

// isClosed says whether ch is closed, without waiting.
func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// errNoCustomer: the customer is gone; the push has nothing to do.
var errNoCustomer = fmt.Errorf("customer: %w", hub.ErrNotFound)

// start takes a push's first steps through the front, or alone as they
// always were when no front runs (a CLI command's handlers) or the batch
// could not take the customer's lock. ok=false: another push of the
// customer holds the lock past customerLockWait.
func (h *Handlers) pushStart(ctx context.Context, tp *Touchpoint, p PushPayload) (s frontStart, ok bool, err error) {
	allLinks := p.Resource == connectors.ResourceCustomer && tp.Mapping.ReadsHub(p.Resource)
	if f := h.Front; f != nil && f.running.Load() > 0 {
		r := &frontReq{p: p, done: make(chan struct{})}
		select {
		case f.reqs <- r:
		case <-ctx.Done():
			return s, false, ctx.Err()
		}
		var stopped bool
		select {
		case <-r.done:
		case <-f.stopped:
			stopped = true
		case <-ctx.Done():
		}
		if !isClosed(r.done) {
			r.mu.Lock()
			if isClosed(r.done) { // delivered meanwhile
				r.mu.Unlock()
			} else {
				r.gone = true
				r.mu.Unlock()
				if !stopped {
					return s, false, ctx.Err()
				}
				r = &frontReq{} // no batch will come: alone, below
			}
		}
		if err := ctx.Err(); err != nil {
			h.Queue.ReleaseAll(ctx, r.record, r.lease)
			return s, false, err
		}
		if r.err != nil {
			h.Queue.ReleaseAll(ctx, r.record, r.lease)
			return s, false, r.err
		}
		if r.lease != nil {
			s = frontStart{lease: r.lease, record: r.record, recExt: r.recExt}
			if r.state == nil {
				return s, true, errNoCustomer
			}
			c := *r.state.Customer // each push its own copy
			s.cust = &c
			if s.doc, err = hub.DecodeDoc(&c); err != nil {
				return s, true, err
			}
			if s.doc, err = hub.Shareable(&c, s.doc); err != nil {
				return s, true, err
			}
			var lerr error
			s.links, s.link, s.linkWaits, lerr = r.state.Pick(p.Instance, p.Resource)
			if !allLinks {
				s.links = nil
			}
			if lerr != nil {
				s.link = nil
			}
			return s, true, nil
		}
	}
	// Alone: one push per customer and target at a time (two concurrent
	// first pushes would otherwise both create the record at the vendor).
	lease, ok, err := h.Queue.Lock(ctx, pushLockName(p), customerLockTTL, customerLockWait)
	if err != nil || !ok {
		return s, false, err
	}
	s.lease = lease
	cust, doc, err := h.Store.Customer(ctx, p.CustomerID)
	if err == nil {
		doc, err = hub.Shareable(cust, doc)
	}
	if err != nil {
		return s, true, err
	}
	s.cust, s.doc = cust, doc
	if allLinks {
		s.links, s.link, s.linkWaits, err = h.Store.LinksWaiting(ctx, p.CustomerID, p.Instance, p.Resource)
	} else {
		s.link, s.linkWaits, err = h.Store.LinkWaiting(ctx, p.CustomerID, p.Instance, p.Resource)
	}
	if err != nil && !errors.Is(err, hub.ErrNotFound) {
		return s, true, err
	}
	return s, true, nil
}

// recordReq is one push's record (Store.Pushed) of a write to its linked
// record, waiting to be written with those of the pushes beside it.
type recordReq struct {
	rec       hub.LinkedPush
	done      chan struct{}
	written   bool
	overtaken bool
	err       error // the batch failed: the push records alone
	itemErr   error
}

func (f *PushFront) recordLoop(ctx context.Context) { batchLoop(ctx, f.recs, f.max, f.record) }

func (f *PushFront) record(ctx context.Context, batch []*recordReq) {
	f.recorded.Add(1)
	recs := make([]hub.LinkedPush, len(batch))
	for i, r := range batch {
		recs[i] = r.rec
	}
	written, overtaken, errs, err := f.store.PushedLinked(ctx, recs)
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.written, r.overtaken, r.itemErr = written[i], overtaken[i], errs[i]
		}
		close(r.done)
	}
}

// recordPushed is Store.Pushed of a push's write. A write to the record
// the customer is linked to is recorded with the writes of the pushes
// beside it (PushedLinked: two statements for all, not two each), at
// once when the front is idle; the rest, and any the batch did not
// record, are recorded alone. Either way the record is written before the
// push gives up the record's lock, as before.
func (h *Handlers) recordPushed(ctx context.Context, p PushPayload, link *hub.Link, extID, hash string, version int64, view map[string]any) (overtaken bool, err error) {
	if f := h.Front; f != nil && f.running.Load() > 0 && link != nil && link.ExternalID == extID && link.CustomerID == p.CustomerID {
		r := &recordReq{rec: hub.LinkedPush{LinkID: link.ID, CustomerID: p.CustomerID, ExternalID: extID, Hash: hash, Version: version, Pushed: view},
			done: make(chan struct{})}
		select {
		case f.recs <- r:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		select {
		case <-r.done:
		case <-f.stopped:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		if isClosed(r.done) && r.err == nil && r.written {
			return r.overtaken, r.itemErr
		}
		// Not recorded by the batch (or the front stopped before it
		// came): alone. Recording twice is harmless: the same version
		// and values.
	}
	return h.Store.Pushed(ctx, p.CustomerID, p.Instance, p.Resource, extID, hash, version, view)
}

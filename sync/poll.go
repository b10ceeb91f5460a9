package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/internal/trace"
	"github.com/shophub/shophub/mappings"
)

// Poll lists an instance's resource from its stored cursor, merges each page
// in one transaction, and stores the cursor only after its page is applied:
// a worker killed midway resumes from the last page, and a listing never
// runs ahead of what the hub can take.
func (h *Handlers) Poll(ctx context.Context, t *asynq.Task) error {
	var p PollPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("poll payload: %v: %w", err, asynq.SkipRetry)
	}
	tp, l, err := touchpointAs[connectors.Lister](ctx, h, p.Instance, "list")
	if err != nil {
		return err
	}
	budget := h.PollBudget
	if budget == 0 {
		budget = 2 * time.Minute
	}
	// Two polls of one instance at once would enqueue everything twice:
	// one holds the lease, and a poll asked for meanwhile is answered by
	// one more listing after it (pollAgain), so requests coalesce. Each
	// used to retry every 500 ms until the lease was free and then list
	// in full, one after the other: under load, with polls taking about
	// as long as their interval, they queued up faster than they ran and
	// the pipeline never came to rest (convergence seeds: "pipeline never
	// became idle", polls retried as busy dozens of times).
	again := "pollagain:" + p.Instance + ":" + p.Resource
	if !p.Slot {
		// Raised before trying the lease: a holder that releases it
		// after this sees the flag; one that released before lets this
		// poll take the lease.
		if err := h.Queue.Raise(ctx, again, budget+pollLeaseTTL); err != nil {
			return err
		}
	}
	lease, ok, err := h.Queue.Lock(ctx, "poll:"+p.Instance+":"+p.Resource, pollLeaseTTL, 0)
	if err != nil {
		return err
	}
	if !ok {
		if p.Slot || tp.Config.PollInterval.D() > 0 {
			// The holder lists again when it is done (this poll raised
			// the flag), and the schedule's next slot lists anyway; a
			// slot's poll is simply dropped.
			return nil
		}
		// No schedule: the holder may be a worker shut down mid-page,
		// whose task asynq requeued and whose lease runs out on its own;
		// nothing else would continue the listing, so retry soon.
		return errBusy
	}
	// This listing starts after every request made so far.
	if _, err := h.Queue.Lower(ctx, again); err != nil {
		lease.Release(ctx)
		return err
	}
	defer h.pollAgain(ctx, p, lease, again)
	deadline := time.Now().Add(budget)
	log := logx.Logger(ctx, h.Log).With("connector", p.Instance, "resource", p.Resource)
	cur, err := h.Store.Cursor(ctx, p.Instance, p.Resource)
	if err != nil {
		return err
	}
	run := pollRun{h: h, l: l, p: p, lease: lease, deadline: deadline, merging: h.PagesMergedAtOnce(p.Resource), ahead: h.PagesListedAhead(p.Resource),
		apply: func(ctx context.Context, records []connectors.Record) error {
			return h.applyPage(ctx, tp, p.Resource, records)
		}}
	for {
		moved, err := run.from(ctx, cur.Value)
		if err != nil {
			return err
		}
		if moved == nil {
			break
		}
		// A backfill reset the cursor meanwhile: the pages listed ahead
		// are from the old listing, and the new one starts over.
		log.Info("cursor moved under the poll; listing from it")
		cur = *moved
	}
	if run.done {
		log.Info("poll caught up", "pages", run.pages, "records", run.records)
		return nil
	}
	log.Info("poll continues in a new task", "pages", run.pages, "records", run.records)
	return h.Queue.Enqueue(context.WithoutCancel(ctx), NewPollTask(p, "cont:"+strconv.FormatInt(time.Now().UnixNano(), 36)))
}

// PagesMergedAtOnce is how many pages of resource a poll merges at once. A
// backfill's page is one transaction, and a transaction spends much of
// its time in the database (statements, the commit's flush) while the
// process waits: merging the next page meanwhile keeps both busy.
// Customers only: their merges lock the rows they touch and retry a
// conflict, so two pages sharing a person stay correct. Orders, tickets
// and carts recompute their customer's indicators, which two pages of one
// customer's orders would race on, and SQLite takes one writer at a time
// anyway.
func (h *Handlers) PagesMergedAtOnce(resource string) int {
	if resource != connectors.ResourceCustomer || h.Store.Driver() != "mysql" {
		return 1
	}
	if h.PollMergers > 0 {
		return h.PollMergers
	}
	return defaultPollMergers
}

// PagesListedAhead is how many pages a poll of resource lists beyond
// those merging, while they merge (PollListAhead, default one): the
// listing of the next page and the storing of each cursor overlap the
// merges instead of holding a merge slot. A worker stopped midway lists
// the unstored pages again (merging + ahead), dropped as applied.
func (h *Handlers) PagesListedAhead(resource string) int {
	switch {
	case h.PollListAhead < 0:
		return 0
	case h.PollListAhead > 0:
		return h.PollListAhead
	}
	return 1
}

// defaultPollMergers: two pages at once, chosen by measurement
// (BENCHMARKS.md, issue #17).
const defaultPollMergers = 2

// pollRun is one poll task's listing: pages are listed one after another
// (each page's cursor comes from the one before), up to merging of them
// are merged at once, and cursors are stored strictly in listing order,
// each only once its page and every page before it are applied. A worker
// killed midway resumes from the last stored cursor; pages merged past it
// are listed again and dropped as already applied (dropApplied).
type pollRun struct {
	h        *Handlers
	l        connectors.Lister
	apply    func(context.Context, []connectors.Record) error // one page
	p        PollPayload
	lease    *Lease
	deadline time.Time
	merging  int
	ahead    int // pages listed beyond those merging

	pages, records int
	done           bool // the listing caught up
}

// inflight is a listed page being applied.
type inflight struct {
	from string
	page connectors.Page
	err  chan error
}

// from lists and applies pages from cursor until the listing is done, the
// budget is spent, or an error. It returns the stored cursor when that
// moved under the listing (a backfill reset it), so the caller lists
// again from there.
func (r *pollRun) from(ctx context.Context, cursor string) (moved *hub.Cursor, err error) {
	lctx, stopListing := context.WithCancel(ctx)
	// Pages listed and not yet stored: those merging, and ahead of them
	// the next, listed while they merge. A worker stopped midway lists
	// these again, so the window stays small.
	window := max(r.merging+r.ahead, 1)
	slots := make(chan struct{}, window)
	for range window {
		slots <- struct{}{}
	}
	listed := make(chan listing)
	go r.list(lctx, cursor, slots, listed)
	var queue []*inflight
	defer func() {
		// Nothing outlives the task: the listing stops, and pages being
		// merged finish (their cursors unstored) before the lease goes.
		stopListing()
		for _, f := range queue {
			<-f.err
		}
	}()
	listing := listed
	for {
		next := listing
		if len(queue) >= r.merging {
			next = nil
		}
		var head chan error
		if len(queue) > 0 {
			head = queue[0].err
		}
		if next == nil && head == nil {
			return nil, nil // listing ended (budget) with every page stored
		}
		select {
		case got, ok := <-next:
			if !ok {
				listing = nil
				continue
			}
			if got.err != nil {
				// The pages before it are stored first; a retry lists
				// again from the last of them.
				listing = nil
				stopListing()
				if err := r.drain(ctx, &queue); err != nil {
					return nil, err
				}
				if errors.Is(got.err, connectors.ErrPermanent) {
					// A refused login or a broken cursor: retrying the same request
					// only hammers the vendor (Magento locks accounts after 6).
					return nil, fmt.Errorf("list %s from cursor: %w: %w", r.p.Instance, got.err, asynq.SkipRetry)
				}
				return nil, fmt.Errorf("list %s from cursor: %w", r.p.Instance, got.err)
			}
			f := &inflight{from: got.from, page: got.page, err: make(chan error, 1)}
			queue = append(queue, f)
			go func() {
				began := time.Now()
				err := r.apply(ctx, f.page.Records)
				trace.Mark(trace.Event{Step: trace.PageApplied, Instance: r.p.Instance, N: len(f.page.Records), Took: time.Since(began)})
				f.err <- err
			}()
		case err := <-head:
			f := queue[0]
			queue = queue[1:]
			if err != nil {
				return nil, err
			}
			if moved, err := r.store(ctx, f); err != nil || moved != nil {
				return moved, err
			}
			slots <- struct{}{}
			if f.page.Done {
				r.done = true
				return nil, nil
			}
			if ctx.Err() != nil {
				// Shutting down: what is stored stays; the rest continues
				// in a new task.
				return nil, nil
			}
		}
	}
}

// drain stores the pages in flight, in order, up to the first that fails.
func (r *pollRun) drain(ctx context.Context, queue *[]*inflight) error {
	for len(*queue) > 0 {
		f := (*queue)[0]
		*queue = (*queue)[1:]
		if err := <-f.err; err != nil {
			return err
		}
		if moved, err := r.store(ctx, f); err != nil || moved != nil {
			return err
		}
	}
	return nil
}

// store saves an applied page's cursor, unless the stored cursor is no
// longer the one the page was listed from (a backfill reset it): then it
// returns that cursor.
func (r *pollRun) store(ctx context.Context, f *inflight) (*hub.Cursor, error) {
	began := time.Now()
	if advanced, err := r.h.Store.AdvanceCursor(ctx, r.p.Instance, r.p.Resource, f.from, f.page.Next, f.page.Done); err != nil {
		return nil, err
	} else if !advanced {
		cur, err := r.h.Store.Cursor(ctx, r.p.Instance, r.p.Resource)
		if err != nil {
			return nil, err
		}
		return &cur, nil
	}
	trace.Mark(trace.Event{Step: trace.PageStored, Instance: r.p.Instance, Key: f.page.Next, Took: time.Since(began)})
	r.pages++
	r.records += len(f.page.Records)
	if held, err := r.lease.Extend(ctx); err != nil || !held {
		return nil, fmt.Errorf("poll lease of %s lost (held=%v): %w", r.p.Instance, held, err)
	}
	return nil, nil
}

// list lists pages one after another from cursor into out, until the
// listing is done, fails, the budget is spent or ctx ends. It lists a page
// only with a slot free (slots): a page holds its slot from its listing
// until its cursor is stored.
func (r *pollRun) list(ctx context.Context, cursor string, slots <-chan struct{}, out chan<- listing) {
	defer close(out)
	for {
		select {
		case <-slots:
		case <-ctx.Done():
			return
		}
		began := time.Now()
		page, err := listPage(ctx, r.l, r.p.Resource, cursor)
		trace.Mark(trace.Event{Step: trace.PageListed, Instance: r.p.Instance, N: len(page.Records), Took: time.Since(began)})
		select {
		case out <- listing{cursor, page, err}:
		case <-ctx.Done():
			return
		}
		if err != nil || page.Done || time.Now().After(r.deadline) {
			return
		}
		cursor = page.Next
	}
}

// pollLeaseTTL is how long a poll's lease lives without the holder
// renewing it (after each page).
const pollLeaseTTL = 30 * time.Second

// pollAgain releases a poll's lease and, when another poll was asked for
// while it ran, enqueues one more: its listing starts after the request.
func (h *Handlers) pollAgain(ctx context.Context, p PollPayload, lease *Lease, again string) {
	lease.Release(ctx)
	ctx = context.WithoutCancel(ctx)
	asked, err := h.Queue.Lower(ctx, again)
	if err == nil && asked {
		next := PollPayload{Instance: p.Instance, Resource: p.Resource}
		err = h.Queue.Enqueue(ctx, NewPollTask(next, "again:"+strconv.FormatInt(time.Now().UnixNano(), 36)))
	}
	if err != nil {
		// The schedule's next slot lists it.
		h.Log.Warn("poll asked for during a poll not enqueued", "connector", p.Instance, "resource", p.Resource, "err", err)
	}
}

// listPage lists one page and stamps its records with the moment it asked
// (connectors.Record.ReadAt): each holds the vendor's state of then or
// later.
func listPage(ctx context.Context, l connectors.Lister, resource, cursor string) (connectors.Page, error) {
	readAt := time.Now()
	page, err := l.List(ctx, resource, cursor)
	for i := range page.Records {
		if page.Records[i].ReadAt.IsZero() {
			page.Records[i].ReadAt = readAt
		}
	}
	return page, err
}

// listing is one page listed ahead, or why it could not be.
type listing struct {
	from string // the cursor it was listed from
	page connectors.Page
	err  error
}

// applyPage maps a page and merges it in one transaction, so a backfill
// costs one commit per page, not per record. Records that cannot be mapped,
// or merged even alone, are quarantined; the page completes.
func (h *Handlers) applyPage(ctx context.Context, tp *Touchpoint, resource string, records []connectors.Record) error {
	if resource == connectors.ResourceTicket {
		return h.applyTicketPage(ctx, tp, records) // tickets.go
	}
	if resource == connectors.ResourceOrder {
		return h.applyOrderPage(ctx, tp, records) // orders.go
	}
	if resource == connectors.ResourceCart {
		return h.applyCartPage(ctx, tp, records) // carts.go
	}
	_, err := h.applyCustomerPage(ctx, tp, resource, records)
	return err
}

// pageStats counts what applying a page of customers did.
type pageStats struct {
	Changed, Unchanged, Quarantined, Deleted int
}

// applyCustomerPage is applyPage for customers, counting what it did.
func (h *Handlers) applyCustomerPage(ctx context.Context, tp *Touchpoint, resource string, records []connectors.Record) (pageStats, error) {
	var st pageStats
	ins := make([]hub.Inbound, 0, len(records))
	from := make([]int, 0, len(records)) // ins[i] came from records[from[i]]
	// The raw record is kept only for quarantine, so it is encoded only
	// when one goes there: a backfill of clean records encodes nothing.
	quarantine := func(r connectors.Record, reason error) error {
		raw, _ := json.Marshal(r.Data)
		st.Quarantined++
		return h.quarantine(ctx, IngestPayload{Instance: tp.Name, Resource: resource, ExternalID: r.ExternalID, SourceAt: r.UpdatedAt, Body: raw}, reason)
	}
	for i, r := range records {
		if r.Deleted {
			if err := h.vendorDeleted(ctx, tp, resource, r.ExternalID, r.UpdatedAt, deletedByPoll, h.Log.With("connector", tp.Name, "external_id", r.ExternalID)); err != nil {
				return st, err
			}
			st.Deleted++
			continue
		}
		if r.Invalid != "" {
			if err := quarantine(r, errors.New(r.Invalid)); err != nil {
				return st, err
			}
			continue
		}
		doc, err := tp.Mapping.InboundWith(resource, r.Data, h.previousDoc(ctx, tp, resource, r.ExternalID, r.Data)...) // handlers.go
		if errors.Is(err, mappings.ErrSkip) {
			st.Unchanged++
			continue
		}
		if err != nil {
			if err := quarantine(r, err); err != nil {
				return st, err
			}
			continue
		}
		// A listed record merges like a fetched one, at the latest moment
		// its whole-second stamp and the listing allow (sourcetime.go).
		in := h.inbound(tp, resource, r.ExternalID, "", sourceTime(r.UpdatedAt, r.ReadAt), doc)
		in.ReadAt = r.ReadAt
		in.Unverified = tp.unverified(resource, r.Data) // trust.go
		ins = append(ins, in)
		from = append(from, i)
	}
	mapped := len(ins)
	ins, from, err := h.dropApplied(ctx, tp.Name, resource, ins, from)
	st.Unchanged += mapped - len(ins)
	if err != nil || len(ins) == 0 {
		return st, err
	}
	if ins, from, err = h.deferHeld(ctx, tp, resource, records, ins, from); err != nil || len(ins) == 0 { // recordlock.go
		return st, err
	}
	began := time.Now()
	res, errs := mergeIsolated(ctx, h.Store, h.Policy, ins)
	trace.Mark(trace.Event{Step: trace.PageMerged, Instance: tp.Name, N: len(ins), Took: time.Since(began)})
	var evs []hub.OutboxEvent
	var adopters []uint64
	for i, err := range errs {
		if err != nil {
			if ctx.Err() != nil {
				return st, ctx.Err()
			}
			if err := quarantine(records[from[i]], fmt.Errorf("merge: %w", err)); err != nil {
				return st, err
			}
			continue
		}
		if res[i].Pending {
			// Maybe our own create, listed before its push recorded it:
			// fetched again once that push is done.
			if err := h.fetchLater(ctx, tp, resource, records[from[i]], ins[i]); err != nil {
				return st, err
			}
			continue
		}
		if len(res[i].Changed) > 0 {
			st.Changed++
		} else {
			st.Unchanged++
		}
		if res[i].OutboxID != 0 {
			evs = append(evs, eventOf(ins[i], res[i]))
		}
		if adopts(res[i]) {
			adopters = append(adopters, res[i].CustomerID)
		}
	}
	h.dispatchLogged(ctx, evs)
	h.adoptRecords(ctx, h.Log.With("connector", tp.Name, "resource", resource), adopters...) // orders.go
	return st, nil
}

// dropApplied leaves out the records whose content the hub already took
// from this source (the link's last inbound hash): polls list their
// boundary and look-back again on purpose, and this one read keeps that
// from costing a merge transaction per record. The hub would drop them
// too (hub/batch.go); this is only cheaper.
func (h *Handlers) dropApplied(ctx context.Context, instance, resource string, ins []hub.Inbound, from []int) ([]hub.Inbound, []int, error) {
	if len(ins) == 0 {
		return ins, from, nil
	}
	applied, err := h.Store.Applied(ctx, instance, resource, ins)
	if err != nil {
		return ins, from, err
	}
	keep, keepFrom := ins[:0], from[:0]
	for i, in := range ins {
		if applied[i] {
			continue
		}
		keep, keepFrom = append(keep, in), append(keepFrom, from[i])
	}
	return keep, keepFrom, nil
}

// Backfill resets an instance's cursor and starts a full listing.
func (h *Handlers) Backfill(ctx context.Context, instance, resource string) error {
	if err := h.Store.ResetCursor(ctx, instance, resource); err != nil {
		return err
	}
	return h.Queue.Enqueue(ctx, NewPollTask(PollPayload{Instance: instance, Resource: resource}, "backfill:"+strconv.FormatInt(time.Now().UnixNano(), 36)))
}

// seedBaseline makes the read-back of a record shophub just created or
// found (a link without any record received yet) the link's baseline for
// the fields shophub wrote (pushed), so that what the vendor did to our
// write — a subscription it keeps pending until the customer confirms —
// is not taken as the vendor's own edit when the record is next listed.
// Fields shophub did not write (the vendor's own data, a default it
// fills) stay out of the baseline and count when next listed.
func (h *Handlers) seedBaseline(ctx context.Context, tp *Touchpoint, resource string, rec *connectors.Record, pushed map[string]any) error {
	if rec == nil || rec.Data == nil || resource != connectors.ResourceCustomer || len(pushed) == 0 {
		return nil
	}
	doc, err := tp.Mapping.Inbound(resource, rec.Data)
	if err != nil {
		return nil // a read-back the mapping refuses is no baseline; the next record sets one
	}
	base := make(map[string]any, len(pushed))
	for f, v := range doc {
		if _, wrote := pushed[f]; wrote {
			base[f] = v
		}
	}
	if len(base) == 0 {
		return nil
	}
	return h.Store.SeedInbound(ctx, tp.Name, resource, rec.ExternalID, base)
}

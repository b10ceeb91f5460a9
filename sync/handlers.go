package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/internal/trace"
	"github.com/shophub/shophub/mappings"
	"github.com/shophub/shophub/metrics"
)

// Handlers holds what the task handlers share.
type Handlers struct {
	Store  *hub.Store
	Queue  *Queue
	Points *Touchpoints
	Policy hub.Policy
	// Batcher, when set, merges concurrent ingests in shared transactions.
	Batcher *Batcher
	// Marker, when set, records dispatched outbox events in bulk.
	Marker *Marker
	// Recorder, when set, records pushes to existing links in bulk.
	Recorder *Recorder
	// Front, when set and running, takes the first steps of concurrent
	// pushes together (pushfront.go).
	Front *PushFront
	// Metrics, when set, counts each push of a batch task as a push task
	// run (pushbatch.go): the console's push figures count those.
	Metrics  *metrics.Metrics
	Log      *slog.Logger
	MaxRetry int
	// DedupeTTL is how long applied webhook event ids are remembered, so a
	// vendor's re-delivery after the task finished is dropped.
	DedupeTTL time.Duration
	// PollBudget bounds one poll task; a longer listing continues in a new
	// task, so a backfill never blocks a worker slot for long.
	PollBudget time.Duration
	// PollMergers is how many pages of customers a poll merges at once on
	// MySQL/MariaDB (0: defaultPollMergers; poll.go).
	PollMergers int
	// PollListAhead is how many pages a poll lists beyond those merging,
	// while they merge (0: one; negative: none; poll.go).
	PollListAhead int
	// ReconcilePace is the pause between two pages of a reconciliation
	// sweep, which is meant to go slowly (0: none).
	ReconcilePace time.Duration
	// Privacy limits vendors' data-protection requests (privacy.go).
	PrivacyPolicy PrivacyPolicy
	// Insights configure the indicators (insights.go); ScoreEvery and
	// ScoreAt the scheduled RFM run (0: none).
	Insights   hub.InsightOptions
	ScoreEvery time.Duration
	ScoreAt    time.Duration
	// OnInsights, when set, is told which customers' insights an event
	// changed (their hub.InsightChange rows are written already);
	// OnScored of each scheduled run.
	OnInsights func(context.Context, []hub.InsightResult)
	OnScored   func(context.Context, hub.ScoreResult)
	// Events, when set, runs the event engine (events.go); Now is its
	// clock (nil: time.Now), injectable so tests can move time.
	Events *EventPolicy
	Now    func() time.Time

	// BatchItems bounds the ingests of aggregated tasks running at once
	// in the process (0: 100; ingestgroup.go). Enough of them keep the
	// Batcher's transactions full: the app sets what fills all of them.
	BatchItems int

	adopt      adoptCoalescer      // orders.go
	pushGroups groups[PushPayload] // pushbatch.go
	known      knownCache          // knowncache.go
	batchOnce  gosync.Once
	batchSem   chan struct{}
}

// Register adds every handler to mux.
func (h *Handlers) Register(mux *asynq.ServeMux) {
	mux.Use(RedactErrors) // deadletters.go: no vendor body in a stored error
	mux.HandleFunc(TypeIngest, h.Ingest)
	mux.HandleFunc(TypeIngestBatch, h.IngestBatch) // ingestgroup.go
	mux.HandleFunc(TypeFanout, h.Fanout)
	mux.HandleFunc(TypePush, h.Push)
	mux.HandleFunc(TypePushBatch, h.PushBatch) // pushbatch.go
	mux.HandleFunc(TypePoll, h.Poll)
	mux.HandleFunc(TypeReconcile, h.Reconcile)       // reconcile.go
	mux.HandleFunc(TypeScore, h.Score)               // insights.go
	mux.HandleFunc(TypeRefresh, h.Refresh)           // insights.go
	mux.HandleFunc(TypeScorePush, h.ScorePush)       // insights.go
	h.registerPrivacy(mux)                           // privacy.go
	mux.HandleFunc(TypeEventScan, h.eventScan)       // events.go
	mux.HandleFunc(TypeEventDeliver, h.eventDeliver) // events.go
}

func (h *Handlers) touchpoint(ctx context.Context, name string) (*Touchpoint, error) {
	tp, ok := h.Points.Get(name)
	if !ok {
		// Configuration changed under a queued task: retrying cannot help.
		return nil, fmt.Errorf("connector instance %q is not configured: %w", name, asynq.SkipRetry)
	}
	if err := tp.Ready(ctx); err != nil {
		return nil, err // the instance is down: wait for it (health.go)
	}
	return tp, nil
}

// touchpointAs is touchpoint with its connector as C, the capability the
// work needs (can names it: "write", "list"). A connector without it will
// not gain it by a retry.
func touchpointAs[C any](ctx context.Context, h *Handlers, name, can string) (*Touchpoint, C, error) {
	var conn C
	tp, err := h.touchpoint(ctx, name)
	if err != nil {
		return nil, conn, err
	}
	conn, ok := tp.Conn.(C)
	if !ok {
		return nil, conn, fmt.Errorf("%s cannot %s: %w", name, can, asynq.SkipRetry)
	}
	return tp, conn, nil
}

// Ingest maps one vendor record to canonical form and merges it.
func (h *Handlers) Ingest(ctx context.Context, t *asynq.Task) error {
	return h.ingestTask(ctx, t.Payload())
}

// ingestTask runs one ingest task's payload: a task's own, or one of an
// aggregated task's (IngestBatch).
func (h *Handlers) ingestTask(ctx context.Context, payload []byte) error {
	p, err := decodeIngest(payload)
	if err != nil {
		return fmt.Errorf("ingest payload: %v: %w", err, asynq.SkipRetry)
	}
	trace.Mark(trace.Event{Step: trace.IngestStarted, Instance: p.Instance, ExternalID: p.ExternalID, Key: p.EventID})
	tp, err := h.touchpoint(ctx, p.Instance)
	if err != nil {
		return err
	}
	log := logx.Logger(ctx, h.Log).With("connector", p.Instance, "external_id", p.ExternalID, "event_id", p.EventID)
	if p.RequestID != "" {
		log = log.With("request_id", p.RequestID)
	}
	// One Redis command per task: the event is claimed for this task's
	// delivery before the work (dedupe.go). A task enqueued without one (by
	// an older version) skips the dedupe; its task id still collapses
	// re-deliveries while it is queued.
	seenKey := "seen:" + p.Instance + ":" + p.EventID
	claimed := p.EventID != "" && p.Delivery != "" && h.DedupeTTL > 0
	pushMayHold := true
	if claimed {
		// The same round trip says whether a push holds the record a
		// webhook carries (see ingest): mostly none does, and the record's
		// lock is then neither taken nor given back.
		watch := ""
		if bodyMayBeEcho(tp, p) {
			watch = recordLockName(p.Instance, p.Resource, p.ExternalID)
		}
		ok, held, err := h.Queue.ClaimEventWatching(ctx, seenKey, p.Delivery, h.DedupeTTL, watch)
		if err != nil {
			return err
		} else if !ok {
			log.Debug("event applied before; dropping re-delivery")
			return nil
		}
		pushMayHold = held
	}
	if err := h.ingest(ctx, tp, p, log, pushMayHold); err != nil {
		if claimed {
			// A failed attempt is not remembered: a re-delivery after it
			// (its task gone from the queue) is merged.
			h.Queue.ReleaseEvent(seenKey, p.Delivery, log)
		}
		return err
	}
	return nil
}

// bodyMayBeEcho: p carries a customer record of a touchpoint we push to,
// so it may be the vendor's echo of a push still under way (see ingest).
func bodyMayBeEcho(tp *Touchpoint, p IngestPayload) bool {
	switch p.Resource {
	case connectors.ResourceTicket, connectors.ResourceOrder, connectors.ResourceCart:
		return false
	}
	return p.hasBody() && !p.Deleted && tp.CanPush(p.Resource)
}

// ingest maps and merges the record of p. pushMayHold false says that no
// push held the record's lock after the webhook of p was sent (the
// claim's round trip looked).
func (h *Handlers) ingest(ctx context.Context, tp *Touchpoint, p IngestPayload, log *slog.Logger, pushMayHold bool) error {
	if p.Resource == connectors.ResourceTicket {
		return h.ingestTicket(ctx, tp, p, log) // tickets.go
	}
	if p.Resource == connectors.ResourceOrder {
		return h.ingestOrder(ctx, tp, p, log) // orders.go
	}
	if p.Resource == connectors.ResourceCart {
		return h.ingestCart(ctx, tp, p, log) // carts.go
	}
	if p.Deleted {
		return h.vendorDeleted(ctx, tp, p.Resource, p.ExternalID, p.SourceAt, deletedBy(p), log) // deletion.go
	}
	if !p.hasBody() || (pushMayHold && tp.CanPush(p.Resource)) {
		// The record is fetched now: no push may write it between our read
		// and our merge, or the merge would take the read for an edit
		// newer than that push (recordlock.go).
		//
		// A record the webhook carries (Shopify's body) waits too, where
		// we push: it may be the vendor's echo of a push that has written
		// but not yet recorded what it wrote. Merged then, our write
		// compares with the push before it and is taken for an edit at
		// the vendor, stamped when our write landed: a push computed
		// before a newer edit elsewhere and landing after it (a Shopware
		// first name edited twice within a second, the push of the first
		// one waiting on Shopify) took the hub back to the older value
		// (TestLateShopifyEchoOfAnOvertakenPushRevertsNothing). Merged
		// after the record, it is our own write, found stale, and the
		// vendor gets the hub's value again.
		//
		// Only while a push holds the lock: a push holds it from before
		// its write until it has recorded it, so a body showing a push's
		// write was sent while that push held it, and one found free
		// after the webhook came shows no write left unrecorded. Taken
		// and given back for every webhook, the lock cost two Redis
		// round trips each, and bench merge 18 % of its customers a
		// second (BENCHMARKS.md, session 18).
		release, err := h.lockRecord(ctx, tp.Name, p.Resource, p.ExternalID, ingestLockWait)
		if err != nil {
			return err
		}
		defer release()
	}
	rec, err := h.recordOf(ctx, tp, p, log)
	if rec == nil {
		return err
	}
	if rec.Deleted {
		// Archived or deactivated, the record still holds the person's
		// data (an erasure reaches it); not found, it is gone.
		by := deletedByFetch
		if rec.Data == nil {
			by = deletedBySweep
		}
		return h.vendorDeleted(ctx, tp, p.Resource, p.ExternalID, rec.UpdatedAt, by, log)
	}
	record, at := rec.Data, rec.UpdatedAt
	doc, err := tp.Mapping.InboundWith(p.Resource, record, h.previousDoc(ctx, tp, p.Resource, p.ExternalID, record)...)
	if errors.Is(err, mappings.ErrSkip) {
		log.Debug("record skipped by mapping")
		return nil
	}
	if err != nil {
		return h.quarantine(ctx, p, err)
	}
	in := h.inbound(tp, p.Resource, p.ExternalID, p.EventID, at, doc)
	in.ReadAt = rec.ReadAt
	if !rec.ReadAt.IsZero() {
		in.AnnouncedAt = p.ReceivedAt // the fetch is of the record the event named
	}
	in.Unverified = tp.unverified(p.Resource, record) // trust.go
	var seen map[string]any
	if p.Listed && len(p.Snapshot) > 0 {
		if seen, err = h.baseline(ctx, tp.Name, p.Resource, p.ExternalID); err != nil {
			return err
		}
	}
	trace.Mark(trace.Event{Step: trace.IngestReady, Instance: p.Instance, ExternalID: p.ExternalID, Key: p.EventID})
	var res hub.Result
	if h.Batcher != nil {
		res, err = h.Batcher.Merge(ctx, in)
	} else {
		res, err = h.Store.MergeCustomer(ctx, in, h.Policy)
	}
	if errors.Is(err, hub.ErrTooLong) {
		return h.quarantine(ctx, p, err)
	}
	if err != nil {
		return err
	}
	if res.Pending {
		// Maybe the echo of a create still running (hub.Result.Pending):
		// merged after the push has recorded it.
		return fmt.Errorf("%s %s %s: its customer is being pushed there; merged after that push: %w", p.Instance, p.Resource, p.ExternalID, errBusy)
	}
	trace.Mark(trace.Event{Step: trace.Merged, Instance: p.Instance, ExternalID: p.ExternalID, Key: p.EventID, CustomerID: res.CustomerID, Version: res.Version})
	if len(res.Conflicts) > 0 {
		log.Warn("fields not taken: value belongs to another customer", "customer_id", res.CustomerID, "fields", res.Conflicts)
	}
	if adopts(res) {
		h.adoptRecords(ctx, log, res.CustomerID) // orders.go
	}
	if res.OutboxID != 0 {
		log.Debug("customer changed", "customer_id", res.CustomerID, "version", res.Version, "fields", res.Changed)
		h.dispatchLogged(ctx, []hub.OutboxEvent{eventOf(in, res)})
	} else if res.Linked {
		h.linkAdded(ctx, res.CustomerID, tp.Name)
	}
	if len(p.Snapshot) > 0 && !p.hasBody() && p.Resource == connectors.ResourceCustomer {
		return h.recoverOverwritten(ctx, tp, p, res.CustomerID, doc, at, seen, log) // overwritten.go
	}
	return nil
}

// recordOf is the vendor record an ingest task is about: the task's body,
// or for an id-only event the record fetched now, with its source time (the
// task's, else now). A nil record means there is nothing to merge: it is
// gone at the vendor (nil error), its fetch failed, or its body is not JSON
// and was quarantined.
func (h *Handlers) recordOf(ctx context.Context, tp *Touchpoint, p IngestPayload, log *slog.Logger) (*connectors.Record, error) {
	rec := &connectors.Record{Resource: p.Resource, ExternalID: p.ExternalID, UpdatedAt: p.SourceAt}
	if !p.hasBody() {
		f, ok := tp.Conn.(connectors.Fetcher)
		if !ok {
			return nil, fmt.Errorf("%s sent an id-only %s event but cannot fetch records: %w", p.Instance, p.Resource, asynq.SkipRetry)
		}
		readAt := time.Now()
		fetched, err := f.Fetch(ctx, p.Resource, p.ExternalID)
		if errors.Is(err, connectors.ErrNotFound) {
			if p.Unlisted {
				// A sweep's question answered: the vendor has lost it (no
				// data: gone, not archived).
				return &connectors.Record{ExternalID: p.ExternalID, Deleted: true, UpdatedAt: readAt}, nil
			}
			log.Info("record gone before it could be fetched")
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fetch %s/%s: %w", p.Resource, p.ExternalID, err)
		}
		rec = fetched
		rec.UpdatedAt = sourceTime(rec.UpdatedAt, readAt) // sourcetime.go
		rec.ReadAt = readAt
		if rec.Invalid != "" {
			raw, _ := json.Marshal(rec.Data)
			p.Body = raw
			return nil, h.quarantine(ctx, p, errors.New(rec.Invalid))
		}
	} else if p.body != nil {
		rec.Data = p.body
	} else if err := json.Unmarshal(p.Body, &rec.Data); err != nil {
		return nil, h.quarantine(ctx, p, fmt.Errorf("record is not a JSON object: %w", err))
	}
	if rec.UpdatedAt.IsZero() {
		rec.UpdatedAt = time.Now()
	}
	return rec, nil
}

// inbound builds the hub's view of a record, saying whether anybody would
// receive the change.
func (h *Handlers) inbound(tp *Touchpoint, resource, externalID, eventID string, at time.Time, doc map[string]any) hub.Inbound {
	others := false
	for _, o := range h.Points.All() {
		if o != tp && o.CanPush(resource) {
			others = true
			break
		}
	}
	// The record speaks only for what its mapping covers: a field the
	// touchpoint cannot hold is never cleared or overwritten by its echo.
	// A touchpoint the hub never writes to has no echoes.
	cov := tp.Mapping.Coverage(resource)
	if !tp.CanPush(resource) {
		cov = cov.AsSource()
	}
	return hub.Inbound{Instance: tp.Name, Resource: resource, ExternalID: externalID, EventID: eventID, SourceAt: at, Doc: doc,
		Coverage: cov, NoFanout: !others, NoEcho: !tp.CanPush(resource)}
}

// eventOf is the outbox event a merge wrote, rebuilt from its result so the
// fan-out needs no read.
func eventOf(in hub.Inbound, r hub.Result) hub.OutboxEvent {
	fields, _ := json.Marshal(r.Changed)
	return hub.OutboxEvent{ID: r.OutboxID, CustomerID: r.CustomerID, Version: r.Version, Resource: in.Resource,
		Origin: in.Instance, Fields: string(fields), OriginStale: r.OriginStale}
}

// dispatchLogged fans events out right after their merge, saving the hop
// through a fan-out task. The outbox rows are committed: if this fails, the
// relay re-sends them, so the merge itself has succeeded.
func (h *Handlers) dispatchLogged(ctx context.Context, evs []hub.OutboxEvent) {
	if err := h.dispatch(ctx, evs); err != nil {
		logx.Logger(ctx, h.Log).Warn("fan-out failed; the outbox relay will retry", "events", len(evs), "err", err)
	}
}

// dispatch enqueues the push tasks of events and marks them dispatched.
func (h *Handlers) dispatch(ctx context.Context, evs []hub.OutboxEvent) error {
	ids := make([]uint64, 0, len(evs))
	var pushes []PushPayload
	for _, ev := range evs {
		pushes = append(pushes, h.pushesOf(ev)...)
		ids = append(ids, ev.ID)
	}
	if err := h.enqueuePushes(ctx, pushes); err != nil { // pushbatch.go
		return err
	}
	if h.Marker != nil {
		h.Marker.Mark(ids...)
		return nil
	}
	return h.Store.MarkDispatched(ctx, ids...)
}

func (h *Handlers) quarantine(ctx context.Context, p IngestPayload, reason error) error {
	p.fullBody()
	logx.Logger(ctx, h.Log).Warn("record quarantined", "connector", p.Instance, "external_id", p.ExternalID, "reason", reason.Error())
	q := &hub.Quarantined{Instance: p.Instance, Resource: p.Resource, ExternalID: p.ExternalID, EventID: p.EventID,
		SourceAt: p.SourceAt, Payload: p.Body, Reason: reason.Error()}
	if err := h.Store.Quarantine(ctx, q); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	return nil
}

// Fanout turns one outbox event into push tasks, one per other touchpoint
// that takes pushes of the resource — never back to the origin, unless the
// origin sent values the hub rejected and so holds stale data.
func (h *Handlers) Fanout(ctx context.Context, t *asynq.Task) error {
	var p FanoutPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("fanout payload: %v: %w", err, asynq.SkipRetry)
	}
	ev, err := h.Store.OutboxEvent(ctx, p.OutboxID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ev.DispatchedAt != nil {
		return nil
	}
	return h.dispatch(ctx, []hub.OutboxEvent{*ev})
}

// pushesOf is the pushes of an event: one per touchpoint that should get
// it.
func (h *Handlers) pushesOf(ev hub.OutboxEvent) []PushPayload {
	changed := ev.Fields != "" && ev.Fields != "null" && ev.Fields != "[]"
	var out []PushPayload
	for _, tp := range h.Points.All() {
		if !tp.CanPush(ev.Resource) {
			continue
		}
		origin := tp.Name == ev.Origin
		if (origin && !ev.OriginStale) || (!origin && !changed) {
			continue
		}
		out = append(out, PushPayload{Instance: tp.Name, Resource: ev.Resource, CustomerID: ev.CustomerID, Version: ev.Version, Force: origin})
	}
	return out
}

// maxConflicts is how many attempts of a push may find the target changed
// under them (connectors.ErrChanged) before it writes unconditionally.
const maxConflicts = 3

// errBusy: the work is held by another task (a lease) or the target's push
// slots are all taken; it is retried soon and does not count as a failure.
var errBusy = errors.New("busy")

// errCustomerBusy: another worker is pushing this customer to this target.
var errCustomerBusy = fmt.Errorf("another push of this customer to this target is running: %w", errBusy)

// Push brings one touchpoint up to the hub's current state of a customer.
// It renders the current state, not the task's version, so an older task
// never overwrites newer data at the target.
func (h *Handlers) Push(ctx context.Context, t *asynq.Task) error {
	var p PushPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("push payload: %v: %w", err, asynq.SkipRetry)
	}
	return h.push(ctx, p, slotWait)
}

// push is Push of payload p, waiting up to slotWait for a push slot of
// the target.
func (h *Handlers) push(ctx context.Context, p PushPayload, slotWait time.Duration) error {
	trace.Mark(trace.Event{Step: trace.PushStarted, Instance: p.Instance, CustomerID: p.CustomerID, Version: p.Version})
	tp, w, err := touchpointAs[connectors.Writer](ctx, h, p.Instance, "write")
	if err != nil {
		return err
	}
	release, err := tp.slot(ctx, slotWait)
	if err != nil {
		return err
	}
	defer release()
	// One push per customer and target at a time (its lock), then the
	// customer and its links: with the pushes running beside it, through
	// the front (pushfront.go).
	start, ok, err := h.pushStart(ctx, tp, p)
	// The record's lock, once taken below (or with the customer's by the
	// front), is given up with this one in one round trip.
	var recordLease *Lease
	if start.lease != nil {
		defer func() {
			if start.record != nil && start.record != recordLease {
				h.Queue.ReleaseAll(ctx, start.record, recordLease, start.lease)
				return
			}
			h.Queue.ReleaseAll(ctx, recordLease, start.lease)
		}()
	}
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ok {
		return errCustomerBusy
	}
	defer start.lease.Keep(ctx)()
	// Every record lease the push takes is kept alive as long as it runs,
	// as the customer's is: a vendor slow past the lease's ttl would let
	// a fetching ingest or a poll read our write before it is recorded.
	var keeps []func()
	defer func() {
		for _, stop := range keeps {
			stop()
		}
	}()
	hold := func(l *Lease) *Lease {
		if l != nil {
			keeps = append(keeps, l.Keep(ctx))
		}
		return l
	}
	trace.Mark(trace.Event{Step: trace.PushLocked, Instance: p.Instance, CustomerID: p.CustomerID, Version: p.Version})
	cust, doc, links, link, linkWaits := start.cust, start.doc, start.links, start.link, start.linkWaits
	if link != nil && link.VendorDeletedAt != nil {
		if !tp.recreatesDeleted() { // deletion.go
			return nil // deleted at the vendor: never re-created behind the operator's back
		}
		if err := h.Store.Unlink(ctx, link.Instance, link.Resource, link.ExternalID); err != nil {
			return err
		}
		link, links = nil, nil // read again for the knowledge
	}
	if link != nil && link.Unverified {
		return nil // an unverified account gets none of the person's data (trust.go)
	}
	if link != nil && !p.Force && link.LastPushedVersion >= cust.Version {
		return nil // this version or a newer one is already there
	}
	if doc, err = h.withKnowledge(ctx, tp, p.Resource, cust, doc, links, p.Force); err != nil { // knowledge.go
		return err
	}
	payload, err := tp.Mapping.Outbound(p.Resource, doc)
	if errors.Is(err, mappings.ErrSkip) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("render %s payload: %w: %w", p.Instance, err, asynq.SkipRetry)
	}
	hash := hub.HashDoc(payload)
	extID, last, fills := "", map[string]any(nil), map[string]any(nil)
	if link != nil {
		extID = link.ExternalID
		// A knowledge refresh (an order, ticket or score changed what the
		// hub knows, not the customer) whose render is what the target
		// last got has nothing to bring: the insights and figures this
		// mapping renders did not change (a target rendering segment and
		// class, not ticket counts, or one with its insight settings off).
		if hash == link.LastPushedHash && (!p.Force || p.Knowledge != "") {
			// Unless the target edited the record since that push and
			// the hub went back to what we pushed (convergence seed 7:
			// Shopify's region replaced by a Magento admin setting back
			// the one our push wrote to Shopify before): the target
			// holds its own edit, not our render.
			edited, err := h.Store.EditedSince(ctx, p.CustomerID, p.Instance, link.LastPushedVersion)
			if err != nil {
				return err
			}
			if !edited {
				return h.recordPush(ctx, p, extID, hash, cust.Version)
			}
		}
		last, fills = decodePushedDoc(link.LastPushedDoc)
	}
	// Read before write: what the target holds now is merged into the hub
	// first (an edit there the hub has not seen yet is the newest truth,
	// not something to overwrite), and the write is reduced to what the
	// target holds differently from the hub.
	var cur map[string]any
	var current *connectors.Record
	if extID != "" {
		// Read, write and record under the record's lock: an ingest that
		// fetches this record waits, so it reads either before our read or
		// after our record (recordlock.go).
		if start.record != nil && start.recExt == extID {
			recordLease = start.record
		} else if recordLease, err = h.recordLease(ctx, p.Instance, p.Resource, extID, pushLockWait); err != nil {
			return err
		}
		hold(recordLease)
		var merged bool
		var v int64
		if cur, current, merged, v, err = h.readTarget(ctx, tp, p, extID); err != nil {
			return err
		}
		if !merged && v != 0 {
			merged = v != cust.Version // read with the target's "said before" (one statement)
		} else if !merged {
			// The hub may have moved on between our read of the customer
			// and our read of the target without this read changing it:
			// the target's own edit merged from its webhook meanwhile,
			// and the target, read now, holds just that (its last record:
			// nothing to merge). Rendered from the customer read before,
			// the write would carry the value that edit replaced and
			// revert it at the target (two Shopify edits within a second:
			// the first one written back over the second).
			v, err := h.Store.CustomerVersion(ctx, p.CustomerID)
			if errors.Is(err, hub.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			merged = v != cust.Version // moved on: rendered anew below
		}
		trace.Mark(trace.Event{Step: trace.PushRead, Instance: p.Instance, ExternalID: extID, CustomerID: p.CustomerID, Version: p.Version})
		if merged {
			if cust, doc, err = h.Store.Customer(ctx, p.CustomerID); err != nil {
				return err
			}
			if doc, err = hub.Shareable(cust, doc); err != nil {
				return err
			}
			if doc, err = h.withKnowledge(ctx, tp, p.Resource, cust, doc, nil, p.Force); err != nil {
				return err
			}
			payload, err = tp.Mapping.Outbound(p.Resource, doc)
			if errors.Is(err, mappings.ErrSkip) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("render %s payload: %w: %w", p.Instance, err, asynq.SkipRetry)
			}
			hash = hub.HashDoc(payload)
		}
	} else {
		var found *connectors.Record
		if found, err = h.find(ctx, tp, p.Resource, doc); err != nil {
			return err
		}
		if found != nil {
			cur = h.canonical(ctx, tp, p.Resource, found)
			// The email names an account nobody verified (trust.go), or,
			// under the email_name match key, one holding someone else's
			// names: not the person's to write into, and no second one
			// can be made.
			if tp.unverified(p.Resource, found.Data) || h.Policy.NameMismatch(cur, doc) {
				logx.Logger(ctx, h.Log).Info("push skipped: the target's record with this email is unverified",
					"connector", p.Instance, "customer_id", p.CustomerID, "external_id", found.ExternalID)
				return nil
			}
			// The person's own account, which the hub has not heard of
			// yet: the guest's values stay out of it, as they would had
			// its record reached the hub first (hub.ShareableWith). The
			// hub learns its values when it next reads it.
			// A first push only: rendered again whatever it leaves out.
			if doc, err = hub.ShareableWith(cust, doc, true); err != nil {
				return err
			}
			if payload, err = tp.Mapping.Outbound(p.Resource, doc); errors.Is(err, mappings.ErrSkip) {
				return nil
			} else if err != nil {
				return fmt.Errorf("render %s payload: %w: %w", p.Instance, err, asynq.SkipRetry)
			}
			hash = hub.HashDoc(payload)
			extID = found.ExternalID
			// Written and recorded under its lock, as a linked record is.
			if recordLease, err = h.recordLease(ctx, p.Instance, p.Resource, extID, pushLockWait); err != nil {
				return err
			}
			hold(recordLease)
		}
	}
	// A record the read found archived or deactivated (Odoo's inactive
	// partner, OXID's OXACTIVE=0) is a deletion found, not a record to
	// write into; its data is still there for an erasure to reach.
	deactivated := current != nil && current.Deleted
	write := payload
	if extID != "" && !deactivated {
		var changed bool
		if write, changed = h.changes(tp, p.Resource, doc, cur, last, payload); !changed {
			// The target holds everything already: no write, no echo. Its
			// fills stay recorded while it holds them.
			view := pushedView(tp, p.Resource, doc)
			withFills(view, hub.TargetFills(tp.Mapping.Coverage(p.Resource), view, cur, fills, cur, false))
			overtaken, err := h.recordPushed(ctx, p, link, extID, hash, cust.Version, view) // pushfront.go
			return h.afterPush(ctx, p, cust.Version, overtaken, err)
		}
	}
	var rec *connectors.Record
	// create writes a new record; one the writer lets us name is named
	// first, and its lock taken on that name before the write.
	create := func() (*connectors.Record, error) {
		n, ok := w.(connectors.Namer)
		if !ok {
			return w.Upsert(ctx, p.Resource, "", payload)
		}
		id := n.NewExternalID(p.Resource)
		lease, err := h.recordLease(ctx, p.Instance, p.Resource, id, 0)
		if err != nil {
			return nil, err
		}
		recordLease = hold(lease)
		return n.CreateAs(ctx, p.Resource, id, payload)
	}
	switch u, ok := w.(connectors.Updater); {
	case extID == "":
		rec, err = create()
	case deactivated:
		err = fmt.Errorf("%s %s %s is archived or deactivated: %w", p.Instance, p.Resource, extID, connectors.ErrNotFound)
	case ok && current != nil && current.ExternalID == extID && p.Conflicts < maxConflicts:
		rec, err = u.Update(ctx, p.Resource, current, write) // saves the writer its own read
	default:
		rec, err = w.Upsert(ctx, p.Resource, extID, write)
	}
	if errors.Is(err, connectors.ErrNotFound) && extID != "" {
		// Deleted at the vendor since it was linked (or found): a detected
		// deletion, and its policy says whether the record is created anew.
		by := deletedByPush
		if deactivated {
			by = deletedByFetch
		}
		if link != nil && link.ExternalID == extID {
			log := logx.Logger(ctx, h.Log).With("connector", p.Instance, "external_id", extID)
			if derr := h.vendorDeleted(ctx, tp, p.Resource, extID, time.Now(), by, log); derr != nil {
				return derr
			}
			if !tp.recreatesDeleted() {
				return nil
			}
			link = nil // unlinked (recreate): the new record is a new link
		}
		// The lost record's lock goes; the new one's is taken with its
		// name, or right after its write.
		if recordLease != nil && recordLease != start.record {
			h.Queue.ReleaseAll(ctx, recordLease)
		}
		recordLease = nil
		rec, err = create()
	}
	waiting := errors.Is(err, connectors.ErrNotRepresentable)
	if waiting {
		if err := h.wait(ctx, p, err); err != nil || rec == nil {
			return err
		}
	} else if errors.Is(err, connectors.ErrChanged) {
		// Edited at the target since our read: nothing was written. A new
		// attempt reads and merges that edit before it writes.
		logx.Logger(ctx, h.Log).Info("target changed since the push read it; pushing again",
			"connector", p.Instance, "customer_id", p.CustomerID, "external_id", extID, "conflicts", p.Conflicts+1)
		next := p
		next.Conflicts++
		return h.Queue.Enqueue(ctx, NewPushTask(next, h.MaxRetry))
	} else if err != nil {
		return pushError(p, err)
	}
	if recordLease == nil && rec.ExternalID != "" {
		// A record this write created, named by the vendor: its id-only
		// echo, fetched under the record's lock, and a poll listing it
		// (deferHeld) wait until the push has recorded the link and what
		// the target filled in. Merged first, the echo is a record nobody
		// pushed to, and the target's fills (Shopware's address names)
		// become edits. Busy: the echo got there first. A writer that lets
		// us name the record (create) closes that window.
		if l, err := h.recordLease(ctx, p.Instance, p.Resource, rec.ExternalID, 0); err == nil {
			recordLease = hold(l)
		}
	}
	logx.Logger(ctx, h.Log).Debug("pushed", "connector", p.Instance, "customer_id", p.CustomerID, "version", cust.Version, "external_id", rec.ExternalID)
	trace.Mark(trace.Event{Step: trace.PushWritten, Instance: p.Instance, ExternalID: rec.ExternalID, CustomerID: p.CustomerID, Version: cust.Version})
	// Recorded at once, before the vendor's echo can be merged: the echo is
	// recognised by the values pushed, and a new link must exist before the
	// next push, or that push would create the record a second time.
	view := pushedView(tp, p.Resource, doc)
	withFills(view, h.targetFills(tp, p.Resource, doc, view, rec, fills, cur, extID == ""))
	if waiting {
		// Part of the write was left out (a Magento attribute the store
		// lacks): neither the knowledge nor the render is a baseline, so
		// once the target can hold it the next push writes it even if it
		// did not change.
		delete(view, mappings.HubKey)
		hash = ""
	}
	overtaken, err := h.recordPushed(ctx, p, link, rec.ExternalID, hash, cust.Version, view) // pushfront.go
	if errors.Is(err, hub.ErrNotFound) {
		return h.erasedWhilePushing(ctx, tp, p, rec.ExternalID, doc) // privacy.go
	}
	if err == nil && link == nil {
		err = h.seedBaseline(ctx, tp, p.Resource, rec, view) // poll.go: the fields written, as view names them
		h.linkAdded(ctx, p.CustomerID, tp.Name)
	}
	if err == nil && !waiting && (link == nil || linkWaits) {
		err = h.Store.Unwait(ctx, p.CustomerID, p.Instance, p.Resource)
	}
	trace.Mark(trace.Event{Step: trace.PushRecorded, Instance: p.Instance, ExternalID: rec.ExternalID, CustomerID: p.CustomerID, Version: cust.Version})
	return h.afterPush(ctx, p, cust.Version, overtaken, err)
}

// targetFills is what the target filled in with our write where the hub
// holds nothing (hub.TargetFills), read from the write's answer: its
// read-back, mapped in as the hub's doc and the pushed view would be.
func (h *Handlers) targetFills(tp *Touchpoint, resource string, doc, view map[string]any, rec *connectors.Record, prev, before map[string]any, created bool) map[string]any {
	if rec == nil || rec.Data == nil || resource != connectors.ResourceCustomer {
		return nil
	}
	after, err := tp.Mapping.InboundWith(resource, rec.Data, doc, view)
	if err != nil {
		return nil
	}
	return hub.TargetFills(tp.Mapping.Coverage(resource), view, after, prev, before, created)
}

// withFills records fills with a pushed view (hub.FilledKey).
func withFills(view, fills map[string]any) {
	if len(fills) > 0 {
		view[hub.FilledKey] = fills
	}
}

// afterPush pushes again when the hub moved on while this push ran: the
// write may have carried values older than the hub's, and a change that
// came from the target itself enqueues no push back to it.
func (h *Handlers) afterPush(ctx context.Context, p PushPayload, version int64, overtaken bool, err error) error {
	if err != nil || !overtaken {
		return err
	}
	// Under the hub's current version, which is newer than the one pushed:
	// the task id then differs from this (running) task's own.
	cur, err := h.Store.CustomerVersion(ctx, p.CustomerID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return h.Queue.Enqueue(ctx, NewPushTask(PushPayload{Instance: p.Instance, Resource: p.Resource, CustomerID: p.CustomerID, Version: max(cur, version), Force: true}, h.MaxRetry))
}

// wait records that the target cannot hold the customer yet (not a
// failure, no retry, no dead letter): the next change of the customer
// pushes it again, and status and the 360° view show the reason meanwhile.
func (h *Handlers) wait(ctx context.Context, p PushPayload, reason error) error {
	logx.Logger(ctx, h.Log).Info("target cannot hold the customer yet; waiting for the missing data",
		"connector", p.Instance, "customer_id", p.CustomerID, "reason", reason.Error())
	if err := h.Store.Wait(ctx, p.CustomerID, p.Instance, p.Resource, reason.Error()); err != nil {
		return fmt.Errorf("record waiting push: %w", err)
	}
	return nil
}

// pushedView is the pushed doc limited to the fields the target maps in
// (what it should hand back of a push) and the fields it renders (what the
// next push compares with where the target cannot be read back). The hub
// knowledge the push rendered (_hub, knowledge.go) is kept too: no target
// reads it back (insight metafields, custom fields, properties, shophub:*
// tags), so the next push's diff (pushdiff.go) compares the knowledge with
// what was last pushed and leaves unchanged insights out of the write.
func pushedView(tp *Touchpoint, resource string, doc map[string]any) map[string]any {
	out := map[string]any{}
	keep := func(f string) {
		if v, ok := doc[f]; ok {
			out[f] = v
		}
	}
	keep(mappings.HubKey)
	for _, f := range tp.Mapping.Fields(resource) {
		keep(f)
	}
	if cov := tp.Mapping.Coverage(resource); cov != nil {
		for _, path := range cov.Outbound {
			f, _, _ := strings.Cut(path, ".")
			keep(f)
		}
	}
	return out
}

// recordPush records that a target already holds a version (nothing was
// sent), in bulk when a recorder runs.
func (h *Handlers) recordPush(ctx context.Context, p PushPayload, extID, hash string, version int64) error {
	if h.Recorder == nil {
		_, err := h.Store.Pushed(ctx, p.CustomerID, p.Instance, p.Resource, extID, hash, version, nil)
		return err
	}
	h.Recorder.Add(hub.PushRecord{CustomerID: p.CustomerID, Instance: p.Instance, Resource: p.Resource,
		ExternalID: extID, Hash: hash, Version: version, At: time.Now()})
	return nil
}

// find looks for an existing vendor record of the person by email, so a
// push links to it instead of creating a duplicate; nil when there is none.
func (h *Handlers) find(ctx context.Context, tp *Touchpoint, resource string, doc map[string]any) (*connectors.Record, error) {
	f, ok := tp.Conn.(connectors.Finder)
	email, _ := doc["email"].(string)
	if !ok || email == "" {
		return nil, nil
	}
	rec, err := f.FindBy(ctx, resource, "email", email)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, pushError(PushPayload{Instance: tp.Name}, err)
	}
	return rec, nil
}

// pushError marks vendor errors no retry can fix so they go straight to the
// dead letters with the vendor's reason.
func pushError(p PushPayload, err error) error {
	if errors.Is(err, connectors.ErrPermanent) {
		return fmt.Errorf("push to %s: %w: %w", p.Instance, err, asynq.SkipRetry)
	}
	return fmt.Errorf("push to %s: %w", p.Instance, err)
}

// previousDoc is what a record is read against by mappings that keep the
// hub's split of a one-field vendor value (Odoo's name) while the vendor's
// value equals its rendering (mappings.Mapping.InboundWith): the hub's
// current doc, then the doc last pushed to the record. Our push read back
// after the hub changed both halves since renders neither the hub's doc
// nor half of it, only what we pushed: split afresh it differs from the
// push on a compound name and asserts edits nobody made (convergence seed
// 19: hub first name "Fridab Ebert"). Nil for other mappings and when the
// read fails (the record is then split afresh, as a new one would be). A
// record the hub has no link to yet is looked up by its email: the
// read-back of our own create can arrive (by poll) before the create's
// link is stored, and split afresh it would assert a two-word last name
// as part of the first name. Last, the source's own last record (the
// link's baseline): a name nobody changed at the vendor, listed again
// after the hub moved on and before our push of that move reached it,
// renders neither the hub's doc nor the last push; split afresh, a
// compound name ("Dario Brunoz" "Ebert Grotea") differs from the baseline
// on both halves and reads as two edits that revert the hub's newer ones
// (convergence seed 15 at 5 customers × 20 edits).
func (h *Handlers) previousDoc(ctx context.Context, tp *Touchpoint, resource, externalID string, record map[string]any) []mappings.Doc {
	if resource != connectors.ResourceCustomer || !tp.Mapping.UsesPrevious(resource) {
		return nil
	}
	id, err := h.Store.CustomerByRecord(ctx, tp.Name, resource, externalID)
	linked := err == nil
	if !linked {
		fresh, ferr := tp.Mapping.Inbound(resource, record)
		email, _ := fresh["email"].(string)
		if ferr != nil || email == "" {
			return nil
		}
		c, cerr := h.Store.CustomerByEmail(ctx, email)
		if cerr != nil {
			return nil
		}
		id = c.ID
	}
	_, doc, err := h.Store.Customer(ctx, id)
	if err != nil {
		return nil
	}
	out := []mappings.Doc{doc}
	if linked {
		if l, err := h.Store.Link(ctx, id, tp.Name, resource); err == nil && l.ExternalID == externalID {
			if pushed := decodeLinkDoc(l.LastPushedDoc); pushed != nil {
				out = append(out, pushed)
			}
			if last := decodeLinkDoc(l.LastInboundDoc); last != nil {
				out = append(out, last)
			}
		}
	}
	return out
}

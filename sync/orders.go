package sync

import (
	"context"
	"log/slog"
	"slices"
	gosync "sync"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/mappings"
)

// Orders have their own path through the pipeline, like tickets: the shop
// is the only writer of its orders, so the newest state is merged as a
// whole into hub.Order — no field policy, no fan-out of the order itself.
// What an order changes for other systems is the customer's figures (order
// count, total spent, last order), which reach the touchpoints whose
// mappings read them through pushes of the customer.

// ingestOrder maps and merges one order of an ingest task.
func (h *Handlers) ingestOrder(ctx context.Context, tp *Touchpoint, p IngestPayload, log *slog.Logger) error {
	if !takesOrders(tp) {
		log.Debug("order event dropped: the instance does not take orders (resources or mapping)")
		return nil
	}
	if p.Deleted {
		// A shop deletes test or fraud orders; the hub keeps the history
		// (an erasure removes a person's orders, see hub.Erase).
		log.Info("order deleted at the shop; the hub keeps its history")
		return nil
	}
	return h.ingestWhole(ctx, tp, p, log, h.mergeOrder)
}

// applyOrderPage merges a listed page of orders one by one (applyEach).
func (h *Handlers) applyOrderPage(ctx context.Context, tp *Touchpoint, records []connectors.Record) error {
	if !takesOrders(tp) {
		return nil
	}
	return h.applyEach(ctx, tp, connectors.ResourceOrder, records, h.mergeOrder)
}

func (h *Handlers) mergeOrder(ctx context.Context, tp *Touchpoint, p IngestPayload, record map[string]any, at time.Time, log *slog.Logger) error {
	res, ok, err := mergeWhole(ctx, h, tp, p, record, log, mappings.NormalizeOrder, func(doc mappings.Doc) (hub.OrderResult, error) {
		return h.Store.MergeOrder(ctx, hub.OrderInbound{Instance: p.Instance, ExternalID: p.ExternalID, EventID: p.EventID, SourceAt: at, Doc: doc})
	})
	if !ok {
		return err
	}
	if res.Erased {
		log.Info("order of an erased person dropped")
		return nil
	}
	if !res.AffectsFigures() {
		return nil
	}
	log.Debug("order changed", "order_id", res.OrderID, "customer_id", res.CustomerID, "version", res.Version, "fields", res.Changed)
	for _, id := range []uint64{res.CustomerID, res.PreviousCustomerID} {
		if id != 0 {
			h.refreshKnowledge(ctx, id, log)
		}
	}
	return nil
}

// adoptRecords links orders and tickets that arrived before their
// customer to the customers a merge just created or re-addressed, and
// refreshes the figures of those that adopted some.
func (h *Handlers) adoptRecords(ctx context.Context, log *slog.Logger, customerIDs ...uint64) {
	if len(customerIDs) == 0 {
		return
	}
	adopted, err := h.adopt.adopt(ctx, h.Store, customerIDs)
	if err != nil {
		// The records stay unlinked until their next update re-resolves
		// them; the customer merge itself has succeeded.
		log.Warn("orders and tickets not adopted", "customers", len(customerIDs), "err", err)
		return
	}
	for id, n := range adopted {
		log.Debug("orders and tickets adopted", "customer_id", id, "records", n)
		h.refreshKnowledge(ctx, id, log)
	}
}

// orderKnowledge is the order part of a customer's hub knowledge (see
// withKnowledge). Figures are in the customer's main currency (the one
// most of their orders were placed in): the hub has no exchange rates and
// never adds up amounts of different currencies. A customer without
// counted orders has count 0, total and average "0.00", and empty
// currency and dates, so a mapping can clear what a target showed before.
func orderKnowledge(f hub.OrderFigures) map[string]any {
	out := map[string]any{
		"order_count": f.Orders, "total_spent": "0.00", "average_order_value": "0.00",
		"currency": "", "first_order_date": day(f.FirstOrderAt), "last_order_date": day(f.LastOrderAt),
	}
	if f.Main != nil {
		out["total_spent"], out["average_order_value"], out["currency"] = f.Main.TotalSpent, f.Main.AverageOrderValue, f.Main.Currency
	}
	return out
}

// day turns an RFC 3339 time into its UTC date, "" into "".
func day(ts string) string {
	if len(ts) < 10 {
		return ""
	}
	return ts[:10]
}

// adopts reports whether a customer merge may have given orders or
// tickets that arrived early their customer: a new customer, a record
// newly linked to one (whose id they may name), or a new email.
func adopts(r hub.Result) bool {
	if r.CustomerID == 0 || r.Duplicate || r.Erased {
		return false
	}
	return r.Created || r.Linked || slices.Contains(r.Changed, "email")
}

// takesOrders: an instance whose configured resources leave out orders, or
// whose (overridden) mapping has no inbound order section, ignores order
// events rather than quarantining each one.
func takesOrders(tp *Touchpoint) bool {
	return tp.Handles(connectors.ResourceOrder) && tp.Mapping.HasInbound(connectors.ResourceOrder)
}

// adoptCoalescer shares one Store.Adopt among concurrent callers: a
// webhook ingest creating a customer asks for it once per task, and nearly
// always there is nothing to adopt, which one probe decides for all of
// them. A request joins the next call, never one already running, so the
// call starts after the caller's customers were committed, as an own call
// would. Nothing waits to fill a batch.
type adoptCoalescer struct {
	mu      gosync.Mutex
	busy    bool
	waiting []*adoptReq
}

type adoptReq struct {
	ids     []uint64
	adopted map[uint64]int
	err     error
	done    chan struct{}
}

func (c *adoptCoalescer) adopt(ctx context.Context, st *hub.Store, ids []uint64) (map[uint64]int, error) {
	r := &adoptReq{ids: ids, done: make(chan struct{})}
	c.mu.Lock()
	c.waiting = append(c.waiting, r)
	if !c.busy {
		c.busy = true
		go c.loop(st)
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.adopted, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// adoptTimeout bounds one shared call; callers' contexts do not apply,
// since it serves many of them.
const adoptTimeout = time.Minute

func (c *adoptCoalescer) loop(st *hub.Store) {
	for {
		c.mu.Lock()
		reqs := c.waiting
		c.waiting = nil
		if len(reqs) == 0 {
			c.busy = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		var ids []uint64
		for _, r := range reqs {
			ids = append(ids, r.ids...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), adoptTimeout)
		adopted, err := st.Adopt(ctx, ids...)
		cancel()
		for _, r := range reqs {
			r.err = err
			for _, id := range r.ids {
				if n, ok := adopted[id]; ok {
					if r.adopted == nil {
						r.adopted = map[uint64]int{}
					}
					r.adopted[id] = n
				}
			}
			close(r.done)
		}
	}
}

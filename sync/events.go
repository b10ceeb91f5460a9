package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/mappings"
	"gorm.io/gorm"
)

// The event engine: moments that matter, computed by the hub from what it
// holds (carts, orders, tickets, birthdays) and delivered to every
// touchpoint that takes events (connectors.EventSink). Each event is
// stored once per customer and occasion (hub.Event's unique key), so any
// number of workers, scans and restarts record it once; a scan is
// scheduled once per interval across all workers (a Redis claim per slot,
// like polls), and a delivery is a task in the target's push queue:
// retried, dead-lettered and replayable like every push.

// Task types of the event engine.
const (
	TypeEventScan    = "events:scan"
	TypeEventDeliver = "event:deliver"
)

// EventPolicy is the engine's configuration, resolved from config.Events.
type EventPolicy struct {
	Interval     time.Duration
	CartAfter    time.Duration
	CartAfterBy  map[string]time.Duration // per instance
	CartMaxAge   time.Duration
	BirthdayDays int
	// RepurchaseFraction of the typical interval between orders.
	RepurchaseFraction float64
	ComplaintDays      int
	ComplaintMinUnits  int64
	Disabled           map[string]bool
}

// EventPolicyOf resolves config.Events with the engine's defaults.
func EventPolicyOf(cfg *config.Config) (EventPolicy, error) {
	e := cfg.Events
	p := EventPolicy{Interval: e.ScanInterval.D(), CartAfter: e.CartAbandonedAfter.D(), CartMaxAge: e.CartMaxAge.D(),
		BirthdayDays: e.BirthdayDaysBefore, RepurchaseFraction: e.RepurchaseFraction, ComplaintDays: e.ComplaintWithinDays,
		CartAfterBy: map[string]time.Duration{}, Disabled: map[string]bool{}}
	if p.Interval <= 0 {
		p.Interval = time.Minute
	}
	if p.CartAfter <= 0 {
		p.CartAfter = time.Hour
	}
	if p.CartMaxAge <= 0 {
		p.CartMaxAge = 7 * 24 * time.Hour
	}
	if p.BirthdayDays <= 0 {
		p.BirthdayDays = 7
	}
	if p.RepurchaseFraction <= 0 {
		p.RepurchaseFraction = 0.8
	}
	if p.ComplaintDays <= 0 {
		p.ComplaintDays = 30
	}
	min := e.ComplaintMinTotal
	if min == "" {
		min = "200.00"
	}
	u, err := mappings.MoneyUnits(min)
	if err != nil {
		return p, fmt.Errorf("events.complaint_min_total %q: %w", min, err)
	}
	p.ComplaintMinUnits = u
	for _, c := range cfg.Connectors {
		if d := c.CartAbandonedAfter.D(); d > 0 {
			p.CartAfterBy[c.Name] = d
		}
	}
	for _, t := range e.Disable {
		if !slices.Contains(hub.EventTypes, t) {
			return p, fmt.Errorf("events.disable: unknown event type %q (known: %v)", t, hub.EventTypes)
		}
		p.Disabled[t] = true
	}
	return p, nil
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// EventDeliverPayload names one event's delivery to one target.
type EventDeliverPayload struct {
	EventID  uint64 `json:"event_id"`
	Instance string `json:"instance"`
}

// NewEventDeliverTask builds the delivery task of an event to instance,
// in the instance's push queue; its id makes it one per event and target.
func NewEventDeliverTask(p EventDeliverPayload, maxRetry int) *asynq.Task {
	b, _ := json.Marshal(p)
	return asynq.NewTask(TypeEventDeliver, b, asynq.Queue(PushQueue(p.Instance)),
		asynq.TaskID("event:"+strconv.FormatUint(p.EventID, 10)+":"+p.Instance), asynq.MaxRetry(maxRetry), asynq.Timeout(time.Minute))
}

// NewEventScanTask builds the scan task of one schedule slot. It retries
// as long as any task does: a scan is idempotent, and with three retries
// (seconds of back-off) a database outage of a quarter minute left it a
// dead letter (TestFaultMariaDBDownDuringIngest when the outage covered
// a scan).
func NewEventScanTask(slot string, maxRetry int) *asynq.Task {
	return asynq.NewTask(TypeEventScan, nil, asynq.Queue(QueuePoll), asynq.TaskID("events:scan:"+slot),
		asynq.MaxRetry(maxRetry), asynq.Timeout(10*time.Minute))
}

// scheduleEvents enqueues one scan per interval slot across all workers.
func (h *Handlers) scheduleEvents(ctx context.Context) {
	if h.Events == nil {
		return
	}
	iv := h.Events.Interval
	slot := strconv.FormatInt(time.Now().UnixNano()/int64(iv), 10)
	key := "eventsslot:" + slot
	claimed, err := h.Queue.Claim(ctx, key, 2*iv)
	if err != nil || !claimed {
		return
	}
	if err := h.Queue.Enqueue(ctx, NewEventScanTask(slot, h.MaxRetry)); err != nil {
		h.Log.Warn("event scan enqueue failed", "err", err)
		_ = h.Queue.Unclaim(ctx, key)
	}
}

// eventScan is the handler of TypeEventScan.
func (h *Handlers) eventScan(ctx context.Context, _ *asynq.Task) error {
	_, err := h.ScanEvents(ctx)
	return err
}

// ScanEvents computes every due event now (by h.Now), records the new
// ones and enqueues their deliveries. It returns how many it recorded.
// Running it twice, or on two workers at once, records nothing twice.
func (h *Handlers) ScanEvents(ctx context.Context) (int, error) {
	if h.Events == nil {
		return 0, nil
	}
	log := logx.Logger(ctx, h.Log).With("task", TypeEventScan)
	now := h.now().UTC()
	n := 0
	steps := []struct {
		typ string
		fn  func(context.Context, time.Time) (int, error)
	}{
		{hub.EventCartAbandoned, h.scanCarts},
		{hub.EventBirthdayUpcoming, h.scanBirthdays},
		{hub.EventRepurchaseDue, h.scanRepurchase},
		{hub.EventComplaintLargeOrder, h.scanComplaints},
		{"insights", h.scanInsightChanges},
	}
	for _, s := range steps {
		if h.Events.Disabled[s.typ] {
			continue
		}
		k, err := s.fn(ctx, now)
		n += k
		if err != nil {
			return n, fmt.Errorf("%s: %w", s.typ, err)
		}
	}
	if n > 0 {
		log.Info("events recorded", "events", n)
	}
	// Deliveries whose task never made it into the queue (a crash
	// between commit and enqueue) are enqueued again.
	return n, h.relayDeliveries(ctx, now)
}

// sinks are the instances taking events of typ.
func (h *Handlers) sinks(typ string) []string {
	var out []string
	for _, tp := range h.Points.All() {
		if s, ok := tp.Conn.(connectors.EventSink); ok && tp.Config.Out() && s.WantsEvent(typ) {
			out = append(out, tp.Name)
		}
	}
	return out
}

// record stores one event and enqueues its deliveries when it is new.
func (h *Handlers) record(ctx context.Context, ne hub.NewEvent) (bool, error) {
	ne.Targets = h.sinks(ne.Type)
	ev, created, err := h.Store.RecordEvent(ctx, ne)
	if errors.Is(err, hub.ErrNotFound) {
		return false, nil // erased meanwhile: no occasion for anyone
	}
	if err != nil || !created {
		return false, err
	}
	for _, t := range ne.Targets {
		if err := h.Queue.Enqueue(ctx, NewEventDeliverTask(EventDeliverPayload{EventID: ev.ID, Instance: t}, h.MaxRetry)); err != nil {
			// The relay (relayDeliveries) enqueues it on a later scan.
			h.Log.Warn("event delivery enqueue failed", "event_id", ev.ID, "connector", t, "err", err)
		}
	}
	return true, nil
}

func (h *Handlers) relayDeliveries(ctx context.Context, now time.Time) error {
	ds, err := h.Store.PendingDeliveries(ctx, time.Now().Add(-time.Minute), 500)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := h.Queue.Enqueue(ctx, NewEventDeliverTask(EventDeliverPayload{EventID: d.EventID, Instance: d.Instance}, h.MaxRetry)); err != nil {
			return err
		}
	}
	return nil
}

// scanCarts: a cart untouched for the instance's delay, not completed,
// with no order from its customer since its last touch.
func (h *Handlers) scanCarts(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for _, tp := range h.Points.All() {
		if !takesCarts(tp) {
			continue
		}
		delay := h.Events.CartAfter
		if d, ok := h.Events.CartAfterBy[tp.Name]; ok {
			delay = d
		}
		cutoff := now.Add(-delay)
		var after uint64
		for {
			carts, err := h.Store.AbandonedCarts(ctx, tp.Name, cutoff, after, 500)
			if err != nil {
				return n, err
			}
			for i := range carts {
				c := &carts[i]
				after = c.ID
				if c.TouchedAt.Before(cutoff.Add(-h.Events.CartMaxAge)) {
					continue
				}
				ok, err := h.cartAbandoned(ctx, c, now)
				if err != nil {
					return n, err
				}
				if ok {
					n++
				}
			}
			if len(carts) < 500 {
				break
			}
		}
	}
	return n, nil
}

func (h *Handlers) cartAbandoned(ctx context.Context, c *hub.Cart, now time.Time) (bool, error) {
	cid, err := h.Store.CartCustomer(ctx, c)
	if err != nil || cid == 0 {
		return false, err // nobody the hub knows (yet): nothing to tell
	}
	ordered, err := h.Store.OrderedSince(ctx, cid, c.CustomerEmail, c.TouchedAt)
	if err != nil || ordered {
		return false, err
	}
	doc := map[string]any{}
	_ = json.Unmarshal([]byte(c.Data), &doc)
	props := map[string]any{"cart_id": c.ExternalID, "shop": c.Instance, "touched_at": c.TouchedAt.UTC().Format(time.RFC3339)}
	for _, k := range []string{"currency", "total", "lines", "recovery_url"} {
		if v, ok := doc[k]; ok {
			props[k] = v
		}
	}
	return h.record(ctx, hub.NewEvent{CustomerID: cid, Type: hub.EventCartAbandoned, Occasion: "cart:" + c.Instance + ":" + c.ExternalID,
		Data: props, At: now})
}

// scanBirthdays: N days (or fewer) before the next birthday, once a year
// (the occasion is the birthday's date that year).
func (h *Handlers) scanBirthdays(ctx context.Context, now time.Time) (int, error) {
	n := 0
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var after uint64
	for {
		rows, err := h.Store.CustomersWithBirthday(ctx, after, 1000)
		if err != nil {
			return n, err
		}
		for _, c := range rows {
			after = c.ID
			var doc struct {
				Birthday string `json:"birthday"`
			}
			if json.Unmarshal([]byte(c.Data), &doc) != nil || doc.Birthday == "" {
				continue
			}
			next, ok := NextBirthday(doc.Birthday, today)
			if !ok {
				continue
			}
			days := int(next.Sub(today).Hours() / 24)
			if days > h.Events.BirthdayDays {
				continue
			}
			created, err := h.record(ctx, hub.NewEvent{CustomerID: c.ID, Type: hub.EventBirthdayUpcoming, Occasion: next.Format(time.DateOnly),
				Data: map[string]any{"birthday": next.Format(time.DateOnly), "days_until": days}, At: now})
			if err != nil {
				return n, err
			}
			if created {
				n++
			}
		}
		if len(rows) < 1000 {
			return n, nil
		}
	}
}

// NextBirthday is the first birthday on or after today of someone born on
// birthday (YYYY-MM-DD); 29 February falls on 28 February in other years.
func NextBirthday(birthday string, today time.Time) (time.Time, bool) {
	b, err := time.Parse(time.DateOnly, birthday)
	if err != nil {
		return time.Time{}, false
	}
	on := func(year int) time.Time {
		d := time.Date(year, b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
		if d.Month() != b.Month() { // 29 Feb in a common year
			d = time.Date(year, b.Month(), 28, 0, 0, 0, 0, time.UTC)
		}
		return d
	}
	next := on(today.Year())
	if next.Before(today) {
		next = on(today.Year() + 1)
	}
	return next, true
}

// scanComplaints: a ticket within N days after an order of at least the
// threshold.
func (h *Handlers) scanComplaints(ctx context.Context, now time.Time) (int, error) {
	n := 0
	window := time.Duration(h.Events.ComplaintDays) * 24 * time.Hour
	var after uint64
	for {
		tickets, err := h.Store.TicketsSince(ctx, now.Add(-window), after, 500)
		if err != nil {
			return n, err
		}
		for _, t := range tickets {
			after = t.ID
			doc := map[string]any{}
			_ = json.Unmarshal([]byte(t.Data), &doc)
			opened := t.CreatedAt
			if s, _ := doc["opened_at"].(string); s != "" {
				if ts, err := time.Parse(time.RFC3339, s); err == nil {
					opened = ts
				}
			}
			o, err := h.Store.LargestOrderBetween(ctx, *t.CustomerID, opened.Add(-window), opened, h.Events.ComplaintMinUnits, "")
			if err != nil {
				return n, err
			}
			if o == nil {
				continue
			}
			props := map[string]any{"ticket_id": t.ExternalID, "helpdesk": t.Instance, "subject": t.Subject,
				"order_id": o.ExternalID, "order_number": o.Number, "order_total": mappings.FormatMoneyUnits(o.TotalUnits),
				"currency": o.Currency, "order_placed_at": o.PlacedAt.UTC().Format(time.RFC3339),
				"days_after_order": int(opened.Sub(o.PlacedAt).Hours() / 24)}
			created, err := h.record(ctx, hub.NewEvent{CustomerID: *t.CustomerID, Type: hub.EventComplaintLargeOrder,
				Occasion: "ticket:" + t.Instance + ":" + t.ExternalID, Data: props, At: now})
			if err != nil {
				return n, err
			}
			if created {
				n++
			}
		}
		if len(tickets) < 500 {
			return n, nil
		}
	}
}

// scanRepurchase: the operator's fraction of the interval from the last
// order to the next-order date of the insights has passed, with no order
// since. The occasion is the last order: once per purchase cycle.
func (h *Handlers) scanRepurchase(ctx context.Context, now time.Time) (int, error) {
	dues, err := h.Store.RepurchaseDue(ctx, now, h.Events.RepurchaseFraction)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range dues {
		created, err := h.record(ctx, hub.NewEvent{CustomerID: d.CustomerID, Type: hub.EventRepurchaseDue,
			Occasion: "after:" + d.LastOrderAt.Format(time.RFC3339),
			Data: map[string]any{"last_order_at": d.LastOrderAt.Format(time.RFC3339), "next_order_due": d.NextOrderDue.Format(time.DateOnly),
				"due_at": d.DueAt.Format(time.RFC3339), "fraction": h.Events.RepurchaseFraction, "orders": d.Orders}, At: now})
		if err != nil {
			return n, err
		}
		if created {
			n++
		}
	}
	return n, nil
}

// scanInsightChanges turns the insights' pending changes of segment and
// profitability class into segment_changed and profitability_changed (the
// occasion is the change row: once each), and marks them dispatched. A
// first classification (from nothing) is no change worth an event: the
// first scoring run would announce every customer at once.
func (h *Handlers) scanInsightChanges(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for {
		chs, err := h.Store.PendingInsightChanges(ctx, 500)
		if err != nil || len(chs) == 0 {
			return n, err
		}
		ids := make([]uint64, 0, len(chs))
		for _, c := range chs {
			ids = append(ids, c.ID)
			typ := ""
			switch c.Field {
			case hub.InsightSegment:
				typ = hub.EventSegmentChanged
			case hub.InsightProfitability:
				typ = hub.EventProfitabilityChanged
			}
			if typ == "" || c.OldValue == "" || h.Events.Disabled[typ] {
				continue
			}
			created, err := h.record(ctx, hub.NewEvent{CustomerID: c.CustomerID, Type: typ, Occasion: "insight:" + strconv.FormatUint(c.ID, 10),
				Data: map[string]any{"from": c.OldValue, "to": c.NewValue, "cause": c.Cause, "changed_at": c.CreatedAt.UTC().Format(time.RFC3339)}, At: now})
			if err != nil {
				return n, err
			}
			if created {
				n++
			}
		}
		if err := h.Store.MarkInsightChangesDispatched(ctx, ids...); err != nil {
			return n, err
		}
		if len(chs) < 500 {
			return n, nil
		}
	}
}

// eventDeliver is the handler of TypeEventDeliver: it re-checks that the
// occasion still stands (an order after an abandoned cart cancels it),
// respects the person's consent for marketing events, and sends.
func (h *Handlers) eventDeliver(ctx context.Context, t *asynq.Task) error {
	var p EventDeliverPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("event payload: %v: %w", err, asynq.SkipRetry)
	}
	log := logx.Logger(ctx, h.Log).With("connector", p.Instance, "event_id", p.EventID)
	ev, err := h.Store.EventByID(ctx, p.EventID)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // erased with its person
	}
	if err != nil {
		return err
	}
	d, err := h.Store.Delivery(ctx, p.EventID, p.Instance)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.Status != hub.DeliveryPending && d.Status != "" {
		log.Debug("event delivery already settled", "status", d.Status)
		return nil
	}
	tp, err := h.touchpoint(ctx, p.Instance)
	if err != nil {
		return err
	}
	sink, ok := tp.Conn.(connectors.EventSink)
	if !ok {
		return fmt.Errorf("%s takes no events: %w", p.Instance, asynq.SkipRetry)
	}
	if ev.CancelledAt != nil {
		return h.Store.MarkDelivery(ctx, ev.ID, p.Instance, hub.DeliveryCancelled, ev.CancelReason, h.now())
	}
	cust, doc, err := h.Store.Customer(ctx, ev.CustomerID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil // erased: its events go with it
	}
	if err == nil {
		// A marketing tool is one more of the person's accounts: a
		// stranger's phone or consent given at a guest checkout under
		// their email must not reach it (hub.Shareable).
		doc, err = hub.Shareable(cust, doc)
	}
	if err != nil {
		return err
	}
	props := ev.Properties()
	if ev.Type == hub.EventCartAbandoned {
		touched, _ := time.Parse(time.RFC3339, fmt.Sprint(props["touched_at"]))
		email := ""
		if cust.Email != nil {
			email = *cust.Email
		}
		ordered, err := h.Store.OrderedSince(ctx, ev.CustomerID, email, touched)
		if err != nil {
			return err
		}
		if ordered {
			log.Info("cart_abandoned cancelled: the customer ordered before delivery")
			return h.Store.CancelEvent(ctx, ev.ID, "ordered before delivery", h.now())
		}
	}
	if ev.Marketing && !MarketingConsent(doc) {
		log.Info("marketing event not delivered: no email or SMS consent")
		return h.Store.MarkDelivery(ctx, ev.ID, p.Instance, hub.DeliverySuppressed, "no marketing consent", h.now())
	}
	out := connectors.OutEvent{ID: "shophub-event-" + strconv.FormatUint(ev.ID, 10), Type: ev.Type, Time: ev.At, Marketing: ev.Marketing,
		Person: connectors.OutPerson{HubID: cust.ID, FirstName: shared(doc, "first_name", cust.FirstName),
			LastName: shared(doc, "last_name", cust.LastName), Phone: shared(doc, "phone", cust.Phone)}, Properties: props}
	if cust.Email != nil {
		out.Person.Email = *cust.Email
	}
	if l, err := h.Store.Link(ctx, cust.ID, p.Instance, connectors.ResourceCustomer); err == nil && l != nil {
		out.Person.ExternalID = l.ExternalID
	}
	release, err := tp.slot(ctx, slotWait)
	if err != nil {
		return err
	}
	defer release()
	if err := sink.SendEvent(ctx, out); err != nil {
		if errors.Is(err, connectors.ErrPermanent) {
			return fmt.Errorf("deliver %s to %s: %w: %w", ev.Type, p.Instance, err, asynq.SkipRetry)
		}
		return fmt.Errorf("deliver %s to %s: %w", ev.Type, p.Instance, err)
	}
	log.Debug("event delivered", "type", ev.Type)
	return h.Store.MarkDelivery(ctx, ev.ID, p.Instance, hub.DeliveryDelivered, "", h.now())
}

// MarketingConsent reports whether a canonical customer doc allows
// marketing: email or SMS consent subscribed.
func MarketingConsent(doc map[string]any) bool {
	for _, f := range []string{"email_marketing", "sms_marketing"} {
		if c, ok := doc[f].(map[string]any); ok {
			if s, _ := c["subscribed"].(bool); s {
				return true
			}
		}
	}
	return false
}

// shared is a customer's column (its indexed form of field), or "" when
// field is left out of what the hub shares (hub.Shareable).
func shared(doc map[string]any, field, column string) string {
	if _, ok := doc[field]; !ok {
		return ""
	}
	return column
}

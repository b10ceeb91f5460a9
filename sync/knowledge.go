package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/mappings"
)

// withKnowledge returns the doc to render for tp with what the hub knows
// beyond the customer's fields under mappings.HubKey — only when tp's
// outbound mapping reads it, so other pushes cost no extra query:
//
//	_hub.shops           other touchpoints holding a link to the customer, sorted
//	_hub.tickets         tickets the hub holds for the customer
//	_hub.open_tickets    of them active or pending
//	_hub.customer_since  the day the hub first saw the customer (YYYY-MM-DD)
//	_hub.order_count     orders placed and not cancelled or voided, paid or not
//	_hub.total_spent     Σ total − refunded of the paid ones, in _hub.currency ("130.50")
//	_hub.average_order_value  total_spent / paid orders
//	_hub.currency        the customer's main currency (most orders; "" without orders)
//	_hub.first_order_date, _hub.last_order_date  YYYY-MM-DD, "" without orders
//
// Amounts are in the customer's main currency only (orders.go says why).
// doc itself is not modified.
func (h *Handlers) withKnowledge(ctx context.Context, tp *Touchpoint, resource string, cust *hub.Customer, doc map[string]any, links []hub.Link, fresh bool) (map[string]any, error) {
	if resource != connectors.ResourceCustomer || !tp.Mapping.ReadsHub(resource) {
		return doc, nil
	}
	if links == nil {
		var err error
		if links, err = h.Store.Links(ctx, cust.ID); err != nil {
			return nil, err
		}
	}
	var shops []string
	for _, l := range links {
		if l.Resource == connectors.ResourceCustomer && l.Instance != tp.Name && !slices.Contains(shops, l.Instance) {
			shops = append(shops, l.Instance)
		}
	}
	slices.Sort(shops)
	f, err := h.known.get(ctx, cust.ID, cust.Version, fresh, func() (knownFacts, error) { return h.readFacts(ctx, cust.ID) })
	if err != nil {
		return nil, err
	}
	list := make([]any, len(shops))
	for i, s := range shops {
		list[i] = s
	}
	out := maps.Clone(doc)
	if out == nil {
		out = map[string]any{}
	}
	k := knowledgeOf(list, f.tickets, f.open, cust.CreatedAt.UTC().Format("2006-01-02"), f.orders)
	maps.Copy(k, insightKnowledge(f.insights))
	out[mappings.HubKey] = k
	return out, nil
}

// readFacts reads the tickets, orders and insights the hub knows of a
// customer (four statements).
func (h *Handlers) readFacts(ctx context.Context, customerID uint64) (knownFacts, error) {
	var f knownFacts
	var err error
	if f.tickets, f.open, err = h.Store.TicketCounts(ctx, customerID); err != nil {
		return f, err
	}
	if f.orders, err = h.Store.CustomerOrderFigures(ctx, customerID); err != nil {
		return f, err
	}
	f.insights, _, err = h.Store.Insights(ctx, customerID)
	return f, err
}

func knowledgeOf(shops []any, tickets, open int64, since string, figures hub.OrderFigures) map[string]any {
	k := orderKnowledge(figures) // orders.go
	k["shops"] = shops
	k["tickets"] = int(tickets)
	k["open_tickets"] = int(open)
	k["customer_since"] = since
	return k
}

// noKnowledge is what the hub knows of nobody: what an anonymized record
// shows, so that properties rendered from knowledge (a helpdesk's "total
// spent") are cleared with the person's fields.
func noKnowledge() map[string]any {
	k := knowledgeOf([]any{}, 0, 0, "", hub.OrderFigures{})
	maps.Copy(k, insightKnowledge(hub.Indicators{LTV: "0.00", AOV: "0.00"}))
	return k
}

// refreshKnowledge re-pushes a customer to the touchpoints whose mappings
// render hub knowledge, after their tickets or orders changed what the hub
// knows though the customer did not. The task id carries a fingerprint of
// that knowledge: refreshes bringing the same knowledge collapse, while one
// bringing new knowledge is never swallowed by a refresh of the same
// customer version that is already running and has read the old. The push
// renders the current state; an unchanged render costs the target one read.
func (h *Handlers) refreshKnowledge(ctx context.Context, customerID uint64, log *slog.Logger) {
	h.updateInsights(ctx, customerID, "event", log) // insights.go
	h.pushKnowledge(ctx, customerID, log)
}

// pushKnowledge enqueues the pushes of refreshKnowledge.
func (h *Handlers) pushKnowledge(ctx context.Context, customerID uint64, log *slog.Logger) {
	h.enqueueKnowledge(ctx, customerID, h.insightTargets(), func(ctx context.Context) (string, error) { return h.knowledgeKey(ctx, customerID) }, log)
}

// linkAdded re-pushes a customer to the other touchpoints whose mappings
// render hub knowledge when a touchpoint got its first record of the
// customer (a push created or found it, or its own record was linked
// without changing the customer): the shops holding the customer
// (_hub.shops) changed, and no change of the customer would push them.
func (h *Handlers) linkAdded(ctx context.Context, customerID uint64, instance string) {
	var targets []*Touchpoint
	for _, tp := range h.insightTargets() { // insights.go
		if tp.Name != instance && tp.Mapping.ReadsHubKey(connectors.ResourceCustomer, "shops") {
			targets = append(targets, tp)
		}
	}
	if len(targets) > 0 {
		h.enqueueKnowledge(ctx, customerID, targets, func(context.Context) (string, error) { return "link-" + instance, nil }, logx.Logger(ctx, h.Log))
	}
}

// enqueueKnowledge enqueues a push of the customer to targets under the
// knowledge key keyOf returns.
func (h *Handlers) enqueueKnowledge(ctx context.Context, customerID uint64, targets []*Touchpoint, keyOf func(context.Context) (string, error), log *slog.Logger) {
	var cust *hub.Customer
	var key string
	for _, tp := range targets {
		if cust == nil {
			c, _, err := h.Store.Customer(ctx, customerID)
			if err == nil {
				key, err = keyOf(ctx)
			}
			if err != nil {
				log.Warn("hub knowledge not refreshed", "customer_id", customerID, "err", err)
				return
			}
			cust = c
		}
		task := NewPushTask(PushPayload{Instance: tp.Name, Resource: connectors.ResourceCustomer, CustomerID: customerID,
			Version: cust.Version, Force: true, Knowledge: key}, h.MaxRetry)
		if err := h.Queue.Enqueue(ctx, task); err != nil {
			log.Warn("hub knowledge not refreshed", "customer_id", customerID, "connector", tp.Name, "err", err)
		}
	}
}

// knowledgeKey fingerprints the ticket counts and order figures the hub
// holds for a customer.
func (h *Handlers) knowledgeKey(ctx context.Context, customerID uint64) (string, error) {
	total, open, err := h.Store.TicketCounts(ctx, customerID)
	if err != nil {
		return "", err
	}
	f, err := h.Store.CustomerOrderFigures(ctx, customerID)
	if err != nil {
		return "", err
	}
	ins, _, err := h.Store.Insights(ctx, customerID)
	if err != nil {
		return "", err
	}
	ins.ProfitabilityInputs = nil
	b, _ := json.Marshal(struct {
		Tickets, Open int64
		Orders        hub.OrderFigures
		Insights      hub.Indicators
	}{total, open, f, ins})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

package shopware

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Orders are read, never written: Shopware owns them. The lister walks
// them like customers (poll.go: createdAt segment for never-updated
// orders, updatedAt segment for the rest); webhooks name them by id and
// the pipeline fetches them with the associations the mapping reads.

// orderAssociations loads what the order mapping reads: the order's state,
// the customer snapshot, the currency's ISO code, the transactions with
// their state (oldest first, so the last is the current payment), payment
// method and refunds, the line items and the deliveries with their
// address's country.
func orderAssociations() map[string]any {
	return map[string]any{
		"stateMachineState": map[string]any{},
		"orderCustomer":     map[string]any{},
		"currency":          map[string]any{},
		"transactions": map[string]any{
			"sort": []any{map[string]any{"field": "createdAt", "order": "ASC"}},
			"associations": map[string]any{"stateMachineState": map[string]any{}, "paymentMethod": map[string]any{},
				// Partial refunds: the refunds of each capture, with a
				// position per refunded line item.
				"captures": map[string]any{"associations": map[string]any{"refunds": map[string]any{
					"associations": map[string]any{"stateMachineState": map[string]any{}, "positions": map[string]any{}}}}}},
		},
		"lineItems": map[string]any{},
		// The shipping country: the delivery's address (Shopware copies
		// the customer's address into an order_address at checkout).
		"deliveries": map[string]any{"associations": map[string]any{
			"shippingOrderAddress": map[string]any{"associations": map[string]any{"country": map[string]any{}}}}},
	}
}

// entityOf is the DAL entity and associations a resource is read with.
func entityOf(resource string) (string, map[string]any, error) {
	switch resource {
	case connectors.ResourceCustomer:
		return "customer", customerAssociations(), nil
	case connectors.ResourceOrder:
		return "order", orderAssociations(), nil
	}
	return "", nil, connectors.Permanent(fmt.Errorf("shopware: resource %q is not supported", resource))
}

func isOrderBusinessEvent(event string) bool {
	return event == "checkout.order.placed" ||
		strings.HasPrefix(event, "state_enter.order.state.") ||
		strings.HasPrefix(event, "state_enter.order_transaction.state.")
}

// decodeOrderBusinessEvent reads the order id of a business event's
// payload ({"order": {"id": …}}); the rest of the serialized order is not
// trusted as the current state (a later event may already have moved it),
// so the event is id-only and the pipeline fetches the order.
func decodeOrderBusinessEvent(payload json.RawMessage, eventID, event string, occurred time.Time) ([]connectors.Event, error) {
	var p struct {
		Order *struct {
			ID string `json:"id"`
		} `json:"order"`
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("shopware: %s payload: %v: %w", event, err, connectors.ErrMalformed)
	}
	id := p.OrderID
	if p.Order != nil {
		id = p.Order.ID
	}
	if !isID(id) {
		return nil, fmt.Errorf("shopware: %s payload names no order id: %w", event, connectors.ErrMalformed)
	}
	return []connectors.Event{{ID: eventID + ":" + id, Topic: event, Resource: connectors.ResourceOrder, ExternalID: id, OccurredAt: occurred}}, nil
}

package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/shophub/shophub/connectors"
)

// Orders come in through the orders/* webhooks (the full order), the
// refunds/create webhook (a refund object naming its order, so the order
// is re-read), and polling of GET orders.json?status=any. The hub only
// reads orders: Shopify owns them.

// orderTopics are the order webhooks whose body is the full order.
var orderTopics = map[string]bool{
	"orders/create": true, "orders/updated": true, "orders/paid": true, "orders/cancelled": true,
	"orders/fulfilled": true, "orders/partially_fulfilled": true,
}

// decodeOrderWebhook decodes orders/* and refunds/create deliveries. ok is
// false for topics that are not about orders.
func decodeOrderWebhook(ev connectors.Event, h http.Header, body []byte) (_ []connectors.Event, ok bool, err error) {
	var env struct {
		ID        json.Number `json:"id"`
		OrderID   json.Number `json:"order_id"`
		UpdatedAt string      `json:"updated_at"`
	}
	switch {
	case orderTopics[ev.Topic], ev.Topic == "orders/delete", ev.Topic == "refunds/create":
	default:
		return nil, false, nil
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, true, fmt.Errorf("shopify: %s body: %w: %v", ev.Topic, connectors.ErrMalformed, err)
	}
	ev.Resource = connectors.ResourceOrder
	occurred := env.UpdatedAt
	switch {
	case ev.Topic == "refunds/create":
		// The refund is not the order: the pipeline fetches the order, whose
		// refunds and financial status now include it.
		ev.ExternalID = env.OrderID.String()
		occurred = ""
	case ev.Topic == "orders/delete":
		ev.ExternalID, ev.Deleted = env.ID.String(), true
	default:
		ev.ExternalID, ev.Body = env.ID.String(), body
	}
	if ev.ExternalID == "" {
		return nil, true, fmt.Errorf("shopify: %s body has no order id: %w", ev.Topic, connectors.ErrMalformed)
	}
	at, err := occurredAt(h, occurred) // webhook.go
	if err != nil {
		return nil, true, fmt.Errorf("shopify: %s: %w", ev.Topic, err)
	}
	ev.OccurredAt = at
	return []connectors.Event{ev}, true, nil
}

// fetchOrder re-reads one order.
func (c *Connector) fetchOrder(ctx context.Context, externalID string) (*connectors.Record, error) {
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	var out struct {
		Order map[string]any `json:"order"`
	}
	if _, err := c.call(ctx, "GET", "/orders/"+id+".json", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("shopify: fetch order %s: %w", id, err)
	}
	if out.Order == nil {
		return nil, fmt.Errorf("shopify: fetch order %s: answer has no order object", id)
	}
	return orderRecord(out.Order)
}

func orderRecord(data map[string]any) (*connectors.Record, error) {
	rec, err := record(data)
	if err != nil {
		return nil, fmt.Errorf("shopify: order: %w", err)
	}
	rec.Resource = connectors.ResourceOrder
	return rec, nil
}

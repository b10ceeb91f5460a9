package shopify

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/shophub/shophub/connectors"
)

// Carts are Shopify checkouts: the checkouts/create and checkouts/update
// webhooks carry the whole checkout (line_items, total_price, currency,
// email, customer, abandoned_checkout_url, completed_at), and GET
// checkouts.json (the abandoned checkouts of the Admin REST API, paged by
// Link header, filtered by updated_at_min) backfills them. A completed
// checkout carries completed_at; the order it became comes through
// orders/*. checkouts/delete names the checkout only.

var cartTopics = map[string]bool{"checkouts/create": true, "checkouts/update": true}

// decodeCartWebhook decodes checkouts/* deliveries; ok is false for other
// topics.
func decodeCartWebhook(ev connectors.Event, h http.Header, body []byte) (_ []connectors.Event, ok bool, err error) {
	if !cartTopics[ev.Topic] && ev.Topic != "checkouts/delete" {
		return nil, false, nil
	}
	var env struct {
		ID        json.Number `json:"id"`
		UpdatedAt string      `json:"updated_at"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, true, fmt.Errorf("shopify: %s body: %w: %v", ev.Topic, connectors.ErrMalformed, err)
	}
	if env.ID == "" {
		return nil, true, fmt.Errorf("shopify: %s body has no checkout id: %w", ev.Topic, connectors.ErrMalformed)
	}
	ev.Resource, ev.ExternalID = connectors.ResourceCart, env.ID.String()
	if ev.Topic == "checkouts/delete" {
		ev.Deleted = true
	} else {
		ev.Body = body
	}
	at, err := occurredAt(h, env.UpdatedAt) // webhook.go
	if err != nil {
		return nil, true, fmt.Errorf("shopify: %s: %w", ev.Topic, err)
	}
	ev.OccurredAt = at
	return []connectors.Event{ev}, true, nil
}

package shopify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// VerifyWebhook checks X-Shopify-Hmac-Sha256, the base64 HMAC-SHA256 of the
// raw body under the app's client secret. Every secret of the instance is
// tried, so deliveries signed with the old secret still pass during a
// rotation (Shopify takes up to an hour to switch).
func (c *Connector) VerifyWebhook(h http.Header, body []byte) error {
	return connectors.HMACSignature{Vendor: "shopify", Header: "X-Shopify-Hmac-Sha256", Hash: sha256.New}.Verify(c.inst, h, body)
}

// envelope is all DecodeWebhook reads of a body: decoding into two fields
// lets encoding/json skip the rest of the customer without building maps.
type envelope struct {
	ID         json.Number `json:"id"`
	CustomerID json.Number `json:"customer_id"`
	UpdatedAt  string      `json:"updated_at"`
}

// DecodeWebhook decodes the delivery's envelope. customers/* bodies are the
// full customer record and travel on as Event.Body; the consent topics carry
// only customer_id and the consent, so their events have no Body and the
// pipeline fetches the record.
func (c *Connector) DecodeWebhook(h http.Header, body []byte) ([]connectors.Event, error) {
	topic := h.Get("X-Shopify-Topic")
	if topic == "" {
		return nil, fmt.Errorf("shopify: no X-Shopify-Topic header: %w", connectors.ErrMalformed)
	}
	ev := connectors.Event{ID: deliveryID(h, body), Topic: topic}
	full := false
	switch topic {
	case "customers/create", "customers/update", "customers/enable", "customers/disable":
		full = true
	case "customers/delete":
		full, ev.Deleted = true, true
	case "customers_email_marketing_consent/update", "customers_marketing_consent/update":
	case "customers/redact", "customers/data_request", "shop/redact":
		return decodeCompliance(ev, body)
	default:
		if evs, ok, err := decodeOrderWebhook(ev, h, body); ok { // orders.go
			return evs, err
		}
		ev.Ignore = true
		return []connectors.Event{ev}, nil
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("shopify: %s body: %w: %v", topic, connectors.ErrMalformed, err)
	}
	id := env.ID
	if !full {
		id = env.CustomerID
	}
	if id == "" {
		return nil, fmt.Errorf("shopify: %s body has no customer id: %w", topic, connectors.ErrMalformed)
	}
	ev.Resource = connectors.ResourceCustomer
	ev.ExternalID = id.String()
	if full {
		ev.Body = body
	}
	at, err := occurredAt(h, env.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("shopify: %s: %w", topic, err)
	}
	ev.OccurredAt = at
	return []connectors.Event{ev}, nil
}

// occurredAt is the finest time a delivery gives for its edit. The body's
// updated_at has whole seconds, so two edits of one customer within a
// second would tie and be ordered by arrival, and deliveries arrive in any
// order; X-Shopify-Triggered-At stamps the event with sub-second precision
// (and keeps it on retries). The header refines the body's time: it wins
// when it lies within triggeredSlack after it, not when it is missing,
// unparseable, earlier (a clock step must not make an edit look older than
// the record it carries) or far later (then it stamps some other event than
// this record's last edit).
func occurredAt(h http.Header, updatedAt string) (time.Time, error) {
	var body time.Time
	if updatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, updatedAt)
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", updatedAt, connectors.ErrMalformed)
		}
		body = t
	}
	trig := strings.TrimSpace(h.Get("X-Shopify-Triggered-At"))
	if trig == "" {
		return body, nil
	}
	t, err := time.Parse(time.RFC3339Nano, trig)
	if err != nil {
		if body.IsZero() {
			return time.Time{}, fmt.Errorf("X-Shopify-Triggered-At %q: %w", trig, connectors.ErrMalformed)
		}
		return body, nil
	}
	if !body.IsZero() && (t.Before(body) || t.Sub(body) >= triggeredSlack) {
		return body, nil
	}
	return t, nil
}

// triggeredSlack is how far after the body's whole-second updated_at the
// event may be stamped: the event fires just after the write it reports.
const triggeredSlack = time.Minute

// compliance is the body of Shopify's mandatory compliance webhooks.
type compliance struct {
	ShopID     json.Number `json:"shop_id"`
	ShopDomain string      `json:"shop_domain"`
	Customer   *struct {
		ID    json.Number `json:"id"`
		Email string      `json:"email"`
		Phone string      `json:"phone"`
	} `json:"customer"`
	OrdersToRedact  []json.Number `json:"orders_to_redact"`
	OrdersRequested []json.Number `json:"orders_requested"`
	DataRequest     *struct {
		ID json.Number `json:"id"`
	} `json:"data_request"`
}

// decodeCompliance reads customers/redact, customers/data_request and
// shop/redact: the same HMAC as every other topic has been checked, and
// the request travels on as Event.Privacy, never as a record to merge.
func decodeCompliance(ev connectors.Event, body []byte) ([]connectors.Event, error) {
	var b compliance
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("shopify: %s body: %w: %v", ev.Topic, connectors.ErrMalformed, err)
	}
	req := &connectors.PrivacyRequest{}
	switch ev.Topic {
	case "shop/redact":
		req.Kind = connectors.PrivacyShop
	case "customers/redact":
		req.Kind = connectors.PrivacyErase
		for _, o := range b.OrdersToRedact {
			req.Orders = append(req.Orders, string(o))
		}
	case "customers/data_request":
		req.Kind = connectors.PrivacyExport
		for _, o := range b.OrdersRequested {
			req.Orders = append(req.Orders, string(o))
		}
		if b.DataRequest != nil {
			req.RequestID = string(b.DataRequest.ID)
		}
	}
	if req.Kind != connectors.PrivacyShop {
		if b.Customer == nil || (b.Customer.ID == "" && b.Customer.Email == "") {
			return nil, fmt.Errorf("shopify: %s body names no customer: %w", ev.Topic, connectors.ErrMalformed)
		}
		req.ExternalID, req.Email, req.Phone = string(b.Customer.ID), b.Customer.Email, b.Customer.Phone
		ev.Resource, ev.ExternalID = connectors.ResourceCustomer, req.ExternalID
	}
	ev.Privacy = req
	return []connectors.Event{ev}, nil
}

// deliveryID is what retries of one delivery share: X-Shopify-Webhook-Id,
// else X-Shopify-Event-Id, else a hash of the body.
func deliveryID(h http.Header, body []byte) string {
	for _, k := range []string{"X-Shopify-Webhook-Id", "X-Shopify-Event-Id"} {
		if v := strings.TrimSpace(h.Get(k)); v != "" {
			return v
		}
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

var _ connectors.WebhookSource = (*Connector)(nil)

package shopify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/internal/jsonx"
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
		return c.decodeCompliance(ev, body)
	default:
		if evs, ok, err := decodeOrderWebhook(ev, h, body); ok { // orders.go
			return evs, err
		}
		if evs, ok, err := decodeCartWebhook(ev, h, body); ok { // carts.go
			return evs, err
		}
		ev.Ignore = true
		return []connectors.Event{ev}, nil
	}
	var env envelope
	if err := jsonx.Unmarshal(body, &env); err != nil {
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
		ev.Body, ev.BodyDecoded = body, true // decoded into env above
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

// complianceKeys are the top-level keys of each compliance topic's body as
// Shopify documents them (shopify.dev, "Privacy law compliance"): all
// present, nothing else.
var complianceKeys = map[string][]string{
	"customers/redact":       {"shop_id", "shop_domain", "customer", "orders_to_redact"},
	"customers/data_request": {"shop_id", "shop_domain", "customer", "orders_requested", "data_request"},
	"shop/redact":            {"shop_id", "shop_domain"},
}

// Reasons a compliance webhook is refused (PrivacyRequest.Rejected).
const (
	RejectShape     = "shape"
	RejectOtherShop = "other_shop"
)

// decodeCompliance reads customers/redact, customers/data_request and
// shop/redact. Shopify signs the body only, not the X-Shopify-Topic
// header, so any signed body (an orders/create, another customer's
// data request) could be replayed under a compliance topic: the body must
// have exactly that topic's shape and name this shop, or the request is
// refused — it travels on as a rejected PrivacyRequest carrying no
// personal data, to be answered, counted and audited, never acted on.
func (c *Connector) decodeCompliance(ev connectors.Event, body []byte) ([]connectors.Event, error) {
	req := &connectors.PrivacyRequest{}
	switch ev.Topic {
	case "shop/redact":
		req.Kind = connectors.PrivacyShop
	case "customers/redact":
		req.Kind = connectors.PrivacyErase
	case "customers/data_request":
		req.Kind = connectors.PrivacyExport
	}
	ev.Privacy = req
	reject := func(reason string) ([]connectors.Event, error) {
		ev.Privacy = &connectors.PrivacyRequest{Kind: req.Kind, Rejected: reason}
		return []connectors.Event{ev}, nil
	}
	b, ok := complianceBody(ev.Topic, body)
	if !ok {
		return reject(RejectShape)
	}
	if !c.isThisShop(b.ShopDomain, b.ShopID) {
		return reject(RejectOtherShop)
	}
	switch ev.Topic {
	case "customers/redact":
		for _, o := range b.OrdersToRedact {
			req.Orders = append(req.Orders, string(o))
		}
	case "customers/data_request":
		for _, o := range b.OrdersRequested {
			req.Orders = append(req.Orders, string(o))
		}
		req.RequestID = string(b.DataRequest.ID)
	}
	if req.Kind != connectors.PrivacyShop {
		req.ExternalID, req.Email, req.Phone = string(b.Customer.ID), b.Customer.Email, b.Customer.Phone
		ev.Resource, ev.ExternalID = connectors.ResourceCustomer, req.ExternalID
	}
	return []connectors.Event{ev}, nil
}

// complianceBody decodes body when it has exactly topic's documented
// shape: the topic's keys and no others, a numeric shop id, a customer
// with only id, email and phone naming somebody, order ids as numbers, a
// data request with its id.
func complianceBody(topic string, body []byte) (*compliance, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil, false
	}
	keys := complianceKeys[topic]
	if len(top) != len(keys) {
		return nil, false
	}
	for _, k := range keys {
		if v, ok := top[k]; !ok || string(v) == "null" {
			return nil, false
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var b compliance
	if dec.Decode(&b) != nil || b.ShopDomain == "" {
		return nil, false
	}
	if _, err := b.ShopID.Int64(); err != nil {
		return nil, false
	}
	for _, o := range append(b.OrdersToRedact, b.OrdersRequested...) {
		if _, err := o.Int64(); err != nil {
			return nil, false
		}
	}
	switch topic {
	case "customers/redact", "customers/data_request":
		if b.Customer == nil || (b.Customer.ID == "" && b.Customer.Email == "") {
			return nil, false
		}
		if b.Customer.ID != "" {
			if _, err := b.Customer.ID.Int64(); err != nil {
				return nil, false
			}
		}
	}
	if topic == "customers/data_request" && (b.DataRequest == nil || b.DataRequest.ID == "") {
		return nil, false
	}
	return &b, true
}

// isThisShop: the body names the configured shop (its myshopify.com
// domain, and its id when one is configured).
func (c *Connector) isThisShop(domain string, id json.Number) bool {
	want := c.shopDomain()
	if want == "" || !strings.EqualFold(strings.TrimSpace(domain), want) {
		return false
	}
	return c.settings.ShopID == "" || string(id) == c.settings.ShopID
}

// shopDomain is the shop's permanent myshopify.com domain: shop_domain,
// else shop_url's host when it is one; "" when neither says.
func (c *Connector) shopDomain() string {
	if d := strings.TrimSpace(c.settings.ShopDomain); d != "" {
		return strings.ToLower(d)
	}
	if u, err := url.Parse(c.settings.ShopURL); err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".myshopify.com") {
		return strings.ToLower(u.Hostname())
	}
	return ""
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

package shopifytest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// delivery is one webhook event bound for one address. Retries reuse the
// same webhook id, event id and body, as Shopify's do.
type delivery struct {
	url       string
	topic     string
	body      []byte
	webhookID string
	eventID   string
	triggered time.Time
}

// SignedDelivery returns the headers and body Shopify would POST for topic
// with customer as the payload, signed with the emulator's secret. It sends
// nothing.
func (e *Emulator) SignedDelivery(topic string, customer map[string]any) (http.Header, []byte) {
	body := mustJSON(customer)
	return e.DeliveryHeaders(topic, body), body
}

// DeliveryHeaders returns signed delivery headers for an arbitrary body
// (fresh webhook and event ids each call).
func (e *Emulator) DeliveryHeaders(topic string, body []byte) http.Header {
	d := delivery{topic: topic, body: body, webhookID: newUUID(), eventID: newUUID(), triggered: e.opts.Now()}
	return e.headers(d)
}

func (e *Emulator) headers(d delivery) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Shopify-Topic", d.topic)
	h.Set("X-Shopify-Hmac-Sha256", e.Sign(d.body))
	h.Set("X-Shopify-Shop-Domain", e.opts.ShopDomain)
	h.Set("X-Shopify-API-Version", e.opts.APIVersion)
	h.Set("X-Shopify-Webhook-Id", d.webhookID)
	h.Set("X-Shopify-Event-Id", d.eventID)
	h.Set("X-Shopify-Triggered-At", d.triggered.UTC().Format(time.RFC3339Nano))
	return h
}

// enqueue sends an event asynchronously to the current webhook URL.
func (e *Emulator) enqueue(topic string, body []byte) {
	url := *e.webhookURL.Load()
	if url == "" {
		return
	}
	d := delivery{url: url, topic: topic, body: body, webhookID: newUUID(), eventID: newUUID(), triggered: e.opts.Now()}
	e.wgMu.Lock()
	defer e.wgMu.Unlock()
	if e.closed {
		return
	}
	e.stats.pending.Add(1)
	e.wg.Add(1)
	go e.deliver(d)
}

func (e *Emulator) deliver(d delivery) {
	defer e.wg.Done()
	defer e.stats.pending.Add(-1)
	for attempt := 0; ; attempt++ {
		select {
		case e.sem <- struct{}{}:
		case <-e.ctx.Done():
			e.stats.failed.Add(1)
			return
		}
		ok := e.post(d)
		<-e.sem
		if ok {
			e.stats.sent.Add(1)
			return
		}
		if attempt >= len(e.opts.WebhookRetry) {
			e.stats.failed.Add(1)
			return
		}
		e.stats.retried.Add(1)
		t := time.NewTimer(e.opts.WebhookRetry[attempt])
		select {
		case <-e.ctx.Done():
			t.Stop()
			e.stats.failed.Add(1)
			return
		case <-t.C:
		}
	}
}

func (e *Emulator) post(d delivery) bool {
	e.stats.attempts.Add(1)
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return false
	}
	req.Header = e.headers(d)
	resp, err := e.hc.Do(req)
	if err != nil {
		return false
	}
	emulator.Discard(resp)
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ShopID is the shop_id the emulator's compliance webhooks carry.
const ShopID = 954889

// CustomersRedact returns the signed customers/redact delivery Shopify
// sends for a customer of this shop (id, email and phone as the emulator
// holds them; only the id once the customer is deleted), naming orders.
func (e *Emulator) CustomersRedact(id string, orders ...int64) (http.Header, []byte) {
	if orders == nil {
		orders = []int64{}
	}
	return e.compliance("customers/redact", map[string]any{"customer": e.complianceCustomer(id), "orders_to_redact": orders})
}

// CustomersDataRequest returns the signed customers/data_request delivery
// for a customer of this shop, with the data request's id.
func (e *Emulator) CustomersDataRequest(id string, requestID int64) (http.Header, []byte) {
	return e.compliance("customers/data_request", map[string]any{"customer": e.complianceCustomer(id),
		"orders_requested": []int64{}, "data_request": map[string]any{"id": requestID}})
}

// ShopRedact returns the signed shop/redact delivery Shopify sends 48
// hours after the app was uninstalled.
func (e *Emulator) ShopRedact() (http.Header, []byte) {
	return e.compliance("shop/redact", map[string]any{})
}

func (e *Emulator) complianceCustomer(id string) map[string]any {
	n, _ := strconv.ParseInt(id, 10, 64)
	c := map[string]any{"id": n}
	if rec, ok := e.Customer(id); ok {
		c["email"], c["phone"] = rec["email"], rec["phone"]
	}
	return c
}

func (e *Emulator) compliance(topic string, body map[string]any) (http.Header, []byte) {
	body["shop_id"], body["shop_domain"] = ShopID, e.opts.ShopDomain
	b := mustJSON(body)
	return e.DeliveryHeaders(topic, b), b
}

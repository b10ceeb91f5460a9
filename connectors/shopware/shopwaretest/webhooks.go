package shopwaretest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// emit turns one write's changes into webhook deliveries: one event per
// entity and kind (customer.written, customer_address.written,
// customer.deleted …), sent only when subscribed.
func (e *Emulator) emit(changes []change) {
	e.mu.Lock()
	url, closed := e.hookURL, e.closed
	e.mu.Unlock()
	if url == "" || closed {
		return
	}
	var events []string
	grouped := map[string][]change{}
	for _, c := range changes {
		ev := c.entity + ".written"
		if c.operation == "delete" {
			ev = c.entity + ".deleted"
		}
		if _, seen := grouped[ev]; !seen {
			events = append(events, ev)
		}
		grouped[ev] = append(grouped[ev], c)
	}
	for _, ev := range events {
		if !slices.Contains(e.opts.WebhookEvents, ev) {
			continue
		}
		body := e.webhookBody(ev, grouped[ev])
		// Add under the lock Close takes first, so no delivery starts
		// while Close waits for the running ones.
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return
		}
		e.wg.Add(1)
		e.mu.Unlock()
		go e.deliver(url, body)
	}
}

func (e *Emulator) webhookBody(event string, items []change) []byte {
	payload := make([]map[string]any, 0, len(items))
	for _, c := range items {
		fields := c.fields
		if fields == nil {
			fields = []string{}
		}
		payload = append(payload, map[string]any{
			"entity": c.entity, "operation": c.operation, "primaryKey": c.id,
			"updatedFields": fields, "versionId": "0fa91ce3e96a4bc2be4bd9ce752c3425",
		})
	}
	shopURL := e.URL()
	if shopURL == "" {
		shopURL = "http://shopware.test"
	}
	body, _ := json.Marshal(map[string]any{
		"data":      map[string]any{"payload": payload, "event": event},
		"source":    map[string]any{"url": shopURL, "eventId": NewID(), "shopId": e.opts.ShopID, "appVersion": "1.0.0"},
		"timestamp": time.Now().Unix(),
	})
	return body
}

func (e *Emulator) webhookHeader(body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("sw-version", e.opts.Version)
	h.Set("sw-context-language", SystemLanguageID)
	h.Set("sw-user-language", "en-GB")
	h.Set("shopware-shop-signature", e.Sign(body))
	return h
}

// deliver POSTs one delivery, retrying on the queue schedule until a 2xx,
// the schedule ends, or the emulator closes.
func (e *Emulator) deliver(url string, body []byte) {
	defer e.wg.Done()
	header := e.webhookHeader(body)
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header = header.Clone()
		resp, err := e.client.Do(req)
		if err == nil {
			emulator.Discard(resp)
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return
			}
		}
		if attempt >= len(e.opts.WebhookRetryDelays) {
			return
		}
		t := time.NewTimer(e.opts.WebhookRetryDelays[attempt])
		select {
		case <-e.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

package helpscouttest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// SignedDelivery returns the headers and body Help Scout would POST for
// event with payload, signed with the emulator's secret. It sends nothing.
func (e *Emulator) SignedDelivery(event string, payload any) (http.Header, []byte) {
	body, _ := json.Marshal(payload)
	return e.DeliveryHeaders(event, body), body
}

// DeliveryHeaders are the headers of a delivery of body: Help Scout sends
// the event name and the signature, no delivery id and no timestamp.
func (e *Emulator) DeliveryHeaders(event string, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-HelpScout-Event", event)
	h.Set("X-HelpScout-Signature", e.Sign(body))
	return h
}

// notify sends event asynchronously to the webhook URL, retrying a few
// times on failure. payload is what Help Scout posts: the whole v2
// resource object (the customer as GET /v2/customers/{id} renders it, the
// conversation), or {id} for a deletion; a retry posts the same body.
func (e *Emulator) notify(event string, payload any) {
	url := *e.webhookURL.Load()
	if url == "" || e.closed.Load() {
		return
	}
	h, body := e.SignedDelivery(event, payload)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		client := &http.Client{Timeout: 10 * time.Second}
		for attempt := 0; attempt < 5 && !e.closed.Load(); attempt++ {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header = h.Clone()
			resp, err := client.Do(req)
			if err == nil {
				emulator.Discard(resp)
				if resp.StatusCode < 300 {
					e.deliveries.Add(1)
					return
				}
			}
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
	}()
}

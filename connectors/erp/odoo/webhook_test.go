package odoo_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
)

func TestNotificationsNeedTheSecret(t *testing.T) {
	_, url := startEmulator(t, odootest.Options{})
	plain := build(t, connectors.Instance{}, json2Settings(url, 10))
	if _, ok := plain.(connectors.WebhookSource); ok || plain.Capabilities().Webhooks {
		t.Fatal("without a webhook secret the instance must neither declare nor accept notifications")
	}
	c := build(t, connectors.Instance{WebhookSecrets: []string{"new-secret", "old-secret"}}, json2Settings(url, 10))
	ws, ok := c.(connectors.WebhookSource)
	if !ok || !c.Capabilities().Webhooks {
		t.Fatal("with a secret the instance accepts notifications")
	}
	body := []byte(`{"_model":"res.partner","_id":42,"_action":"Send Webhook Notification(#7)","name":"Forged","write_date":"2025-06-01 12:00:00"}`)
	with := func(tok string) http.Header {
		h := http.Header{}
		if tok != "" {
			h.Set("X-Shophub-Webhook-Token", tok)
		}
		return h
	}
	for _, tok := range []string{"", "wrong", "new-secre", "new-secret-and-more"} {
		if err := ws.VerifyWebhook(with(tok), body); !errors.Is(err, connectors.ErrBadSignature) {
			t.Errorf("token %q: got %v, want ErrBadSignature", tok, err)
		}
	}
	for _, tok := range []string{"new-secret", "old-secret"} {
		if err := ws.VerifyWebhook(with(tok), body); err != nil {
			t.Errorf("token %q rejected: %v", tok, err)
		}
	}
	evs, err := ws.DecodeWebhook(with("new-secret"), body)
	if err != nil || len(evs) != 1 {
		t.Fatalf("decode: %v %v", evs, err)
	}
	ev := evs[0]
	if ev.ExternalID != "42" || ev.Resource != connectors.ResourceCustomer || ev.Body != nil || ev.Ignore || ev.ID == "" {
		t.Errorf("event = %+v, want partner 42 without a body (the pipeline fetches)", ev)
	}
	again, _ := ws.DecodeWebhook(with("new-secret"), body)
	if again[0].ID != ev.ID {
		t.Error("same delivery decodes to another event id")
	}
	// A rule that sends no write_date: two edits notify alike, byte for
	// byte, and both are events (Odoo does not retry; a hash of the body
	// made the second a re-delivery of the first).
	bare := []byte(`{"_model":"res.partner","_id":42,"_action":"Send Webhook Notification(#7)"}`)
	first, _ := ws.DecodeWebhook(with("new-secret"), bare)
	second, _ := ws.DecodeWebhook(with("new-secret"), bare)
	if len(first) != 1 || len(second) != 1 || first[0].ID == second[0].ID {
		t.Errorf("two notifications without write_date: %+v and %+v, want two events", first, second)
	}
	other, _ := ws.DecodeWebhook(nil, []byte(`{"_model":"sale.order","_id":3}`))
	if len(other) != 1 || !other[0].Ignore {
		t.Errorf("notification for another model: %+v, want ignored", other)
	}
	for _, bad := range []string{`{"_model":"res.partner","_id":`, `{"_model":"res.partner","_id":"abc"}`, `{"_model":"res.partner"}`} {
		if _, err := ws.DecodeWebhook(nil, []byte(bad)); !errors.Is(err, connectors.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", bad, err)
		}
	}
}

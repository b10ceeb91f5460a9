package magento_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/magento/magentotest"
)

func webhookConnector(t *testing.T) (connectors.WebhookSource, *magentotest.Emulator) {
	t.Helper()
	emu, url := startEmulator(t, magentotest.Options{})
	c := build(t, map[string]any{"base_url": url, "access_token": "t", "webhook_public_key": emu.PublicKeyPEM()})
	return c.(connectors.WebhookSource), emu
}

func TestDecodeWebhook(t *testing.T) {
	ws, emu := webhookConnector(t)
	tests := []struct {
		name string
		body []byte
		want connectors.Event
		// snapshot: the saved customer goes along (Event.Snapshot)
		snapshot bool
	}{
		{"customer save fixture", connectortest.Fixture(t, "webhook_customer_save.json"), connectors.Event{
			Topic: "observer.customer_save_commit_after", Resource: "customer", ExternalID: "1042",
			OccurredAt: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}, true},
		{"customer save in the REST shape", []byte(`{"eventName":"observer.customer_save_commit_after","data":{"customer":{"id":5,"entity_id":5,` +
			`"email":"r@example.com","firstname":"R","updated_at":"2025-03-14 09:26:53","addresses":[{"id":1,"city":"Ulm","street":["A 1"]}]}}}`),
			connectors.Event{Topic: "observer.customer_save_commit_after", Resource: "customer", ExternalID: "5",
				OccurredAt: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}, true},
		{"addresses not a list: no snapshot", []byte(`{"eventName":"observer.customer_save_commit_after","data":{"customer":{"id":6,` +
			`"email":"s@example.com","addresses":"2077"}}}`),
			connectors.Event{Topic: "observer.customer_save_commit_after", Resource: "customer", ExternalID: "6"}, false},
		{"delete", []byte(`{"eventName":"observer.customer_delete_commit_after","data":{"customer":{"id":7}}}`),
			connectors.Event{Topic: "observer.customer_delete_commit_after", Resource: "customer", ExternalID: "7", Deleted: true}, false},
		{"data_object", []byte(`{"eventName":"observer.customer_save_after","data":{"data_object":{"entity_id":"9"}}}`),
			connectors.Event{Topic: "observer.customer_save_after", Resource: "customer", ExternalID: "9"}, false},
		{"other entity ignored", []byte(`{"eventName":"observer.sales_order_place_after","data":{"order":{"entity_id":1}}}`),
			connectors.Event{Topic: "observer.sales_order_place_after", Ignore: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := emu.DeliveryHeaders(tt.body)
			if err := ws.VerifyWebhook(h, tt.body); err != nil {
				t.Fatal(err)
			}
			evs, err := ws.DecodeWebhook(h, tt.body)
			if err != nil || len(evs) != 1 {
				t.Fatalf("%v %v", evs, err)
			}
			got := evs[0]
			if got.ID == "" || got.Body != nil {
				t.Errorf("event id %q, body %d bytes: want a body hash id and no body (the record is fetched)", got.ID, len(got.Body))
			}
			got.ID = ""
			if got.Topic != tt.want.Topic || got.Resource != tt.want.Resource || got.ExternalID != tt.want.ExternalID ||
				got.Deleted != tt.want.Deleted || got.Ignore != tt.want.Ignore || !got.OccurredAt.Equal(tt.want.OccurredAt) {
				t.Errorf("event %+v, want %+v", got, tt.want)
			}
			// A save's body hash is no delivery id: a later save can send
			// the same body (connectors.Event.IDRecurs).
			if want := tt.want.Resource != "" && !tt.want.Deleted; got.IDRecurs != want {
				t.Errorf("IDRecurs %v, want %v", got.IDRecurs, want)
			}
			if (got.Snapshot != nil) != tt.snapshot {
				t.Errorf("snapshot %s, want one: %v", got.Snapshot, tt.snapshot)
			}
		})
	}
	body := []byte(`{"eventName":"observer.customer_save_commit_after","data":{"customer":{"email":"x@example.com"}}}`)
	if _, err := ws.DecodeWebhook(emu.DeliveryHeaders(body), body); !errors.Is(err, connectors.ErrMalformed) {
		t.Errorf("no id: got %v, want ErrMalformed", err)
	}
}

// Adobe's sample verifies over the base64-encoded body; both forms pass.
func TestVerifyWebhookOverBase64Body(t *testing.T) {
	ws, emu := webhookConnector(t)
	body := connectortest.Fixture(t, "webhook_customer_save.json")
	h := http.Header{}
	h.Set("x-adobe-commerce-webhook-signature", emu.DeliveryHeaders([]byte(base64.StdEncoding.EncodeToString(body))).Get("x-adobe-commerce-webhook-signature"))
	if err := ws.VerifyWebhook(h, body); err != nil {
		t.Errorf("signature over the base64 body rejected: %v", err)
	}
	h.Set("x-adobe-commerce-webhook-signature", "not base64!")
	if err := ws.VerifyWebhook(h, body); !errors.Is(err, connectors.ErrBadSignature) {
		t.Errorf("garbage signature: %v", err)
	}
}

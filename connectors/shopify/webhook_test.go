package shopify_test

import (
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopify"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

func offlineConnector(t *testing.T, secrets ...string) *shopify.Connector {
	t.Helper()
	c, err := shopify.New(connectors.Instance{Name: "shop", Type: shopify.Type, WebhookSecrets: secrets}, shopify.Settings{
		ShopURL: "https://acme.myshopify.com", APIVersion: "2025-10", AccessToken: "shpat_x", PageSize: 250,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func deliveryHeaders(topic, hmacValue string, extra ...string) http.Header {
	h := http.Header{}
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Hmac-Sha256", hmacValue)
	h.Set("X-Shopify-Shop-Domain", "acme.myshopify.com")
	h.Set("X-Shopify-API-Version", "2025-10")
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func TestVerifyWebhook(t *testing.T) {
	body := connectortest.Fixture(t, "customer.json")
	c := offlineConnector(t, "current", "previous")
	tests := []struct {
		name   string
		header string
		body   []byte
		ok     bool
	}{
		{"current secret", shopifytest.SignWith("current", body), body, true},
		{"previous secret during rotation", shopifytest.SignWith("previous", body), body, true},
		{"unknown secret", shopifytest.SignWith("other", body), body, false},
		{"body changed after signing", shopifytest.SignWith("current", body), append([]byte(" "), body...), false},
		{"missing header", "", body, false},
		{"not base64", "%%%not-base64%%%", body, false},
		{"hex instead of base64", "deadbeef", body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.VerifyWebhook(deliveryHeaders("customers/update", tt.header), tt.body)
			if tt.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tt.ok && !errors.Is(err, connectors.ErrBadSignature) {
				t.Fatalf("got %v, want ErrBadSignature", err)
			}
		})
	}
	t.Run("no secrets configured", func(t *testing.T) {
		err := offlineConnector(t).VerifyWebhook(deliveryHeaders("customers/update", shopifytest.SignWith("", body)), body)
		if !errors.Is(err, connectors.ErrBadSignature) {
			t.Fatalf("got %v, want ErrBadSignature", err)
		}
	})
}

func TestDecodeWebhook(t *testing.T) {
	c := offlineConnector(t, "s")
	customer := connectortest.Fixture(t, "customer.json")
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	const wid, eid, trig = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "9f2a1f0e-0000-4000-8000-000000000001", "2025-05-02T18:03:12.123Z"
	tests := []struct {
		name    string
		topic   string
		body    []byte
		headers []string
		want    connectors.Event
		wantErr error
	}{
		{
			name: "update carries the full record", topic: "customers/update", body: customer,
			headers: []string{"X-Shopify-Webhook-Id", wid, "X-Shopify-Event-Id", eid, "X-Shopify-Triggered-At", trig},
			want: connectors.Event{ID: wid, Topic: "customers/update", Resource: "customer", ExternalID: "7045738233971",
				OccurredAt: at(trig), Body: customer, BodyDecoded: true},
		},
		{
			name: "triggered-at before the body's updated_at: the body's time", topic: "customers/update", body: customer,
			headers: []string{"X-Shopify-Webhook-Id", wid, "X-Shopify-Triggered-At", "2025-05-02T18:03:10.5Z"},
			want: connectors.Event{ID: wid, Topic: "customers/update", Resource: "customer", ExternalID: "7045738233971",
				OccurredAt: at("2025-05-02T14:03:11-04:00"), Body: customer, BodyDecoded: true},
		},
		{
			name: "unparseable triggered-at: the body's time", topic: "customers/update", body: customer,
			headers: []string{"X-Shopify-Webhook-Id", wid, "X-Shopify-Triggered-At", "soon"},
			want: connectors.Event{ID: wid, Topic: "customers/update", Resource: "customer", ExternalID: "7045738233971",
				OccurredAt: at("2025-05-02T14:03:11-04:00"), Body: customer, BodyDecoded: true},
		},
		{
			name: "triggered-at long after the body's updated_at: the body's time", topic: "customers/update", body: customer,
			headers: []string{"X-Shopify-Webhook-Id", wid, "X-Shopify-Triggered-At", "2025-05-02T19:03:12.123Z"},
			want: connectors.Event{ID: wid, Topic: "customers/update", Resource: "customer", ExternalID: "7045738233971",
				OccurredAt: at("2025-05-02T14:03:11-04:00"), Body: customer, BodyDecoded: true},
		},
		{
			name: "create falls back to the event id", topic: "customers/create", body: customer,
			headers: []string{"X-Shopify-Event-Id", eid},
			want: connectors.Event{ID: eid, Topic: "customers/create", Resource: "customer", ExternalID: "7045738233971",
				OccurredAt: at("2025-05-02T14:03:11-04:00"), Body: customer, BodyDecoded: true},
		},
		{
			name: "delete has no updated_at: triggered-at", topic: "customers/delete", body: connectortest.Fixture(t, "webhook_customers_delete.json"),
			headers: []string{"X-Shopify-Webhook-Id", wid, "X-Shopify-Triggered-At", trig},
			want: connectors.Event{ID: wid, Topic: "customers/delete", Resource: "customer", ExternalID: "7045738233971",
				Deleted: true, OccurredAt: at(trig), Body: connectortest.Fixture(t, "webhook_customers_delete.json"), BodyDecoded: true},
		},
		{
			name: "consent update names the customer only: no body, fetch", topic: "customers_email_marketing_consent/update",
			body: connectortest.Fixture(t, "webhook_email_consent_update.json"), headers: []string{"X-Shopify-Webhook-Id", wid, "X-Shopify-Triggered-At", trig},
			want: connectors.Event{ID: wid, Topic: "customers_email_marketing_consent/update", Resource: "customer",
				ExternalID: "7045738233971", OccurredAt: at(trig)},
		},
		{
			name: "unknown topic is acknowledged and ignored", topic: "products/create", body: []byte(`{"id":1}`),
			headers: []string{"X-Shopify-Webhook-Id", wid},
			want:    connectors.Event{ID: wid, Topic: "products/create", Ignore: true},
		},
		{
			name: "no delivery ids: body hash", topic: "customers/update", body: connectortest.Fixture(t, "webhook_customers_update_no_updated_at.json"),
			want: connectors.Event{ID: "sha256:", Topic: "customers/update", Resource: "customer", ExternalID: "7045738233971",
				Body: connectortest.Fixture(t, "webhook_customers_update_no_updated_at.json"), BodyDecoded: true},
		},
		{name: "truncated JSON", topic: "customers/update", body: []byte(`{"id": 12, "email": `), wantErr: connectors.ErrMalformed},
		{name: "no id", topic: "customers/update", body: []byte(`{"email":"a@b.example"}`), wantErr: connectors.ErrMalformed},
		{name: "id not a number", topic: "customers/update", body: []byte(`{"id":"abc"}`), wantErr: connectors.ErrMalformed},
		{name: "bad updated_at", topic: "customers/update", body: []byte(`{"id":1,"updated_at":"yesterday"}`), wantErr: connectors.ErrMalformed},
		{name: "no topic header", topic: "", body: customer, wantErr: connectors.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := deliveryHeaders(tt.topic, shopifytest.SignWith("s", tt.body), tt.headers...)
			if tt.topic == "" {
				h.Del("X-Shopify-Topic")
			}
			got, err := c.DecodeWebhook(h, tt.body)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d events, want 1", len(got))
			}
			if tt.want.ID == "sha256:" {
				if len(got[0].ID) != len("sha256:")+64 {
					t.Errorf("body-hash id = %q", got[0].ID)
				}
				tt.want.ID = got[0].ID
			}
			if diff := cmp.Diff(tt.want, got[0], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkDecodeWebhook(b *testing.B) {
	body, err := os.ReadFile("testdata/customer.json")
	if err != nil {
		b.Fatal(err)
	}
	c, _ := shopify.New(connectors.Instance{WebhookSecrets: []string{"s"}}, shopify.Settings{
		ShopURL: "https://acme.myshopify.com", APIVersion: "2025-10", AccessToken: "x", PageSize: 250})
	h := deliveryHeaders("customers/update", shopifytest.SignWith("s", body), "X-Shopify-Webhook-Id", "w")
	b.ReportAllocs()
	for b.Loop() {
		if err := c.VerifyWebhook(h, body); err != nil {
			b.Fatal(err)
		}
		if _, err := c.DecodeWebhook(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

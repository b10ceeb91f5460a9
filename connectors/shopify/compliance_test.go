package shopify_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

// The mandatory compliance topics, with the bodies Shopify documents:
// signed like every topic, decoded into a privacy request, never a record.
func TestComplianceWebhooks(t *testing.T) {
	c := offlineConnector(t, "s3cret")
	cases := []struct {
		topic, file string
		want        connectors.PrivacyRequest
	}{
		{"customers/redact", "webhook_customers_redact.json", connectors.PrivacyRequest{Kind: connectors.PrivacyErase,
			ExternalID: "191167", Email: "john@example.com", Phone: "555-625-1199", Orders: []string{"299938", "280263", "220458"}}},
		{"customers/data_request", "webhook_customers_data_request.json", connectors.PrivacyRequest{Kind: connectors.PrivacyExport,
			ExternalID: "191167", Email: "john@example.com", Phone: "555-625-1199", RequestID: "9999", Orders: []string{"299938", "280263", "220458"}}},
		{"shop/redact", "webhook_shop_redact.json", connectors.PrivacyRequest{Kind: connectors.PrivacyShop}},
	}
	for _, tc := range cases {
		t.Run(tc.topic, func(t *testing.T) {
			body := connectortest.Fixture(t, tc.file)
			h := deliveryHeaders(tc.topic, shopifytest.SignWith("s3cret", body), "X-Shopify-Webhook-Id", "w-1")
			if err := c.VerifyWebhook(h, body); err != nil {
				t.Fatalf("verify: %v", err)
			}
			bad := deliveryHeaders(tc.topic, shopifytest.SignWith("other", body))
			if err := c.VerifyWebhook(bad, body); !errors.Is(err, connectors.ErrBadSignature) {
				t.Errorf("wrong secret: %v", err)
			}
			evs, err := c.DecodeWebhook(h, body)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Privacy == nil || evs[0].Ignore || evs[0].Body != nil || evs[0].ID != "w-1" {
				t.Fatalf("events %+v", evs)
			}
			if diff := cmp.Diff(tc.want, *evs[0].Privacy); diff != "" {
				t.Errorf("privacy request (-want +got):\n%s", diff)
			}
		})
	}
	h := deliveryHeaders("customers/redact", shopifytest.SignWith("s3cret", []byte(`{"shop_id":1}`)))
	if _, err := c.DecodeWebhook(h, []byte(`{"shop_id":1}`)); !errors.Is(err, connectors.ErrMalformed) {
		t.Errorf("redact naming nobody: %v", err)
	}
}

// The emulator sends them signed with its secret.
func TestEmulatorComplianceDeliveries(t *testing.T) {
	em := shopifytest.New(shopifytest.Options{WebhookSecret: "emu"})
	c := offlineConnector(t, "emu")
	id := em.CreateCustomer(map[string]any{"email": "gdpr@example.com", "first_name": "G"})
	h, body := em.CustomersRedact(id, 42)
	if err := c.VerifyWebhook(h, body); err != nil {
		t.Fatal(err)
	}
	evs, err := c.DecodeWebhook(h, body)
	if err != nil {
		t.Fatal(err)
	}
	p := evs[0].Privacy
	if p == nil || p.Kind != connectors.PrivacyErase || p.ExternalID != id || p.Email != "gdpr@example.com" || len(p.Orders) != 1 {
		t.Errorf("emulator redact decoded to %+v", p)
	}
	h, body = em.ShopRedact()
	if evs, err := c.DecodeWebhook(h, body); err != nil || evs[0].Privacy.Kind != connectors.PrivacyShop {
		t.Errorf("shop redact: %+v %v", evs, err)
	}
}

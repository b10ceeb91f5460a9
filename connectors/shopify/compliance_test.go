package shopify_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopify"
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
	if evs, err := c.DecodeWebhook(h, []byte(`{"shop_id":1}`)); err != nil || evs[0].Privacy.Rejected != shopify.RejectShape {
		t.Errorf("redact naming nobody: %+v %v", evs, err)
	}
}

// The emulator sends them signed with its secret.
func TestEmulatorComplianceDeliveries(t *testing.T) {
	em := shopifytest.New(shopifytest.Options{WebhookSecret: "emu"})
	c := shopConnector(t, shopify.Settings{ShopURL: "http://127.0.0.1:1", ShopDomain: shopifytest.DefaultShopDomain}, "emu")
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

func shopConnector(t *testing.T, s shopify.Settings, secrets ...string) *shopify.Connector {
	t.Helper()
	s.APIVersion, s.AccessToken, s.PageSize = "2025-10", "shpat_x", 250
	c, err := shopify.New(connectors.Instance{Name: "shop", Type: shopify.Type, WebhookSecrets: secrets}, s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Shopify signs the body, not the topic header: a validly signed body
// under a compliance topic is acted on only when it has that topic's
// documented shape and names this shop. Anything else decodes to a
// rejected request that carries no id and no contact data.
func TestComplianceTopicMustMatchItsBody(t *testing.T) {
	fixture := func(name string) []byte { return connectortest.Fixture(t, name) }
	redact, dataReq, shopRedact := fixture("webhook_customers_redact.json"), fixture("webhook_customers_data_request.json"), fixture("webhook_shop_redact.json")
	with := func(body []byte, edit func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	acme := shopify.Settings{ShopURL: "https://acme.myshopify.com"}
	cases := []struct {
		name     string
		settings shopify.Settings
		topic    string
		body     []byte
		kind     string
		rejected string
	}{
		{"orders/create body as customers/redact", acme, "customers/redact", fixture("order.json"), connectors.PrivacyErase, shopify.RejectShape},
		{"orders/create body as shop/redact", acme, "shop/redact", fixture("order.json"), connectors.PrivacyShop, shopify.RejectShape},
		{"orders/create body as customers/data_request", acme, "customers/data_request", fixture("order.json"), connectors.PrivacyExport, shopify.RejectShape},
		{"customer record as customers/redact", acme, "customers/redact", fixture("customer.json"), connectors.PrivacyErase, shopify.RejectShape},
		{"customers/redact body as shop/redact", acme, "shop/redact", redact, connectors.PrivacyShop, shopify.RejectShape},
		{"customers/data_request body as customers/redact", acme, "customers/redact", dataReq, connectors.PrivacyErase, shopify.RejectShape},
		{"customers/redact body as customers/data_request", acme, "customers/data_request", redact, connectors.PrivacyExport, shopify.RejectShape},
		{"shop/redact body as customers/redact", acme, "customers/redact", shopRedact, connectors.PrivacyErase, shopify.RejectShape},
		{"extra key", acme, "customers/redact", with(redact, func(m map[string]any) { m["id"] = 1 }), connectors.PrivacyErase, shopify.RejectShape},
		{"extra customer key", acme, "customers/redact", with(redact, func(m map[string]any) { m["customer"].(map[string]any)["first_name"] = "x" }), connectors.PrivacyErase, shopify.RejectShape},
		{"customer naming nobody", acme, "customers/redact", with(redact, func(m map[string]any) { m["customer"] = map[string]any{"phone": "1"} }), connectors.PrivacyErase, shopify.RejectShape},
		{"shop id not a number", acme, "shop/redact", with(shopRedact, func(m map[string]any) { m["shop_id"] = "x" }), connectors.PrivacyShop, shopify.RejectShape},
		{"not JSON", acme, "shop/redact", []byte("shop_id=1"), connectors.PrivacyShop, shopify.RejectShape},
		{"another shop's domain", acme, "customers/redact", with(redact, func(m map[string]any) { m["shop_domain"] = "other.myshopify.com" }), connectors.PrivacyErase, shopify.RejectOtherShop},
		{"another shop's redaction", acme, "shop/redact", with(shopRedact, func(m map[string]any) { m["shop_domain"] = "other.myshopify.com" }), connectors.PrivacyShop, shopify.RejectOtherShop},
		{"another shop id", shopify.Settings{ShopURL: "https://acme.myshopify.com", ShopID: "1"}, "customers/redact", redact, connectors.PrivacyErase, shopify.RejectOtherShop},
		{"no shop domain known", shopify.Settings{ShopURL: "https://shop.acme.example"}, "customers/redact", redact, connectors.PrivacyErase, shopify.RejectOtherShop},
		{"configured shop", acme, "customers/redact", redact, connectors.PrivacyErase, ""},
		{"configured shop and id", shopify.Settings{ShopURL: "https://shop.acme.example", ShopDomain: "ACME.myshopify.com", ShopID: "954889"}, "shop/redact", shopRedact, connectors.PrivacyShop, ""},
		{"email only customer", acme, "customers/redact", with(redact, func(m map[string]any) { m["customer"] = map[string]any{"email": "john@example.com"} }), connectors.PrivacyErase, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := shopConnector(t, tc.settings, "s3cret")
			h := deliveryHeaders(tc.topic, shopifytest.SignWith("s3cret", tc.body))
			if err := c.VerifyWebhook(h, tc.body); err != nil {
				t.Fatalf("verify: %v", err)
			}
			evs, err := c.DecodeWebhook(h, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Privacy == nil {
				t.Fatalf("events %+v", evs)
			}
			p := evs[0].Privacy
			if p.Kind != tc.kind || p.Rejected != tc.rejected {
				t.Errorf("kind %q rejected %q, want %q %q", p.Kind, p.Rejected, tc.kind, tc.rejected)
			}
			if tc.rejected != "" {
				want := connectors.PrivacyRequest{Kind: tc.kind, Rejected: tc.rejected}
				if diff := cmp.Diff(want, *p); diff != "" || evs[0].ExternalID != "" || evs[0].Body != nil {
					t.Errorf("a rejected request carries more than its kind and reason (-want +got):\n%s", diff)
				}
			}
		})
	}
}

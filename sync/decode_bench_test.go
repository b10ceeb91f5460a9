package sync

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkIngestDecode: an ingest task's payload carrying a Shopify
// customer (~1.4 KB), decoded as the ingest did before (payload with the
// body as raw JSON, then the body into a map) and in one pass
// (decodeIngest).
func BenchmarkIngestDecode(b *testing.B) {
	addr := map[string]any{"id": 9800000001, "customer_id": 7100000001, "first_name": "Greta", "last_name": "Gast",
		"company": "Gast GmbH", "address1": "Alexanderplatz 1", "address2": "3. OG", "city": "Berlin", "province": "Berlin",
		"country": "Germany", "zip": "10178", "phone": "+4930555100", "name": "Greta Gast", "province_code": "BE",
		"country_code": "DE", "country_name": "Germany", "default": true}
	body, _ := json.Marshal(map[string]any{"id": 7100000001, "email": "greta.gast@example.com", "created_at": "2026-01-01T10:00:00+01:00",
		"updated_at": "2026-11-30T10:00:00+01:00", "first_name": "Greta", "last_name": "Gast", "orders_count": 3, "state": "enabled",
		"total_spent": "123.45", "last_order_id": 450789469, "note": "VIP since 2024", "verified_email": true, "tax_exempt": false,
		"tags": "vip, newsletter, b2b", "last_order_name": "#1003", "currency": "EUR", "phone": "+4930555100",
		"addresses": []any{addr, addr}, "default_address": addr, "accepts_marketing": true,
		"email_marketing_consent": map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": "2026-01-01T10:00:00+01:00"},
		"admin_graphql_api_id":    "gid://shopify/Customer/7100000001"})
	tk, err := NewIngestTask(IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: "7100000001", EventID: "b8f0c2e4-1d3a-4c5e-9f7a-0123456789ab",
		SourceAt: time.Now(), Body: body, RequestID: "req-1"}, 3)
	if err != nil {
		b.Fatal(err)
	}
	payload := tk.Payload()
	b.Logf("payload %d bytes, body %d", len(payload), len(body))
	b.Run("payload-then-body", func(b *testing.B) {
		for b.Loop() {
			var p IngestPayload
			if err := json.Unmarshal(payload, &p); err != nil {
				b.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(p.Body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			p, err := decodeIngest(payload)
			if err != nil || p.body == nil {
				b.Fatal(err)
			}
		}
	})
}

package hub

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkMergerApply measures the in-memory merge of one record (no
// database): an echo that changes nothing and an edit of one address key,
// against a customer with two full addresses.
func BenchmarkMergerApply(b *testing.B) {
	addr := func(city string) map[string]any {
		return map[string]any{"first_name": "Jana", "last_name": "Berg", "company": "Berg GmbH", "street": "Jungfernstieg 1",
			"zip": "20354", "city": city, "region": "DE-HH", "country": "DE", "phone": "+49221999999"}
	}
	doc := func(city string) map[string]any {
		return map[string]any{"email": "jana@example.com", "first_name": "Jana", "last_name": "Berg", "phone": "+4915111111111",
			"tags": []any{"a", "b"}, "billing_address": addr(city), "shipping_address": addr("Hamburg")}
	}
	state, _ := json.Marshal(doc("Hamburg"))
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name string
		in   map[string]any
	}{{"echo", doc("Hamburg")}, {"edit", doc("Altona")}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var data, base map[string]any
				_ = json.Unmarshal(state, &data)
				_ = json.Unmarshal(state, &base)
				m := merger{in: Inbound{Instance: "shopify", SourceAt: t0.Add(time.Minute), Doc: bc.in}, data: data,
					prov: map[string]Provenance{}, baseline: base, emailTaken: func(string) bool { return false }}
				m.apply(1, false)
			}
		})
	}
}

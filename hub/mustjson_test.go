package hub

import (
	"encoding/json"
	"testing"
	"time"
)

// What the hub stores encodes to exactly what encoding/json writes
// (jsonx holds the general case): provenance, deletions, indicators, and
// a doc with the two control characters sonic escapes otherwise.
func TestStoredJSONAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.FixedZone("", 3600))
	cases := map[string]any{
		"provenance": map[string]Provenance{"email": {Instance: "shopify", At: at}, "phone": {Instance: "erp", At: at.UTC(), Unverified: true}},
		"deletion":   Deletion{ExternalID: "7", Resource: "customer", By: "webhook"},
		"indicators": Indicators{Orders: 3, LTV: "12.00", AOV: "4.00", ByCurrency: []CurrencyFigures{{Currency: "EUR", Orders: 3}}},
		"doc":        map[string]any{"note": "a\bb\fc <&>", "tags": []any{"vip"}, "orders": 3.0, "address": map[string]any{"city": "Köln", "zip": nil}},
	}
	for name, v := range cases {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(v); got != string(want) {
			t.Errorf("%s: mustJSON = %s, encoding/json = %s", name, got, want)
		}
	}
}

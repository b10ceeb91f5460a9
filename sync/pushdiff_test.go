package sync

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	_ "github.com/shophub/shophub/connectors/all"
	"github.com/shophub/shophub/mappings"
)

// A push remembers the hub knowledge it rendered (pushedView), so the next
// push of unchanged insights is no write, and a changed one writes only
// what it renders into: no target reads insights back (Shopify's REST
// customer carries no metafields; the shophub:* tags are dropped inbound).
func TestUnchangedInsightsAreNoWrite(t *testing.T) {
	reg, _ := connectors.Lookup("shopify")
	m, err := mappings.Compile("shopify", reg.Mapping, mappings.Options{Settings: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	tp := &Touchpoint{Name: "shopify", Mapping: m}
	knowledge := func(segment string) map[string]any {
		return map[string]any{"segment": segment, "profitability": "high", "rfm": "545", "ltv": "150.00", "currency": "EUR",
			"return_rate": "0.0%", "next_order_due": "2027-01-04"}
	}
	pushed := map[string]any{"email": "k@example.com", "tags": []any{"vip"}, mappings.HubKey: knowledge("loyal")}
	last := pushedView(tp, "customer", pushed)
	if last[mappings.HubKey] == nil {
		t.Fatal("the pushed view keeps no knowledge")
	}
	// What Shopify holds after that push, read back through the mapping.
	cur, err := m.Inbound("customer", map[string]any{"id": 1, "email": "k@example.com",
		"tags": "vip, shophub:segment:loyal, shophub:profitability:high"})
	if err != nil {
		t.Fatal(err)
	}
	base := baseDoc(cur, last, m.Fields("customer"))
	write := func(doc map[string]any) map[string]any {
		want, err := m.Outbound("customer", wantDoc(doc, base))
		if err != nil {
			t.Fatal(err)
		}
		have, err := m.Outbound("customer", base)
		if err != nil {
			t.Fatal(err)
		}
		return diffPayload(want, have)
	}
	for _, tt := range []struct {
		name string
		doc  map[string]any
		want map[string]any
	}{
		{"nightly score, nothing changed", pushed, map[string]any{}},
		{"segment moved", map[string]any{"email": "k@example.com", "tags": []any{"vip"}, mappings.HubKey: knowledge("at_risk")},
			map[string]any{"tags": "vip, shophub:segment:at_risk, shophub:profitability:high", "metafields": map[string]any{"segment": "at_risk"}}},
		{"a name changed, insights did not", map[string]any{"email": "k@example.com", "first_name": "Kim", "tags": []any{"vip"}, mappings.HubKey: knowledge("loyal")},
			map[string]any{"first_name": "Kim"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, write(tt.doc)); diff != "" {
				t.Errorf("write (-want +got):\n%s", diff)
			}
		})
	}
}

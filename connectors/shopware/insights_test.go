package shopware

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/mappings"
)

// Tags named shophub:* and the shophub_* custom fields are the hub's
// insights: read back they say nothing about the customer; written they
// sit beside the customer's own tags and other plugins' custom fields.
func TestMappingInsights(t *testing.T) {
	m := compileMapping(t)
	in, err := m.Inbound(connectors.ResourceCustomer, connectortest.FixtureJSON(t, "customer_insights.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b2b", "vip"}, in["tags"]); diff != "" {
		t.Errorf("inbound tags (-want +got):\n%s", diff)
	}
	if _, ok := in["customFields"]; ok {
		t.Error("custom fields read back")
	}
	doc := mappings.Doc{"email": "jane.doe@example.com", "tags": []string{"b2b", "vip"}, mappings.HubKey: map[string]any{
		"segment": "at_risk", "profitability": "low", "rfm": "213", "ltv": "30.00", "currency": "EUR", "return_rate": "80.0%", "next_order_due": ""}}
	for _, tt := range []struct {
		name     string
		settings map[string]any
		wantTags []any
		wantCF   any
	}{
		{"custom fields only", map[string]any{"insight_tags": false}, []any{"b2b", "vip"}, map[string]any{
			"shophub_segment": "at_risk", "shophub_profitability": "low", "shophub_rfm": "213", "shophub_total_spent": "30.00 EUR",
			"shophub_return_rate": "80.0%", "shophub_next_order_due": ""}},
		{"defaults", nil, []any{"b2b", "vip", "shophub:segment:at_risk", "shophub:profitability:low"}, map[string]any{
			"shophub_segment": "at_risk", "shophub_profitability": "low", "shophub_rfm": "213", "shophub_total_spent": "30.00 EUR",
			"shophub_return_rate": "80.0%", "shophub_next_order_due": ""}},
		{"settings off", map[string]any{"insight_tags": false, "insight_custom_fields": false}, []any{"b2b", "vip"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mappings.Compile("connectors/shopware/mapping.yaml", defaultMapping, mappings.Options{DefaultRegion: "DE", Settings: tt.settings})
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Outbound(connectors.ResourceCustomer, doc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantTags, out["tags"]); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCF, out["customFields"]); diff != "" {
				t.Errorf("customFields (-want +got):\n%s", diff)
			}
			// With both settings off the mapping renders no insights: the
			// customer gets no insight refreshes (sync: insightTargets).
			if want := tt.wantCF != nil || len(tt.wantTags) > 2; m.ReadsHub(connectors.ResourceCustomer) != want {
				t.Errorf("ReadsHub = %v, want %v", !want, want)
			}
		})
	}
}

// The Writer sends only custom fields that differ (Shopware merges them key
// by key), creates the insight tags the shop lacks, drops a stale one and
// keeps the customer's own tags; an unchanged push writes nothing.
func TestPushInsights(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	ctx := testCtx(t)
	id := emu.CreateCustomer(map[string]any{"email": "jane.doe@example.com", "firstName": "Jane", "lastName": "Doe",
		"customFields":          map[string]any{"swag_loyalty_points": float64(120), "shophub_segment": "loyal"},
		"tags":                  []any{map[string]any{"name": "vip"}, map[string]any{"name": "shophub:segment:loyal"}},
		"defaultBillingAddress": map[string]any{"firstName": "Jane", "lastName": "Doe", "street": "Markt 1", "city": "Köln", "countryIso": "DE"}})

	for _, tt := range []struct {
		name     string
		payload  map[string]any
		writes   []string // requests other than reads
		wantCF   map[string]any
		wantTags []string
	}{
		{"segment moved, class new",
			map[string]any{"customFields": map[string]any{"shophub_segment": "at_risk", "shophub_profitability": "low", "shophub_next_order_due": ""},
				"tags": []any{"vip", "shophub:segment:at_risk", "shophub:profitability:low"}},
			[]string{"POST /api/tag", "POST /api/tag", "PATCH /api/customer/" + id, "DELETE /api/customer/" + id + "/tags/"},
			map[string]any{"swag_loyalty_points": float64(120), "shophub_segment": "at_risk", "shophub_profitability": "low"},
			[]string{"shophub:profitability:low", "shophub:segment:at_risk", "vip"}},
		{"unchanged: nothing written",
			map[string]any{"customFields": map[string]any{"shophub_segment": "at_risk", "shophub_profitability": "low", "shophub_next_order_due": ""},
				"tags": []any{"shophub:profitability:low", "vip", "shophub:segment:at_risk"}},
			nil,
			map[string]any{"swag_loyalty_points": float64(120), "shophub_segment": "at_risk", "shophub_profitability": "low"},
			[]string{"shophub:profitability:low", "shophub:segment:at_risk", "vip"}},
		{"class cleared",
			map[string]any{"customFields": map[string]any{"shophub_segment": "at_risk", "shophub_profitability": ""},
				"tags": []any{"vip", "shophub:segment:at_risk"}},
			[]string{"PATCH /api/customer/" + id, "DELETE /api/customer/" + id + "/tags/"},
			map[string]any{"swag_loyalty_points": float64(120), "shophub_segment": "at_risk", "shophub_profitability": nil},
			[]string{"shophub:segment:at_risk", "vip"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(emu.RequestLog())
			if _, err := c.Upsert(ctx, connectors.ResourceCustomer, id, tt.payload); err != nil {
				t.Fatal(err)
			}
			var writes []string
			for _, l := range emu.RequestLog()[before:] {
				if !slices.ContainsFunc([]string{"GET ", "POST /api/search", "POST /api/oauth"}, func(p string) bool { return len(l) >= len(p) && l[:len(p)] == p }) {
					writes = append(writes, trimTagID(l))
				}
			}
			if diff := cmp.Diff(tt.writes, writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			rec, _ := emu.Customer(id)
			if diff := cmp.Diff(tt.wantCF, rec["customFields"]); diff != "" {
				t.Errorf("customFields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTags, tagNamesOf(rec)); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

// trimTagID cuts the tag id off an untag request line.
func trimTagID(line string) string {
	if i := len(line) - 32; i > 0 && line[i-1] == '/' && slices.Contains([]string{"/tags/"}, line[i-6:i]) {
		return line[:i]
	}
	return line
}

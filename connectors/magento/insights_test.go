package magento_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/magento"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/mappings"
)

// The insight attributes render only when the operator allows them.
func TestMappingInsightAttributes(t *testing.T) {
	reg, _ := connectors.Lookup(magento.Type)
	doc := mappings.Doc{"email": "e@example.com", mappings.HubKey: map[string]any{
		"segment": "at_risk", "profitability": "low", "ltv": "30.00", "currency": "EUR", "return_rate": "80.0%"}}
	for _, tt := range []struct {
		name     string
		settings map[string]any
		want     any
	}{
		{"default: off", nil, nil},
		{"insight_attributes", map[string]any{"insight_attributes": true}, map[string]any{
			"shophub_segment": "at_risk", "shophub_profitability": "low", "shophub_total_spent": "30.00 EUR", "shophub_return_rate": "80.0%"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mappings.Compile("connectors/magento/mapping.yaml", reg.Mapping, mappings.Options{DefaultRegion: "DE", Settings: tt.settings})
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Outbound("customer", doc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out["custom_attributes"]); diff != "" {
				t.Errorf("custom_attributes (-want +got):\n%s", diff)
			}
			// Off, the mapping renders no insights: the customer gets no
			// insight refreshes (sync: insightTargets).
			if want := tt.want != nil; m.ReadsHub("customer") != want {
				t.Errorf("ReadsHub = %v, want %v", !want, want)
			}
		})
	}
}

// Magento drops custom attributes it does not define without an error, so
// the writer asks attributeMetadata first: defined ones are written,
// missing ones are left out and the push waits with the operator's
// instruction. Answers are remembered: the next push asks nothing.
func TestInsightAttributesNeedTheStoresAttributes(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{CustomerAttributes: []string{"loyalty_number", "shophub_segment", "shophub_profitability"}})
	w := newConnector(t, url, 5).(connectors.Writer)
	ctx := context.Background()
	id := emu.CreateCustomer(map[string]any{"email": "ins@example.com", "firstname": "Ina", "lastname": "Sight",
		"custom_attributes": []any{map[string]any{"attribute_code": "loyalty_number", "value": "LY-7"}}})
	payload := map[string]any{"custom_attributes": map[string]any{"shophub_segment": "at_risk", "shophub_profitability": "low",
		"shophub_total_spent": "30.00 EUR", "shophub_return_rate": "80.0%"}}
	attrs := func() map[string]any {
		c, _ := emu.Customer(id)
		out := map[string]any{}
		for _, x := range c["custom_attributes"].([]any) {
			m := x.(map[string]any)
			out[m["attribute_code"].(string)] = m["value"]
		}
		return out
	}
	lookups := func(from int) int {
		n := 0
		for _, l := range emu.RequestLog()[from:] {
			if strings.Contains(l, "/V1/attributeMetadata/customer/attribute/") {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		name        string
		define      string
		wantLookups int
		wantWait    string
		want        map[string]any
	}{
		{"two missing: the rest written, the push waits", "", 4, "shophub_return_rate, shophub_total_spent",
			map[string]any{"loyalty_number": "LY-7", "shophub_segment": "at_risk", "shophub_profitability": "low"}},
		{"asked again: remembered", "", 0, "shophub_return_rate, shophub_total_spent",
			map[string]any{"loyalty_number": "LY-7", "shophub_segment": "at_risk", "shophub_profitability": "low"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			from := len(emu.RequestLog())
			rec, err := w.Upsert(ctx, "customer", id, payload)
			if tt.wantWait == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantWait != "" && (!errors.Is(err, connectors.ErrNotRepresentable) || !strings.Contains(err.Error(), tt.wantWait) ||
				!strings.Contains(err.Error(), "insight_attributes") || rec == nil) {
				t.Errorf("got %v (record %v), want a wait naming %s and the setting", err, rec != nil, tt.wantWait)
			}
			if got := lookups(from); got != tt.wantLookups {
				t.Errorf("%d attribute lookups, want %d", got, tt.wantLookups)
			}
			if diff := cmp.Diff(tt.want, attrs()); diff != "" {
				t.Errorf("custom attributes (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("all defined", func(t *testing.T) {
		emu2, url2 := startEmulator(t, magentotest.Options{CustomerAttributes: []string{"shophub_segment", "shophub_profitability", "shophub_total_spent", "shophub_return_rate"}})
		w2 := newConnector(t, url2, 5).(connectors.Writer)
		id2 := emu2.CreateCustomer(map[string]any{"email": "all@example.com", "firstname": "A", "lastname": "L"})
		if _, err := w2.Upsert(ctx, "customer", id2, payload); err != nil {
			t.Fatal(err)
		}
		c, _ := emu2.Customer(id2)
		if n := len(c["custom_attributes"].([]any)); n != 4 {
			t.Errorf("custom attributes %v", c["custom_attributes"])
		}
	})
}

// The emulator answers attributeMetadata like Magento: the metadata of a
// known attribute, 404 with NoSuchEntityException's body otherwise; and a
// save naming an unknown attribute succeeds without storing it.
func TestEmulatorAttributeMetadata(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	get := func(code string) (int, []byte) {
		req, _ := http.NewRequest("GET", url+"/rest/default/V1/attributeMetadata/customer/attribute/"+code, nil)
		req.Header.Set("Authorization", "Bearer "+magentotest.DefaultIntegrationToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := get("shophub_total_spent")
	var got, want any
	_ = json.Unmarshal(body, &got)
	_ = json.Unmarshal(connectortest.Fixture(t, "attribute_metadata_missing.json"), &want)
	if status != http.StatusNotFound || !cmp.Equal(want, got) {
		t.Errorf("missing attribute: %d %s", status, body)
	}
	if status, body := get("loyalty_number"); status != http.StatusOK || !strings.Contains(string(body), `"attribute_code":"loyalty_number"`) {
		t.Errorf("defined attribute: %d %s", status, body)
	}
	id := emu.CreateCustomer(map[string]any{"email": "drop@example.com", "firstname": "D", "lastname": "R",
		"custom_attributes": []any{map[string]any{"attribute_code": "nobody_defined_me", "value": "x"}}})
	if c, _ := emu.Customer(id); len(c["custom_attributes"].([]any)) != 0 {
		t.Errorf("unknown attribute stored: %v", c["custom_attributes"])
	}
}

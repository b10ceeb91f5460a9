package shopify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopify"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/mappings"
)

func compileMapping(t *testing.T) *mappings.Mapping {
	t.Helper()
	reg, ok := connectors.Lookup(shopify.Type)
	if !ok {
		t.Fatal("shopify not registered")
	}
	m, err := mappings.Compile("connectors/shopify/mapping.yaml", reg.Mapping, mappings.Options{DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func decodeFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	// Numbers kept exact, as the connector decodes Shopify's answers.
	if err := connectors.DecodeJSON(connectortest.Fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMappingInbound(t *testing.T) {
	m := compileMapping(t)
	got, err := m.Inbound("customer", decodeFixture(t, "customer.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := mappings.Doc{
		"email":           "bob.norman@mail.example.com",
		"first_name":      "Bob",
		"last_name":       "Norman",
		"company":         "Norman GmbH",
		"phone":           "+4930901820",
		"tags":            []string{"newsletter", "vip"},
		"email_marketing": map[string]any{"subscribed": true, "updated_at": "2024-02-29T00:00:00Z"},
		"sms_marketing":   map[string]any{"subscribed": false},
		"billing_address": map[string]any{
			"first_name": "Bob", "last_name": "Norman", "company": "Norman GmbH",
			"street": "Friedrichstraße 123", "street2": "3. OG", "zip": "10117", "city": "Berlin",
			"region": "DE-BE", "country": "DE", "phone": "+49301234567",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Inbound (-want +got):\n%s", diff)
	}
}

func TestMappingInboundSparseCustomer(t *testing.T) {
	m := compileMapping(t)
	// What the emulator (and Shopify) render for a customer created with an
	// email only: null phone, null sms consent, no default address.
	rec := map[string]any{
		"id": json.Number("1"), "email": "Only@Example.com", "first_name": nil, "last_name": nil, "phone": nil,
		"tags": "", "addresses": []any{}, "sms_marketing_consent": nil,
		"email_marketing_consent": map[string]any{"state": "not_subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": nil},
	}
	got, err := m.Inbound("customer", rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"billing_address", "company", "sms_marketing"} {
		if v, ok := got[absent]; ok {
			t.Errorf("%s = %v, want absent", absent, v)
		}
	}
	if got["email"] != "only@example.com" || got["phone"] != "" {
		t.Errorf("email %v phone %q", got["email"], got["phone"])
	}
}

// TestMappingRoundTrip maps the fixture to canonical and back and checks
// every mapped Shopify field comes out as Shopify had it.
func TestMappingRoundTrip(t *testing.T) {
	m := compileMapping(t)
	vendor := decodeFixture(t, "customer.json")
	doc, err := m.Inbound("customer", vendor)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Outbound("customer", doc)
	if err != nil {
		t.Fatal(err)
	}
	va := vendor["default_address"].(map[string]any)
	want := map[string]any{
		"email":      vendor["email"],
		"first_name": vendor["first_name"],
		"last_name":  vendor["last_name"],
		"phone":      vendor["phone"],
		"tags":       vendor["tags"],
		"email_marketing_consent": map[string]any{
			"state":              "subscribed",
			"consent_updated_at": "2024-02-28T19:00:00-05:00", // canonical keeps UTC; compared as instants,
		},
		"sms_marketing_consent": map[string]any{"state": "not_subscribed"},
		"default_address": map[string]any{
			"first_name": va["first_name"], "last_name": va["last_name"], "company": va["company"],
			"address1": va["address1"], "address2": va["address2"], "zip": va["zip"], "city": va["city"],
			"province": va["province"], "province_code": va["province_code"], "country_code": va["country_code"], "phone": va["phone"],
		},
	}
	if diff := cmp.Diff(want, out, cmp.Comparer(func(a, b string) bool { return a == b || instantEqual(a, b) })); diff != "" {
		t.Errorf("vendor → canonical → vendor (-want +got):\n%s", diff)
	}

	// And the rendered payload is what the writer pushes: a round trip
	// through the emulator reproduces the record's mapped fields.
	_, url := startEmulator(t, shopifytest.Options{})
	w := newConnector(t, url, 5).(connectors.Writer)
	rec, err := w.Upsert(t.Context(), "customer", "", out)
	if err != nil {
		t.Fatal(err)
	}
	doc2, err := m.Inbound("customer", rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, doc2); diff != "" {
		t.Errorf("canonical → Shopify (emulator) → canonical (-want +got):\n%s", diff)
	}
}

func instantEqual(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339, a)
	tb, err2 := time.Parse(time.RFC3339, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

func TestMappingOutboundPartialDoc(t *testing.T) {
	m := compileMapping(t)
	tests := []struct {
		name string
		doc  mappings.Doc
		want map[string]any
	}{
		{"email only leaves everything else untouched", mappings.Doc{"email": "a@b.example"}, map[string]any{"email": "a@b.example"}},
		{"company without address touches only the address company",
			mappings.Doc{"company": "ACME"}, map[string]any{"default_address": map[string]any{"company": "ACME"}}},
		{"address replaces the whole address", mappings.Doc{"billing_address": map[string]any{"city": "Kiel"}},
			map[string]any{"default_address": map[string]any{"first_name": "", "last_name": "", "company": "", "address1": "", "address2": "",
				"zip": "", "city": "Kiel", "province": "", "province_code": "", "country_code": "", "phone": ""}}},
		{"cleared tags", mappings.Doc{"tags": []string{}}, map[string]any{"tags": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Outbound("customer", tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A phone the hub keeps verbatim (raw:) is never sent as the customer's
// phone, which Shopify would refuse; the address phone, free text at
// Shopify, goes as written.
func TestMappingRawPhone(t *testing.T) {
	m := compileMapping(t)
	out, err := m.Outbound("customer", mappings.Doc{"phone": "raw:keine Angabe",
		"billing_address": map[string]any{"city": "Kiel", "phone": "raw:030 1234567 / 0171 7654321"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out["phone"]; ok {
		t.Errorf("raw customer phone sent: %v", out["phone"])
	}
	if a := out["default_address"].(map[string]any); a["phone"] != "030 1234567 / 0171 7654321" {
		t.Errorf("address phone = %v", a["phone"])
	}
	for _, p := range []string{"+4930123456", ""} {
		if out, _ := m.Outbound("customer", mappings.Doc{"phone": p}); out["phone"] != p {
			t.Errorf("phone %q sent as %v", p, out["phone"])
		}
	}
}

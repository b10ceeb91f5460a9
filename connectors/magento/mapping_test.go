package magento_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/magento"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/mappings"
)

func decodeFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	// Numbers as json.Number, as the connector decodes Magento's answers.
	if err := connectors.DecodeJSON(connectortest.Fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func compileMapping(t *testing.T) *mappings.Mapping {
	t.Helper()
	reg, ok := connectors.Lookup(magento.Type)
	if !ok {
		t.Fatal("magento not registered")
	}
	m, err := mappings.Compile("connectors/magento/mapping.yaml", reg.Mapping, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMappingInbound(t *testing.T) {
	m := compileMapping(t)
	tests := []struct {
		name    string
		fixture string
		want    mappings.Doc
	}{
		{"full customer", "customer.json", mappings.Doc{
			"email":           "greta.hoffmann@example.de",
			"first_name":      "Greta",
			"last_name":       "Hoffmann",
			"birthday":        "1985-07-23",
			"company":         "Hoffmann Feinkost GmbH",
			"phone":           "+49301234567",
			"email_marketing": map[string]any{"subscribed": true},
			"billing_address": map[string]any{
				"first_name": "Greta", "last_name": "Hoffmann", "company": "Hoffmann Feinkost GmbH",
				"street": "Friedrichstraße 123", "street2": "Aufgang B", "zip": "10117", "city": "Berlin",
				"region": "DE-BE", "country": "DE", "phone": "+49301234567",
			},
			"shipping_address": map[string]any{
				"first_name": "Greta", "last_name": "Hoffmann", "street": "Lagerweg 7", "zip": "20095",
				"city": "Hamburg", "region": "DE-HH", "country": "DE", "phone": "+49407654321",
			},
		}},
		// A customer registered without an address says nothing about
		// addresses, company or phone: the hub keeps what others know.
		{"no addresses", "customer_sparse.json", mappings.Doc{
			"email": "only@example.com", "first_name": "Olga", "last_name": "Only",
			"email_marketing": map[string]any{"subscribed": false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Inbound("customer", decodeFixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Inbound (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMappingOutboundPartialDoc(t *testing.T) {
	m := compileMapping(t)
	tests := []struct {
		name string
		doc  mappings.Doc
		want map[string]any
	}{
		{"email only leaves everything else untouched", mappings.Doc{"email": "a@b.example"}, map[string]any{"email": "a@b.example"}},
		{"phone without address patches the billing telephone", mappings.Doc{"phone": "+4930123"},
			map[string]any{"default_billing_address": map[string]any{"telephone": "+4930123"}}},
		{"consent", mappings.Doc{"email_marketing": map[string]any{"subscribed": false}},
			map[string]any{"extension_attributes": map[string]any{"is_subscribed": false}}},
		{"address is sent whole", mappings.Doc{"shipping_address": map[string]any{"city": "Kiel", "street": "Hafen 1"}},
			map[string]any{"default_shipping_address": map[string]any{"firstname": "", "lastname": "", "company": "",
				"street": []any{"Hafen 1"}, "postcode": "", "city": "Kiel", "region": map[string]any{"region_code": "", "region": ""},
				"country_id": "", "telephone": ""}}},
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

// TestMappingRoundTrip maps the fixture to canonical and back, and pushes
// the payload into the emulator's copy of the fixture: every mapped field
// comes out as Magento had it, and the record is unchanged.
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
	addr := func(i int) map[string]any { return vendor["addresses"].([]any)[i].(map[string]any) }
	b, s := addr(0), addr(1)
	want := map[string]any{
		"email":                "greta.hoffmann@example.de", // canonical emails are lower-case
		"firstname":            vendor["firstname"],
		"lastname":             vendor["lastname"],
		"dob":                  vendor["dob"],
		"extension_attributes": map[string]any{"is_subscribed": true},
		"default_billing_address": map[string]any{
			"firstname": b["firstname"], "lastname": b["lastname"], "company": b["company"], "street": b["street"],
			"postcode": b["postcode"], "city": b["city"], "region": map[string]any{"region_code": "BE", "region": "Berlin"},
			"country_id": b["country_id"], "telephone": "+49301234567", // E.164 via the phone transform
		},
		"default_shipping_address": map[string]any{
			"firstname": s["firstname"], "lastname": s["lastname"], "company": "", "street": s["street"],
			"postcode": s["postcode"], "city": s["city"], "region": map[string]any{"region_code": "HH", "region": "Hamburg"},
			"country_id": s["country_id"], "telephone": "+49407654321",
		},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("vendor → canonical → vendor (-want +got):\n%s", diff)
	}

	// Through the writer and the emulator: the rendered payload merged into
	// the stored record reproduces the canonical doc and keeps the rest.
	emu, url := startEmulator(t, magentotest.Options{})
	seed := decodeFixture(t, "customer.json")
	delete(seed, "id")
	for _, a := range seed["addresses"].([]any) {
		delete(a.(map[string]any), "id")
		delete(a.(map[string]any), "customer_id")
	}
	id := emu.CreateCustomer(seed)
	before, _ := emu.Customer(id)
	w := newConnector(t, url, 5).(connectors.Writer)
	rec, err := w.Upsert(t.Context(), "customer", id, out)
	if err != nil {
		t.Fatal(err)
	}
	doc2, err := m.Inbound("customer", rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, doc2); diff != "" {
		t.Errorf("canonical → Magento (emulator) → canonical (-want +got):\n%s", diff)
	}
	after, _ := emu.Customer(id)
	for _, k := range []string{"custom_attributes", "group_id", "gender", "taxvat"} {
		if diff := cmp.Diff(connectors.JSONForm(before[k]), connectors.JSONForm(after[k])); diff != "" {
			t.Errorf("%s changed by the push (-before +after):\n%s", k, diff)
		}
	}
	if n := len(after["addresses"].([]any)); n != 3 {
		t.Errorf("%d addresses after the push, want the 3 there were", n)
	}
}

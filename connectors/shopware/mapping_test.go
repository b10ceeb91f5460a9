package shopware

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/mappings"
)

func compileMapping(t *testing.T) *mappings.Mapping {
	t.Helper()
	m, err := mappings.Compile("connectors/shopware/mapping.yaml", defaultMapping, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMappingInbound(t *testing.T) {
	m := compileMapping(t)
	rec := connectortest.FixtureJSON(t, "customer.json")
	got, err := m.Inbound(connectors.ResourceCustomer, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := mappings.Doc{
		"email":      "jane.doe@example.com",
		"first_name": "Jane",
		"last_name":  "Doe",
		"company":    "Doe Consulting GmbH",
		"birthday":   "1988-04-12",
		"phone":      "+49301234567",
		"tags":       []string{"b2b", "vip"},
		"billing_address": map[string]any{
			"first_name": "Jane", "last_name": "Doe", "company": "Doe Consulting GmbH", "street": "Friedrichstraße 123",
			"street2": "3. OG", "zip": "10117", "city": "Berlin", "country": "DE", "phone": "+49301234567",
		},
		"shipping_address": map[string]any{
			"first_name": "Jane", "last_name": "Doe", "street": "Mariahilfer Straße 1", "zip": "1060", "city": "Wien", "country": "AT",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inbound (-want +got):\n%s", diff)
	}

	payload, err := m.Outbound(connectors.ResourceCustomer, got)
	if err != nil {
		t.Fatal(err)
	}
	wantPayload := map[string]any{
		"email":     "jane.doe@example.com",
		"firstName": "Jane",
		"lastName":  "Doe",
		"company":   "Doe Consulting GmbH",
		"birthday":  "1988-04-12",
		"tags":      []any{"b2b", "vip"},
		"defaultBillingAddress": map[string]any{
			"firstName": "Jane", "lastName": "Doe", "company": "Doe Consulting GmbH", "street": "Friedrichstraße 123",
			"additionalAddressLine1": "3. OG", "zipcode": "10117", "city": "Berlin", "countryIso": "DE", "countryStateCode": "", "phoneNumber": "+49301234567",
		},
		"defaultShippingAddress": map[string]any{
			"firstName": "Jane", "lastName": "Doe", "street": "Mariahilfer Straße 1", "zipcode": "1060", "city": "Wien", "countryIso": "AT",
			"company": "", "additionalAddressLine1": "", "countryStateCode": "", "phoneNumber": "",
		},
	}
	if diff := cmp.Diff(wantPayload, payload); diff != "" {
		t.Errorf("outbound (-want +got):\n%s", diff)
	}
}

// TestMappingRoundTrip pushes the fixture's canonical doc through the
// Writer into the emulator and maps the stored customer back: every mapped
// field must come back unchanged, on create and on update.
func TestMappingRoundTrip(t *testing.T) {
	m := compileMapping(t)
	rec := connectortest.FixtureJSON(t, "customer.json")
	doc, err := m.Inbound(connectors.ResourceCustomer, rec)
	if err != nil {
		t.Fatal(err)
	}
	_, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	push := func(id string, d mappings.Doc) *connectors.Record {
		t.Helper()
		payload, err := m.Outbound(connectors.ResourceCustomer, d)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, id, payload)
		if err != nil {
			t.Fatal(err)
		}
		back, err := m.Inbound(connectors.ResourceCustomer, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(d, back); diff != "" {
			t.Errorf("canonical → shopware → canonical (-pushed +read back):\n%s", diff)
		}
		return r
	}
	created := push("", doc)

	changed := mappings.Doc{}
	for k, v := range doc {
		changed[k] = v
	}
	changed["last_name"] = "Doe-Smith"
	changed["tags"] = []string{"vip", "wholesale"}
	changed["shipping_address"] = changed["billing_address"]
	changed["billing_address"] = map[string]any{
		"first_name": "Jane", "last_name": "Doe-Smith", "street": "Unter den Linden 1", "zip": "10117", "city": "Berlin", "region": "DE-BE", "country": "DE", "phone": "+49301234567",
	}
	updated := push(created.ExternalID, changed)
	st, _ := updated.Data["defaultBillingAddress"].(map[string]any)["countryState"].(map[string]any)
	if st["shortCode"] != "DE-BE" {
		t.Errorf("billing address countryState = %v, want DE-BE", st)
	}

	// Canada and Austria: every ISO country and its states are in the shop.
	// (The billing address's one phone carries the customer's.)
	changed["phone"] = "+14165550199"
	changed["billing_address"] = map[string]any{
		"first_name": "Jane", "last_name": "Doe-Smith", "street": "100 Queen St W", "zip": "M5H 2N2", "city": "Toronto", "region": "CA-ON", "country": "CA", "phone": "+14165550199",
	}
	changed["shipping_address"] = map[string]any{
		"first_name": "Jane", "last_name": "Doe-Smith", "street": "Mariahilfer Straße 1", "zip": "1060", "city": "Wien", "region": "AT-9", "country": "AT", "phone": "+436641234567",
	}
	push(created.ExternalID, changed)
	// A region the shop has no state for leaves the address without one.
	changed["shipping_address"].(map[string]any)["region"] = "Bavaria"
	payload, err := m.Outbound(connectors.ResourceCustomer, changed)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, created.ExternalID, payload)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Data["defaultShippingAddress"].(map[string]any)["countryState"]; st != nil {
		t.Errorf("free-text region gave countryState %v", st)
	}
}

package oxid

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/mappings"
)

func compileDefault(t *testing.T) *mappings.Mapping {
	t.Helper()
	r, ok := connectors.Lookup(Type)
	if !ok {
		t.Fatal("oxid is not registered")
	}
	m, err := mappings.Compile("connectors/oxid/mapping.yaml", r.Mapping, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fixture(t *testing.T) map[string]any {
	t.Helper()
	return connectortest.FixtureJSON(t, "customer.json")
}

func TestMappingInbound(t *testing.T) {
	m := compileDefault(t)
	doc, err := m.Inbound(connectors.ResourceCustomer, fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	want := mappings.Doc{
		"email":           "anna.schmidt@example.de",
		"customer_number": "10042",
		"first_name":      "Anna",
		"last_name":       "Schmidt",
		"company":         "Schmidt Feinkost GmbH",
		"birthday":        "1984-07-30",
		"phone":           "+491717654321", // OXMOBFON: the customer's own phone
		"email_marketing": map[string]any{"subscribed": true, "updated_at": "2024-12-24T17:00:00Z"},
		"billing_address": map[string]any{"first_name": "Anna", "last_name": "Schmidt", "company": "Schmidt Feinkost GmbH",
			"street": "Kaiser-Joseph-Straße 12a", "street2": "3. OG", "zip": "79098", "city": "Freiburg im Breisgau",
			"region": "DE-BW", "country": "DE", "phone": "+497611234567"},
		"shipping_address": map[string]any{"first_name": "Anna", "last_name": "Schmidt",
			"street": "Am Lager 3", "street2": "Tor 2", "zip": "4051", "city": "Basel", "country": "CH", "phone": "+41611234567"},
	}
	if d := cmp.Diff(want, doc); d != "" {
		t.Errorf("inbound (-want +got):\n%s", d)
	}
}

// TestMappingRoundTrip: vendor → canonical → vendor gives back the vendor's
// columns (phones in E.164, the email lower-cased), and the payload read
// back as OXID would store it maps to the same canonical doc: shophub's own
// write changes nothing when it comes back through polling.
func TestMappingRoundTrip(t *testing.T) {
	m := compileDefault(t)
	doc, p := reWrite(t, m, fixture(t))
	wantUser := map[string]string{
		"OXUSERNAME": "anna.schmidt@example.de", "OXFNAME": "Anna", "OXLNAME": "Schmidt", "OXCOMPANY": "Schmidt Feinkost GmbH",
		"OXBIRTHDATE": "1984-07-30", "OXCUSTNR": "10042", "OXFON": "+497611234567", "OXMOBFON": "+491717654321",
		"OXSTREET": "Kaiser-Joseph-Straße", "OXSTREETNR": "12a", "OXSTATEID": "BW", "OXADDINFO": "3. OG", "OXZIP": "79098",
		"OXCITY": "Freiburg im Breisgau", "country": "DE",
	}
	if d := cmp.Diff(wantUser, p.user); d != "" {
		t.Errorf("oxuser columns (-want +got):\n%s", d)
	}
	wantAddr := map[string]string{
		"OXFNAME": "Anna", "OXLNAME": "Schmidt", "OXCOMPANY": "", "OXSTREET": "Am Lager", "OXSTREETNR": "3", "OXSTATEID": "",
		"OXADDINFO": "Tor 2", "OXZIP": "4051", "OXCITY": "Basel", "country": "CH", "OXFON": "+41611234567",
	}
	if d := cmp.Diff(wantAddr, p.address); d != "" {
		t.Errorf("oxaddress columns (-want +got):\n%s", d)
	}
	if p.newsletter == nil || !p.newsletter.subscribed || p.newsletter.updatedAt != "2024-12-24T17:00:00Z" {
		t.Errorf("newsletter = %+v", p.newsletter)
	}

	// Store the payload as the writer would and read it back.
	back := fixture(t)
	for k, v := range p.user {
		back[k] = v
	}
	addr := back["addresses"].([]any)[0].(map[string]any)
	for k, v := range p.address {
		addr[k] = v
	}
	again, err := m.Inbound(connectors.ResourceCustomer, back)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(doc, again); d != "" {
		t.Errorf("written record maps to a different doc (-pushed +read back):\n%s", d)
	}
}

func TestMappingWithoutNewsletterOrAddresses(t *testing.T) {
	m := compileDefault(t)
	src := fixture(t)
	delete(src, "newsletter")
	src["addresses"] = []any{}
	src["OXBIRTHDATE"] = "0000-00-00"
	doc, err := m.Inbound(connectors.ResourceCustomer, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["email_marketing"]; ok {
		t.Errorf("no newsletter row must say nothing about consent, got %v", doc["email_marketing"])
	}
	if _, ok := doc["shipping_address"]; ok {
		t.Errorf("no delivery address must say nothing, got %v", doc["shipping_address"])
	}
	if doc["birthday"] != "" {
		t.Errorf("0000-00-00 birthday = %q, want \"\"", doc["birthday"])
	}
	// OXFON stands in for an empty OXMOBFON.
	src["OXMOBFON"] = ""
	doc, err = m.Inbound(connectors.ResourceCustomer, src)
	if err != nil {
		t.Fatal(err)
	}
	if doc["phone"] != "+497611234567" {
		t.Errorf("phone = %v, want the landline", doc["phone"])
	}
	// Only a mobile number: it stays in OXMOBFON, OXFON stays empty.
	src["OXFON"], src["OXMOBFON"] = "", "0171 7654321"
	doc, err = m.Inbound(connectors.ResourceCustomer, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Outbound(connectors.ResourceCustomer, doc)
	if err != nil {
		t.Fatal(err)
	}
	if out["OXFON"] != "" || out["OXMOBFON"] != "+491717654321" {
		t.Errorf("only OXMOBFON set: pushed OXFON %v, OXMOBFON %v", out["OXFON"], out["OXMOBFON"])
	}
}

// OXID keeps street and house number apart: the split a push writes is the
// one OXID holds, for the house-number forms shops really have.
func TestMappingStreetSplitSurvivesPush(t *testing.T) {
	m := compileDefault(t)
	for _, tc := range [][2]string{{"Hauptstraße", "5 a"}, {"Hauptstraße", "5a"}, {"Am Markt", "12 - 14"}, {"Am Markt", "12-14"},
		{"Straße des 17. Juni", "135"}, {"Musterweg", "12, App. 3"}, {"Am Markt", ""}} {
		src := fixture(t)
		src["OXSTREET"], src["OXSTREETNR"] = tc[0], tc[1]
		_, p := reWrite(t, m, src)
		if p.user["OXSTREET"] != tc[0] || p.user["OXSTREETNR"] != tc[1] {
			t.Errorf("(%q, %q) pushed as (%q, %q)", tc[0], tc[1], p.user["OXSTREET"], p.user["OXSTREETNR"])
		}
	}
}

func TestSplitStreet(t *testing.T) {
	for _, tc := range []struct{ in, street, nr string }{
		{"Hauptstr. 5", "Hauptstr.", "5"},
		{"Kaiser-Joseph-Straße 12a", "Kaiser-Joseph-Straße", "12a"},
		{"Straße des 17. Juni 135", "Straße des 17. Juni", "135"},
		{"Am Markt", "Am Markt", ""},
		{"5th Avenue", "5th Avenue", ""},
		{"12", "12", ""},
		{"Hauptstr.  5", "Hauptstr.  5", ""},
		{"", "", ""},
	} {
		s, n := splitStreet(tc.in)
		if s != tc.street || n != tc.nr {
			t.Errorf("splitStreet(%q) = %q, %q; want %q, %q", tc.in, s, n, tc.street, tc.nr)
		}
		if joined := trimJoin(s, n); joined != tc.in {
			t.Errorf("%q does not read back: %q", tc.in, joined)
		}
	}
}

func trimJoin(s, n string) string {
	if n == "" {
		return s
	}
	return s + " " + n
}

func TestPayloadRefusesUnmappedColumns(t *testing.T) {
	for _, k := range []string{"OXPASSWORD", "OXPASSSALT", "OXRIGHTS", "OXSHOPID", "OXACTIVE", "OXBONI", "OXID", "OXCOUNTRYID"} {
		if _, err := parsePayload(map[string]any{k: "x"}); err == nil {
			t.Errorf("payload with %s accepted", k)
		}
		if _, err := parsePayload(map[string]any{"address": map[string]any{k: "x"}}); err == nil {
			t.Errorf("address payload with %s accepted", k)
		}
	}
	if _, err := parsePayload(map[string]any{"OXUSERNAME": " "}); err == nil {
		t.Error("empty email accepted")
	}
	if _, err := parsePayload(map[string]any{"OXCUSTNR": "K-1"}); err == nil {
		t.Error("non-numeric customer number accepted")
	}
}

// reWrite maps an OXID record to canonical and renders the push payload
// the writer would get for it.
func reWrite(t *testing.T, m *mappings.Mapping, src map[string]any) (mappings.Doc, *payload) {
	t.Helper()
	doc, err := m.Inbound(connectors.ResourceCustomer, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Outbound(connectors.ResourceCustomer, doc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePayload(out)
	if err != nil {
		t.Fatal(err)
	}
	return doc, p
}

package mappings

import "testing"

// Regions become ISO 3166-2 codes in the address's own country, from a
// code (Shopify's province_code, OXID's and Odoo's state codes), a name
// (Magento's region) or a vendor object; text that names no subdivision
// is kept as written.
func TestSubdivisionInbound(t *testing.T) {
	src := `version: 1
resources:
  customer:
    inbound:
      fields:
        billing_address:
          from: a
          object:
            region: {from: region, transform: [subdivision]}
            country: {from: country, transform: [country]}
`
	m := mustCompile(t, src, Options{DefaultRegion: "DE"})
	tests := []struct {
		region  any
		country string
		want    string
	}{
		{"HH", "DE", "DE-HH"},
		{"hh", "Germany", "DE-HH"},
		{"DE-HH", "DE", "DE-HH"},
		{"Hamburg", "DE", "DE-HH"},
		{"Bayern", "DE", "DE-BY"},
		{"Baden-Wuerttemberg", "DE", "DE-BW"},
		{"ON", "CA", "CA-ON"},
		{"Ontario", "CA", "CA-ON"},
		{"CA", "US", "US-CA"},
		{"California", "US", "US-CA"},
		{"Wien", "AT", "AT-9"},
		{"Niederösterreich", "AT", "AT-3"},
		{"ZH", "CH", "CH-ZH"},
		{map[string]any{"region_code": "BAY", "region": "Bayern", "region_id": 81.0}, "DE", "DE-BY"},
		{map[string]any{"region_code": "CA", "region": "California", "region_id": 12.0}, "US", "US-CA"},
		{map[string]any{"shortCode": "DE-HH", "name": "Hamburg"}, "DE", "DE-HH"},
		{map[string]any{"region_code": "Bavaria", "region": "Bavaria", "region_id": 0.0}, "DE", "Bavaria"},
		{"Bavaria", "DE", "Bavaria"}, // English: not in ISO 3166-2; kept as written
		{"HH", "", "HH"},             // no country: no guessed one
		{"US-CA", "", "US-CA"},
		{"  ", "DE", ""},
	}
	for _, tc := range tests {
		doc, err := m.Inbound("customer", map[string]any{"a": map[string]any{"region": tc.region, "country": tc.country}})
		if err != nil {
			t.Fatalf("%v/%s: %v", tc.region, tc.country, err)
		}
		a, _ := doc["billing_address"].(map[string]any)
		if got, _ := a["region"].(string); got != tc.want {
			t.Errorf("%v in %q = %q, want %q", tc.region, tc.country, got, tc.want)
		}
	}
}

func TestSubdivisionOutbound(t *testing.T) {
	tests := []struct {
		pipeline string
		in       string
		want     string
	}{
		{"[{subdivision: code}]", "DE-HH", "HH"},
		{"[{subdivision: code}]", "CA-ON", "ON"},
		{"[{subdivision: code}]", "AT-9", "9"},
		{"[{subdivision: code}]", "Bavaria", ""},
		{"[{subdivision: name}]", "DE-BY", "Bayern"},
		{"[{subdivision: name}]", "US-CA", "California"},
		{"[{subdivision: name}]", "Bavaria", "Bavaria"},
		{"[{subdivision: iso}]", "us-ca", "US-CA"},
		{"[subdivision]", "", ""},
	}
	for _, tc := range tests {
		got, err := runTransform(t, tc.pipeline, tc.in, Options{})
		if err != nil {
			t.Fatalf("%s %q: %v", tc.pipeline, tc.in, err)
		}
		if got != tc.want {
			t.Errorf("%s %q = %q, want %q", tc.pipeline, tc.in, got, tc.want)
		}
	}
	if _, err := Compile("m.yaml", []byte(fieldsYAML("out: {from: v, transform: [{subdivision: short}]}")), Options{}); err == nil {
		t.Error("subdivision: short compiled")
	}
}

func TestSubdivisionsFromISO(t *testing.T) {
	if n := len(Subdivisions("DE")); n != 16 {
		t.Errorf("DE has %d subdivisions, want 16", n)
	}
	if n := len(Subdivisions("CA")); n != 13 {
		t.Errorf("CA has %d subdivisions, want 13", n)
	}
	if s, ok := SubdivisionByCode("ca-qc"); !ok || s.Country != "CA" || s.Name != "Quebec" && s.Name != "Québec" {
		t.Errorf("CA-QC = %+v, %v", s, ok)
	}
}

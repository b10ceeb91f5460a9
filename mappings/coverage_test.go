package mappings

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCoverageDerivedFromRules(t *testing.T) {
	// A vendor shaped like Shopware: one phone on the billing address
	// serves the customer phone too; no region; an address built by object.
	const sharedPhone = `version: 1
resources:
  customer:
    inbound:
      fields:
        email: email
        phone: {from: billing.phoneNumber}
        customer_number: number
        billing_address:
          from: billing
          object: {city: city, zip: zip, phone: phoneNumber}
    outbound:
      fields:
        email: email
        billing.city: {from: billing_address.city, default: ""}
        billing.zip: {from: billing_address.zip, default: ""}
        billing.phoneNumber: {from: [phone, billing_address.phone], default: ""}
`
	tests := []struct {
		name string
		src  string
		want map[string]Assert // paths not listed must be AssertNone
		hold []string
	}{
		{
			name: "first choice is held, a fallback fills only, a vendor-only field asserts",
			src:  sharedPhone,
			want: map[string]Assert{"email": AssertFull, "phone": AssertFull, "customer_number": AssertFull,
				"billing_address.city": AssertFull, "billing_address.zip": AssertFull, "billing_address.phone": AssertFill},
			hold: []string{"billing_address.city", "billing_address.zip", "email", "phone"},
		},
		{
			name: "one vendor field read into two canonical fields, written from one",
			src: `version: 1
resources:
  customer:
    inbound:
      fields:
        first_name: {from: name, expr: "split(value, ' ')[0]"}
        billing_address:
          object:
            first_name: {from: name, expr: "split(value, ' ')[0]"}
            street: street
    outbound:
      fields:
        name: {expr: "source.first_name + ' ' + source.last_name"}
        street: billing_address.street
`,
			want: map[string]Assert{"first_name": AssertFull, "billing_address.first_name": AssertFill, "billing_address.street": AssertFull},
			hold: []string{"billing_address.street", "first_name"},
		},
		{
			name: "an expression reads as deep as its member accesses go",
			src: `version: 1
resources:
  customer:
    inbound:
      fields:
        first_name: first
        phone: mobile
        billing_address:
          object: {first_name: first, phone: tel, city: city}
    outbound:
      fields:
        first: {from: [first_name, billing_address.first_name]}
        tel: billing_address.phone
        mobile:
          when: "source.phone != nil"
          expr: "(source.phone ?? '') != (source.billing_address?.phone ?? '') ? phone : ''"
        city: {expr: "billing_address['city'] ?? ''"}
`,
			want: map[string]Assert{"first_name": AssertFull, "phone": AssertFull, "billing_address.first_name": AssertFill,
				"billing_address.phone": AssertFull, "billing_address.city": AssertFull},
			hold: []string{"billing_address.city", "billing_address.phone", "first_name", "phone"},
		},
		{
			name: "an address without object covers every key; object from a list base",
			src: `version: 1
resources:
  customer:
    inbound:
      fields:
        shipping_address: {from: ship, transform: []}
        billing_address:
          from: addresses
          pick: first
          object: {region: region.code}
    outbound:
      fields:
        ship: shipping_address
        addr:
          from: billing_address
          object: {code: region}
`,
			want: func() map[string]Assert {
				m := map[string]Assert{"billing_address.region": AssertFull}
				for _, k := range AddressKeys {
					m["shipping_address."+k] = AssertFull
				}
				return m
			}(),
			hold: append([]string{"billing_address.region"}, func() []string {
				var out []string
				for _, k := range []string{"city", "company", "country", "first_name", "last_name", "phone", "region", "street", "street2", "zip"} {
					out = append(out, "shipping_address."+k)
				}
				return out
			}()...),
		},
		{
			name: "declarations override the derivation",
			src:  strings.Replace(sharedPhone, "    inbound:", "    coverage:\n      holds: [billing_address.phone]\n      not_held: [billing_address.zip]\n    inbound:", 1),
			want: map[string]Assert{"email": AssertFull, "phone": AssertFull, "customer_number": AssertFull,
				"billing_address.city": AssertFull, "billing_address.zip": AssertFill, "billing_address.phone": AssertFull},
			hold: []string{"billing_address.city", "billing_address.phone", "email", "phone"},
		},
		{
			name: "never_writes takes a path out of what is written",
			src:  strings.Replace(sharedPhone, "    inbound:", "    never_writes: [billing.zip]\n    inbound:", 1),
			want: map[string]Assert{"email": AssertFull, "phone": AssertFull, "customer_number": AssertFull,
				"billing_address.city": AssertFull, "billing_address.zip": AssertFull, "billing_address.phone": AssertFill},
			hold: []string{"billing_address.city", "email", "phone"},
		},
		{
			name: "a read-only source asserts everything it reads",
			src:  sharedPhone[:strings.Index(sharedPhone, "    outbound:")],
			want: map[string]Assert{"email": AssertFull, "phone": AssertFull, "customer_number": AssertFull,
				"billing_address.city": AssertFull, "billing_address.zip": AssertFull, "billing_address.phone": AssertFull},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile("test.yaml", []byte(tc.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			cov := m.Coverage("customer")
			got := map[string]Assert{}
			for _, f := range CustomerFields {
				paths := []string{f.Name}
				if f.Kind == KindAddress {
					paths = canonPaths("customer", []string{f.Name})
				}
				for _, p := range paths {
					if a := cov.Assert(p); a != AssertNone {
						got[p] = a
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("assert (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.hold, cov.Holds); diff != "" {
				t.Errorf("holds (-want +got):\n%s", diff)
			}
			for _, p := range cov.Holds {
				if cov.Assert(p) == AssertNone {
					t.Errorf("%s held but not read inbound", p)
				}
			}
		})
	}
}

func TestCoverageSubFieldsAndSummary(t *testing.T) {
	m, err := Compile("test.yaml", []byte(`version: 1
resources:
  customer:
    inbound:
      fields:
        email: email
        phone: {from: billing.phoneNumber}
        billing_address:
          from: billing
          object: {zip: zip, city: city, phone: phoneNumber}
    outbound:
      fields:
        email: email
        billing.city: billing_address.city
        billing.phoneNumber: {from: [phone, billing_address.phone]}
        note: customer_number
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cov := m.Coverage("customer")
	if diff := cmp.Diff([]string{"zip", "city", "phone"}, cov.SubFields("billing_address")); diff != "" {
		t.Errorf("sub-fields in AddressKeys order (-want +got):\n%s", diff)
	}
	if got := cov.SubFields("shipping_address"); got != nil {
		t.Errorf("shipping sub-fields %v, want none", got)
	}
	want := []string{
		"holds (writes and reads back): billing_address.city, email, phone",
		"reads only (the touchpoint's own data): billing_address.zip",
		"fills gaps only (not held apart): billing_address.phone",
		"writes only: customer_number",
		"writes only as a fallback: billing_address.phone",
	}
	if diff := cmp.Diff(want, cov.Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	src := cov.AsSource()
	if src.Assert("billing_address.phone") != AssertFull || len(src.FillOnly) != 0 || cov.Assert("billing_address.phone") != AssertFill || src.AsSource() != src {
		t.Errorf("as a source nothing is fill-only: %v, the mapping's own coverage keeps it: %v", src.Assert("billing_address.phone"), cov.Assert("billing_address.phone"))
	}
	var nilCov *Coverage
	if nilCov.Assert("anything") != AssertFull || len(nilCov.SubFields("billing_address")) != len(AddressKeys) {
		t.Error("a nil coverage must assert every path")
	}
}

func TestCoverageDeclarationErrors(t *testing.T) {
	base := "version: 1\nresources:\n  customer:\n    coverage:\n%s    inbound:\n      fields:\n        email: email\n        billing_address: {object: {city: city}}\n"
	tests := []struct{ decl, want string }{
		{"      holds: [billing_address.zip]\n", `test.yaml:5: field coverage: "billing_address.zip" is not mapped by inbound`},
		{"      not_held: [nickname]\n", `test.yaml:5: field coverage: "nickname" is not a canonical customer field`},
		{"      holds: [email]\n      not_held: [email]\n", `listed under both holds and not_held`},
		{"      keeps: [email]\n", `unknown key "keeps"`},
	}
	for _, tc := range tests {
		_, err := Compile("test.yaml", []byte(strings.Replace(base, "%s", tc.decl, 1)), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.decl, err, tc.want)
		}
	}
}

package mappings

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ownershipYAML = `version: 1
resources:
  customer:
    owns: [phone, email]
    never_writes: [email, tags, default_address.phone, addresses.phone, company]
    inbound:
      fields:
        email: email
        phone: {from: phone, transform: [phone]}
        first_name: first_name
    outbound:
      fields:
        email: email
        contact_email: {expr: "source.email"}
        first_name: first_name
        tag_list: {from: tags, transform: [join]}
        org: {from: [billing_address.company, company]}
        default_address.phone: billing_address.phone
        default_address.city: billing_address.city
        addresses:
          list:
            - from: billing_address
              object: {city: city, phone: phone}
`

func TestOwnership(t *testing.T) {
	m := mustCompile(t, ownershipYAML, Options{DefaultRegion: "DE"})
	if diff := cmp.Diff([]string{"email", "phone"}, m.Owns("customer")); diff != "" {
		t.Errorf("Owns: %s", diff)
	}
	want := []string{"addresses.phone", "company", "default_address.phone", "email", "tags"}
	if diff := cmp.Diff(want, m.NeverWrites("customer")); diff != "" {
		t.Errorf("NeverWrites: %s", diff)
	}
	if m.Owns("order") != nil || m.NeverWrites("order") != nil {
		t.Error("unmapped resource: want nil")
	}
	got, err := m.Outbound("customer", Doc{
		"email": "a@b.de", "first_name": "Ann", "tags": []string{"x"}, "company": "ACME",
		"billing_address": map[string]any{"city": "Berlin", "phone": "+49301234567", "company": "B"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOut := map[string]any{
		"first_name":      "Ann",
		"default_address": map[string]any{"city": "Berlin"},
		"addresses":       []any{map[string]any{"city": "Berlin"}},
	}
	if diff := cmp.Diff(wantOut, got); diff != "" {
		t.Errorf("Outbound (-want +got):\n%s", diff)
	}
}

func TestOwnershipErrors(t *testing.T) {
	res := func(body string) string {
		return "version: 1\nresources:\n  customer:\n" + indent(body, "    ")
	}
	tests := []struct{ name, src, want string }{
		{"unknown canonical", res("owns: [emial]\ninbound:\n  fields:\n    email: email"), `mapping.yaml:4: field owns: "emial" is not a canonical customer field`},
		{"not mapped inbound", res("owns: [phone]\ninbound:\n  fields:\n    email: email"), `mapping.yaml:4: field owns: "phone" is not mapped by inbound`},
		{"not a list", res("owns: {a: b}"), "mapping.yaml:4: field owns: want a list of names"},
		{"twice", res("never_writes: [a, a]"), `mapping.yaml:4: field never_writes: "a" listed twice`},
		{"bad path", res("never_writes: [a..b]"), "empty segment"},
		{"unknown resource key", res("own: [email]"), `unknown key "own"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile("mapping.yaml", []byte(tc.src), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

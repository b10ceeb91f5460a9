package all_test

import (
	"fmt"
	"testing"

	"github.com/shophub/shophub/connectors"
	_ "github.com/shophub/shophub/connectors/all"
	"github.com/shophub/shophub/mappings"
)

// TestVendorVocabularies walks every gender vocabulary the connectors
// register: a mapping renders each canonical gender as the vocabulary
// writes it, and reads the vendor's codes back — without the mapping
// engine knowing any vendor.
func TestVendorVocabularies(t *testing.T) {
	vocs := connectors.Vocabularies("gender")
	names := map[string]bool{}
	for _, v := range vocs {
		names[v.Name] = true
	}
	for _, want := range []string{"magento", "shopware", "oxid"} {
		if !names[want] {
			t.Errorf("no gender vocabulary %q registered", want)
		}
	}
	compile := func(t *testing.T, transform string) *mappings.Mapping {
		t.Helper()
		src := fmt.Sprintf("version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        gender: {from: g, transform: [%s]}\n", transform)
		m, err := mappings.Compile("vocab.yaml", []byte(src), mappings.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, v := range vocs {
		t.Run(v.Name, func(t *testing.T) {
			src := "version: 1\nresources:\n  customer:\n    outbound:\n      fields:\n        g: {from: gender, transform: [{gender: " + v.Name + "}]}\n"
			write, err := mappings.Compile("vocab.yaml", []byte(src), mappings.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range mappings.Genders {
				out, err := write.Outbound(connectors.ResourceCustomer, mappings.Doc{"gender": g})
				if err != nil {
					t.Fatalf("render %s: %v", g, err)
				}
				if fmt.Sprint(out["g"]) != fmt.Sprint(v.Write[g]) {
					t.Errorf("%s renders as %v, want %v", g, out["g"], v.Write[g])
				}
			}
		})
	}
	read := compile(t, "gender")
	for _, tt := range []struct {
		in   any
		want string
	}{
		{1.0, "male"}, {"2", "female"}, {3.0, "unknown"}, // Magento
		{"mrs", "female"}, {"not_specified", "unknown"}, // Shopware
		{"MR", "male"}, // OXID
	} {
		doc, err := read.Inbound(connectors.ResourceCustomer, map[string]any{"g": tt.in})
		if err != nil || doc["gender"] != tt.want {
			t.Errorf("read %v = %v, %v; want %s", tt.in, doc["gender"], err, tt.want)
		}
	}
}

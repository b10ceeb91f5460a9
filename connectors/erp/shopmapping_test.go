package erp_test

import (
	"testing"

	"github.com/shophub/shophub/connectors"
	_ "github.com/shophub/shophub/connectors/shopify"
	_ "github.com/shophub/shophub/connectors/shopware"
	"github.com/shophub/shophub/mappings"
)

func compile(t *testing.T, typ string) *mappings.Mapping {
	t.Helper()
	reg, ok := connectors.Lookup(typ)
	if !ok {
		t.Fatalf("%s not registered", typ)
	}
	m, err := mappings.Compile("connectors/"+typ+"/mapping.yaml", reg.Mapping, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestShopsRenderTheERPCustomerNumber: the shops' default mappings push the
// ERP's customer number back — Shopify in the note (and read it back from
// there, so it round-trips), Shopware as customerNumber.
func TestShopsRenderTheERPCustomerNumber(t *testing.T) {
	doc := mappings.Doc{"email": "a@example.com", "customer_number": "K-10042"}
	shopify := compile(t, "shopify")
	out, err := shopify.Outbound("customer", doc)
	if err != nil {
		t.Fatal(err)
	}
	if out["note"] != "ERP customer number: K-10042" {
		t.Errorf("shopify note = %v", out["note"])
	}
	back, err := shopify.Inbound("customer", map[string]any{"email": "a@example.com", "note": out["note"]})
	if err != nil {
		t.Fatal(err)
	}
	if back["customer_number"] != "K-10042" {
		t.Errorf("shopify note does not round-trip: %v", back["customer_number"])
	}
	for _, note := range []any{nil, "", "call before delivery"} {
		back, err := shopify.Inbound("customer", map[string]any{"email": "a@example.com", "note": note})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := back["customer_number"]; ok {
			t.Errorf("note %q read as customer number %v, want absent", note, v)
		}
	}
	if out, _ := shopify.Outbound("customer", mappings.Doc{"customer_number": ""}); out["note"] != nil {
		t.Errorf("a cleared number must leave the note alone, got %v", out["note"])
	}

	shopware := compile(t, "shopware")
	out, err = shopware.Outbound("customer", doc)
	if err != nil {
		t.Fatal(err)
	}
	if out["customerNumber"] != "K-10042" {
		t.Errorf("shopware customerNumber = %v", out["customerNumber"])
	}
	back, _ = shopware.Inbound("customer", map[string]any{"email": "a@example.com", "customerNumber": "SW-1"})
	if _, ok := back["customer_number"]; ok {
		t.Error("Shopware's own number must not be read as the ERP's")
	}
}

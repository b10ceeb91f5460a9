package mappings

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMoneyUnits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		back string
		bad  bool
	}{
		{in: "199.65", want: 1996500, back: "199.65"},
		{in: "0", want: 0, back: "0.00"},
		{in: "007.5", want: 75000, back: "7.50"},
		{in: "0.125", want: 1250, back: "0.125"},
		{in: "12.3400", want: 123400, back: "12.34"},
		{in: "1.00000", want: 10000, back: "1.00"},
		{in: "-5", want: -50000, back: "-5.00"},
		{in: "999999999999.9999", want: 9999999999999999, back: "999999999999.9999"},
		{in: "1.23456", bad: true},
		{in: "1e3", bad: true},
		{in: "1,5", bad: true},
		{in: "1.", bad: true},
		{in: ".5", bad: true},
		{in: "", bad: true},
		{in: "1000000000000", bad: true},
	} {
		got, err := MoneyUnits(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("MoneyUnits(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("MoneyUnits(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			continue
		}
		if s := FormatMoneyUnits(got); s != tc.back {
			t.Errorf("FormatMoneyUnits(%d) = %q, want %q", got, s, tc.back)
		}
	}
}

func TestNormalizeOrder(t *testing.T) {
	got, err := NormalizeOrder(Doc{
		"number": json.Number("1001"), "status": "Cancelled", "financial_status": "PAID", "currency": "eur",
		"total": "199.6", "refunded": map[string]any{"amount": "10.00", "currency": "EUR"}, "line_items": float64(3),
		"customer_email": " Ann@Example.COM ", "customer_ref": json.Number("7000000000001"),
		"placed_at": "2025-03-01T10:00:00-04:00", "cancelled_at": nil, "updated_at": "2025-03-02T00:00:00Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Doc{"number": "1001", "status": "cancelled", "financial_status": "paid", "currency": "EUR",
		"total": "199.60", "refunded": "10.00", "line_items": 3, "customer_email": "ann@example.com",
		"customer_ref": "7000000000001", "placed_at": "2025-03-01T14:00:00Z", "cancelled_at": "", "updated_at": "2025-03-02T00:00:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NormalizeOrder (-want +got):\n%s", diff)
	}
	for _, bad := range []Doc{
		{"status": "shipped"}, {"financial_status": "free"}, {"currency": "EURO"}, {"currency": "€"},
		{"total": "-1.00"}, {"total": "12,50"}, {"total": true}, {"refunded": "1.23456"},
		{"line_items": -1}, {"placed_at": "yesterday"}, {"customer_email": "nobody"}, {"email": "a@b.de"},
	} {
		if _, err := NormalizeOrder(bad); err == nil {
			t.Errorf("NormalizeOrder(%v) accepted", bad)
		}
	}
}

// An order mapping accepts canonical order fields only, and the money
// transform's amount output is what the total field takes.
func TestOrderMapping(t *testing.T) {
	m := mustCompile(t, `version: 1
resources:
  order:
    inbound:
      fields:
        number: {from: order_number, transform: [string]}
        total: {from: total_price, transform: [{money: {out: amount}}]}
        currency: currency
        status:
          expr: "cancelled_at != nil ? 'cancelled' : 'open'"
`, Options{})
	doc, err := m.Inbound("order", map[string]any{"order_number": json.Number("1001"), "total_price": "199.65", "currency": "EUR", "cancelled_at": nil})
	if err != nil {
		t.Fatal(err)
	}
	doc, err = NormalizeOrder(doc)
	if err != nil {
		t.Fatal(err)
	}
	if doc["total"] != "199.65" || doc["number"] != "1001" || doc["status"] != "open" {
		t.Errorf("order doc %v", doc)
	}
	bad := []byte("version: 1\nresources:\n  order:\n    inbound:\n      fields:\n        first_name: firstName\n")
	if _, err := Compile("o.yaml", bad, Options{}); err == nil {
		t.Fatal("first_name accepted as an order field")
	}
}

// The schema lists the canonical ticket and order fields as the compiler
// checks them.
func TestSchemaListsTicketAndOrderFields(t *testing.T) {
	res := schemaDoc(t)["properties"].(map[string]any)["resources"].(map[string]any)["properties"].(map[string]any)
	for name, fields := range map[string][]Field{"ticket": TicketFields, "order": OrderFields} {
		r := res[name].(map[string]any)
		in := r["properties"].(map[string]any)["inbound"].(map[string]any)["properties"].(map[string]any)["fields"].(map[string]any)["properties"].(map[string]any)
		var want []string
		for _, f := range fields {
			want = append(want, f.Name)
		}
		if diff := cmp.Diff(sortedStrings(want), sortedKeys(in)); diff != "" {
			t.Errorf("%s fields (-canonical +schema):\n%s", name, diff)
		}
	}
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

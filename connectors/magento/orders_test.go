package magento_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/mappings"
)

func orderDoc(t *testing.T, m *mappings.Mapping, rec map[string]any) mappings.Doc {
	t.Helper()
	doc, err := m.Inbound(connectors.ResourceOrder, rec)
	if err == nil {
		doc, err = mappings.NormalizeOrder(doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The default mapping reads a Magento sales order (REST shape, numbers
// decoded as json.Number as the connector does): payment from
// total_paid/total_refunded, configurable children not counted.
func TestOrderMapping(t *testing.T) {
	m := compileMapping(t)
	want := mappings.Doc{
		"number": "000001042", "status": "in_progress", "financial_status": "partially_refunded", "currency": "EUR",
		"total": "184.90", "refunded": "29.90", "line_items": 2, "customer_ref": "42", "customer_email": "erika.muster@example.de",
		"placed_at": "2025-02-03T10:11:12Z", "updated_at": "2025-02-05T08:00:00Z",
		"payment_method": "prepayment", // checkmo
		"lines": []any{
			map[string]any{"sku": "MJ01-M-Blue", "name": "Jacket", "quantity": 1, "refunded_quantity": 0, "returned_quantity": 0},
			map[string]any{"sku": "24-UG01", "name": "Socks", "quantity": 3, "refunded_quantity": 0, "returned_quantity": 0},
		},
	}
	if diff := cmp.Diff(want, orderDoc(t, m, decodeFixture(t, "order.json"))); diff != "" {
		t.Errorf("order doc (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name      string
		change    map[string]any
		status    string
		financial string
	}{
		{"new, unpaid", map[string]any{"state": "new", "total_paid": nil, "total_refunded": nil}, "open", "pending"},
		{"paid", map[string]any{"total_refunded": nil}, "in_progress", "paid"},
		{"closed", map[string]any{"state": "closed", "total_refunded": "184.9"}, "completed", "refunded"},
		{"canceled", map[string]any{"state": "canceled", "total_paid": nil, "total_refunded": nil}, "cancelled", "voided"},
	} {
		rec := decodeFixture(t, "order.json")
		for k, v := range tc.change {
			if v == nil {
				delete(rec, k) // Magento leaves unset totals out
				continue
			}
			rec[k] = v
		}
		doc := orderDoc(t, m, rec)
		if doc["status"] != tc.status || doc["financial_status"] != tc.financial {
			t.Errorf("%s: %v / %v, want %s / %s", tc.name, doc["status"], doc["financial_status"], tc.status, tc.financial)
		}
	}
	guest := decodeFixture(t, "order.json")
	guest["customer_is_guest"] = 1
	delete(guest, "customer_id")
	if doc := orderDoc(t, m, guest); doc["customer_ref"] != nil {
		t.Errorf("guest order names customer %v", doc["customer_ref"])
	}
}

// Orders placed, invoiced, refunded and cancelled in the emulator are
// polled once each with the keyset cursor, and Fetch re-reads one.
func TestOrderPolling(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	c := newConnector(t, url, 2)
	m := compileMapping(t)
	cust := emu.CreateCustomer(map[string]any{"email": "m-buyer@example.com", "firstname": "Mia", "lastname": "Kauf"})
	var ids []string
	for range 3 {
		id, err := emu.PlaceOrder(cust, "", "EUR", magentotest.OrderLine{SKU: "24-MB01", Name: "Bag", Quantity: 2, Price: "34.50"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	guest, err := emu.PlaceOrder("", "guest@example.com", "USD", magentotest.OrderLine{SKU: "x", Name: "X", Quantity: 1, Price: "9.99"})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{emu.InvoiceOrder(ids[0]), emu.InvoiceOrder(ids[1]), emu.RefundOrder(ids[1], "69.00"), emu.CancelOrder(ids[2])} {
		if step != nil {
			t.Fatal(step)
		}
	}
	l := c.(connectors.Lister)
	seen, cursor := map[string]mappings.Doc{}, ""
	for range 10 {
		page, err := l.List(context.Background(), connectors.ResourceOrder, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if _, dup := seen[r.ExternalID]; dup || r.Resource != connectors.ResourceOrder {
				t.Errorf("order %s listed twice or as %s", r.ExternalID, r.Resource)
			}
			seen[r.ExternalID] = orderDoc(t, m, r.Data)
		}
		cursor = page.Next
		if page.Done {
			break
		}
	}
	if len(seen) != 4 {
		t.Fatalf("listed %d orders, want 4", len(seen))
	}
	for id, want := range map[string]string{ids[0]: "in_progress/paid/0.00", ids[1]: "completed/refunded/69.00", ids[2]: "cancelled/voided/0.00", guest: "open/pending/0.00"} {
		d := seen[id]
		if got := d["status"].(string) + "/" + d["financial_status"].(string) + "/" + d["refunded"].(string); got != want {
			t.Errorf("order %s: %s, want %s", id, got, want)
		}
	}
	if seen[guest]["customer_ref"] != nil || seen[guest]["currency"] != "USD" || seen[ids[0]]["customer_ref"] != cust {
		t.Errorf("customer refs: guest %v, first %v", seen[guest]["customer_ref"], seen[ids[0]]["customer_ref"])
	}
	// Nothing changed: the next poll lists the cursor's second again (the
	// pipeline drops unchanged records by content), with nothing new.
	done := false
	for i := 0; i < 10 && !done; i++ {
		page, err := l.List(context.Background(), connectors.ResourceOrder, cursor)
		if err != nil {
			t.Fatalf("idle poll: %v", err)
		}
		for _, r := range page.Records {
			if d := cmp.Diff(seen[r.ExternalID], orderDoc(t, m, r.Data)); d != "" {
				t.Errorf("idle poll listed order %s changed:\n%s", r.ExternalID, d)
			}
		}
		cursor, done = page.Next, page.Done
	}
	if !done {
		t.Error("idle poll never ended")
	}
	rec, err := c.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceOrder, ids[1])
	if err != nil || orderDoc(t, m, rec.Data)["total"] != "69.00" {
		t.Fatalf("fetch: %+v %v", rec, err)
	}
}

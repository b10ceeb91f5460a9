package magento_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/mappings"
)

func cartDoc(t *testing.T, m *mappings.Mapping, rec map[string]any) mappings.Doc {
	t.Helper()
	doc, err := m.Inbound(connectors.ResourceCart, rec)
	if err == nil {
		doc, err = mappings.NormalizeCart(doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The default mapping reads a quote as GET /V1/carts/search renders it:
// the total summed from the lines (the quote renders none), no recovery
// URL, a guest's email from the billing address, and an inactive quote
// (its order placed) completed at its updated_at.
func TestCartMapping(t *testing.T) {
	m := compileMapping(t)
	customerCart := mappings.Doc{
		"currency": "EUR", "total": "101.85", "customer_ref": "42", "customer_email": "erika.muster@example.de",
		"created_at": "2025-03-04T09:10:11Z", "updated_at": "2025-03-04T09:26:40Z",
		"lines": []any{
			map[string]any{"sku": "MJ01-M-Blue", "title": "Beaumont Summit Kit", "quantity": 1, "price": "42.00"},
			map[string]any{"sku": "24-UG01", "title": "Quest Lumaflex Band", "quantity": 3, "price": "19.95"},
		},
	}
	guest := decodeFixture(t, "cart.json")
	guest["customer_is_guest"] = true
	guest["customer"] = map[string]any{"email": nil, "firstname": nil, "lastname": nil}
	guest["billing_address"].(map[string]any)["email"] = "guest@example.com"
	guestCart := mappings.Doc{}
	for k, v := range customerCart {
		guestCart[k] = v
	}
	delete(guestCart, "customer_ref")
	guestCart["customer_email"] = "guest@example.com"

	converted := decodeFixture(t, "cart.json")
	converted["is_active"], converted["reserved_order_id"] = false, "000000107"
	delete(converted, "items") // Magento loads no items for an inactive quote
	convertedCart := mappings.Doc{"currency": "EUR", "total": "0.00", "lines": []any{}, "customer_ref": "42",
		"customer_email": "erika.muster@example.de", "created_at": "2025-03-04T09:10:11Z",
		"updated_at": "2025-03-04T09:26:40Z", "completed_at": "2025-03-04T09:26:40Z"}

	for _, tc := range []struct {
		name string
		rec  map[string]any
		want mappings.Doc
	}{
		{"customer's quote", decodeFixture(t, "cart.json"), customerCart},
		{"guest's quote", guest, guestCart},
		{"order placed", converted, convertedCart},
	} {
		if diff := cmp.Diff(tc.want, cartDoc(t, m, tc.rec)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// Quotes created, changed and converted in the emulator are polled with
// the keyset cursor: a changed cart comes again with its new lines, a
// converted one comes back inactive (completed), and Fetch re-reads one.
func TestCartPolling(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	c := newConnector(t, url, 2)
	m := compileMapping(t)
	emu.SetNow(time.Now().UTC().Truncate(time.Second).Add(-time.Hour)) // stopped: every write shares its second
	cust := emu.CreateCustomer(map[string]any{"email": "q-buyer@example.com", "firstname": "Quinn", "lastname": "Korb"})
	bag := magentotest.OrderLine{SKU: "24-MB01", Name: "Bag", Quantity: 2, Price: "34.50"}
	mine, err := emu.CreateCart(cust, "", "EUR", bag)
	if err != nil {
		t.Fatal(err)
	}
	guest, err := emu.CreateCart("", "guest@example.com", "USD", magentotest.OrderLine{SKU: "x", Name: "X", Quantity: 1, Price: "9.99"})
	if err != nil {
		t.Fatal(err)
	}
	bought, err := emu.CreateCart(cust, "", "EUR", bag)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.PlaceCartOrder(bought); err != nil {
		t.Fatal(err)
	}
	l := c.(connectors.Lister)
	poll := func(cursor string) (map[string]mappings.Doc, string) {
		t.Helper()
		seen := map[string]mappings.Doc{}
		for range 10 {
			page, err := l.List(context.Background(), connectors.ResourceCart, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				if r.Resource != connectors.ResourceCart || r.UpdatedAt.IsZero() {
					t.Errorf("record %s: resource %s, updated %v", r.ExternalID, r.Resource, r.UpdatedAt)
				}
				seen[r.ExternalID] = cartDoc(t, m, r.Data)
			}
			cursor = page.Next
			if page.Done {
				return seen, cursor
			}
		}
		t.Fatal("listing never ended")
		return nil, ""
	}
	seen, cursor := poll("")
	if len(seen) != 3 {
		t.Fatalf("listed %d carts, want 3", len(seen))
	}
	if d := seen[mine]; d["total"] != "69.00" || d["customer_ref"] != cust || d["customer_email"] != "q-buyer@example.com" || d["completed_at"] != nil {
		t.Errorf("open customer cart: %v", d)
	}
	if d := seen[guest]; d["customer_ref"] != nil || d["customer_email"] != "guest@example.com" || d["currency"] != "USD" {
		t.Errorf("guest cart: %v", d)
	}
	if d := seen[bought]; d["completed_at"] == nil || len(d["lines"].([]any)) != 0 {
		t.Errorf("converted cart: %v", d)
	}

	emu.Advance(2 * time.Minute) // two minutes on: the change is past the look-back
	if err := emu.UpdateCart(mine, bag, magentotest.OrderLine{SKU: "24-UG01", Name: "Band", Quantity: 1, Price: "19.95"}); err != nil {
		t.Fatal(err)
	}
	// The cursor's second is listed again (the pipeline drops what it
	// holds already by content), and the changed cart with its new lines.
	again, _ := poll(cursor)
	if again[mine]["total"] != "88.95" || len(again[mine]["lines"].([]any)) != 2 {
		t.Errorf("poll after the change: %v", again[mine])
	}
	for id, d := range again {
		if id != mine && cmp.Diff(seen[id], d) != "" {
			t.Errorf("cart %s changed without a change: %s", id, cmp.Diff(seen[id], d))
		}
	}
	rec, err := c.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCart, mine)
	if err != nil || cartDoc(t, m, rec.Data)["total"] != "88.95" {
		t.Fatalf("fetch: %+v %v", rec, err)
	}
}

package shopify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/mappings"
)

// The default mapping reads a Shopify order (SDK-shaped fixture) into the
// canonical order: refunds summed from successful refund transactions
// only, money exact, times in UTC.
func TestOrderMapping(t *testing.T) {
	m := compileMapping(t)
	doc, err := m.Inbound(connectors.ResourceOrder, decodeFixture(t, "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err = mappings.NormalizeOrder(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := mappings.Doc{
		"number": "#1001", "status": "open", "financial_status": "partially_refunded", "currency": "USD",
		"total": "598.94", "refunded": "209.75", "line_items": 3,
		"customer_ref": "207119551", "customer_email": "bob.norman@mail.example.com",
		"placed_at": "2024-01-02T14:00:00Z", "cancelled_at": "", "updated_at": "2024-01-03T15:15:00Z",
		"payment_method": "card", // the bogus gateway of Shopify's test orders
		"lines": []any{
			map[string]any{"sku": "IPOD2008GREEN", "name": "IPod Nano - 8gb", "quantity": 1, "refunded_quantity": 0},
			map[string]any{"sku": "IPOD2008RED", "name": "IPod Nano - 8gb", "quantity": 1, "refunded_quantity": 0},
			map[string]any{"sku": "IPOD2008BLACK", "name": "IPod Nano - 8gb", "quantity": 1, "refunded_quantity": 1},
		},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("order doc (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name   string
		change map[string]any
		status string
	}{
		{"cancelled", map[string]any{"cancelled_at": "2024-01-04T00:00:00-05:00", "closed_at": "2024-01-04T00:00:00-05:00"}, "cancelled"},
		{"archived", map[string]any{"closed_at": "2024-01-04T00:00:00-05:00"}, "completed"},
		{"fulfilled", map[string]any{"fulfillment_status": "fulfilled"}, "completed"},
		{"partly shipped", map[string]any{"fulfillment_status": "partial"}, "in_progress"},
	} {
		rec := decodeFixture(t, "order.json")
		for k, v := range tc.change {
			rec[k] = v
		}
		doc, err := m.Inbound(connectors.ResourceOrder, rec)
		if err != nil || doc["status"] != tc.status {
			t.Errorf("%s: status %v, %v; want %s", tc.name, doc["status"], err, tc.status)
		}
	}
	// A guest order without customer and refunds maps too.
	rec := decodeFixture(t, "order.json")
	rec["customer"], rec["refunds"], rec["financial_status"] = nil, []any{}, "paid"
	doc, err = m.Inbound(connectors.ResourceOrder, rec)
	if err == nil {
		doc, err = mappings.NormalizeOrder(doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, has := doc["customer_ref"]; has || doc["refunded"] != "0.00" {
		t.Errorf("guest order: customer_ref %v refunded %v", doc["customer_ref"], doc["refunded"])
	}
}

// Order webhooks: full orders travel as the body, refunds/create names the
// order to re-read, orders/delete deletes, other topics stay ignored.
func TestOrderWebhooks(t *testing.T) {
	em, url := startEmulator(t, shopifytest.Options{})
	c := newConnector(t, url, 50).(connectors.WebhookSource)
	order := connectortest.Fixture(t, "order.json")
	refund := []byte(`{"id":509562969,"order_id":450789469,"created_at":"2024-01-03T10:15:00-05:00","transactions":[]}`)
	for _, tc := range []struct {
		topic   string
		body    []byte
		body2   bool
		deleted bool
	}{
		{"orders/create", order, true, false},
		{"orders/updated", order, true, false},
		{"orders/paid", order, true, false},
		{"orders/cancelled", order, true, false},
		{"refunds/create", refund, false, false},
		{"orders/delete", []byte(`{"id":450789469}`), false, true},
	} {
		h := em.DeliveryHeaders(tc.topic, tc.body)
		if err := c.VerifyWebhook(h, tc.body); err != nil {
			t.Fatalf("%s: %v", tc.topic, err)
		}
		evs, err := c.DecodeWebhook(h, tc.body)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v %v", tc.topic, evs, err)
		}
		ev := evs[0]
		if ev.Resource != connectors.ResourceOrder || ev.ExternalID != "450789469" || (len(ev.Body) > 0) != tc.body2 || ev.Deleted != tc.deleted || ev.Ignore {
			t.Errorf("%s: event %+v", tc.topic, ev)
		}
		if tc.body2 && !ev.OccurredAt.Equal(time.Date(2024, 1, 3, 15, 15, 0, 0, time.UTC)) {
			t.Errorf("%s: occurred %v, want the order's updated_at", tc.topic, ev.OccurredAt)
		}
	}
	h := http.Header{}
	h.Set("X-Shopify-Topic", "orders/edited")
	if evs, err := c.DecodeWebhook(h, []byte(`{"order_edit":{}}`)); err != nil || !evs[0].Ignore {
		t.Errorf("orders/edited: %v %v, want ignored", evs, err)
	}
}

// Orders placed, refunded and cancelled in the emulator arrive as webhooks
// and through polling (status=any, Link paging by updated_at), and the
// customer shows Shopify's order totals.
func TestOrderPollAndEmulatorWebhooks(t *testing.T) {
	em, base := startEmulator(t, shopifytest.Options{})
	got := make(chan [2]string, 32)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Shopify-Hmac-Sha256") != em.Sign(body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got <- [2]string{r.Header.Get("X-Shopify-Topic"), string(body)}
	}))
	t.Cleanup(sink.Close)
	em.SetWebhookURL(sink.URL)
	c := newConnector(t, base, 50).(connectors.Fetcher)
	ctx := context.Background()

	cust := em.CreateCustomer(map[string]any{"email": "buyer@example.com", "first_name": "Bea"})
	var ids []string
	for i := range 5 {
		id, err := em.CreateOrder(cust, "", "EUR", i != 4, shopifytest.OrderLine{Title: "Mug", Quantity: 2, Price: "12.50"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := em.RefundOrder(ids[0], "5.00"); err != nil {
		t.Fatal(err)
	}
	if err := em.CancelOrder(ids[1], true); err != nil {
		t.Fatal(err)
	}
	if err := em.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	close(got)
	topics := map[string]int{}
	for d := range got {
		topics[d[0]]++
	}
	wantTopics := map[string]int{"customers/create": 1, "orders/create": 5, "orders/paid": 4, "refunds/create": 2, "orders/updated": 2, "orders/cancelled": 1}
	if diff := cmp.Diff(wantTopics, topics); diff != "" {
		t.Errorf("webhook topics (-want +got):\n%s", diff)
	}

	// Poll with pages of 2: all five orders, cancelled included, each once
	// per listing, oldest change first.
	c2 := newConnector(t, base, 2).(connectors.Lister)
	seen, pages, cur := map[string]map[string]any{}, 0, ""
	for {
		page, err := c2.List(ctx, connectors.ResourceOrder, cur)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Records {
			if r.Resource != connectors.ResourceOrder || r.UpdatedAt.IsZero() {
				t.Errorf("record %+v", r)
			}
			seen[r.ExternalID] = r.Data
		}
		cur = page.Next
		if page.Done {
			break
		}
	}
	if len(seen) != 5 || pages != 3 {
		t.Fatalf("polled %d orders in %d pages, want 5 in 3", len(seen), pages)
	}
	if seen[ids[1]]["cancelled_at"] == nil || seen[ids[0]]["financial_status"] != "partially_refunded" || seen[ids[4]]["financial_status"] != "pending" {
		t.Errorf("polled orders: %v / %v / %v", seen[ids[1]]["cancelled_at"], seen[ids[0]]["financial_status"], seen[ids[4]]["financial_status"])
	}
	// Nothing changed since: the next listing from the stored cursor
	// re-reads at most the high-water second (inclusive bound), then ends.
	again := 0
	for {
		page, err := c2.List(ctx, connectors.ResourceOrder, cur)
		if err != nil {
			t.Fatal(err)
		}
		again += len(page.Records)
		cur = page.Next
		if page.Done {
			break
		}
	}
	if again > 5 {
		t.Errorf("idle poll re-read %d orders", again)
	}
	// Fetch re-reads one order; the customer carries Shopify's totals
	// (paid money net of refunds: 4 paid × 25.00 − 5.00 − 25.00).
	rec, err := c.Fetch(ctx, connectors.ResourceOrder, ids[0])
	if err != nil || rec.Data["refunds"] == nil {
		t.Fatalf("fetch: %+v %v", rec, err)
	}
	cr, _ := em.Customer(cust)
	if cr["orders_count"] != 5 || cr["total_spent"] != "70.00" {
		t.Errorf("customer totals: %v %v", cr["orders_count"], cr["total_spent"])
	}
	// Shopify's default lists open orders only.
	if _, err := c.Fetch(ctx, connectors.ResourceOrder, "1"); err == nil {
		t.Error("fetch of an unknown order succeeded")
	}
}

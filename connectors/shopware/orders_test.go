package shopware

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
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

// The default mapping reads a Shopware order (Admin API JSON with the
// connector's associations): the latest transaction decides the payment,
// promotions are not line items, money is exact.
func TestOrderMapping(t *testing.T) {
	m := compileMapping(t)
	rec := connectortest.FixtureJSON(t, "order.json")
	want := mappings.Doc{
		"number": "10023", "status": "in_progress", "financial_status": "paid", "currency": "EUR",
		"total": "119.99", "refunded": "0.00", "line_items": 2,
		"customer_ref": "f1e2d3c4b5a697887766554433221100", "customer_email": "jane.doe@example.com",
		"placed_at": "2024-05-10T12:34:56Z", "updated_at": "2024-05-11T08:00:00Z", "payment_method": "prepayment",
		"shipping_country": "AT",
		"lines": []any{
			map[string]any{"sku": "SW10001", "name": "Teapot", "quantity": 2, "total": "100.00", "refunded_quantity": 0, "returned_quantity": 0, "refunded": "0.00"},
			map[string]any{"sku": "SW10002", "name": "Cup", "quantity": 1, "total": "20.00", "refunded_quantity": 0, "returned_quantity": 0, "refunded": "0.00"},
		},
	}
	if diff := cmp.Diff(want, orderDoc(t, m, rec)); diff != "" {
		t.Errorf("order doc (-want +got):\n%s", diff)
	}
	// A partial refund of a payment app: a completed refund of the
	// capture with a position for one cup.
	r := connectortest.FixtureJSON(t, "order.json")
	ts := r["transactions"].([]any)
	last := ts[len(ts)-1].(map[string]any)
	last["stateMachineState"].(map[string]any)["technicalName"] = "refunded_partially"
	last["captures"] = []any{map[string]any{"id": "cap1", "refunds": []any{
		map[string]any{"id": "ref1", "stateMachineState": map[string]any{"technicalName": "completed"}, "amount": map[string]any{"totalPrice": 20.0},
			"positions": []any{map[string]any{"orderLineItemId": "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2", "quantity": 1, "amount": map[string]any{"totalPrice": 20.0}}}},
		map[string]any{"id": "ref2", "stateMachineState": map[string]any{"technicalName": "failed"}, "amount": map[string]any{"totalPrice": 99.0}},
	}}}
	doc := orderDoc(t, m, r)
	lines := doc["lines"].([]any)
	if doc["refunded"] != "20.00" || doc["financial_status"] != "partially_refunded" ||
		lines[1].(map[string]any)["refunded_quantity"] != 1 || lines[1].(map[string]any)["refunded"] != "20.00" || lines[0].(map[string]any)["refunded_quantity"] != 0 {
		t.Errorf("partial refund: %v", doc)
	}
	for _, tc := range []struct {
		payment, financial string
		refunded           any // nil: not said
	}{
		{"refunded", "refunded", "119.99"},
		{"chargeback", "refunded", "119.99"},
		{"refunded_partially", "partially_refunded", nil},
		{"cancelled", "voided", "0.00"},
		{"open", "pending", "0.00"},
	} {
		r := connectortest.FixtureJSON(t, "order.json")
		ts := r["transactions"].([]any)
		ts[len(ts)-1].(map[string]any)["stateMachineState"].(map[string]any)["technicalName"] = tc.payment
		doc := orderDoc(t, m, r)
		if doc["financial_status"] != tc.financial || doc["refunded"] != tc.refunded {
			t.Errorf("payment %s: financial %v refunded %v; want %s %v", tc.payment, doc["financial_status"], doc["refunded"], tc.financial, tc.refunded)
		}
	}
}

// Return Management (Shopware Commercial): an order read with its returns
// association. Fixture order_returns.json: order.json with three returns
// as the extension renders them — a requested (open) return of the cup, a
// done return of one teapot (50.00 refunded) and a cancelled return of the
// other teapot, its line left return_requested (the extension never
// cancels a return line). Only the done return counts; a return accepted but not
// done (in_progress) counts the items and no money yet; without the
// extension (no returns key) nothing is returned.
func TestOrderMappingReturns(t *testing.T) {
	m := compileMapping(t)
	type line struct {
		returned int
		refunded string
	}
	check := func(what string, rec map[string]any, refunded any, teapot, cup line) {
		t.Helper()
		doc := orderDoc(t, m, rec)
		lines := doc["lines"].([]any)
		got := func(i int) line {
			l := lines[i].(map[string]any)
			return line{l["returned_quantity"].(int), l["refunded"].(string)}
		}
		if doc["refunded"] != refunded || got(0) != teapot || got(1) != cup {
			t.Errorf("%s: refunded %v, teapot %+v, cup %+v; want %v %+v %+v", what, doc["refunded"], got(0), got(1), refunded, teapot, cup)
		}
	}
	rec := connectortest.FixtureJSON(t, "order_returns.json")
	check("requested, done and cancelled returns", rec, "50.00", line{1, "50.00"}, line{0, "0.00"})

	// The done return is reopened as in progress: items count, money not.
	rec = connectortest.FixtureJSON(t, "order_returns.json")
	ret := rec["returns"].([]any)[1].(map[string]any)
	ret["state"].(map[string]any)["technicalName"] = "in_progress"
	check("in progress", rec, "0.00", line{1, "0.00"}, line{0, "0.00"})

	// A done return whose line an integration wrote cancelled (the
	// extension itself never does) returns nothing.
	rec = connectortest.FixtureJSON(t, "order_returns.json")
	ret = rec["returns"].([]any)[1].(map[string]any)
	ret["lineItems"].([]any)[0].(map[string]any)["state"].(map[string]any)["technicalName"] = "cancelled"
	check("done, line cancelled", rec, "0.00", line{0, "0.00"}, line{0, "0.00"})

	// The refund of the return also went through the payment app: a
	// completed capture refund of the same 50.00 is not added.
	rec = connectortest.FixtureJSON(t, "order_returns.json")
	ts := rec["transactions"].([]any)
	last := ts[len(ts)-1].(map[string]any)
	last["stateMachineState"].(map[string]any)["technicalName"] = "refunded_partially"
	last["captures"] = []any{map[string]any{"id": "cap1", "refunds": []any{
		map[string]any{"id": "ref1", "stateMachineState": map[string]any{"technicalName": "completed"}, "amount": map[string]any{"totalPrice": 50.0},
			"positions": []any{map[string]any{"orderLineItemId": "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1", "quantity": 1, "amount": map[string]any{"totalPrice": 50.0}}}}}}}
	check("refund and return of the same teapot", rec, "50.00", line{1, "50.00"}, line{0, "0.00"})

	// A full refund of the payment outweighs a partial return.
	rec = connectortest.FixtureJSON(t, "order_returns.json")
	ts = rec["transactions"].([]any)
	ts[len(ts)-1].(map[string]any)["stateMachineState"].(map[string]any)["technicalName"] = "refunded"
	check("refunded payment", rec, "119.99", line{1, "50.00"}, line{0, "0.00"})

	// Without the extension: the order has no returns key.
	check("no Return Management", connectortest.FixtureJSON(t, "order.json"), "0.00", line{0, "0.00"}, line{0, "0.00"})
}

// Orders placed and moved in the emulator arrive as signed order.written
// and business-event webhooks (id-only events the pipeline fetches), and
// through the lister.
func TestOrderWebhooksAndListing(t *testing.T) {
	var mu sync.Mutex
	var events []connectors.Event
	var c *Connector
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := c.VerifyWebhook(r.Header, body); err != nil {
			t.Errorf("delivery does not verify: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		evs, err := c.DecodeWebhook(r.Header, body)
		if err != nil {
			t.Errorf("decode %s: %v", body, err)
		}
		mu.Lock()
		events = append(events, evs...)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	emu, url := newEmulator(t, shopwaretest.Options{WebhookURL: srv.URL})
	c = connect(t, url, 2)
	m := compileMapping(t)

	cust := emu.CreateCustomer(map[string]any{"email": "sw-buyer@example.com", "firstName": "Sven", "lastName": "Kauf",
		"defaultShippingAddress": map[string]any{"firstName": "Sven", "lastName": "Kauf", "street": "Ring 1", "zipcode": "1010", "city": "Wien", "countryIso": "AT"}})
	var ids []string
	for i := range 3 {
		id, err := emu.PlaceOrder(cust, "EUR", i > 0, shopwaretest.OrderLine{Label: "Teapot", Quantity: 1, Price: "49.90"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := emu.SetPaymentState(ids[0], "paid"); err != nil {
		t.Fatal(err)
	}
	if err := emu.SetOrderState(ids[1], "cancelled"); err != nil {
		t.Fatal(err)
	}
	if err := emu.SetPaymentState(ids[1], "refunded"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, ev := range events {
			if ev.Resource == connectors.ResourceOrder {
				n++
			}
		}
		mu.Unlock()
		// 3 × (order.written + checkout.order.placed) + paid + (order.written + state_enter) + refunded
		if n == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d order events, want 10: %+v", n, events)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	for _, ev := range events {
		if ev.Resource == connectors.ResourceOrder && (len(ev.Body) > 0 || ev.Ignore || !isID(ev.ExternalID)) {
			t.Errorf("order event %+v: want id-only", ev)
		}
	}
	mu.Unlock()

	// Fetch reads the current state with the mapping's associations.
	rec, err := c.Fetch(testCtx(t), connectors.ResourceOrder, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	doc := orderDoc(t, m, rec.Data)
	if doc["status"] != "cancelled" || doc["financial_status"] != "refunded" || doc["refunded"] != "49.90" || doc["customer_ref"] != cust || doc["total"] != "49.90" ||
		doc["shipping_country"] != "AT" {
		t.Errorf("fetched order doc %v", doc)
	}
	// The lister returns each order once across pages of 2.
	seen, cursor := map[string]bool{}, ""
	for {
		page, err := c.List(testCtx(t), connectors.ResourceOrder, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if r.Resource != connectors.ResourceOrder || seen[r.ExternalID] {
				t.Errorf("listed %+v twice or as another resource", r.ExternalID)
			}
			seen[r.ExternalID] = true
		}
		cursor = page.Next
		if page.Done {
			break
		}
	}
	if len(seen) != 3 {
		t.Errorf("listed %d orders, want 3", len(seen))
	}
	if _, err := c.Fetch(testCtx(t), connectors.ResourceOrder, "ffffffffffffffffffffffffffffffff"); err == nil {
		t.Error("fetch of an unknown order succeeded")
	}
}

// Return Management is optional: a shop with the extension answers the
// returns association and a done return reaches the order doc; a shop
// without it rejects the association, and the connector reads the order
// again without it and does not ask again on the next read.
func TestOrderReturnsAssociation(t *testing.T) {
	m := compileMapping(t)
	searches := func(emu *shopwaretest.Emulator) int {
		n := 0
		for _, l := range emu.RequestLog() {
			if strings.HasPrefix(l, "POST /api/search/order") {
				n++
			}
		}
		return n
	}
	for _, installed := range []bool{true, false} {
		emu, url := newEmulator(t, shopwaretest.Options{ReturnManagement: installed})
		c := connect(t, url, 10)
		cust := emu.CreateCustomer(map[string]any{"email": "sw-returner@example.com", "firstName": "Rita", "lastName": "Tour"})
		id, err := emu.PlaceOrder(cust, "EUR", true,
			shopwaretest.OrderLine{Label: "Teapot", Quantity: 2, Price: "60.00"}, shopwaretest.OrderLine{Label: "Cup", Quantity: 1, Price: "30.00"})
		if err != nil {
			t.Fatal(err)
		}
		if installed {
			done, err := emu.RequestReturn(id, map[string]int64{"Teapot": 1})
			if err != nil {
				t.Fatal(err)
			}
			cup, err := emu.RequestReturn(id, map[string]int64{"Cup": 1})
			if err != nil {
				t.Fatal(err)
			}
			// The teapot's return is processed and completed; the cup's is
			// cancelled, its line left return_requested (return lines are
			// never cancelled): by the return's state it counts for nothing.
			for _, step := range []struct{ ret, to string }{{done, "in_progress"}, {done, "done"}, {cup, "cancelled"}} {
				if err := emu.SetReturnState(step.ret, step.to); err != nil {
					t.Fatal(err)
				}
			}
		} else if _, err := emu.RequestReturn(id, map[string]int64{"Teapot": 1}); err == nil {
			t.Error("a return without Return Management")
		}
		before := searches(emu)
		rec, err := c.Fetch(testCtx(t), connectors.ResourceOrder, id)
		if err != nil {
			t.Fatalf("installed %v: %v", installed, err)
		}
		doc := orderDoc(t, m, rec.Data)
		lines := doc["lines"].([]any)
		wantRefunded, wantTeapot := "60.00", 1
		wantSearches := 1
		if !installed {
			wantRefunded, wantTeapot, wantSearches = "0.00", 0, 2 // rejected, then without
		}
		if doc["refunded"] != wantRefunded || lines[0].(map[string]any)["returned_quantity"] != wantTeapot ||
			lines[1].(map[string]any)["returned_quantity"] != 0 {
			t.Errorf("installed %v: doc %v", installed, doc)
		}
		if got := searches(emu) - before; got != wantSearches {
			t.Errorf("installed %v: %d order searches for the first fetch, want %d", installed, got, wantSearches)
		}
		// Remembered: the lister and the next fetch ask once each.
		before = searches(emu)
		if _, err := c.List(testCtx(t), connectors.ResourceOrder, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Fetch(testCtx(t), connectors.ResourceOrder, id); err != nil {
			t.Fatal(err)
		}
		if got := searches(emu) - before; got != 3 { // two list segments + one fetch
			t.Errorf("installed %v: %d order searches for a listing and a fetch, want 3", installed, got)
		}
	}
}

// The answers that make the connector leave the returns out: the
// association unknown (no extension) or Return Management's entities not
// readable with the shop's grant; other errors are errors.
func TestReturnsLeftOutOn(t *testing.T) {
	he := func(status int, body string) error {
		return fmt.Errorf("shopware shop: %w", &connectors.HTTPError{Method: "POST", URL: "/api/search/order", Status: status, Body: body})
	}
	unknown := he(400, `{"errors":[{"status":"400","code":"FRAMEWORK__ASSOCIATION_NOT_FOUND","title":"Bad Request","detail":"Can not find association by name returns"}]}`)
	denied := he(403, `{"errors":[{"status":"403","code":"FRAMEWORK__MISSING_PRIVILEGE_ERROR","title":"Forbidden","detail":"{\"message\":\"Missing privilege\",\"missingPrivileges\":[\"order_return:read\"]}"}]}`)
	deniedOther := he(403, `{"errors":[{"status":"403","code":"FRAMEWORK__MISSING_PRIVILEGE_ERROR","title":"Forbidden","detail":"{\"message\":\"Missing privilege\",\"missingPrivileges\":[\"order:read\"]}"}]}`)
	otherAssoc := he(400, `{"errors":[{"status":"400","code":"FRAMEWORK__ASSOCIATION_NOT_FOUND","title":"Bad Request","detail":"Can not find association by name deliveries"}]}`)
	if !associationMissing(unknown, "returns") || !privilegeMissing(denied, "order_return") {
		t.Error("the returns are not left out on an unknown association or a missing order_return privilege")
	}
	if privilegeMissing(deniedOther, "order_return") || associationMissing(otherAssoc, "returns") || associationMissing(denied, "returns") {
		t.Error("another error leaves the returns out")
	}
}

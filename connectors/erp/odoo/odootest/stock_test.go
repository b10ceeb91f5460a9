package odootest_test

import (
	"testing"
	"time"

	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
)

// Returns as sale_stock keeps them: qty_delivered drops by what comes
// back to refund only, and the sale.order is written (write_date) only
// when its stored delivery_status changes — on a fully delivered order a
// return moves it (full → partial on creation, full again when
// validated), on one with a backorder still open it stays partial.
func TestReturnsAndDeliveryStatus(t *testing.T) {
	e := odootest.New(odootest.Options{})
	url := e.Start()
	t.Cleanup(e.Close)
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	e.SetNow(start)
	buyer := e.CreateCustomer(map[string]any{"name": "Rita Return", "email": "rita@example.com"})
	lines2 := []odootest.OrderLine{{SKU: "TP-1", Name: "Teekanne", Qty: 2, Price: 60}, {SKU: "CUP-7", Name: "Tasse", Qty: 1, Price: 30}}
	full, fullLines := e.PlaceOrder(odootest.NewOrder{Partner: buyer, Lines: lines2})
	fullOut := e.Deliver(full, odootest.Moved{Line: fullLines[0], Qty: 2}, odootest.Moved{Line: fullLines[1], Qty: 1})
	part, partLines := e.PlaceOrder(odootest.NewOrder{Partner: buyer, Lines: lines2})
	partOut := e.Deliver(part, odootest.Moved{Line: partLines[0], Qty: 2}) // the cup on backorder

	status := func(order int64) any {
		_, out := call(t, url, odootest.DefaultAPIKey, "/json/2/sale.order/read",
			map[string]any{"ids": []any{order}, "fields": []any{"delivery_status", "write_date"}})
		return out.([]any)[0].(map[string]any)["delivery_status"]
	}
	if status(full) != "full" || status(part) != "partial" {
		t.Fatalf("delivery_status after delivery: %v, %v", status(full), status(part))
	}
	later := start.Add(time.Hour)
	e.SetNow(later)
	e.Return(fullOut, true, odootest.Moved{Line: fullLines[0], Qty: 1})
	e.Return(partOut, true, odootest.Moved{Line: partLines[0], Qty: 1})
	e.Return(partOut, false, odootest.Moved{Line: partLines[0], Qty: 1}) // an exchange
	at := later.Format(odootest.DateLayout)
	if q, wd := e.LineDelivered(fullLines[0]); q != 1 || wd != at {
		t.Errorf("fully delivered teapots after one returned: qty_delivered %v, write_date %s", q, wd)
	}
	if q, _ := e.LineDelivered(partLines[0]); q != 1 {
		t.Errorf("teapots after one returned to refund and one for exchange: qty_delivered %v, want 1", q)
	}
	if status(full) != "full" || e.OrderWriteDate(full) != at {
		t.Errorf("fully delivered order after a return: %v, write_date %s (want full, %s)", status(full), e.OrderWriteDate(full), at)
	}
	if status(part) != "partial" || e.OrderWriteDate(part) != start.Format(odootest.DateLayout) {
		t.Errorf("order with a backorder after a return: %v, write_date %s (want partial, unchanged)", status(part), e.OrderWriteDate(part))
	}
	_, out := call(t, url, odootest.DefaultAPIKey, "/json/2/stock.move/search_read", map[string]any{
		"domain": []any{[]any{"origin_returned_move_id", "!=", false}, []any{"state", "=", "done"}},
		"fields": []any{"sale_line_id", "quantity", "to_refund", "location_usage", "location_dest_usage"}})
	if moves, _ := out.([]any); len(moves) != 3 {
		t.Fatalf("return moves %v", out)
	}
	for _, m := range out.([]any) {
		if mv := m.(map[string]any); mv["location_usage"] != "customer" || mv["location_dest_usage"] != "internal" || mv["quantity"] != float64(1) {
			t.Errorf("return move %v", mv)
		}
	}
}

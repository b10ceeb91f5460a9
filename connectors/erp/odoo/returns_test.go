package odoo_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
)

// An order whose two teapots are delivered (the cup on backorder), then
// one teapot returned with "Update quantities on SO/PO" (to_refund) and
// the other for an exchange (without): the teapots' line says
// returned_quantity 1 and the cup's 0, as Odoo's qty_delivered counts
// them. With a delivery still open the order's delivery_status stays
// partial, so validating the returns writes stock moves and the
// teapots' line, not the sale.order: the next incremental listing brings
// the order back through the return moves' pass, its change time the
// return's. Both protocols read the same, and so does Odoo 16, whose
// stock.move has quantity_done for quantity and no location usage.
func TestOrderPartialReturn(t *testing.T) {
	for _, proto := range []string{"json2", "jsonrpc", "jsonrpc-16"} {
		t.Run(proto, func(t *testing.T) {
			opts := odootest.Options{}
			if proto == "jsonrpc-16" {
				opts.Version = "16.0"
			}
			emu, url := startEmulator(t, opts)
			settings := json2Settings(url, 2)
			if proto != "json2" {
				settings = jsonrpcSettings(url, 2)
			}
			l := build(t, connectors.Instance{}, settings).(connectors.Lister)
			m := orderMapping(t)
			start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			emu.SetNow(start)
			buyer := emu.CreateCustomer(map[string]any{"name": "Rolf Return", "email": "rolf@example.com", "country_code": "DE"})
			order, lines := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, PaymentTerm: "30 Days", Lines: []odootest.OrderLine{
				{SKU: "TP-1", Name: "Teekanne", Qty: 2, Price: 60}, {SKU: "CUP-7", Name: "Tasse", Qty: 1, Price: 30}}})
			delivery := emu.Deliver(order, odootest.Moved{Line: lines[0], Qty: 2})
			_, cursor := connectortest.ListAll(t, l, connectors.ResourceOrder, "")
			// Ten minutes on (past the look-back) another order is placed:
			// the cursors move there.
			emu.SetNow(start.Add(10 * time.Minute))
			other, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, Lines: []odootest.OrderLine{{SKU: "CUP-7", Name: "Tasse", Qty: 1, Price: 30}}})
			_, cursor = connectortest.ListAll(t, l, connectors.ResourceOrder, cursor)

			// Ten minutes later the returns are validated.
			back := start.Add(20 * time.Minute)
			emu.SetNow(back)
			ordered := emu.OrderWriteDate(order)
			emu.Return(delivery, true, odootest.Moved{Line: lines[0], Qty: 1})
			emu.Return(delivery, false, odootest.Moved{Line: lines[0], Qty: 1})
			if q, wd := emu.LineDelivered(lines[0]); q != 1 || wd != back.Format(odootest.DateLayout) {
				t.Fatalf("teapots' line after the returns (one without to_refund): qty_delivered %v, write_date %s", q, wd)
			}
			if emu.OrderWriteDate(order) != ordered {
				t.Fatal("the return moved the order's write_date")
			}

			// The order's write_date (09:00) is behind the look-back, and it
			// has no journal entry: only the return moves' pass can bring it
			// back (the other order,
			// placed at 09:10, is within the look-back and read again).
			recs, _ := connectortest.ListAll(t, l, connectors.ResourceOrder, cursor)
			id := strconv.FormatInt(order, 10)
			var mine []connectors.Record
			for _, rec := range recs {
				switch rec.ExternalID {
				case id:
					mine = append(mine, rec)
				case strconv.FormatInt(other, 10):
				default:
					t.Errorf("order %s listed again, nothing happened to it", rec.ExternalID)
				}
			}
			if len(mine) != 1 || !mine[0].UpdatedAt.Equal(back) {
				t.Fatalf("after the return the order was listed as %+v, want once with the return's change time %v", mine, back)
			}
			recs = mine
			want := []any{
				map[string]any{"sku": "TP-1", "name": "[TP-1] Teekanne", "quantity": 2, "total": "120.00", "refunded_quantity": 0, "refunded": "0.00",
					"returned_quantity": 1},
				map[string]any{"sku": "CUP-7", "name": "[CUP-7] Tasse", "quantity": 1, "total": "30.00", "refunded_quantity": 0, "refunded": "0.00",
					"returned_quantity": 0},
			}
			if diff := cmp.Diff(want, mapOrders(t, m, recs)[id]["lines"]); diff != "" {
				t.Errorf("listed lines (-want +got):\n%s", diff)
			}
			rec, err := l.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceOrder, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, mapOrders(t, m, []connectors.Record{*rec})[id]["lines"]); diff != "" {
				t.Errorf("fetched lines (-want +got):\n%s", diff)
			}
		})
	}
}

// A database without Inventory has no stock.move: Odoo answers the call
// with an error (JSON-RPC: UserError "Object stock.move doesn't exist";
// JSON-2: 404). Orders are read without returns, and the connector asks
// once, not on every page, listing or fetch after.
func TestOrdersWithoutInventory(t *testing.T) {
	for _, proto := range []string{"json2", "jsonrpc"} {
		t.Run(proto, func(t *testing.T) {
			emu, url := startEmulator(t, odootest.Options{NoInventory: true})
			settings := json2Settings(url, 2)
			if proto == "jsonrpc" {
				settings = jsonrpcSettings(url, 2)
			}
			l := build(t, connectors.Instance{}, settings).(connectors.Lister)
			m := orderMapping(t)
			buyer := emu.CreateCustomer(map[string]any{"name": "Sina Sales", "email": "sina@example.com"})
			var ids []int64
			for range 5 { // three pages of two
				id, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, Lines: []odootest.OrderLine{{SKU: "CUP-7", Name: "Tasse", Qty: 1, Price: 30}}})
				ids = append(ids, id)
			}
			recs, cursor := connectortest.ListAll(t, l, connectors.ResourceOrder, "")
			docs := mapOrders(t, m, recs)
			if len(docs) != len(ids) {
				t.Fatalf("listed %d orders, want %d", len(docs), len(ids))
			}
			for id, doc := range docs {
				if got := doc["lines"].([]any)[0].(map[string]any)["returned_quantity"]; got != 0 {
					t.Errorf("order %s: returned_quantity %v", id, got)
				}
			}
			connectortest.ListAll(t, l, connectors.ResourceOrder, cursor)
			if _, err := l.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceOrder, strconv.FormatInt(ids[0], 10)); err != nil {
				t.Fatal(err)
			}
			asked := 0
			for _, line := range emu.RequestLog() {
				if line == "stock.move/search_read" {
					asked++
				}
			}
			if asked != 1 {
				t.Errorf("stock.move asked %d times, want once", asked)
			}
		})
	}
}

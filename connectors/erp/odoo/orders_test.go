package odoo_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/erp/odoo"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/mappings"
)

func orderMapping(t *testing.T) *mappings.Mapping {
	t.Helper()
	r, _ := connectors.Lookup(odoo.Type)
	m, err := mappings.Compile("connectors/erp/odoo/mapping.yaml", r.Mapping, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newest maps the last listed version of each order.
func mapOrders(t *testing.T, m *mappings.Mapping, recs []connectors.Record) map[string]mappings.Doc {
	t.Helper()
	docs := map[string]mappings.Doc{}
	for _, rec := range recs {
		if rec.Resource != connectors.ResourceOrder || rec.Invalid != "" || rec.UpdatedAt.IsZero() {
			t.Fatalf("record %+v", rec)
		}
		doc, err := m.Inbound(connectors.ResourceOrder, rec.Data)
		if err == nil {
			doc, err = mappings.NormalizeOrder(doc)
		}
		if err != nil {
			t.Fatalf("order %s: %v", rec.ExternalID, err)
		}
		docs[rec.ExternalID] = doc
	}
	return docs
}

// Odoo's sales orders as its users leave them — invoiced and paid
// (reconciled or only registered), invoiced and partly credited after
// payment, invoiced and unpaid, not invoiced, cancelled, a quotation never
// confirmed — become canonical orders through the default mapping: the
// payment from the invoices' payment_state, refunds from the posted
// credit notes (per line through their lines' sale_line_ids), the payment method from the payment term, the shipping
// country from the delivery address, sections left out of the lines. Both
// protocols read the same. A credit note and a payment registered later —
// which leave the order's write_date alone — come back in the next
// incremental listing through the journal entries' pass, with the order's
// change time moved to theirs.
func TestOrdersReadAndMapped(t *testing.T) {
	for _, proto := range []string{"json2", "jsonrpc"} {
		t.Run(proto, func(t *testing.T) {
			emu, url := startEmulator(t, odootest.Options{})
			settings := json2Settings(url, 2)
			if proto == "jsonrpc" {
				settings = jsonrpcSettings(url, 2)
			}
			l := build(t, connectors.Instance{}, settings).(connectors.Lister)
			m := orderMapping(t)
			start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			emu.SetNow(start)

			buyer := emu.CreateCustomer(map[string]any{"name": "Olga Order", "email": "Olga.Order@Example.com", "country_code": "DE"})
			austria := emu.CreateCustomer(map[string]any{"name": "Olga Order", "type": "delivery", "parent_id": mustID(t, buyer), "country_code": "AT"})
			teapot, cup := odootest.OrderLine{SKU: "TP-1", Name: "Teekanne", Qty: 2, Price: 60}, odootest.OrderLine{SKU: "CUP-7", Name: "Tasse", Qty: 1, Price: 30}
			day := func(n int) time.Time { return start.Add(-time.Duration(n) * 24 * time.Hour) }

			paid, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, PaymentTerm: "30 Days", Date: day(30), Lines: []odootest.OrderLine{teapot}})
			emu.RegisterPayment(emu.InvoiceOrder(paid), true)
			credited, creditedLines := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, PaymentTerm: odootest.TermImmediate, Date: day(20), Lines: []odootest.OrderLine{teapot, cup}})
			emu.AddSection(credited, "Geschirr")
			creditedInv := emu.InvoiceOrder(credited)
			emu.RegisterPayment(creditedInv, false) // in payment
			unpaid, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, PaymentTerm: "15 Days", Currency: "USD", Date: day(10), Lines: []odootest.OrderLine{cup}})
			emu.InvoiceOrder(unpaid)
			shipped, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, ShipTo: austria, Date: day(5), Lines: []odootest.OrderLine{cup}})
			dropped, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, PaymentTerm: "30 Days", Date: day(3), Lines: []odootest.OrderLine{cup}})
			emu.CancelOrder(dropped)
			quote, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, Lines: []odootest.OrderLine{cup}})
			if err := emu.SetOrderState(quote, "draft"); err != nil {
				t.Fatal(err)
			}

			recs, cursor := connectortest.ListAll(t, l, connectors.ResourceOrder, "")
			docs := mapOrders(t, m, recs)
			id := func(n int64) string { return strconv.FormatInt(n, 10) }
			base := func(extra mappings.Doc) mappings.Doc {
				d := mappings.Doc{"status": "open", "currency": "EUR", "refunded": "0.00", "line_items": int(1), "shipping_country": "DE",
					"customer_ref": buyer, "customer_email": "olga.order@example.com"}
				for k, v := range extra {
					d[k] = v
				}
				return d
			}
			want := map[string]mappings.Doc{
				id(paid): base(mappings.Doc{"financial_status": "paid", "total": "120.00", "payment_method": "invoice",
					"placed_at": "2026-10-03T09:00:00Z"}),
				id(credited): base(mappings.Doc{"financial_status": "paid", "total": "150.00", "payment_method": "prepayment", "line_items": int(2),
					"placed_at": "2026-10-13T09:00:00Z"}),
				id(unpaid): base(mappings.Doc{"financial_status": "pending", "total": "30.00", "payment_method": "invoice", "currency": "USD",
					"placed_at": "2026-10-23T09:00:00Z"}),
				id(shipped): base(mappings.Doc{"financial_status": "pending", "total": "30.00", "shipping_country": "AT",
					"placed_at": "2026-10-28T09:00:00Z"}),
				id(dropped): base(mappings.Doc{"status": "cancelled", "financial_status": "voided", "total": "30.00", "payment_method": "invoice",
					"placed_at": "2026-10-30T09:00:00Z"}),
			}
			for oid, doc := range docs {
				delete(doc, "lines")
				delete(doc, "number")
				if diff := cmp.Diff(map[string]any(want[oid]), map[string]any(doc)); diff != "" {
					t.Errorf("order %s (-want +got):\n%s", oid, diff)
				}
			}
			if len(docs) != len(want) {
				t.Fatalf("listed %d orders, want %d (the quotation left out)", len(docs), len(want))
			}

			// Ten minutes on (past the look-back) a new order is placed and
			// the Austrian one invoiced: both passes' cursors move there.
			emu.SetNow(start.Add(10 * time.Minute))
			later, _ := emu.PlaceOrder(odootest.NewOrder{Partner: buyer, Lines: []odootest.OrderLine{cup}})
			emu.InvoiceOrder(shipped)
			_, cursor = connectortest.ListAll(t, l, connectors.ResourceOrder, cursor)
			// Ten minutes later, one of the two teapots of the paid order is
			// credited (a credit note on part of one line) and the unpaid
			// invoice paid: only journal entries change, and the next listing
			// brings both orders back through them, and none of the orders
			// nothing happened to.
			emu.SetNow(start.Add(20 * time.Minute))
			emu.CreditNote(creditedInv, odootest.CreditLine{Line: creditedLines[0], Qty: 1})
			emu.SetNow(start.Add(21 * time.Minute))
			emu.RegisterPayment(invoiceOf(t, emu, unpaid), true)
			recs, _ = connectortest.ListAll(t, l, connectors.ResourceOrder, cursor)
			docs = mapOrders(t, m, recs)
			var relisted []string
			for oid := range docs {
				relisted = append(relisted, oid)
			}
			slices.Sort(relisted)
			if diff := cmp.Diff([]string{id(credited), id(unpaid), id(shipped), id(later)}, relisted,
				cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Fatalf("incremental listing (-want +got):\n%s", diff)
			}
			got := docs[id(credited)]
			if got["total"] != "150.00" || got["refunded"] != "60.00" || got["financial_status"] != "partially_refunded" {
				t.Errorf("after the credit note: %v", got)
			}
			if got := docs[id(unpaid)]; got["financial_status"] != "paid" {
				t.Errorf("after the payment: %v", got)
			}
			for _, rec := range recs {
				if rec.ExternalID == id(credited) && !rec.UpdatedAt.Equal(start.Add(20*time.Minute)) {
					t.Errorf("credited order's change time %v, want the credit note's", rec.UpdatedAt)
				}
			}
			lines := docs[id(credited)]["lines"].([]any)
			// The credit note's line, linked to the teapots' line by
			// sale_line_ids, is that line's refund; the cup's line has none.
			wantLines := []any{
				map[string]any{"sku": "TP-1", "name": "[TP-1] Teekanne", "quantity": 2, "total": "120.00", "refunded_quantity": 1, "refunded": "60.00",
					"returned_quantity": 0},
				map[string]any{"sku": "CUP-7", "name": "[CUP-7] Tasse", "quantity": 1, "total": "30.00", "refunded_quantity": 0, "refunded": "0.00",
					"returned_quantity": 0},
			}
			if diff := cmp.Diff(wantLines, lines); diff != "" {
				t.Errorf("lines, the section left out, the teapot's line credited (-want +got):\n%s", diff)
			}
			// Fetch re-reads one order; a quotation is not found.
			f := l.(connectors.Fetcher)
			if rec, err := f.Fetch(context.Background(), connectors.ResourceOrder, id(shipped)); err != nil || rec.ExternalID != id(shipped) {
				t.Fatalf("fetch = %+v, %v", rec, err)
			}
			if _, err := f.Fetch(context.Background(), connectors.ResourceOrder, id(quote)); !errors.Is(err, connectors.ErrNotFound) {
				t.Fatalf("fetch quotation: %v", err)
			}
		})
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func invoiceOf(t *testing.T, emu *odootest.Emulator, order int64) int64 {
	t.Helper()
	ids := emu.OrderInvoices(order)
	if len(ids) == 0 {
		t.Fatalf("order %d has no invoice", order)
	}
	return ids[0]
}

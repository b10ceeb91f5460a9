package oxid_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/oxid"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/mappings"
)

// OXID's orders as the shop writes them — paid, a line cancelled after
// payment, cancelled whole before payment, cash on delivery to another
// country, and one whose payment never completed — become canonical orders
// through the default mapping: payment methods mapped from the oxpayments
// ids, the shipping country from OXDELCOUNTRYID or the billing country,
// OXID's cancellations as cancelled orders and refunded lines. A line
// cancelled later comes back in the next incremental listing (by
// OXTIMESTAMP) with the refund. The connector reads as the user with the
// documented grants only.
func TestOrdersReadAndMapped(t *testing.T) {
	shop := oxidtest.New(t)
	l := build(t, map[string]any{"dsn": oxidtest.RestrictedDSN(t, shop.DSN), "page_size": 2}).(connectors.Lister)
	r, _ := connectors.Lookup(oxid.Type)
	m, err := mappings.Compile("connectors/oxid/mapping.yaml", r.Mapping, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	user := shop.CreateCustomer(map[string]any{"OXUSERNAME": "Olga.Order@Example.com"})
	teapot, cup := oxidtest.OrderLine{ArtNum: "TP-1", Title: "Teekanne", Amount: 2, Price: 60}, oxidtest.OrderLine{ArtNum: "CUP-7", Title: "Tasse", Amount: 1, Price: 30}
	invoice, _ := shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentInvoice, DeliveryCost: 4.9, Lines: []oxidtest.OrderLine{teapot}})
	shop.MarkPaid(invoice)
	prepaid, prepaidLines := shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentPrepayment, Lines: []oxidtest.OrderLine{teapot, cup}})
	shop.MarkPaid(prepaid)
	dropped, _ := shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentDebitNote, Lines: []oxidtest.OrderLine{cup}})
	shop.CancelOrder(dropped)
	cod, _ := shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentCashOnDeliv, Currency: "CHF",
		DeliveryCountryID: oxidtest.CountryAT, Lines: []oxidtest.OrderLine{cup}})
	shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentPayPalModule, NotFinished: true, Lines: []oxidtest.OrderLine{cup}})

	recs, cursor := connectortest.ListAll(t, l, connectors.ResourceOrder, "")
	docs := map[string]mappings.Doc{}
	for _, rec := range recs {
		if rec.Resource != connectors.ResourceOrder || rec.Invalid != "" || rec.UpdatedAt.IsZero() {
			t.Fatalf("record %+v", rec)
		}
		doc, err := m.Inbound(connectors.ResourceOrder, rec.Data)
		if err != nil {
			t.Fatalf("order %s: %v", rec.ExternalID, err)
		}
		if doc, err = mappings.NormalizeOrder(doc); err != nil {
			t.Fatalf("order %s: %v", rec.ExternalID, err)
		}
		delete(doc, "placed_at") // now, in the shop's zone: checked apart
		delete(doc, "number")
		docs[rec.ExternalID] = doc
	}
	want := map[string]mappings.Doc{
		invoice: {"status": "open", "financial_status": "paid", "currency": "EUR", "total": "124.90", "refunded": "0.00", "line_items": int(1),
			"payment_method": "invoice", "shipping_country": "DE", "customer_ref": user, "customer_email": "olga.order@example.com"},
		prepaid: {"status": "open", "financial_status": "paid", "currency": "EUR", "total": "150.00", "refunded": "0.00", "line_items": int(2),
			"payment_method": "prepayment", "shipping_country": "DE", "customer_ref": user, "customer_email": "olga.order@example.com"},
		dropped: {"status": "cancelled", "financial_status": "voided", "currency": "EUR", "total": "30.00", "refunded": "0.00", "line_items": int(0),
			"payment_method": "direct_debit", "shipping_country": "DE", "customer_ref": user, "customer_email": "olga.order@example.com"},
		cod: {"status": "open", "financial_status": "pending", "currency": "CHF", "total": "30.00", "refunded": "0.00", "line_items": int(1),
			"payment_method": "cash_on_delivery", "shipping_country": "AT", "customer_ref": user, "customer_email": "olga.order@example.com"},
	}
	for id, doc := range docs {
		delete(doc, "lines")
		if diff := cmp.Diff(map[string]any(want[id]), map[string]any(doc)); diff != "" {
			t.Errorf("order %s (-want +got):\n%s", id, diff)
		}
	}
	if len(docs) != len(want) {
		t.Fatalf("listed %d orders, want %d (the unfinished one left out)", len(docs), len(want))
	}

	// The admin cancels the cup of the paid order: its sums shrink, the
	// next listing brings it with the cup refunded.
	nextSecond()
	shop.CancelLine(prepaid, prepaidLines[1])
	recs, _ = connectortest.ListAll(t, l, connectors.ResourceOrder, cursor)
	var got mappings.Doc
	for _, rec := range recs {
		if rec.ExternalID == prepaid {
			if got, err = m.Inbound(connectors.ResourceOrder, rec.Data); err == nil {
				got, err = mappings.NormalizeOrder(got)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if got == nil {
		t.Fatalf("the cancelled line's order was not listed again: %d records", len(recs))
	}
	if got["total"] != "150.00" || got["refunded"] != "30.00" || got["financial_status"] != "partially_refunded" {
		t.Errorf("after the line's cancellation: %v", got)
	}
	lines, _ := got["lines"].([]any)
	if len(lines) != 2 {
		t.Fatalf("lines %v", got["lines"])
	}
	var cupLine map[string]any
	for _, l := range lines {
		if l, _ := l.(map[string]any); l["sku"] == "CUP-7" {
			cupLine = l
		}
	}
	if cupLine["refunded"] != "30.00" || cupLine["refunded_quantity"] != 1 {
		t.Errorf("cancelled line %v", cupLine)
	}

	// Fetch re-reads one order; the unfinished one is not found.
	f := l.(connectors.Fetcher)
	if rec, err := f.Fetch(context.Background(), connectors.ResourceOrder, cod); err != nil || rec.ExternalID != cod {
		t.Fatalf("fetch = %+v, %v", rec, err)
	}
}

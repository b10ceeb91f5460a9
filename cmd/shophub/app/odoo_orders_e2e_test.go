package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/hub"
)

// Odoo's sales orders reach the hub's insights (needs
// SHOPHUB_TEST_MYSQL_DSN): confirmed orders, their invoices' payments, a
// cancellation and a credit note, polled over JSON-2, give the buyer's
// indicators that Odoo's records say, worked out by hand below; the
// credit note, which changes only the journal entries, then shows as a
// refund, on the line it credits; a return of goods without a credit
// note as a return on its line and in the return rate by count.
func TestOdooOrdersReachInsights(t *testing.T) {
	t.Parallel()
	const pollInterval = time.Second
	odooEmu := odootest.New(odootest.Options{})
	url := odooEmu.Start()
	t.Cleanup(odooEmu.Close)
	email := "otto.odoo@example.com"
	partner := odooEmu.CreateCustomer(map[string]any{"name": "Otto Odoo", "email": email, "country_code": "DE", "customer_rank": 1})
	austria := odooEmu.CreateCustomer(map[string]any{"name": "Otto Odoo", "type": "delivery", "country_code": "AT"})
	teapot, cup := odootest.OrderLine{SKU: "TP-1", Name: "Teekanne", Qty: 2, Price: 60}, odootest.OrderLine{SKU: "CUP-7", Name: "Tasse", Qty: 1, Price: 30}
	day := func(n int) time.Time { return time.Now().Add(-time.Duration(n) * 24 * time.Hour) }
	// 30 days ago: 30 days' term (an invoice), 2 teapots, paid.
	onTerms, onTermsLines := odooEmu.PlaceOrder(odootest.NewOrder{Partner: partner, PaymentTerm: "30 Days", Date: day(30), Lines: []odootest.OrderLine{teapot}})
	odooEmu.RegisterPayment(odooEmu.InvoiceOrder(onTerms), true)
	onTermsDelivery := odooEmu.Deliver(onTerms, odootest.Moved{Line: onTermsLines[0], Qty: 2})
	// 20 days ago: immediate payment (prepayment), 2 teapots and a cup
	// (150.00), paid, the bank statement not reconciled yet.
	prepaid, prepaidLines := odooEmu.PlaceOrder(odootest.NewOrder{Partner: partner, PaymentTerm: odootest.TermImmediate, Date: day(20), Lines: []odootest.OrderLine{teapot, cup}})
	prepaidInvoice := odooEmu.InvoiceOrder(prepaid)
	odooEmu.RegisterPayment(prepaidInvoice, false)
	// 10 days ago: cancelled.
	dropped, _ := odooEmu.PlaceOrder(odootest.NewOrder{Partner: partner, PaymentTerm: odootest.TermImmediate, Date: day(10), Lines: []odootest.OrderLine{cup}})
	odooEmu.CancelOrder(dropped)
	// 5 days ago: 15 days' term, to Austria, not invoiced yet.
	odooEmu.PlaceOrder(odootest.NewOrder{Partner: partner, ShipTo: austria, PaymentTerm: "15 Days", Date: day(5), Lines: []odootest.OrderLine{cup}})
	// A quotation: no order.
	quote, _ := odooEmu.PlaceOrder(odootest.NewOrder{Partner: partner, Lines: []odootest.OrderLine{teapot}})
	if err := odooEmu.SetOrderState(quote, "sent"); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{
			Name: "erp", Type: "odoo", PollInterval: config.Duration(pollInterval), Resources: []string{"customer", "order"},
			Settings: map[string]any{"url": url, "api_key": odootest.DefaultAPIKey, "database": odootest.DefaultDatabase,
				"partners": "individuals", "page_size": 50},
		})
	}})
	// Placed: on terms, prepaid, to Austria (the cancelled one is not, the
	// quotation no order): 3. Paid: 2, in EUR 120.00 + 150.00 = 270.00,
	// nothing refunded. Payment methods: invoice twice (the latest is
	// one), prepayment once: invoice preferred and last, 2 of 3. Days
	// between orders 10 and 15: median 12.5.
	e.waitInsights(t, email, "Odoo's orders never reached the insights", func(in hub.Indicators) bool {
		return in.Orders == 3 && in.PaidOrders == 2 && in.Currency == "EUR" && in.LTV == "270.00" && in.AOV == "135.00" &&
			in.ReturnRateValue == 0 && in.ReturnRateCount == 0 && in.PreferredPaymentMethod == "invoice" &&
			in.LastPaymentMethod == "invoice" && in.InvoiceShare == 0.6667 && in.MedianDaysBetweenOrders == 12.5
	})
	// A credit note for one of the prepaid order's two teapots (60.00),
	// on that line only: LTV 210.00, AOV 105.00, by value 60.00 / 270.00
	// = 0.2222, by count one of two paid orders.
	nextSecond()
	odooEmu.CreditNote(prepaidInvoice, odootest.CreditLine{Line: prepaidLines[0], Qty: 1})
	e.waitInsights(t, email, "the credit note never reached the insights", func(in hub.Indicators) bool {
		return in.LTV == "210.00" && in.AOV == "105.00" && in.ReturnRateValue == 0.2222 && in.ReturnRateCount == 0.5
	})
	// The hub's order holds the refund on the teapots' line (one of three
	// items back), the cup's line untouched.
	var ord hub.Order
	if err := e.app.Store.DB().Where("instance = ? AND external_id = ?", "erp", strconv.FormatInt(prepaid, 10)).Take(&ord).Error; err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Lines []map[string]any `json:"lines"`
	}
	if err := json.Unmarshal([]byte(ord.Data), &doc); err != nil {
		t.Fatal(err)
	}
	type line struct {
		SKU, Refunded    string
		Qty, RefundedQty float64
	}
	var got []line
	for _, l := range doc.Lines {
		q, _ := l["quantity"].(float64)
		rq, _ := l["refunded_quantity"].(float64)
		got = append(got, line{SKU: fmt.Sprint(l["sku"]), Refunded: fmt.Sprint(l["refunded"]), Qty: q, RefundedQty: rq})
	}
	want := []line{{SKU: "TP-1", Refunded: "60.00", Qty: 2, RefundedQty: 1}, {SKU: "CUP-7", Refunded: "0.00", Qty: 1}}
	if !slices.Equal(got, want) || ord.Items != 3 || ord.ReturnedItems != 1 || ord.RefundedUnits != 600000 {
		t.Errorf("hub order: lines %+v (want %+v), items %d returned %d refunded %d units", got, want, ord.Items, ord.ReturnedItems, ord.RefundedUnits)
	}

	// One of the two teapots of the order on terms comes back (the return
	// wizard, "Update quantities on SO/PO", validated), no credit note
	// yet: stock moves, the line's qty_delivered and (the order fully
	// delivered before) its delivery_status change. Both paid orders now
	// have something back: by count 2 of 2; no money went back, so LTV
	// and the rate by value stay.
	nextSecond()
	odooEmu.Return(onTermsDelivery, true, odootest.Moved{Line: onTermsLines[0], Qty: 1})
	e.waitInsights(t, email, "the return never reached the insights", func(in hub.Indicators) bool {
		return in.ReturnRateCount == 1 && in.ReturnRateValue == 0.2222 && in.LTV == "210.00" && in.AOV == "105.00"
	})
	var returned hub.Order
	if err := e.app.Store.DB().Where("instance = ? AND external_id = ?", "erp", strconv.FormatInt(onTerms, 10)).Take(&returned).Error; err != nil {
		t.Fatal(err)
	}
	var rdoc struct {
		Lines []map[string]any `json:"lines"`
	}
	if err := json.Unmarshal([]byte(returned.Data), &rdoc); err != nil {
		t.Fatal(err)
	}
	if len(rdoc.Lines) != 1 || rdoc.Lines[0]["returned_quantity"] != float64(1) || rdoc.Lines[0]["refunded_quantity"] != float64(0) ||
		returned.Items != 2 || returned.ReturnedItems != 1 || returned.RefundedUnits != 0 {
		t.Errorf("hub order after the return: lines %v, items %d returned %d refunded %d units", rdoc.Lines, returned.Items, returned.ReturnedItems, returned.RefundedUnits)
	}
}

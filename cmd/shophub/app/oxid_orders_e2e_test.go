package app_test

import (
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/hub"
)

// OXID's orders reach the hub's insights (needs SHOPHUB_TEST_MYSQL_DSN):
// the shop's checkout, payment marks and cancellations, polled from its
// database as the user with the documented grants, give the buyer's
// indicators that the shop's own rows say, worked out by hand below; a
// line the admin cancels after payment then shows as a refund.
func TestOXIDOrdersReachInsights(t *testing.T) {
	t.Parallel()
	const pollInterval = time.Second
	shop := oxidtest.New(t)
	email := "otto.order@example.com"
	user := shop.CreateCustomer(map[string]any{"OXUSERNAME": email, "OXFNAME": "Otto", "OXLNAME": "Order"})
	teapot, cup := oxidtest.OrderLine{ArtNum: "TP-1", Title: "Teekanne", Amount: 2, Price: 60}, oxidtest.OrderLine{ArtNum: "CUP-7", Title: "Tasse", Amount: 1, Price: 30}
	day := func(n int) time.Time { return time.Now().Add(-time.Duration(n) * 24 * time.Hour) }
	// 30 days ago: invoice, 2 teapots + 4.90 shipping, paid.
	invoice, _ := shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentInvoice, DeliveryCost: 4.9, OrderDate: day(30), Lines: []oxidtest.OrderLine{teapot}})
	shop.MarkPaid(invoice)
	// 20 days ago: prepayment, 2 teapots and a cup (150.00), paid.
	prepaid, prepaidLines := shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentPrepayment, OrderDate: day(20), Lines: []oxidtest.OrderLine{teapot, cup}})
	shop.MarkPaid(prepaid)
	// 10 days ago: direct debit, cancelled whole before payment.
	dropped, _ := shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentDebitNote, OrderDate: day(10), Lines: []oxidtest.OrderLine{cup}})
	shop.CancelOrder(dropped)
	// 5 days ago: cash on delivery to Austria, not paid yet.
	shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentCashOnDeliv, DeliveryCountryID: oxidtest.CountryAT, OrderDate: day(5), Lines: []oxidtest.OrderLine{cup}})
	// An abandoned PayPal payment: no order.
	shop.PlaceOrder(oxidtest.NewOrder{UserID: user, Payment: oxidtest.PaymentPayPalModule, NotFinished: true, Lines: []oxidtest.OrderLine{teapot}})

	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{
			Name: "oxid", Type: "oxid", PollInterval: config.Duration(pollInterval),
			Settings: map[string]any{"dsn": oxidtest.RestrictedDSN(t, shop.DSN), "page_size": 50},
		})
	}})
	// Placed: invoice, prepayment, cash on delivery (the cancelled one is
	// not, the abandoned one no order): 3. Paid: 2, in EUR 124.90 + 150.00
	// = 274.90, nothing refunded. Payment methods one each: the latest,
	// cash on delivery, is both preferred and last; invoice 1 of 3.
	e.waitInsights(t, email, "OXID's orders never reached the insights", func(in hub.Indicators) bool {
		return in.Orders == 3 && in.PaidOrders == 2 && in.Currency == "EUR" && in.LTV == "274.90" && in.AOV == "137.45" &&
			in.ReturnRateValue == 0 && in.ReturnRateCount == 0 && in.PreferredPaymentMethod == "cash_on_delivery" &&
			in.LastPaymentMethod == "cash_on_delivery" && in.InvoiceShare == 0.3333 && in.MedianDaysBetweenOrders == 12.5
	})
	// The admin cancels the cup of the paid prepayment order: 30.00 back.
	// LTV 244.90, AOV 122.45, by value 30.00 / 274.90 = 0.1091, by count
	// one of two paid orders.
	nextSecond()
	shop.CancelLine(prepaid, prepaidLines[1])
	e.waitInsights(t, email, "the cancelled line never reached the insights", func(in hub.Indicators) bool {
		return in.LTV == "244.90" && in.AOV == "122.45" && in.ReturnRateValue == 0.1091 && in.ReturnRateCount == 0.5
	})
}

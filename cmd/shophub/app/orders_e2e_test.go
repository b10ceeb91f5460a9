package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/hub"
)

// orderDay is the UTC date a Shopify order was placed, as the emulator
// renders it (no wall clock in the assertion).
func orderDay(t *testing.T, e *hsEnv, id string) string {
	t.Helper()
	o, ok := e.shopify.Order(id)
	if !ok {
		t.Fatalf("no order %s in the emulator", id)
	}
	at, err := time.Parse(time.RFC3339, o["processed_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return at.UTC().Format("2006-01-02")
}

// Orders placed in Shopify reach Help Scout as customer properties of the
// buyer: order count, total spent (net of refunds, without cancelled
// orders) and last order date; the 360° view lists them; nothing echoes.
func TestShopifyOrdersReachHelpScout(t *testing.T) {
	t.Parallel()
	e := newHSEnv(t, hsOptions{})
	email := "buyer@example.com"
	custID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Bea", "last_name": "Kauf"})
	var hsID string
	var cust *hub.Customer
	eventually(t, 20*time.Second, "Shopify customer never reached Help Scout", func() bool {
		if cust, _ = e.hubCustomer(t, email); cust == nil {
			return false
		}
		hsID = e.linkOf(t, cust.ID, "helpdesk")
		return hsID != "" && e.hs.Properties(hsID)["customer-since"] != nil
	})
	if p := e.hs.Properties(hsID); p["order-count"] != "0" || p["total-spent"] != nil || p["last-order"] != nil {
		t.Errorf("properties before any order: %v", p)
	}
	props := map[string]any{}
	want := func(what string, count, spent, last string) {
		t.Helper()
		eventually(t, 15*time.Second, what, func() bool {
			props = e.hs.Properties(hsID)
			return props["order-count"] == count && props["total-spent"] == spent && props["last-order"] == last
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Help Scout properties %v", props)
		}
	})

	// The first order (a webhook): count 1, its total, its day.
	o1, err := e.shopify.CreateOrder(custID, "", "EUR", true, shopifytest.OrderLine{Title: "Mug", Quantity: 2, Price: "12.50"})
	if err != nil {
		t.Fatal(err)
	}
	want("the first order never reached Help Scout", "1", "25.00 EUR", orderDay(t, e, o1))

	// A second order adds up; a partial refund of the first comes off.
	o2, err := e.shopify.CreateOrder(custID, "", "EUR", true, shopifytest.OrderLine{Title: "Teapot", Quantity: 1, Price: "40.00"})
	if err != nil {
		t.Fatal(err)
	}
	want("the second order never reached Help Scout", "2", "65.00 EUR", orderDay(t, e, o2))
	if err := e.shopify.RefundOrder(o1, "5.00"); err != nil {
		t.Fatal(err)
	}
	want("the refund never reached Help Scout", "2", "60.00 EUR", orderDay(t, e, o2))

	// Cancelling the second order (refunded in full) takes it out.
	if err := e.shopify.CancelOrder(o2, true); err != nil {
		t.Fatal(err)
	}
	want("the cancellation never reached Help Scout", "1", "20.00 EUR", orderDay(t, e, o1))

	// No echo loop: once idle, versions and vendor traffic stay put.
	e.quiet(t)
	before, _ := e.hubCustomer(t, email)
	hsReq, sfReq, swReq := e.hs.Stats().Requests, e.shopify.Requests(), e.shopware.Requests()
	time.Sleep(2 * time.Second)
	e.quiet(t)
	after, _ := e.hubCustomer(t, email)
	if after.Version != before.Version {
		t.Errorf("version moved %d → %d while idle: an echo loop", before.Version, after.Version)
	}
	if e.hs.Stats().Requests != hsReq || e.shopify.Requests() != sfReq || e.shopware.Requests() != swReq {
		t.Errorf("vendor calls continued while idle: helpscout %d→%d shopify %d→%d shopware %d→%d",
			hsReq, e.hs.Stats().Requests, sfReq, e.shopify.Requests(), swReq, e.shopware.Requests())
	}
	var ords []hub.Order
	if err := e.app.Store.DB().Order("id").Find(&ords).Error; err != nil {
		t.Fatal(err)
	}
	if len(ords) != 2 || ords[0].Version > 3 || ords[1].Version > 3 {
		t.Errorf("orders in the hub: %+v (want 2, a handful of versions each)", ords)
	}

	// GET /api/customers/:id shows the figures and the orders.
	view := e.apiCustomer(t, cust.ID)
	if f := view.OrderFigures; f.Orders != 1 || f.Main == nil || f.Main.TotalSpent != "20.00" || f.Main.AverageOrderValue != "20.00" || f.Main.Currency != "EUR" {
		t.Errorf("API figures: %+v (main %+v)", f, f.Main)
	}
	if len(view.Orders) != 2 || view.Orders[0].ExternalID != o2 || view.Orders[0].Order["status"] != "cancelled" || view.Orders[1].Order["refunded"] != "5.00" {
		t.Errorf("API orders: %+v", view.Orders)
	}
}

// A customer and their first order created at once: the order webhook may
// be merged before the customer exists. The order waits unlinked and is
// adopted when the customer arrives; Help Scout gets the count either way.
func TestShopifyOrderBeforeItsCustomer(t *testing.T) {
	t.Parallel()
	e := newHSEnv(t, hsOptions{})
	for i := range 5 {
		email := fmt.Sprintf("early-%d@example.com", i)
		id := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Eli"})
		if _, err := e.shopify.CreateOrder(id, "", "EUR", true, shopifytest.OrderLine{Title: "Card", Quantity: 1, Price: "3.00"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		email := fmt.Sprintf("early-%d@example.com", i)
		eventually(t, 20*time.Second, email+"'s order never reached Help Scout", func() bool {
			c, _ := e.hubCustomer(t, email)
			if c == nil {
				return false
			}
			hsID := e.linkOf(t, c.ID, "helpdesk")
			return hsID != "" && e.hs.Properties(hsID)["order-count"] == "1" && e.hs.Properties(hsID)["total-spent"] == "3.00 EUR"
		})
	}
	var unlinked int64
	if err := e.app.Store.DB().Model(&hub.Order{}).Where("customer_id IS NULL").Count(&unlinked).Error; err != nil || unlinked != 0 {
		t.Errorf("%d orders left unlinked (%v)", unlinked, err)
	}
}

// One person buys in both shops: Help Scout shows the orders of both
// (the hub knows what neither shop does). A Shopware invoice order counts
// at once and its money when the payment state moves to paid, which
// Shopware announces only by a business event.
func TestOrdersFromBothShops(t *testing.T) {
	t.Parallel()
	e := newHSEnv(t, hsOptions{})
	email := "both-shops@example.com"
	// Shopware needs a billing address to create the customer.
	sfID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Bo", "last_name": "Th",
		"addresses": []any{map[string]any{"address1": "Markt 2", "city": "Köln", "zip": "50667", "country_code": "DE", "default": true}}})
	var hsID, swID string
	eventually(t, 20*time.Second, "customer never reached Shopware and Help Scout", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		hsID, swID = e.linkOf(t, c.ID, "helpdesk"), e.linkOf(t, c.ID, "shopware")
		return hsID != "" && swID != ""
	})
	if _, err := e.shopify.CreateOrder(sfID, "", "EUR", true, shopifytest.OrderLine{Title: "Mug", Quantity: 1, Price: "10.00"}); err != nil {
		t.Fatal(err)
	}
	swOrder, err := e.shopware.PlaceOrder(swID, "EUR", false, shopwaretest.OrderLine{Label: "Teapot", Quantity: 1, Price: "30.00"})
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]any{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Help Scout properties %v", props)
		}
	})
	eventually(t, 15*time.Second, "orders of both shops never reached Help Scout", func() bool {
		props = e.hs.Properties(hsID)
		return props["order-count"] == "2" && props["total-spent"] == "10.00 EUR"
	})
	if err := e.shopware.SetPaymentState(swOrder, "paid"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the Shopware payment never reached Help Scout", func() bool {
		props = e.hs.Properties(hsID)
		return props["order-count"] == "2" && props["total-spent"] == "40.00 EUR"
	})
	if err := e.shopware.SetOrderState(swOrder, "cancelled"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the Shopware cancellation never reached Help Scout", func() bool {
		props = e.hs.Properties(hsID)
		return props["order-count"] == "1" && props["total-spent"] == "10.00 EUR"
	})
}

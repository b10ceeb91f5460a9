package app_test

import (
	"testing"

	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/hub"
)

// A return completed in Shopware's Return Management (the Commercial
// extension) reaches the buyer's return rate by count and by value; a
// return only requested, or cancelled, does not. The return's state change
// writes no order row: its state_enter.order_return.state.* webhook is
// what brings the order back.
func TestShopwareReturnReachesInsights(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{shopwareOpts: func(o *shopwaretest.Options) { o.ReturnManagement = true }})
	email := "rosa.return@example.com"
	cust := e.shopware.CreateCustomer(map[string]any{"email": email, "firstName": "Rosa", "lastName": "Retour"})
	// Two paid orders: 2 teapots and a cup (150.00), a mug (20.00).
	big, err := e.shopware.PlaceOrder(cust, "EUR", true,
		shopwaretest.OrderLine{Label: "Teapot", Quantity: 2, Price: "60.00"}, shopwaretest.OrderLine{Label: "Cup", Quantity: 1, Price: "30.00"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := e.shopware.PlaceOrder(cust, "EUR", true, shopwaretest.OrderLine{Label: "Mug", Quantity: 1, Price: "20.00"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitInsights(t, email, "the orders never reached the insights", func(in hub.Indicators) bool {
		return in.PaidOrders == 2 && in.LTV == "170.00" && in.ReturnRateValue == 0 && in.ReturnRateCount == 0
	})
	// The cup's return stays requested, the mug's is cancelled, one
	// teapot's is done (60.00 refunded).
	if _, err := e.shopware.RequestReturn(big, map[string]int64{"Cup": 1}); err != nil {
		t.Fatal(err)
	}
	mug, err := e.shopware.RequestReturn(small, map[string]int64{"Mug": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.shopware.SetReturnState(mug, "cancelled"); err != nil {
		t.Fatal(err)
	}
	teapot, err := e.shopware.RequestReturn(big, map[string]int64{"Teapot": 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"in_progress", "done"} { // process, complete
		if err := e.shopware.SetReturnState(teapot, to); err != nil {
			t.Fatal(err)
		}
	}
	// By value 60.00 / 170.00 = 0.3529 (the requested cup would make it
	// 90.00), by count one of two paid orders (the cancelled mug would
	// make it both); LTV 110.00, AOV 55.00.
	e.waitInsights(t, email, "the done return never reached the insights", func(in hub.Indicators) bool {
		return in.LTV == "110.00" && in.AOV == "55.00" && in.ReturnRateValue == 0.3529 && in.ReturnRateCount == 0.5
	})
}

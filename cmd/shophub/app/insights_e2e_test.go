package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/hub"
)

// A partial refund at Shopware (a refund of two of three lines through
// the transaction's capture, state refunded_partially) changes the buyer's
// total spent, return rate and profitability class at Help Scout
// (properties) and Odoo (the insight fields) within a minute; nobody
// else is pushed: not the bystander customer, and not the buyer's Shopify
// and Shopware records, whose mappings hold no insights. The 360° view
// shows the indicators with the order they came from.
func TestShopwarePartialRefundReachesInsights(t *testing.T) {
	odoo := odootest.New(odootest.Options{})
	odooURL := odoo.Start()
	t.Cleanup(odoo.Close)
	e := newHSEnv(t, hsOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{Name: "erp", Type: "odoo",
			Settings: map[string]any{"url": odooURL, "api_key": odootest.DefaultAPIKey, "database": odootest.DefaultDatabase,
				"partners": "individuals", "insight_fields": true}})
	}})
	addr := []any{map[string]any{"address1": "Markt 2", "city": "Köln", "zip": "50667", "country_code": "DE", "default": true}}
	buyer, bystander := "refund-buyer@example.com", "bystander@example.com"
	e.shopify.CreateCustomer(map[string]any{"email": buyer, "first_name": "Rita", "last_name": "Fund", "addresses": addr})
	e.shopify.CreateCustomer(map[string]any{"email": bystander, "first_name": "Ben", "last_name": "Steher", "addresses": addr})
	ids := map[string]map[string]string{}
	custs := map[string]*hub.Customer{}
	eventually(t, 30*time.Second, "customers never reached Shopware, Help Scout and Odoo", func() bool {
		for _, email := range []string{buyer, bystander} {
			c, _ := e.hubCustomer(t, email)
			if c == nil {
				return false
			}
			custs[email] = c
			ids[email] = map[string]string{}
			for _, in := range []string{"shopify", "shopware", "helpdesk", "erp"} {
				if ids[email][in] = e.linkOf(t, c.ID, in); ids[email][in] == "" {
					return false
				}
			}
		}
		return true
	})
	// The bystander has bought once already.
	if _, err := e.shopware.PlaceOrder(ids[bystander]["shopware"], "EUR", true, shopwaretest.OrderLine{Label: "Mug", Quantity: 1, Price: "20.00"}); err != nil {
		t.Fatal(err)
	}
	order, err := e.shopware.PlaceOrder(ids[buyer]["shopware"], "EUR", true,
		shopwaretest.OrderLine{Label: "Teapot", Quantity: 2, Price: "60.00"}, shopwaretest.OrderLine{Label: "Cup", Quantity: 1, Price: "30.00"})
	if err != nil {
		t.Fatal(err)
	}
	hsID, odooID := ids[buyer]["helpdesk"], ids[buyer]["erp"]
	var props, partner map[string]any
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Help Scout properties %v; Odoo partner %v", props, partner)
		}
	})
	at := func(what, spent, rate, class string) {
		t.Helper()
		eventually(t, time.Minute, what, func() bool {
			props = e.hs.Properties(hsID)
			partner, _ = odoo.Customer(odooID)
			return props["total-spent"] == spent+" EUR" && props["return-rate"] == rate && props["profitability"] == class &&
				partner["x_shophub_total_spent"] == spent+" EUR" && partner["x_shophub_return_rate"] == rate && partner["x_shophub_profitability"] == class
		})
	}
	at("the order's insights never reached Help Scout and Odoo", "150.00", "0.0%", "high")
	e.quiet(t)

	// What every link of both customers last received, before the refund.
	pushed := func() map[string]string {
		out := map[string]string{}
		for _, email := range []string{buyer, bystander} {
			for _, in := range []string{"shopify", "shopware", "helpdesk", "erp"} {
				l, err := e.app.Store.Link(context.Background(), custs[email].ID, in, "customer")
				if err != nil {
					t.Fatal(err)
				}
				out[email+" "+in] = fmt.Sprint(l.LastPushedHash, l.LastPushedAt)
			}
		}
		return out
	}
	before := pushed()
	start := time.Now()
	if err := e.shopware.RefundOrder(order, map[string]int64{"Teapot": 2}); err != nil {
		t.Fatal(err)
	}
	at("the partial refund never reached Help Scout and Odoo", "30.00", "80.0%", "low")
	t.Logf("partial refund at Shopware → Help Scout and Odoo in %v", time.Since(start).Round(time.Millisecond))
	e.quiet(t)
	after := pushed()
	for k, v := range before {
		changed := after[k] != v
		want := k == buyer+" helpdesk" || k == buyer+" erp"
		if changed != want {
			t.Errorf("%s: pushed %v, want %v", k, changed, want)
		}
	}

	// The 360° view: the indicators with the order they came from.
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/customers/%d", e.app.URL(), custs[buyer].ID), nil)
	req.Header.Set("Authorization", "Bearer "+hsAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var view struct {
		Insights *hub.InsightsView `json:"insights"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil || resp.StatusCode != http.StatusOK || view.Insights == nil {
		t.Fatalf("GET customer: %d %v %+v", resp.StatusCode, err, view)
	}
	in := view.Insights
	if in.LTV != "30.00" || in.ReturnRateValue != 0.8 || in.Profitability != "low" || in.PreferredPaymentMethod != "prepayment" ||
		in.ProfitabilityInputs["return_rate_value"] != 0.8 {
		t.Errorf("view insights %+v", in.Indicators)
	}
	for _, k := range []string{"ltv", "return_rate_value", "return_rate_count", "last_payment_method"} {
		if src := in.Sources[k]; len(src) != 1 || src[0].Instance != "shopware" || src[0].ExternalID != order {
			t.Errorf("sources of %s: %+v, want the Shopware order %s", k, src, order)
		}
	}
	lines := 0
	for _, c := range in.Changes {
		if c.Field == hub.InsightProfitability && c.OldValue == "high" && c.NewValue == "low" {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("insight changes %+v, want one high → low", in.Changes)
	}
}

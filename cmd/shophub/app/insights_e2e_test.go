package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/hub"
)

// A partial refund at Shopware (a refund of two of three lines through
// the transaction's capture, state refunded_partially) changes the buyer's
// total spent, return rate and profitability class at Shopify (customer
// metafields and shophub:* tags), Shopware (custom fields and tags), Help
// Scout (properties) and Odoo (the insight fields) within a minute; nobody
// else is pushed: the bystander customer, whose insights did not change,
// gets nothing. The insight tags never come back as tag edits, and the
// merchant's own tag stays. The 360° view shows the indicators with the
// order they came from.
func TestShopwarePartialRefundReachesInsights(t *testing.T) {
	t.Parallel()
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
	e.shopify.CreateCustomer(map[string]any{"email": buyer, "first_name": "Rita", "last_name": "Fund", "addresses": addr, "tags": "newsletter"})
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
	shopifyID, shopwareID := ids[buyer]["shopify"], ids[buyer]["shopware"]
	var props, partner, sw map[string]any
	var meta map[string]string
	var shopifyTags string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Help Scout properties %v; Odoo partner %v; Shopify metafields %v, tags %q; Shopware %v", props, partner, meta, shopifyTags, sw)
		}
	})
	shopwareTags := func() []string {
		var out []string
		for _, tag := range sw["tags"].([]any) {
			out = append(out, tag.(map[string]any)["name"].(string))
		}
		slices.Sort(out)
		return out
	}
	at := func(what, spent, rate, class string) {
		t.Helper()
		eventually(t, time.Minute, what, func() bool {
			props = e.hs.Properties(hsID)
			partner, _ = odoo.Customer(odooID)
			meta = e.shopify.Metafields(shopifyID, "shophub")
			c, _ := e.shopify.Customer(shopifyID)
			shopifyTags, _ = c["tags"].(string)
			sw, _ = e.shopware.Customer(shopwareID)
			cf, _ := sw["customFields"].(map[string]any)
			return props["total-spent"] == spent+" EUR" && props["return-rate"] == rate && props["profitability"] == class &&
				partner["x_shophub_total_spent"] == spent+" EUR" && partner["x_shophub_return_rate"] == rate && partner["x_shophub_profitability"] == class &&
				meta["total_spent"] == spent+" EUR" && meta["return_rate"] == rate && meta["profitability"] == class &&
				strings.Contains(shopifyTags, "shophub:profitability:"+class) &&
				cf["shophub_total_spent"] == spent+" EUR" && cf["shophub_return_rate"] == rate && cf["shophub_profitability"] == class &&
				slices.Contains(shopwareTags(), "shophub:profitability:"+class)
		})
	}
	at("the order's insights never reached Shopify, Shopware, Help Scout and Odoo", "150.00", "0.0%", "high")
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
	at("the partial refund never reached Shopify, Shopware, Help Scout and Odoo", "30.00", "80.0%", "low")
	t.Logf("partial refund at Shopware → Shopify, Shopware, Help Scout and Odoo in %v", time.Since(start).Round(time.Millisecond))
	e.quiet(t)
	after := pushed()
	for k, v := range before {
		changed := after[k] != v
		want := strings.HasPrefix(k, buyer+" ")
		if changed != want {
			t.Errorf("%s: pushed %v, want %v", k, changed, want)
		}
	}
	// The insight tags are the hub's: the stale class tag is gone, the
	// merchant's tag stays, and none of them became a tag of the customer.
	// Read again now that everything is quiet: the last poll above may
	// have caught Shopware between the write that adds the new class tag
	// and the one that removes the old (two requests, push.go).
	c, _ := e.shopify.Customer(shopifyID)
	shopifyTags, _ = c["tags"].(string)
	sw, _ = e.shopware.Customer(shopwareID)
	if strings.Contains(shopifyTags, "shophub:profitability:high") || !strings.Contains(shopifyTags, "newsletter") {
		t.Errorf("Shopify tags %q", shopifyTags)
	}
	if got := shopwareTags(); slices.Contains(got, "shophub:profitability:high") || !slices.Contains(got, "newsletter") {
		t.Errorf("Shopware tags %v", got)
	}
	if c, doc := e.hubCustomer(t, buyer); c == nil || fmt.Sprint(doc["tags"]) != "[newsletter]" {
		t.Errorf("hub tags %v, want [newsletter]", doc["tags"])
	}

	// A ticket changes what Help Scout renders (open tickets) and nothing
	// the shops and the ERP render: its knowledge refresh reaches Help
	// Scout and costs Shopify, Shopware and Odoo no request.
	sfReq, swReq, odooReq := e.shopify.Requests(), e.shopware.Requests(), odoo.Requests()
	e.hs.CreateConversation(buyer, "Where is the rest of my refund?", "email")
	eventually(t, time.Minute, "the ticket never reached Help Scout's properties", func() bool {
		return e.hs.Properties(hsID)["open-tickets"] == "1"
	})
	e.quiet(t)
	if e.shopify.Requests() != sfReq || e.shopware.Requests() != swReq || odoo.Requests() != odooReq {
		t.Errorf("a ticket's refresh called the shops or the ERP: shopify %d→%d shopware %d→%d odoo %d→%d",
			sfReq, e.shopify.Requests(), swReq, e.shopware.Requests(), odooReq, odoo.Requests())
	}

	// The 360° view: the indicators with the order they came from.
	view := e.apiCustomer(t, custs[buyer].ID)
	if view.Insights == nil {
		t.Fatalf("GET customer: no insights: %+v", view)
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

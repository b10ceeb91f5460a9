package app_test

import (
	"context"
	"fmt"
	gosync "sync"
	"testing"
	"time"
)

// Two edits of one first name 50–300 ms apart, both at Shopify or both at
// Shopware, while the first edit's push and its echo (Shopify's webhook
// with the record, Shopware's id-only one, fetched under the record lock)
// are on their way; with fast or slow vendor APIs and webhooks that come
// late and twice: at quiescence every system holds the second edit. A
// late echo of the push of the first edit must not take the hub back to
// it (TestLateShopifyEchoOfAnOvertakenPushRevertsNothing is the
// deterministic case).
//
// Edits at two systems are left out: an edit at Shopware made while our
// write of the other edit is on its way there is overwritten by that
// write (Shopware has no conditional write, and its webhook names the
// record only), a loss no merge rule can see.
func TestLateEchoOfQuickEditsKeepsTheLast(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name         string
		latency      time.Duration // the vendors' APIs answer after up to this
		webhookDelay time.Duration // deliveries arrive after up to this, some twice
	}{
		{"fast", 0, 0},
		{"slow vendors", 150 * time.Millisecond, 0},
		{"late webhooks", 0, 400 * time.Millisecond},
		{"slow vendors and late webhooks", 150 * time.Millisecond, 400 * time.Millisecond},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			quickEdits(t, v.latency, v.webhookDelay)
		})
	}
}

func quickEdits(t *testing.T, latency, webhookDelay time.Duration) {
	o := envOptions{}
	if latency > 0 {
		o.shopifyVia = func(url string) string {
			v := newSlowVendor(1, url, latency)
			t.Cleanup(v.close)
			return v.URL()
		}
		o.shopwareVia = func(url string) string {
			v := newSlowVendor(2, url, latency)
			t.Cleanup(v.close)
			return v.URL()
		}
	}
	e := newEnv(t, o)
	var proxy *chaosProxy
	if webhookDelay > 0 {
		proxy = newChaosProxy(3, webhookDelay, 0.3)
		t.Cleanup(proxy.close)
		e.shopify.SetWebhookURL(proxy.via("shopify", e.app.URL()+"/webhooks/shopify"))
		e.shopware.SetWebhookURL(proxy.via("shopware", e.app.URL()+"/webhooks/shopware"))
	}
	type plan struct{ first, second string }
	// Each plan twice: more customers editing at once.
	plans := []plan{{"shopify", "shopify"}, {"shopware", "shopware"}, {"shopify", "shopify"}, {"shopware", "shopware"}}
	gaps := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	type cust struct {
		email, shopify, shopware string
		p                        plan
		gap                      time.Duration
	}
	var cs []*cust
	for i, p := range plans {
		for j, g := range gaps {
			email := fmt.Sprintf("quick-%d-%d@example.com", i, j)
			id := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Anfang", "last_name": "Quick",
				"addresses": []any{map[string]any{"address1": "Am Markt 1", "city": "Jena", "zip": "07743", "country_code": "DE", "default": true}}})
			cs = append(cs, &cust{email: email, shopify: id, p: p, gap: g})
		}
	}
	eventually(t, 30*time.Second, "customers never all reached Shopware", func() bool {
		for _, c := range cs {
			if c.shopware != "" {
				continue
			}
			hc, _ := e.hubCustomer(t, c.email)
			if hc == nil {
				return false
			}
			if c.shopware = e.linkOf(t, hc.ID, "shopware"); c.shopware == "" {
				return false
			}
		}
		return true
	})
	e.quiet(t)

	edit := func(system string, c *cust, v string) {
		switch system {
		case "shopify":
			if err := e.shopify.UpdateCustomer(c.shopify, map[string]any{"first_name": v}); err != nil {
				t.Error(err)
			}
		case "shopware":
			if !e.shopware.UpdateCustomer(c.shopware, map[string]any{"firstName": v}) {
				t.Errorf("no Shopware customer %s", c.shopware)
			}
		}
	}
	for round := 0; round < 3; round++ {
		var wg gosync.WaitGroup
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Spread the customers over a second, so that their edits
				// meet the others' pushes at different moments.
				time.Sleep(time.Duration(i*37%1000) * time.Millisecond)
				edit(c.p.first, c, fmt.Sprintf("Eins%d", round))
				time.Sleep(c.gap)
				edit(c.p.second, c, fmt.Sprintf("Zwei%d", round))
			}()
		}
		wg.Wait()
		if err := e.shopify.WaitDeliveries(context.Background()); err != nil {
			t.Fatal(err)
		}
		for proxy != nil && !proxy.idle() {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second)
		e.quiet(t)
		time.Sleep(time.Second)
		e.quiet(t)

		want := fmt.Sprintf("Zwei%d", round)
		for _, c := range cs {
			hc, data := e.hubCustomer(t, c.email)
			sf, _ := e.shopify.Customer(c.shopify)
			sw, _ := e.shopware.Customer(c.shopware)
			if data["first_name"] != want || sf["first_name"] != want || sw["firstName"] != want {
				t.Errorf("round %d, %s then %s %s apart: hub %v, Shopify %v, Shopware %v; want %s everywhere",
					round, c.p.first, c.p.second, c.gap, data["first_name"], sf["first_name"], sw["firstName"], want)
				if v, err := e.app.Store.View(context.Background(), hc.ID, 12); err == nil {
					for _, ch := range v.Changes {
						t.Logf("  change v%d %s by %s at %s: %s → %s %s", ch.Version, ch.Field, ch.Instance, ch.SourceAt, ch.Old, ch.New, ch.Rejected)
					}
				}
			}
		}
		if t.Failed() {
			return
		}
	}
}

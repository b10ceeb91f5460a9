package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
)

// TestStartDemo runs what `shophub dev` runs: seeded Shopify customers
// arrive in Shopware within seconds.
func TestStartDemo(t *testing.T) {
	t.Parallel()
	d, err := app.StartDemo(context.Background(), app.DemoOptions{Dir: t.TempDir(), Seed: 3, Log: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	eventually(t, 20*time.Second, "demo customers never reached Shopware", func() bool { return d.Shopware.Count() == 5 })
	if len(d.SeededIDs) != 3 || len(d.AbroadIDs) != 2 {
		t.Errorf("seeded ids %v, abroad %v", d.SeededIDs, d.AbroadIDs)
	}

	// The Canadian and the Austrian arrive with phones of their own country
	// and their regions as Shopware country states.
	ctx := context.Background()
	for _, tc := range []struct{ email, phone, state, country string }{
		{"chloe.tremblay@example.ca", "+14165550199", "CA-ON", "CA"},
		{"lukas.gruber@example.at", "+436641234567", "AT-9", "AT"},
	} {
		var addr map[string]any
		eventually(t, 20*time.Second, tc.email+" never reached Shopware", func() bool {
			c, err := d.Store.CustomerByEmail(ctx, tc.email)
			if err != nil || c == nil {
				return false
			}
			l, err := d.Store.Link(ctx, c.ID, "shopware", "customer")
			if err != nil || l == nil {
				return false
			}
			sw, ok := d.Shopware.Customer(l.ExternalID)
			addr, _ = sw["defaultBillingAddress"].(map[string]any)
			return ok && addr != nil
		})
		st, _ := addr["countryState"].(map[string]any)
		co, _ := addr["country"].(map[string]any)
		if addr["phoneNumber"] != tc.phone || st["shortCode"] != tc.state || co["iso"] != tc.country {
			t.Errorf("%s in Shopware: phone %v, state %v, country %v; want %s, %s, %s",
				tc.email, addr["phoneNumber"], st["shortCode"], co["iso"], tc.phone, tc.state, tc.country)
		}
	}
}

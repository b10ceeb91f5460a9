package app_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
)

// slowProxy sits in front of an emulator, delays every request and
// records the most requests it ever had in flight at once.
type slowProxy struct {
	delay          time.Duration
	inFlight, peak atomic.Int64
	served         atomic.Int64
}

func (p *slowProxy) wrap(t *testing.T, target string) string {
	return proxyTo(t, target, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		n := p.inFlight.Add(1)
		defer p.inFlight.Add(-1)
		for {
			old := p.peak.Load()
			if n <= old || p.peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(p.delay)
		next.ServeHTTP(w, r)
		p.served.Add(1)
	})
}

// A slow target cannot take every worker slot: with worker.concurrency 8
// a target gets two push slots, so Shopify behind a slow link never sees
// more than two pushes at once, and pushes to Shopware flow beside it.
func TestSlowTargetHoldsOnlyItsSlots(t *testing.T) {
	t.Parallel()
	proxy := &slowProxy{delay: 150 * time.Millisecond}
	e := newEnv(t, envOptions{
		shopifyVia: func(u string) string { return proxy.wrap(t, u) },
		tune: func(c *config.Config) {
			c.Worker.Concurrency = 8
			for i := range c.Connectors {
				c.Connectors[i].PollInterval = 0 // only the pushes under test reach the slow link
			}
		},
	})
	slots := e.cfg.Connectors[0].PushSlots(e.cfg.Worker)
	if slots != 2 {
		t.Fatalf("shopify has %d push slots, want 2", slots)
	}

	const n = 16
	var toShopify, toShopware []string
	for i := range n {
		toShopify = append(toShopify, fmt.Sprintf("slow.%d@example.com", i))
		e.shopware.CreateCustomer(map[string]any{
			"email": toShopify[i], "firstName": "Slow", "lastName": fmt.Sprint("Lane", i),
			"defaultBillingAddress": map[string]any{"firstName": "Slow", "lastName": fmt.Sprint("Lane", i),
				"street": "Hauptstraße 1", "zipcode": "10115", "city": "Berlin", "countryIso": "DE"},
		})
		c := app.DemoCustomer(1000 + i)
		toShopware = append(toShopware, c["email"].(string))
		e.shopify.CreateCustomer(c)
	}
	linked := func(emails []string, instance string) int {
		done := 0
		for _, em := range emails {
			if c, _ := e.hubCustomer(t, em); c != nil && e.linkOf(t, c.ID, instance) != "" {
				done++
			}
		}
		return done
	}
	var slowDoneWhenFastFinished int
	start := time.Now()
	eventually(t, 60*time.Second, "pushes to Shopware did not all land", func() bool {
		if linked(toShopware, "shopware") < n {
			return false
		}
		slowDoneWhenFastFinished = linked(toShopify, "shopify")
		return true
	})
	fast := time.Since(start)
	eventually(t, 120*time.Second, "pushes to the slow Shopify did not all land", func() bool {
		return linked(toShopify, "shopify") == n
	})
	t.Logf("%d pushes to Shopware done in %s while %d of %d to the slow Shopify were; all slow ones after %s; peak %d requests in flight at Shopify",
		n, fast.Round(time.Millisecond), slowDoneWhenFastFinished, n, time.Since(start).Round(time.Millisecond), proxy.peak.Load())
	if p := proxy.peak.Load(); p > int64(slots) {
		t.Errorf("%d requests in flight at the slow target at once; its push slots are %d", p, slots)
	}
}

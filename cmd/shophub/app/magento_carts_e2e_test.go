package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/hub"
)

// A Magento quote without an order becomes cart_abandoned once the delay
// has passed on the engine's clock and reaches Klaviyo; a quote whose
// order was placed within the delay (Magento deactivates it) makes no
// event. Carts, customers and orders come by polling, as from any Magento
// Open Source store.
func TestMagentoCartAbandonedReachesKlaviyo(t *testing.T) {
	t.Parallel()
	mage := magentotest.New(magentotest.Options{})
	mageURL := mage.Start()
	t.Cleanup(mage.Close)
	e := newEventsEnv(t, func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{Name: "magento", Type: "magento", Direction: config.DirectionIn,
			Resources: []string{"customer", "order", "cart"}, PollInterval: config.Duration(200 * time.Millisecond),
			Timeout:  config.Duration(10 * time.Second),
			Settings: map[string]any{"base_url": mageURL, "access_token": magentotest.DefaultIntegrationToken}})
	})
	customer := func(email string) (string, uint64) {
		t.Helper()
		id := mage.CreateCustomer(map[string]any{"email": email, "firstname": "Mia", "lastname": "Quote",
			"extension_attributes": map[string]any{"is_subscribed": true}})
		var hubID uint64
		eventually(t, 20*time.Second, email+" never reached the hub from Magento", func() bool {
			c, _ := e.hubCustomer(t, email)
			if c != nil {
				hubID = c.ID
			}
			return c != nil
		})
		return id, hubID
	}
	waitCart := func(id string, completed bool) {
		t.Helper()
		eventually(t, 20*time.Second, "quote "+id+" never became a hub cart", func() bool {
			c, err := e.app.Store.Cart(context.Background(), "magento", id)
			return err == nil && (c.CompletedAt != nil) == completed
		})
	}
	miaMage, mia := customer("mia@example.com")
	maxMage, max := customer("max@example.com")

	line := magentotest.OrderLine{SKU: "24-MB01", Name: "Joust Duffle Bag", Quantity: 2, Price: "34.00"}
	left, err := mage.CreateCart(miaMage, "", "EUR", line)
	if err != nil {
		t.Fatal(err)
	}
	bought, err := mage.CreateCart(maxMage, "", "EUR", line)
	if err != nil {
		t.Fatal(err)
	}
	waitCart(left, false)
	waitCart(bought, false)
	// Max checks out within the delay: the order is placed and the quote
	// turns inactive.
	if _, err := mage.PlaceCartOrder(bought); err != nil {
		t.Fatal(err)
	}
	waitCart(bought, true)

	if n, err := e.app.Handlers.ScanEvents(context.Background()); err != nil || n != 0 {
		t.Fatalf("scan before the delay: %d events, %v", n, err)
	}
	e.clock.Advance(31 * time.Minute)
	eventually(t, 30*time.Second, "Mia's cart_abandoned never reached Klaviyo", func() bool {
		return len(e.klaviyo.Events()) > 0
	})
	kevs := e.klaviyo.Events()
	if len(kevs) != 1 || kevs[0].Metric != "cart_abandoned" || kevs[0].Value != 68.0 || kevs[0].Properties["recovery_url"] != nil {
		t.Fatalf("Klaviyo events: %+v", kevs)
	}
	if p, _ := e.klaviyo.Profile(kevs[0].ProfileID); p.Attributes["email"] != "mia@example.com" {
		t.Errorf("event for %v, want Mia", p.Attributes)
	}
	if evs := e.events(t, mia); len(evs) != 1 || evs[0].Type != hub.EventCartAbandoned {
		t.Errorf("Mia's events: %+v", evs)
	}
	if evs := e.events(t, max); len(evs) != 0 {
		t.Errorf("Max's quote became an order, yet he has events: %+v", evs)
	}
}

package app_test

import (
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/magento/magentotest"
)

// TestMagentoPendingSubscriptionKeepsConsent: with Magento's Need to
// Confirm, a subscription shophub pushes waits for the customer's
// confirmation and Magento reads it back as not subscribed. That is
// Magento's handling of our write, not the customer's decision: the hub
// keeps the consent given in Shopify, and once the customer confirms and
// later unsubscribes in Magento, that unsubscription counts.
func TestMagentoPendingSubscriptionKeepsConsent(t *testing.T) {
	t.Parallel()
	// Magento's clock a minute ahead: its record of the customer shophub
	// creates is then newer than Shopify's, as it is whenever Magento
	// saves after Shopify did.
	mage := magentotest.New(magentotest.Options{NeedToConfirm: true, Now: func() time.Time { return time.Now().Add(time.Minute) }})
	url := mage.Start()
	t.Cleanup(mage.Close)
	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		onlyShopify(c)
		c.Connectors = append(c.Connectors, config.Connector{Name: "magento", Type: "magento", PollInterval: config.Duration(time.Second),
			Settings: map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken, "page_size": 50}})
	}})
	email := "dora.doi@example.com"
	e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Dora", "last_name": "Doi",
		"email_marketing_consent": map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in",
			"consent_updated_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}})
	var mid string
	eventually(t, 20*time.Second, "customer never reached Magento", func() bool {
		id, ok := mage.FindByEmail(email)
		mid = id
		return ok
	})
	subscribed := func() any {
		_, d := e.hubCustomer(t, email)
		em, _ := d["email_marketing"].(map[string]any)
		return em["subscribed"]
	}
	time.Sleep(3 * time.Second) // polls read the pending subscription back
	e.quiet(t)
	if st := mage.SubscriberStatus(mid); st != magentotest.SubscriberNotActive {
		t.Fatalf("Magento subscriber status %d, want Not Activated (the premise)", st)
	}
	if got := subscribed(); got != true {
		t.Fatalf("a subscription waiting for confirmation unsubscribed the customer in the hub: %v", got)
	}

	// Confirmed, then unsubscribed in Magento (a later second): that
	// counts.
	mage.ConfirmSubscription(mid)
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	if err := mage.UpdateCustomer(mid, map[string]any{"lastname": "Doi-Later"}); err != nil { // a row change, so polls list it
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	if err := mage.UpdateCustomer(mid, map[string]any{"lastname": "Doi", "extension_attributes": map[string]any{"is_subscribed": false}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "an unsubscription in Magento never reached the hub", func() bool { return subscribed() == false })
}

package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
)

// TestOXIDCustomerReachesShopsAndBack is the OXID issue's must-show 2 on a
// real OXID schema (needs SHOPHUB_TEST_MYSQL_DSN): a customer edited in the
// OXID database — the customer row, only a delivery address, only the
// newsletter row — reaches Shopify and Shopware by polling; a Shopify
// change reaches OXID without touching the password hash, rights or credit
// points; shophub's own write comes back through polling and changes
// nothing. The connector runs as a database user with only the documented
// grants.
func TestOXIDCustomerReachesShopsAndBack(t *testing.T) {
	t.Parallel()
	const pollInterval = time.Second
	shop := oxidtest.New(t)
	email := "olga.oxid@example.com"
	oxidID := shop.CreateCustomer(map[string]any{
		"OXUSERNAME": email, "OXFNAME": "Olga", "OXLNAME": "Oxid", "OXSAL": "MRS", "OXFON": "0761 555123",
		"OXSTREET": "Bertoldstraße", "OXSTREETNR": "7", "OXZIP": "79098", "OXCITY": "Freiburg", "OXBONI": 777,
	})

	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{
			Name: "oxid", Type: "oxid", PollInterval: config.Duration(pollInterval),
			Settings: map[string]any{"dsn": oxidtest.RestrictedDSN(t, shop.DSN), "page_size": 50},
		})
	}})

	// OXID → hub → Shopify and Shopware.
	var shopifyID, shopwareID string
	eventually(t, 15*time.Second, "OXID customer never reached both shops", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		shopifyID, shopwareID = e.linkOf(t, c.ID, "shopify"), e.linkOf(t, c.ID, "shopware")
		return shopifyID != "" && shopwareID != ""
	})
	e.quiet(t)
	if sf, _ := e.shopify.Customer(shopifyID); sf["phone"] != "+49761555123" || sf["first_name"] != "Olga" {
		t.Errorf("Shopify record: phone %v first_name %v", sf["phone"], sf["first_name"])
	}

	// OXTIMESTAMP has whole seconds: the merchant edits in a later second
	// than the one shophub last read, as any human does.
	nextSecond := func() {
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	}

	// The customer row.
	nextSecond()
	changed := time.Now()
	if err := shop.UpdateCustomer(oxidID, map[string]any{"OXLNAME": "Oxidowa"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, pollInterval+10*time.Second, "OXID edit never reached Shopify and Shopware", func() bool {
		sf, ok1 := e.shopify.Customer(shopifyID)
		sw, ok2 := e.shopware.Customer(shopwareID)
		return ok1 && ok2 && sf["last_name"] == "Oxidowa" && sw["lastName"] == "Oxidowa"
	})
	t.Logf("OXID edit reached both shops after %s (poll interval %s)", time.Since(changed).Round(10*time.Millisecond), pollInterval)
	e.quiet(t)

	// Only a delivery address.
	nextSecond()
	shop.AddDeliveryAddress(oxidID, map[string]any{"OXFNAME": "Olga", "OXLNAME": "Oxidowa", "OXSTREET": "Hafenweg",
		"OXSTREETNR": "3", "OXZIP": "20457", "OXCITY": "Hamburg"})
	eventually(t, pollInterval+10*time.Second, "OXID delivery address never reached the hub and Shopware", func() bool {
		_, data := e.hubCustomer(t, email)
		ship, _ := data["shipping_address"].(map[string]any)
		sw, _ := e.shopware.Customer(shopwareID)
		return ship["city"] == "Hamburg" && ship["street"] == "Hafenweg 3" && strings.Contains(fmt.Sprint(sw["defaultShippingAddress"]), "Hamburg")
	})
	e.quiet(t)

	// Only the newsletter row.
	nextSecond()
	shop.Subscribe(oxidID, 1)
	eventually(t, pollInterval+10*time.Second, "OXID newsletter subscription never reached Shopify", func() bool {
		sf, _ := e.shopify.Customer(shopifyID)
		consent, _ := sf["email_marketing_consent"].(map[string]any)
		return consent["state"] == "subscribed"
	})
	e.quiet(t)

	// Shopify → hub → OXID, touching only mapped columns. The edit comes
	// in a later second than OXID's last change: at equal source seconds
	// the hub's tie-break (instance name) would keep OXID's value.
	before, _ := shop.Customer(oxidID)
	nextSecond()
	if err := e.shopify.UpdateCustomer(shopifyID, map[string]any{"first_name": "Olena"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "Shopify edit never reached OXID", func() bool {
		c, _ := shop.Customer(oxidID)
		return c["OXFNAME"] == "Olena"
	})
	e.quiet(t)
	after, _ := shop.Customer(oxidID)
	for _, col := range []string{"OXPASSWORD", "OXPASSSALT", "OXRIGHTS", "OXSHOPID", "OXBONI", "OXSAL", "OXCUSTNR", "OXUSERNAME", "OXCREATE"} {
		if after[col] != before[col] {
			t.Errorf("%s changed by shophub's write: %q → %q", col, before[col], after[col])
		}
	}
	if n := shop.Count(); n != 1 {
		t.Errorf("%d OXID customers, want 1", n)
	}

	// Idle: once OXID's next poll has read shophub's own write back, nothing
	// changes any more. That first read-back may change one thing: OXID keeps
	// the customer's and the billing address's names in the same columns,
	// so pushing a new first name renames the billing address there too —
	// a fact the hub then takes and passes on, once.
	time.Sleep(2 * pollInterval)
	e.quiet(t)
	hubBefore, _ := e.hubCustomer(t, email)
	oxidBefore, _ := shop.Customer(oxidID)
	time.Sleep(3 * pollInterval)
	e.quiet(t)
	hubAfter, data := e.hubCustomer(t, email)
	if hubAfter.Version != hubBefore.Version {
		t.Errorf("hub version moved from %d to %d with nobody editing: an echo loop", hubBefore.Version, hubAfter.Version)
		if v, err := e.app.Store.View(context.Background(), hubAfter.ID, 5); err == nil {
			for _, c := range v.Changes {
				t.Logf("change v%d %s by %s at %s: %s → %s", c.Version, c.Field, c.Instance, c.SourceAt, c.Old, c.New)
			}
		}
	}
	if oxidAfter, _ := shop.Customer(oxidID); oxidAfter["OXTIMESTAMP"] != oxidBefore["OXTIMESTAMP"] {
		t.Errorf("OXID row written again while idle: OXTIMESTAMP %v → %v", oxidBefore["OXTIMESTAMP"], oxidAfter["OXTIMESTAMP"])
	}
	if data["first_name"] != "Olena" || data["last_name"] != "Oxidowa" {
		t.Errorf("hub profile: %v", data)
	}
}

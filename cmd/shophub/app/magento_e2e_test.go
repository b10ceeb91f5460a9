package app_test

import (
	"testing"
	"time"
)

// TestMagentoCustomerReachesShopsAndBack is the Magento issue's must-show
// 2: a customer changed in Magento reaches Shopify and Shopware within one
// poll interval; a Shopware change reaches Magento; a custom attribute and
// an address shophub does not map survive shophub's full-save update.
func TestMagentoCustomerReachesShopsAndBack(t *testing.T) {
	const pollInterval = time.Second
	mage, withMagento := newMagento(t, pollInterval) // push_e2e_test.go

	email := "magda@example.com"
	magentoID := mage.CreateCustomer(map[string]any{
		"email": email, "firstname": "Magda", "lastname": "Lena", "dob": "1980-04-01", "group_id": 2,
		"custom_attributes": []any{map[string]any{"attribute_code": "loyalty_number", "value": "LY-1"}},
		"addresses": []any{
			map[string]any{"firstname": "Magda", "lastname": "Lena", "street": []any{"Domplatz 1"}, "city": "Köln", "postcode": "50667",
				"country_id": "DE", "telephone": "0221 123456", "default_billing": true, "default_shipping": true},
			map[string]any{"firstname": "Magda", "lastname": "Lena", "street": []any{"Strandweg 9"}, "city": "Sylt", "postcode": "25980",
				"country_id": "DE", "telephone": "04651 1"},
		},
	})

	e := newEnv(t, envOptions{tune: withMagento})

	// Magento → hub → Shopify and Shopware.
	var shopifyID, shopwareID string
	eventually(t, 15*time.Second, "Magento customer never reached both shops", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		shopifyID, shopwareID = e.linkOf(t, c.ID, "shopify"), e.linkOf(t, c.ID, "shopware")
		return shopifyID != "" && shopwareID != ""
	})
	e.quiet(t)

	// A change in Magento reaches both shops within one poll interval
	// (plus the pipeline's own few hundred milliseconds). Magento stamps
	// updated_at in whole seconds: an edit in the very second the record
	// was created and already polled would look unchanged, so the merchant
	// edits in a later second, as any human does.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	changed := time.Now()
	if err := mage.UpdateCustomer(magentoID, map[string]any{"lastname": "Lenz"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, pollInterval+5*time.Second, "Magento edit never reached Shopify and Shopware", func() bool {
		sf, ok1 := e.shopify.Customer(shopifyID)
		sw, ok2 := e.shopware.Customer(shopwareID)
		return ok1 && ok2 && sf["last_name"] == "Lenz" && sw["lastName"] == "Lenz"
	})
	t.Logf("Magento edit reached both shops after %s (poll interval %s)", time.Since(changed).Round(10*time.Millisecond), pollInterval)
	if sf, _ := e.shopify.Customer(shopifyID); sf["phone"] != "+49221123456" {
		t.Errorf("Shopify phone %v, want Magento's billing telephone in E.164", sf["phone"])
	}

	// Shopware → hub → Magento, through Magento's full-save PUT.
	e.quiet(t)
	if !e.shopware.UpdateCustomer(shopwareID, map[string]any{"firstName": "Magdalena"}) {
		t.Fatalf("Shopware has no customer %s", shopwareID)
	}
	eventually(t, 15*time.Second, "Shopware edit never reached Magento", func() bool {
		c, ok := mage.Customer(magentoID)
		return ok && c["firstname"] == "Magdalena"
	})
	e.quiet(t)
	c, _ := mage.Customer(magentoID)
	ca, _ := c["custom_attributes"].([]any)
	if len(ca) != 1 || ca[0].(map[string]any)["value"] != "LY-1" {
		t.Errorf("custom attribute did not survive shophub's update: %v", c["custom_attributes"])
	}
	if c["group_id"] != int64(2) || c["dob"] != "1980-04-01" {
		t.Errorf("group %v / dob %v changed by shophub's update", c["group_id"], c["dob"])
	}
	addrs, _ := c["addresses"].([]any)
	sylt := false
	for _, a := range addrs {
		if a.(map[string]any)["city"] == "Sylt" {
			sylt = true
		}
	}
	if len(addrs) != 2 || !sylt {
		t.Errorf("unmapped address did not survive shophub's update: %v", addrs)
	}
	if n := mage.Count(); n != 1 {
		t.Errorf("%d Magento customers, want 1", n)
	}

	// Idle: Magento's polled echo of shophub's own write changes nothing.
	before, _ := e.hubCustomer(t, email)
	time.Sleep(3 * pollInterval)
	e.quiet(t)
	after, _ := e.hubCustomer(t, email)
	if after.Version != before.Version {
		t.Errorf("hub version moved from %d to %d with nobody editing: an echo loop", before.Version, after.Version)
	}
}

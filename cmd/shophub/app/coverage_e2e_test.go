package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
)

// Issue 13: Shopware holds no region, and its one address phone carries the
// customer phone. Its echoes must not take the region or the address phone
// from the hub, nor through the hub from Shopify.
func TestShopwareEchoKeepsWhatItCannotHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	email := "jana.berg@example.com"
	const custPhone, addrPhone = "+4915111111111", "+49221999999"
	shopifyID := e.shopify.CreateCustomer(map[string]any{
		"email": email, "first_name": "Jana", "last_name": "Berg", "phone": custPhone,
		"addresses": []any{map[string]any{"first_name": "Jana", "last_name": "Berg", "company": "Berg GmbH",
			"address1": "Jungfernstieg 1", "city": "Hamburg", "zip": "20354", "province": "Hamburg", "province_code": "HH",
			"country_code": "DE", "phone": addrPhone, "default": true}},
	})

	var cust *hub.Customer
	var shopwareID string
	eventually(t, 20*time.Second, "customer never reached Shopware", func() bool {
		if cust, _ = e.hubCustomer(t, email); cust == nil {
			return false
		}
		shopwareID = e.linkOf(t, cust.ID, "shopware")
		return shopwareID != ""
	})
	e.quiet(t)

	// What the hub made of Shopify's record when it first saw it.
	var created hub.Change
	if err := e.app.Store.DB().Where("customer_id = ? AND field = ?", cust.ID, hub.CreatedField).Take(&created).Error; err != nil {
		t.Fatalf("creation row: %v", err)
	}
	var initial map[string]any
	if err := json.Unmarshal([]byte(created.NewValue), &initial); err != nil {
		t.Fatal(err)
	}
	billing, _ := initial["billing_address"].(map[string]any)
	if billing["region"] == nil || billing["phone"] != addrPhone || billing["company"] != "Berg GmbH" || initial["phone"] != custPhone {
		t.Fatalf("the hub's first view of the Shopify customer lacks region, address phone or company: %v", initial)
	}

	// Shopware holds what it can: the customer phone in its one phone field.
	sw, ok := e.shopware.Customer(shopwareID)
	if !ok {
		t.Fatalf("no Shopware customer %s", shopwareID)
	}
	if a, _ := sw["defaultBillingAddress"].(map[string]any); a == nil || a["phoneNumber"] != custPhone || a["city"] != "Hamburg" {
		t.Errorf("Shopware billing address %v", sw["defaultBillingAddress"])
	}

	// An edit in Shopware travels to Shopify with the hub's whole address:
	// a region or address phone lost to Shopware's echo would go with it.
	if !e.shopware.UpdateCustomer(shopwareID, map[string]any{"firstName": "Janne"}) {
		t.Fatalf("Shopware emulator has no customer %s", shopwareID)
	}
	eventually(t, 20*time.Second, "Shopware edit never reached Shopify", func() bool {
		c, ok := e.shopify.Customer(shopifyID)
		return ok && c["first_name"] == "Janne"
	})
	e.quiet(t)

	_, data := e.hubCustomer(t, email)
	if diff := cmp.Diff(billing, data["billing_address"]); diff != "" {
		t.Errorf("hub billing address after Shopware's echoes (-first seen +now):\n%s", diff)
	}
	if data["phone"] != custPhone || data["first_name"] != "Janne" {
		t.Errorf("hub phone %v, first name %v", data["phone"], data["first_name"])
	}
	sh, _ := e.shopify.Customer(shopifyID)
	def, _ := sh["default_address"].(map[string]any)
	want := map[string]any{"province": "Hamburg", "province_code": "HH", "phone": addrPhone, "company": "Berg GmbH", "address1": "Jungfernstieg 1", "zip": "20354"}
	for k, v := range want {
		if def[k] != v {
			t.Errorf("Shopify default address %s = %v, want %v", k, def[k], v)
		}
	}
	if sh["phone"] != custPhone {
		t.Errorf("Shopify customer phone %v, want %s", sh["phone"], custPhone)
	}
	// No change-log row says Shopware set the region or the address phone.
	var rows []hub.Change
	e.app.Store.DB().Where("customer_id = ? AND instance = ? AND field IN ?", cust.ID, "shopware",
		[]string{"billing_address", "billing_address.region", "billing_address.phone"}).Find(&rows)
	if len(rows) != 0 {
		t.Errorf("Shopware changed address fields it cannot hold: %+v", rows)
	}

	// Idle: nothing moves.
	e.staysIdle(t, email)
	v, err := e.app.Store.View(ctx, cust.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"billing_address.region", "billing_address.phone"} {
		if v.Provenance[p].Instance != "shopify" {
			t.Errorf("provenance of %s: %+v, want shopify", p, v.Provenance[p])
		}
	}
}

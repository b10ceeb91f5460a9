package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
)

// A name as long as Shopify and Shopware allow (255 characters; here
// two-byte ones, since MariaDB counts characters) reaches the hub and
// Shopware; the Shopware emulator refuses what real Shopware refuses (an
// address name over 50), so the address takes the name cut to fit. A name
// longer than the hub holds is quarantined with the reason, never retried
// into a dead letter.
func TestLongNamesReachHubAndShopware(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	first, last := strings.Repeat("Ä", 255), strings.Repeat("L", 255)
	email := "lang@example.com"
	e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": first, "last_name": last,
		"addresses": []any{map[string]any{"address1": "Lange Straße 1", "city": "Berlin", "zip": "10115", "country_code": "DE", "default": true}}})

	var shopwareID string
	eventually(t, 20*time.Second, "255-character name never reached Shopware", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		shopwareID = e.linkOf(t, c.ID, "shopware")
		return shopwareID != ""
	})
	c, data := e.hubCustomer(t, email)
	if data["first_name"] != first || data["last_name"] != last || c.FirstName != first || c.LastName != last {
		t.Errorf("hub holds names of %d/%d characters, want 255/255", len([]rune(c.FirstName)), len([]rune(c.LastName)))
	}
	sw, _ := e.shopware.Customer(shopwareID)
	if sw["firstName"] != first || sw["lastName"] != last {
		t.Errorf("Shopware customer names %d/%d characters, want 255/255", len([]rune(sw["firstName"].(string))), len([]rune(sw["lastName"].(string))))
	}
	if ba, _ := sw["defaultBillingAddress"].(map[string]any); ba == nil || ba["firstName"] != strings.Repeat("Ä", 50) || ba["lastName"] != strings.Repeat("L", 60) {
		t.Errorf("Shopware billing address %v, want the names cut to 50 and 60 characters", sw["defaultBillingAddress"])
	}

	// Longer than the hub holds: quarantined at once, with the reason.
	rec := shopifyRecord(987654, "zulang@example.com", strings.Repeat("Z", 256), time.Now())
	h, b := e.shopify.SignedDelivery("customers/update", rec)
	if code, body := postWebhook(t, e.app.URL()+"/webhooks/shopify", h, b); code != http.StatusOK {
		t.Fatalf("webhook: %d %s", code, body)
	}
	e.quiet(t)
	rows, err := e.app.Store.PendingQuarantine(context.Background(), "shopify", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ExternalID != "987654" || !strings.Contains(rows[0].Reason, "first_name has 256 characters") {
		t.Fatalf("quarantine %+v, want the record with the reason", rows)
	}
	if n, err := e.app.DeadLetters.Counts(); err != nil || len(n) != 0 {
		t.Errorf("dead letters %v (%v), want none", n, err)
	}
	if c, _ := e.hubCustomer(t, "zulang@example.com"); c != nil {
		t.Errorf("hub holds the record that does not fit: %+v", c)
	}
	var customers int64
	e.app.Store.DB().Model(&hub.Customer{}).Count(&customers)
	if customers != 1 {
		t.Errorf("%d hub customers, want 1", customers)
	}
}

package app_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/magento/magentotest"
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

// Shopware cannot hold an address without names, nor a customer without a
// default shipping address: the connector gives a new address the
// customer's names and makes the billing address the shipping one, so that
// Shopware takes the write. Both are Shopware's answer to our write, not
// edits made there (hub.FilledKey): the hub's billing address stays without
// names and it gets no shipping address, and no other shop gets what no
// person gave (the Shopify customer's own address stays nameless). Before,
// the hub took both from Shopware's echo and wrote the names to Shopify.
//
// Shopware's read-back of each create is held a while: its echo (id only)
// is fetched and merged in that time unless the push holds the record's
// lock from before its create (connectors.Namer); merged as a record
// nobody pushed to, the echo gave the hub Shopware's fills as edits.
func TestAddressNamesShopwareFillsStayThere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{shopwareVia: slowReadBackAfterCreate(t, 700*time.Millisecond)})
	email := "fina.fill@example.com"
	addr := func(street string) map[string]any {
		return map[string]any{"address1": street, "city": "Berlin", "zip": "10115", "country_code": "DE"}
	}
	bill := addr("Rechnungsweg 1")
	bill["default"] = true
	id := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Fina", "last_name": "Fill",
		"addresses": []any{bill}})
	_, shopwareID := e.atShopware(t, email)
	e.quiet(t)
	// A second address, now Shopify's default: the hub's billing address
	// changes, and Shopware's (its shipping address too) is updated in
	// place, keeping the names it was given.
	if err := e.shopify.UpdateCustomer(id, map[string]any{"addresses": []any{addr("Rechnungsweg 1"),
		func() map[string]any { a := addr("Lieferstraße 2"); a["default"] = true; return a }()}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the new address never reached Shopware", func() bool {
		sw, _ := e.shopware.Customer(shopwareID)
		return strings.Contains(fmt.Sprint(sw), "Lieferstraße 2")
	})
	e.quiet(t)

	sw, _ := e.shopware.Customer(shopwareID)
	for _, k := range []string{"defaultBillingAddress", "defaultShippingAddress"} {
		if a, _ := sw[k].(map[string]any); a == nil || a["firstName"] != "Fina" || a["lastName"] != "Fill" {
			t.Errorf("Shopware %s %v, want the customer's names filled in", k, sw[k])
		}
	}
	_, data := e.hubCustomer(t, email)
	if a, _ := data["billing_address"].(map[string]any); a == nil || a["street"] != "Lieferstraße 2" || a["first_name"] != nil || a["last_name"] != nil {
		t.Errorf("hub billing_address %v, want Shopify's new default address without names", data["billing_address"])
	}
	if a, ok := data["shipping_address"]; ok {
		t.Errorf("hub shipping_address %v: Shopware's copy of the billing address became the hub's", a)
	}
	c, _ := e.shopify.Customer(id)
	addrs, _ := c["addresses"].([]any)
	for _, x := range addrs {
		a, _ := x.(map[string]any)
		if first, _ := a["first_name"].(string); first != "" {
			t.Errorf("Shopify address %v got names no person gave", a)
		}
		if last, _ := a["last_name"].(string); last != "" {
			t.Errorf("Shopify address %v got names no person gave", a)
		}
	}

	// A name given at Shopware is an edit there, filled before or not.
	if !e.shopware.UpdateCustomer(shopwareID, map[string]any{"defaultBillingAddress": map[string]any{"firstName": "Josefine"}}) {
		t.Fatal("Shopware customer gone")
	}
	eventually(t, 20*time.Second, "the address name given at Shopware never reached Shopify", func() bool {
		c, _ := e.shopify.Customer(id)
		a, _ := c["default_address"].(map[string]any)
		return a != nil && a["first_name"] == "Josefine"
	})
	e.quiet(t)
	if _, data := e.hubCustomer(t, email); fmt.Sprint(data["billing_address"]) != "map[city:Berlin country:DE first_name:Josefine street:Lieferstraße 2 zip:10115]" {
		t.Errorf("hub billing_address %v, want the name given at Shopware and no other", data["billing_address"])
	}
}

// slowReadBackAfterCreate holds, by d, the first search after each customer
// create at the Shopware emulator behind it: the creating push's read-back.
func slowReadBackAfterCreate(t *testing.T, d time.Duration) func(string) string {
	return func(target string) string {
		var created atomic.Int64
		return proxyTo(t, target, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/search/customer") && created.Add(-1) >= 0 {
				time.Sleep(d)
			} else if r.Method == http.MethodPost && r.URL.Path == "/api/customer" {
				created.Store(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Magento, too, cannot hold an address without names, and a store may
// require a telephone (placeholder_telephone): a customer whose address
// has neither gets them filled in at Magento. Adobe Commerce's webhooks
// run inside the save, so the create's echo, body and all, reaches shophub
// before the create's answer reaches the push (held here a while longer,
// so the echo is always merged first). The fills stay Magento's: the hub
// and the other shops get no names and no telephone nobody gave.
func TestMagentoCreateFillsStayThere(t *testing.T) {
	t.Parallel()
	mage := magentotest.New(magentotest.Options{})
	mageURL := proxyTo(t, mage.Start(), func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/V1/customers") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)             // the webhook goes out inside the save
		time.Sleep(500 * time.Millisecond) // the answer is held
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
	t.Cleanup(mage.Close)
	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{Name: "magento", Type: "magento", PollInterval: config.Duration(time.Second),
			Settings: map[string]any{"base_url": mageURL, "access_token": magentotest.DefaultIntegrationToken, "page_size": 50,
				"webhook_public_key": mage.PublicKeyPEM(), "placeholder_telephone": "-"}})
	}})
	mage.SetWebhookURL(e.app.URL() + "/webhooks/magento")

	email := "mia.fill@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Mia", "last_name": "Fill",
		"addresses": []any{map[string]any{"address1": "Ringstraße 1", "city": "Kiel", "zip": "24103", "country_code": "DE", "default": true}}})
	var magentoID string
	eventually(t, 30*time.Second, "customer never reached Magento", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		magentoID = e.linkOf(t, c.ID, "magento")
		return magentoID != ""
	})
	e.quiet(t)

	m, _ := mage.Customer(magentoID)
	if addrs, _ := m["addresses"].([]any); len(addrs) != 1 || fmt.Sprint(addrs[0].(map[string]any)["firstname"]) != "Mia" ||
		addrs[0].(map[string]any)["telephone"] != "-" {
		t.Fatalf("Magento addresses %v, want one with the customer's names and the placeholder telephone filled in", m["addresses"])
	}
	_, data := e.hubCustomer(t, email)
	if a, _ := data["billing_address"].(map[string]any); a == nil || a["first_name"] != nil || a["last_name"] != nil || a["phone"] != nil {
		t.Errorf("hub billing_address %v, want Shopify's address without names or telephone", data["billing_address"])
	}
	if p, ok := data["phone"]; ok {
		t.Errorf("hub phone %v: Magento's placeholder became the person's", p)
	}
	c, _ := e.shopify.Customer(shopifyID)
	if a, _ := c["default_address"].(map[string]any); a == nil || a["first_name"] != nil || a["phone"] != nil {
		t.Errorf("Shopify default address %v got what no person gave", c["default_address"])
	}
}

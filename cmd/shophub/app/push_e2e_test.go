package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
)

// apiCustomer reads the 360° view the admin API serves for a customer.
func (e *env) apiCustomer(t *testing.T, id uint64) hub.View {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.app.URL()+"/api/customers/"+strconv.FormatUint(id, 10), nil)
	req.Header.Set("Authorization", "Bearer "+e.cfg.Server.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/customers/%d: %d %s", id, resp.StatusCode, b)
	}
	var v hub.View
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("360° view: %v: %s", err, b)
	}
	return v
}

func withAdminAPI(c *config.Config) { c.Server.AdminToken = "push-test-token" }

func (e *env) deadLetterCount(t *testing.T) int {
	t.Helper()
	counts, err := e.app.DeadLetters.Counts()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// A customer Shopware cannot hold yet (no address) is no failure: the push
// waits, visibly, without a dead letter, and follows once Shopify adds an
// address.
func TestCustomerWithoutAddressWaitsForShopware(t *testing.T) {
	e := newEnv(t, envOptions{tune: withAdminAPI})
	email := "ohne.adresse@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Olga", "last_name": "Ohne"})

	var cust *hub.Customer
	eventually(t, 15*time.Second, "customer never reached the hub", func() bool {
		cust, _ = e.hubCustomer(t, email)
		return cust != nil
	})
	e.quiet(t)
	v := e.apiCustomer(t, cust.ID)
	if len(v.Waiting) != 1 || v.Waiting[0].Instance != "shopware" || v.Waiting[0].Reason == "" {
		t.Fatalf("360° view waiting = %+v, want shopware waiting with a reason", v.Waiting)
	}
	if id := e.linkOf(t, cust.ID, "shopware"); id != "" {
		t.Errorf("linked to Shopware record %s while waiting", id)
	}
	if n := e.deadLetterCount(t); n != 0 {
		t.Errorf("%d dead letters, want none: a customer without an address is not a failure", n)
	}
	counts, err := e.app.Store.WaitingCounts(context.Background())
	if err != nil || counts["shopware"] != 1 {
		t.Errorf("waiting counts %v (%v), want shopware 1", counts, err)
	}

	// The missing data arrives: the customer follows, and waits no more.
	if err := e.shopify.UpdateCustomer(shopifyID, map[string]any{"addresses": []any{map[string]any{
		"address1": "Domstraße 1", "city": "Köln", "zip": "50667", "country_code": "DE", "default": true}}}); err != nil {
		t.Fatal(err)
	}
	var shopwareID string
	eventually(t, 15*time.Second, "customer never reached Shopware once it had an address", func() bool {
		shopwareID = e.linkOf(t, cust.ID, "shopware")
		return shopwareID != ""
	})
	e.quiet(t)
	sw, ok := e.shopware.Customer(shopwareID)
	if !ok {
		t.Fatalf("hub links Shopware record %s, the emulator has none", shopwareID)
	}
	bill, _ := sw["defaultBillingAddress"].(map[string]any)
	if sw["email"] != email || bill == nil || bill["city"] != "Köln" {
		t.Errorf("Shopware holds email %v, billing address %v", sw["email"], bill)
	}
	if v := e.apiCustomer(t, cust.ID); len(v.Waiting) != 0 {
		t.Errorf("still waiting after the push: %+v", v.Waiting)
	}
	if n := e.deadLetterCount(t); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}

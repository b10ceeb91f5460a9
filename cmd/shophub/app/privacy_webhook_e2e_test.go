package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/hub"
)

// Shopify signs the body only. A validly signed orders/create body of a
// known customer replayed with a compliance topic header, and genuine
// compliance bodies replayed under another compliance topic, are answered,
// counted and audited as rejected, and erase nothing: the customer, their
// links and records stay and no tombstone or erasure step is written.
// The genuine request then works.
func TestPrivacyTopicHeaderWithAnotherBodyErasesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	email := "order.replay@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Rhea", "last_name": "Replay",
		"addresses": []any{map[string]any{"address1": "Ringweg 3", "city": "Kassel", "zip": "34117", "country_code": "DE", "default": true}}})
	var cust *hub.Customer
	eventually(t, 30*time.Second, "customer never reached the hub and Shopware", func() bool {
		if cust, _ = e.hubCustomer(t, email); cust == nil {
			return false
		}
		return e.linkOf(t, cust.ID, "shopware") != ""
	})
	e.quiet(t)

	// A real orders/create body of theirs, as Shopify signs it.
	raw, err := os.ReadFile("../../../connectors/shopify/testdata/order.json")
	if err != nil {
		t.Fatal(err)
	}
	var order map[string]any
	if err := json.Unmarshal(raw, &order); err != nil {
		t.Fatal(err)
	}
	order["email"], order["contact_email"] = email, email
	order["customer"] = map[string]any{"id": json.Number(shopifyID), "email": email}
	_, orderBody := e.shopify.SignedDelivery("orders/create", order)
	_, redactBody := e.shopify.CustomersRedact(shopifyID)
	_, dataBody := e.shopify.CustomersDataRequest(shopifyID, 77)

	replays := []struct{ topic string }{{"customers/redact"}, {"shop/redact"}, {"customers/data_request"}}
	bodies := [][]byte{orderBody, orderBody, orderBody}
	for i, r := range replays {
		h := e.shopify.DeliveryHeaders(r.topic, bodies[i])
		if code, resp := postWebhook(t, e.app.URL()+"/webhooks/shopify", h, bodies[i]); code != http.StatusOK || !strings.Contains(resp, `"rejected":1`) {
			t.Fatalf("%s with an orders/create body: %d %s, want 200 and rejected", r.topic, code, resp)
		}
	}
	for _, c := range []struct {
		topic string
		body  []byte
	}{{"shop/redact", redactBody}, {"customers/redact", dataBody}} {
		h := e.shopify.DeliveryHeaders(c.topic, c.body)
		if code, resp := postWebhook(t, e.app.URL()+"/webhooks/shopify", h, c.body); code != http.StatusOK || !strings.Contains(resp, `"rejected":1`) {
			t.Fatalf("%s with another compliance body: %d %s", c.topic, code, resp)
		}
	}
	db := e.app.Store.DB()
	eventually(t, 15*time.Second, "rejected requests never audited", func() bool {
		var n int64
		db.Model(&hub.PrivacyRequest{}).Where("status = ?", hub.PrivacyRejected).Count(&n)
		return n == 5
	})
	var reqs []hub.PrivacyRequest
	db.Order("id").Find(&reqs)
	for _, r := range reqs {
		if r.Status != hub.PrivacyRejected || r.Reason != "shape" || r.CustomerID != 0 {
			t.Errorf("audit row %+v, want rejected for its shape, naming nobody", r)
		}
	}
	e.quiet(t)
	if c, _ := e.hubCustomer(t, email); c == nil || c.ID != cust.ID {
		t.Fatal("the customer was erased by a replayed body")
	}
	var tombs, steps int64
	db.Model(&hub.Tombstone{}).Count(&tombs)
	db.Model(&hub.PrivacyStep{}).Count(&steps)
	if tombs != 0 || steps != 0 {
		t.Errorf("%d tombstones and %d erasure steps after rejected requests", tombs, steps)
	}
	if e.linkOf(t, cust.ID, "shopify") != shopifyID || e.linkOf(t, cust.ID, "shopware") == "" {
		t.Error("links lost")
	}
	if _, ok := e.shopify.Customer(shopifyID); !ok || e.shopware.Count() != 1 {
		t.Error("a touchpoint lost the customer")
	}
	resp, err := http.Get(e.app.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`shophub_privacy_requests_total{connector="shopify",kind="erase",outcome="rejected",reason="shape"} 2`,
		`shophub_privacy_requests_total{connector="shopify",kind="shop",outcome="rejected",reason="shape"} 2`,
		`shophub_privacy_requests_total{connector="shopify",kind="export",outcome="rejected",reason="shape"} 1`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A genuine request for a Shopify customer the hub has no link to,
	// naming this person's email: without hub.erasure_email_fallback the
	// email (unverified, the shop's) finds nobody.
	unlinked := []byte(`{"shop_id":954889,"shop_domain":"` + shopifytest.DefaultShopDomain + `","customer":{"id":424242,"email":"` + email +
		`","phone":null},"orders_to_redact":[]}`)
	if code, resp := postWebhook(t, e.app.URL()+"/webhooks/shopify", e.shopify.DeliveryHeaders("customers/redact", unlinked), unlinked); code != http.StatusOK || !strings.Contains(resp, `"accepted":1`) {
		t.Fatalf("customers/redact of an unlinked record: %d %s", code, resp)
	}
	eventually(t, 15*time.Second, "request for an unlinked record never audited", func() bool {
		var n int64
		db.Model(&hub.PrivacyRequest{}).Where("status = ? AND reason = ?", hub.PrivacyNotFound, "no link to the record; email fallback off").Count(&n)
		return n == 1
	})
	if c, _ := e.hubCustomer(t, email); c == nil {
		t.Fatal("the email in a request for another record erased the person")
	}

	// The genuine request is acted on: in the hub and at Shopify, which
	// asked (erasure: none by default, so skipped); Shopware is out of
	// the request's scope.
	h, b := e.shopify.CustomersRedact(shopifyID)
	if code, resp := postWebhook(t, e.app.URL()+"/webhooks/shopify", h, b); code != http.StatusOK || !strings.Contains(resp, `"accepted":1`) {
		t.Fatalf("genuine customers/redact: %d %s", code, resp)
	}
	eventually(t, 15*time.Second, "genuine redaction never erased the customer", func() bool {
		c, _ := e.hubCustomer(t, email)
		return c == nil
	})
	var erasure hub.PrivacyRequest
	if err := db.Where("kind = ? AND status <> ?", hub.PrivacyErase, hub.PrivacyRejected).Where("customer_id = ?", cust.ID).Take(&erasure).Error; err != nil {
		t.Fatal(err)
	}
	_, erasureSteps, err := e.app.Store.PrivacyRequest(context.Background(), erasure.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, st := range erasureSteps {
		got[st.Instance] = st.Status + ": " + st.Error
	}
	if !strings.HasPrefix(got["shopware"], "skipped: outside the request's scope") || got["shopify"] != "skipped: " {
		t.Errorf("steps of a vendor's erasure %v: want Shopware out of scope, Shopify by its (none) erasure", got)
	}
	if e.shopware.Count() != 1 {
		t.Error("Shopify's customers/redact deleted the Shopware customer")
	}
}

package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	shsync "github.com/shophub/shophub/sync"
)

func adminCall(t *testing.T, method, url string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+hsAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// Must-show 6: a customer linked to Shopify, Shopware and Help Scout is
// erased. The hub keeps nothing of theirs (every table of the database
// searched for their email and phone), a quarantined record and a dead
// letter of theirs are gone, Shopify and Help Scout deleted their record,
// Shopware (erasure: anonymize) holds a placeholder, and the anonymized
// record's echo does not bring them back.
func TestGDPRErasureAcrossTouchpoints(t *testing.T) {
	t.Parallel()
	e := newHSEnv(t, hsOptions{tune: func(c *config.Config) {
		for i := range c.Connectors {
			c.Connectors[i].Erasure = config.ErasureDelete // the default is none
			if c.Connectors[i].Name == "shopware" {
				c.Connectors[i].Erasure = config.ErasureAnonymize
			}
		}
	}})
	ctx := context.Background()
	email, phone := "vergessen@example.com", "+4930555321"
	shopifyID := e.shopify.CreateCustomer(map[string]any{
		"email": email, "first_name": "Vera", "last_name": "Vergessen", "phone": phone,
		"addresses": []any{map[string]any{"address1": "Gedächtnisweg 7", "city": "Berlin", "zip": "10115", "country_code": "DE", "default": true}},
	})
	var cust *hub.Customer
	var swID, hsID string
	eventually(t, 30*time.Second, "customer never reached Shopware and Help Scout", func() bool {
		if cust, _ = e.hubCustomer(t, email); cust == nil {
			return false
		}
		swID, hsID = e.linkOf(t, cust.ID, "shopware"), e.linkOf(t, cust.ID, "helpdesk")
		return swID != "" && hsID != ""
	})
	e.quiet(t)
	// Someone else, who must keep everything.
	otherID := e.shopify.CreateCustomer(map[string]any{"email": "bleibt@example.com", "first_name": "Bea", "last_name": "Bleibt",
		"addresses": []any{map[string]any{"address1": "Hauptstr. 1", "city": "Bonn", "zip": "53111", "country_code": "DE", "default": true}}})
	eventually(t, 20*time.Second, "second customer never reached the hub", func() bool {
		c, _ := e.hubCustomer(t, "bleibt@example.com")
		return c != nil
	})

	// A record of theirs that failed mapping, with their phone in the
	// national form, and a dead letter carrying their record.
	if err := e.app.Store.Quarantine(ctx, &hub.Quarantined{Instance: "shopware", Resource: "customer", ExternalID: "sw-unlinked",
		Payload: []byte(`{"telephone":"030 555321","birthday":"31.02."}`), Reason: "birthday: not a date"}); err != nil {
		t.Fatal(err)
	}
	body, _ := e.shopify.Customer(shopifyID)
	raw, _ := json.Marshal(body)
	task, err := shsync.NewIngestTask(shsync.IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: shopifyID,
		EventID: "dead-1", SourceAt: time.Now(), Body: raw}, 0)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(e.rdb)
	info, err := e.app.Queue.Client.Enqueue(task, asynq.ProcessIn(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask(info.Queue, info.ID); err != nil {
		t.Fatal(err)
	}
	if dls, _ := e.app.DeadLetters.List("shopify"); len(dls) != 1 {
		t.Fatalf("%d dead letters before the erasure, want the one planted", len(dls))
	}

	// The merchant's data request (Shopify customers/data_request) first:
	// the export is retrievable and holds them.
	h, b := e.shopify.CustomersDataRequest(shopifyID, 9001)
	if code, resp := postWebhook(t, e.app.URL()+"/webhooks/shopify", h, b); code != http.StatusOK {
		t.Fatalf("data request webhook: %d %s", code, resp)
	}
	var dataReq *hub.PrivacyRequest
	eventually(t, 10*time.Second, "data request never recorded", func() bool {
		var r hub.PrivacyRequest
		if e.app.Store.DB().Where("kind = ? AND vendor_request_id = ?", hub.PrivacyExport, "9001").Take(&r).Error != nil {
			return false
		}
		dataReq = &r
		return true
	})
	code, x := adminCall(t, http.MethodGet, fmt.Sprintf("%s/api/privacy/requests/%d/export", e.app.URL(), dataReq.ID))
	if code != http.StatusOK || fmt.Sprint(x["profile"].(map[string]any)["email"]) != email || len(x["links"].([]any)) != 3 {
		t.Fatalf("data request export: %d %v", code, x)
	}

	// The search below finds them while they are there.
	if hits := hubtest.FindText(t, e.app.Store.DB(), e.app.Store.Driver(), email); len(hits) < 3 {
		t.Fatalf("before the erasure the email is only in %v", hits)
	}

	// Erase.
	code, resp := adminCall(t, http.MethodDelete, fmt.Sprintf("%s/api/customers/%d", e.app.URL(), cust.ID))
	if code != http.StatusAccepted {
		t.Fatalf("DELETE: %d %v", code, resp)
	}
	statusURL := e.app.URL() + fmt.Sprint(resp["status_url"])
	var audit map[string]any
	eventually(t, 30*time.Second, "erasure never finished at every touchpoint", func() bool {
		_, audit = adminCall(t, http.MethodGet, statusURL)
		return audit["status"] == hub.PrivacyDone
	})
	e.quiet(t)
	// Let Shopware's echo of the anonymized record and Shopify's
	// customers/delete arrive and be dropped.
	time.Sleep(2 * time.Second)
	e.quiet(t)

	// Each touchpoint got its delete or anonymization.
	if _, ok := e.shopify.Customer(shopifyID); ok {
		t.Errorf("Shopify still holds the customer")
	}
	if _, ok := e.hs.Customer(hsID); ok {
		t.Errorf("Help Scout still holds the customer")
	}
	sw, ok := e.shopware.Customer(swID)
	if !ok {
		t.Fatalf("Shopware record is gone; erasure: anonymize should have kept a placeholder")
	}
	swEmail := fmt.Sprint(sw["email"])
	if !strings.HasPrefix(swEmail, "erased-") || !strings.HasSuffix(swEmail, "@example.invalid") ||
		sw["firstName"] != "Erased" || sw["lastName"] != "Customer" || strings.Contains(fmt.Sprint(sw), "555321") ||
		strings.Contains(fmt.Sprint(sw), "Gedächtnisweg") {
		t.Errorf("Shopware record not anonymized: %v", sw)
	}
	steps, _ := audit["touchpoints"].([]any)
	stepOutcomes := map[string]string{}
	for _, s := range steps {
		m := s.(map[string]any)
		stepOutcomes[fmt.Sprint(m["instance"])] = fmt.Sprint(m["action"], " ", m["status"], " ", m["outcome"])
	}
	// The audit says what each touchpoint really did.
	want := map[string]string{"shopify": "delete done deleted", "shopware": "anonymize done anonymized", "helpdesk": "delete done deleted"}
	if fmt.Sprint(stepOutcomes) != fmt.Sprint(want) {
		t.Errorf("audit touchpoints %v, want %v", stepOutcomes, want)
	}

	// The hub keeps nothing of theirs: every table searched.
	for _, needle := range []string{email, "555321", "Vergessen", "Gedächtnisweg"} {
		if hits := hubtest.FindText(t, e.app.Store.DB(), e.app.Store.Driver(), needle); len(hits) > 0 {
			t.Errorf("%q still in %v", needle, hits)
		}
	}
	if hits := hubtest.FindText(t, e.app.Store.DB(), e.app.Store.Driver(), "bleibt@example.com"); len(hits) == 0 {
		t.Errorf("the other customer was erased too")
	}
	var n int64
	e.app.Store.DB().Model(&hub.Customer{}).Count(&n)
	if n != 1 {
		t.Errorf("%d hub customers, want only the other one: the erased person (or their placeholder) came back", n)
	}
	if c, _ := e.hubCustomer(t, swEmail); c != nil {
		t.Errorf("the anonymized Shopware record was merged as a new customer")
	}
	e.app.Store.DB().Model(&hub.Quarantined{}).Count(&n)
	if n != 0 {
		t.Errorf("%d quarantined records left", n)
	}
	dls, err := e.app.DeadLetters.List("")
	if err != nil {
		t.Fatal(err)
	}
	for _, dl := range dls {
		if dl.CustomerID == cust.ID || dl.ExternalID == shopifyID || dl.Connector == "shopify" {
			t.Errorf("dead letter of the erased person left: %+v", dl)
		}
	}
	if _, ok := e.shopify.Customer(otherID); !ok {
		t.Errorf("the other customer was deleted from Shopify")
	}
	// The export of a data request about an erased person is gone too.
	if code, _ := adminCall(t, http.MethodGet, fmt.Sprintf("%s/api/privacy/requests/%d/export", e.app.URL(), dataReq.ID)); code != http.StatusGone {
		t.Errorf("export after erasure: %d, want 410", code)
	}
}

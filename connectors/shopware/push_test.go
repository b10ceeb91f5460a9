package shopware

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
)

func tagNamesOf(rec map[string]any) []string {
	var out []string
	for _, t := range rec["tags"].([]any) {
		out = append(out, t.(map[string]any)["name"].(string))
	}
	slices.Sort(out)
	return out
}

func addr(rec map[string]any, key string) map[string]any {
	a, _ := rec[key].(map[string]any)
	return a
}

func TestPushCreateUpdateAddressesAndTags(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	ctx := testCtx(t)
	created, err := c.Upsert(ctx, connectors.ResourceCustomer, "", map[string]any{
		"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "birthday": "1815-12-10",
		"tags":                   []any{"vip", "newsletter"},
		"defaultBillingAddress":  map[string]any{"street": "St James's Square 12", "zipcode": "SW1Y 4JH", "city": "London", "countryIso": "GB", "phoneNumber": "+442071234567"},
		"defaultShippingAddress": map[string]any{"street": "St James's Square 12", "zipcode": "SW1Y 4JH", "city": "London", "countryIso": "GB", "phoneNumber": "+442071234567"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ExternalID
	rec, _ := emu.Customer(id)
	bill, ship := addr(rec, "defaultBillingAddress"), addr(rec, "defaultShippingAddress")
	if bill["id"] != ship["id"] {
		t.Error("identical billing and shipping should share one address")
	}
	if bill["firstName"] != "Ada" || bill["country"].(map[string]any)["iso"] != "GB" {
		t.Errorf("billing address = %v", bill)
	}
	if got := tagNamesOf(rec); !slices.Equal(got, []string{"newsletter", "vip"}) {
		t.Errorf("tags = %v", got)
	}
	if !strings.HasPrefix(rec["customerNumber"].(string), "SH-") || rec["groupId"] == nil || rec["salesChannelId"] == nil {
		t.Errorf("defaults not filled: %v", rec)
	}
	if rec["birthday"] != "1815-12-10T00:00:00.000+00:00" {
		t.Errorf("birthday = %v", rec["birthday"])
	}

	// Billing changes in place; tags become exactly the new set.
	_, err = c.Upsert(ctx, connectors.ResourceCustomer, id, map[string]any{
		"tags":                  []any{"vip", "b2b"},
		"defaultBillingAddress": map[string]any{"street": "Marylebone Road 1", "city": "London", "countryIso": "GB", "zipcode": "NW1 5LR"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ = emu.Customer(id)
	if b := addr(rec, "defaultBillingAddress"); b["id"] != bill["id"] || b["street"] != "Marylebone Road 1" || b["phoneNumber"] != "+442071234567" {
		t.Errorf("billing after update = %v (want same id %v, new street, phone kept)", b, bill["id"])
	}
	if got := tagNamesOf(rec); !slices.Equal(got, []string{"b2b", "vip"}) {
		t.Errorf("tags after update = %v", got)
	}
	if n := len(rec["addresses"].([]any)); n != 1 {
		t.Errorf("%d addresses, want 1", n)
	}

	// A different shipping address splits the shared one; billing stays.
	_, err = c.Upsert(ctx, connectors.ResourceCustomer, id, map[string]any{
		"defaultShippingAddress": map[string]any{"street": "Baker Street 221b", "city": "London", "countryIso": "GB", "zipcode": "NW1 6XE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ = emu.Customer(id)
	b2, s2 := addr(rec, "defaultBillingAddress"), addr(rec, "defaultShippingAddress")
	if b2["id"] != bill["id"] || b2["street"] != "Marylebone Road 1" || s2["id"] == bill["id"] || s2["street"] != "Baker Street 221b" {
		t.Errorf("after shipping split: billing %v, shipping %v", b2, s2)
	}
	if s2["firstName"] != "Ada" {
		t.Errorf("new shipping address without the customer's names: %v", s2)
	}
	// Another change of shipping stays in place now.
	if _, err := c.Upsert(ctx, connectors.ResourceCustomer, id, map[string]any{
		"defaultShippingAddress": map[string]any{"street": "Baker Street 221c", "city": "London", "countryIso": "GB"},
	}); err != nil {
		t.Fatal(err)
	}
	rec, _ = emu.Customer(id)
	if s3 := addr(rec, "defaultShippingAddress"); s3["id"] != s2["id"] || len(rec["addresses"].([]any)) != 2 {
		t.Errorf("second shipping change made a new address: %v", s3)
	}

	// Clearing optional fields sends null; required ones cannot be cleared.
	if _, err := c.Upsert(ctx, connectors.ResourceCustomer, id, map[string]any{"birthday": "", "company": "", "lastName": ""}); err != nil {
		t.Fatal(err)
	}
	rec, _ = emu.Customer(id)
	if rec["birthday"] != nil || rec["company"] != nil || rec["lastName"] != "Lovelace" {
		t.Errorf("after clearing: birthday %v company %v lastName %v", rec["birthday"], rec["company"], rec["lastName"])
	}
}

func TestPushNoChangeWritesNothing(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	payload := kitPayload(7, "Same")
	payload["birthday"] = "1990-01-02"
	payload["company"] = ""
	created, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", payload)
	if err != nil {
		t.Fatal(err)
	}
	before := emu.Requests()
	again, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, created.ExternalID, payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := emu.Requests() - before; got != 1 {
		t.Errorf("an unchanged push made %d requests, want 1 (the fetch)", got)
	}
	if !again.UpdatedAt.Equal(created.UpdatedAt) {
		t.Errorf("unchanged push moved updatedAt %s → %s", created.UpdatedAt, again.UpdatedAt)
	}
}

func TestPushValidationErrorIsPermanentAndKeepsBody(t *testing.T) {
	_, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	payload := kitPayload(1, "X")
	payload["email"] = "not-an-email"
	_, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", payload)
	if !errors.Is(err, connectors.ErrPermanent) {
		t.Fatalf("got %v, want a permanent error", err)
	}
	var herr *connectors.HTTPError
	if !errors.As(err, &herr) || herr.Status != 400 || !strings.Contains(herr.Body, `"pointer":"/email"`) || !strings.Contains(herr.Body, "not a valid email") {
		t.Errorf("error does not keep Shopware's answer: %v", err)
	}

	// Unknown country.
	p := kitPayload(2, "Y")
	p["defaultBillingAddress"].(map[string]any)["countryIso"] = "ZZ"
	if _, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", p); !errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("unknown country: got %v, want a permanent error", err)
	}
}

func TestPushCreateSurvivesLostAnswer(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	// Resolve references first so the failures hit the create itself.
	if _, err := c.createDefaults(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.countryID(testCtx(t), "DE"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.tagRefs(testCtx(t), []string{"kit"}); err != nil {
		t.Fatal(err)
	}
	emu.FailNext(3, http.StatusBadGateway) // the create and both retries
	before := emu.Count()
	_, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", kitPayload(3, "Z"))
	if err == nil || errors.Is(err, connectors.ErrPermanent) {
		t.Fatalf("create through 502s: got %v, want a retryable error", err)
	}
	if emu.Count() != before {
		t.Fatal("nothing should have been created")
	}
	rec, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", kitPayload(3, "Z"))
	if err != nil || emu.Count() != before+1 {
		t.Fatalf("retry: %v, count %d", err, emu.Count())
	}
	if _, err := c.FindBy(testCtx(t), connectors.ResourceCustomer, "email", "KIT-3@example.com"); err != nil {
		t.Errorf("FindBy is case-insensitive like MySQL: %v", err)
	}
	if err := c.Delete(testCtx(t), connectors.ResourceCustomer, rec.ExternalID); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(testCtx(t), connectors.ResourceCustomer, rec.ExternalID); err != nil {
		t.Errorf("deleting a deleted customer: %v", err)
	}
}

// TestWebhookDeliveries wires the emulator's deliveries to the connector:
// API writes echo back as customer.written, failed deliveries are retried.
func TestWebhookDeliveries(t *testing.T) {
	var mu sync.Mutex
	var events []connectors.Event
	failures := 2
	got := make(chan struct{}, 16)
	var c *Connector
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := c.VerifyWebhook(r.Header, body); err != nil {
			t.Errorf("delivery does not verify: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("sw-version") == "" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("delivery headers: %v", r.Header)
		}
		if failures > 0 {
			failures--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		evs, err := c.DecodeWebhook(r.Header, body)
		if err != nil {
			t.Errorf("decode delivery: %v", err)
		}
		events = append(events, evs...)
		w.WriteHeader(http.StatusOK)
		got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	emu, url := newEmulator(t, shopwaretest.Options{WebhookURL: srv.URL, WebhookRetryDelays: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}})
	c = connect(t, url, 10)

	rec, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", kitPayload(1, "Echo"))
	if err != nil {
		t.Fatal(err)
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("no delivery for %s", what)
		}
	}
	wait("API create (after two failed attempts)")
	emu.DeleteCustomer(rec.ExternalID)
	wait("merchant delete")
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0].ExternalID != rec.ExternalID || events[0].Topic != "customer.written" || events[0].Deleted ||
		events[1].ExternalID != rec.ExternalID || !events[1].Deleted {
		b, _ := json.Marshal(events)
		t.Errorf("events = %s", b)
	}
	if events[0].ID == events[1].ID {
		t.Error("two deliveries share an event id")
	}
}

func TestRetryAfterBody(t *testing.T) {
	tests := []struct {
		body string
		want time.Duration
		ok   bool
	}{
		{`{"errors":[{"status":"429","code":"FRAMEWORK__RATE_LIMIT_EXCEEDED","title":"Too Many Requests","detail":"Too many requests, try again in 10 seconds.","meta":{"parameters":{"seconds":10}}}]}`, 10 * time.Second, true},
		{`{"errors":[{"meta":{"parameters":{"seconds":"2.5"}}}]}`, 2500 * time.Millisecond, true},
		{`{"errors":[{"status":"429"}]}`, 0, false},
		{`<html>`, 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfterBody([]byte(tt.body))
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfterBody(%s) = %s, %v; want %s, %v", tt.body, got, ok, tt.want, tt.ok)
		}
	}
}

// A customer without an address is not a failure: Shopware cannot hold it
// yet, and an existing customer gets everything but an address it cannot
// hold yet.
func TestPushNotRepresentableYet(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	before := emu.Count()
	_, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", map[string]any{"email": "a@example.com", "firstName": "A", "lastName": "B"})
	if !errors.Is(err, connectors.ErrNotRepresentable) || errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("create without address: got %v, want not representable (and not permanent)", err)
	}
	if emu.Count() != before {
		t.Errorf("%d customers created, want none", emu.Count()-before)
	}

	// A change of the shipping address that names only what changed, while
	// billing and shipping share one address: the new shipping address is
	// the shared one with the change.
	rec, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, "", kitPayload(7, "W"))
	if err != nil {
		t.Fatal(err)
	}
	patch := map[string]any{"firstName": "Wanda", "defaultShippingAddress": map[string]any{"city": "Köln"}}
	if _, err := c.Upsert(testCtx(t), connectors.ResourceCustomer, rec.ExternalID, patch); err != nil {
		t.Fatalf("partial shipping change: %v", err)
	}
	held, _ := emu.Customer(rec.ExternalID)
	bill, _ := held["defaultBillingAddress"].(map[string]any)
	ship, _ := held["defaultShippingAddress"].(map[string]any)
	if held["firstName"] != "Wanda" || ship == nil || bill == nil || ship["city"] != "Köln" || ship["street"] != bill["street"] ||
		ship["id"] == bill["id"] || bill["city"] == "Köln" {
		t.Errorf("Shopware holds firstName %v, billing %v, shipping %v; want shipping split off with the new city", held["firstName"], bill, ship)
	}
}

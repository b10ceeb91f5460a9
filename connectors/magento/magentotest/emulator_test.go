package magentotest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors/magento/magentotest"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path string, body any) (int, map[string]any, any) {
	c.t.Helper()
	var r *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	} else {
		r = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, c.base+"/rest/default/V1/"+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	m, _ := v.(map[string]any)
	return resp.StatusCode, m, v
}

func start(t *testing.T, o magentotest.Options) (*magentotest.Emulator, client) {
	e := magentotest.New(o)
	u := e.Start()
	t.Cleanup(e.Close)
	return e, client{t: t, base: u, token: magentotest.DefaultIntegrationToken}
}

func search(q map[string]string) string {
	v := url.Values{}
	for k, x := range q {
		v.Set(k, x)
	}
	return "customers/search?" + v.Encode()
}

func TestSearchPagingRepeatsLastPage(t *testing.T) {
	e, c := start(t, magentotest.Options{})
	e.Seed(5)
	q := map[string]string{"searchCriteria[pageSize]": "2", "searchCriteria[currentPage]": "9",
		"searchCriteria[sortOrders][0][field]": "entity_id", "searchCriteria[sortOrders][0][direction]": "DESC"}
	_, m, _ := c.do("GET", search(q), nil)
	items := m["items"].([]any)
	if m["total_count"] != float64(5) || len(items) != 1 || items[0].(map[string]any)["id"] != float64(1) {
		t.Errorf("page past the end: total %v items %v, want the last page (id 1) again", m["total_count"], items)
	}
	q["searchCriteria[pageSize]"] = "301"
	if code, m, _ := c.do("GET", search(q), nil); code != 400 || !strings.Contains(m["message"].(string), "pageSize") {
		t.Errorf("page size over the limit: %d %v", code, m)
	}
}

func TestSearchFilters(t *testing.T) {
	e, c := start(t, magentotest.Options{})
	e.Seed(4)
	tests := []struct {
		filters map[string]string
		want    float64
	}{
		{map[string]string{"[0][filters][0][field]": "entity_id", "[0][filters][0][value]": "2", "[0][filters][0][condition_type]": "gt"}, 2},
		{map[string]string{"[0][filters][0][field]": "entity_id", "[0][filters][0][value]": "1,3", "[0][filters][0][condition_type]": "in"}, 2},
		{map[string]string{"[0][filters][0][field]": "email", "[0][filters][0][value]": "CUSTOMER2@example.com"}, 1},
		{map[string]string{"[0][filters][0][field]": "email", "[0][filters][0][value]": "%3@%", "[0][filters][0][condition_type]": "like"}, 1},
		// OR inside a group, AND across groups.
		{map[string]string{"[0][filters][0][field]": "entity_id", "[0][filters][0][value]": "1", "[0][filters][1][field]": "entity_id", "[0][filters][1][value]": "4",
			"[1][filters][0][field]": "entity_id", "[1][filters][0][value]": "4", "[1][filters][0][condition_type]": "lteq"}, 2},
	}
	for _, tt := range tests {
		q := map[string]string{}
		for k, v := range tt.filters {
			q["searchCriteria[filter_groups]"+k] = v
		}
		_, m, _ := c.do("GET", search(q), nil)
		if m["total_count"] != tt.want {
			t.Errorf("%v: total %v, want %v", tt.filters, m["total_count"], tt.want)
		}
	}
}

func TestFullSavePut(t *testing.T) {
	e, c := start(t, magentotest.Options{})
	id := e.CreateCustomer(map[string]any{"email": "f@example.com", "firstname": "F", "lastname": "S", "dob": "1990-01-02",
		"custom_attributes": []any{map[string]any{"attribute_code": "loyalty_number", "value": "1"}},
		"addresses":         []any{map[string]any{"firstname": "F", "lastname": "S", "street": []any{"X 1"}, "city": "C", "country_id": "DE", "default_billing": true}}})
	// Omitted addresses are kept; omitted custom attributes and dob are gone.
	code, m, _ := c.do("PUT", "customers/"+id, map[string]any{"customer": map[string]any{"email": "f@example.com", "firstname": "G", "lastname": "S"}})
	if code != 200 || len(m["addresses"].([]any)) != 1 || m["dob"] != nil || m["custom_attributes"] != nil {
		t.Errorf("PUT without addresses: %d %v", code, m)
	}
	// "addresses": [] removes them.
	_, m, _ = c.do("PUT", "customers/"+id, map[string]any{"customer": map[string]any{"email": "f@example.com", "firstname": "G", "lastname": "S", "addresses": []any{}}})
	if len(m["addresses"].([]any)) != 0 || m["default_billing"] != nil {
		t.Errorf("PUT with addresses []: %v", m)
	}
	code, m, _ = c.do("PUT", "customers/"+id, map[string]any{"customer": map[string]any{"email": "f@example.com", "lastname": "S"}})
	if code != 400 || m["message"] != `"%fieldName" is required. Enter and try again.` || m["parameters"].(map[string]any)["fieldName"] != "firstname" {
		t.Errorf("missing firstname: %d %v", code, m)
	}
}

func TestTokensAndLockout(t *testing.T) {
	e, c := start(t, magentotest.Options{IntegrationToken: "-", TokenLifetime: time.Hour})
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	e.SetNow(now)
	c.token = ""
	code, _, tok := c.do("POST", "integration/admin/token", map[string]any{"username": magentotest.DefaultAdminUser, "password": magentotest.DefaultAdminPassword})
	if code != 200 {
		t.Fatalf("token: %d", code)
	}
	c.token = tok.(string)
	if code, _, _ := c.do("GET", search(nil), nil); code != 200 {
		t.Errorf("with a fresh token: %d", code)
	}
	e.Advance(time.Hour)
	code, m, _ := c.do("GET", search(nil), nil)
	if code != 401 || m["message"] != "The consumer isn't authorized to access %resources." {
		t.Errorf("after the lifetime: %d %v", code, m)
	}
	c.token = ""
	for i := 0; i < 6; i++ {
		c.do("POST", "integration/admin/token", map[string]any{"username": magentotest.DefaultAdminUser, "password": "bad"})
	}
	if code, _, _ := c.do("POST", "integration/admin/token", map[string]any{"username": magentotest.DefaultAdminUser, "password": magentotest.DefaultAdminPassword}); code != 401 {
		t.Errorf("right password while locked: %d", code)
	}
	e.Advance(31 * time.Minute)
	if code, _, _ := c.do("POST", "integration/admin/token", map[string]any{"username": magentotest.DefaultAdminUser, "password": magentotest.DefaultAdminPassword}); code != 200 {
		t.Errorf("right password after the lockout: %d", code)
	}
}

// TestAddressEditLeavesUpdatedAt: customer_entity.updated_at moves only
// when a column of the customer row changes; an edit of an address alone
// (customer_address_entity) leaves it, as in Magento — which is why a poll
// by updated_at never sees address-book edits.
func TestAddressEditLeavesUpdatedAt(t *testing.T) {
	e := magentotest.New(magentotest.Options{})
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	e.SetNow(t0)
	id := e.CreateCustomer(map[string]any{"email": "addr@example.com", "firstname": "Ada", "lastname": "Dress",
		"addresses": []any{map[string]any{"firstname": "Ada", "lastname": "Dress", "street": []any{"Alte Gasse 1"}, "city": "Köln",
			"postcode": "50667", "country_id": "DE", "telephone": "0221 1", "default_billing": true}}})
	c, _ := e.Customer(id)
	addr := c["addresses"].([]any)[0].(map[string]any)
	addr["telephone"] = "0221 2"
	e.SetNow(t0.Add(time.Hour))
	if err := e.UpdateCustomer(id, map[string]any{"addresses": []any{addr}}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.Customer(id)
	if got := after["addresses"].([]any)[0].(map[string]any)["telephone"]; got != "0221 2" {
		t.Fatalf("address not changed: telephone %v", got)
	}
	if after["updated_at"] != c["updated_at"] {
		t.Errorf("an address-only edit moved updated_at from %v to %v", c["updated_at"], after["updated_at"])
	}
	e.SetNow(t0.Add(2 * time.Hour))
	if err := e.UpdateCustomer(id, map[string]any{"lastname": "Dressler"}); err != nil {
		t.Fatal(err)
	}
	if after, _ = e.Customer(id); after["updated_at"] == c["updated_at"] {
		t.Error("an edit of the customer row left updated_at")
	}
}

// TestNeedToConfirmKeepsSubscriptionPending: with Need to Confirm, a
// subscription saved through the API waits as Not Activated and reads as
// is_subscribed false until the customer confirms; sending that false back
// unsubscribes. Without it, a subscription is active at once.
func TestNeedToConfirmKeepsSubscriptionPending(t *testing.T) {
	subscribed := func(e *magentotest.Emulator, id string) any {
		c, _ := e.Customer(id)
		return c["extension_attributes"].(map[string]any)["is_subscribed"]
	}
	plain := magentotest.New(magentotest.Options{})
	id := plain.CreateCustomer(map[string]any{"email": "p@example.com", "firstname": "P", "lastname": "Plain",
		"extension_attributes": map[string]any{"is_subscribed": true}})
	if subscribed(plain, id) != true || plain.SubscriberStatus(id) != magentotest.SubscriberSubscribed {
		t.Fatalf("without Need to Confirm: is_subscribed %v, status %d", subscribed(plain, id), plain.SubscriberStatus(id))
	}

	e := magentotest.New(magentotest.Options{NeedToConfirm: true})
	id = e.CreateCustomer(map[string]any{"email": "d@example.com", "firstname": "D", "lastname": "Double"})
	if err := e.UpdateCustomer(id, map[string]any{"extension_attributes": map[string]any{"is_subscribed": true}}); err != nil {
		t.Fatal(err)
	}
	if subscribed(e, id) != false || e.SubscriberStatus(id) != magentotest.SubscriberNotActive {
		t.Fatalf("pending subscription: is_subscribed %v, status %d", subscribed(e, id), e.SubscriberStatus(id))
	}
	if !e.ConfirmSubscription(id) || subscribed(e, id) != true {
		t.Fatalf("after confirming: is_subscribed %v", subscribed(e, id))
	}
	id2 := e.CreateCustomer(map[string]any{"email": "d2@example.com", "firstname": "D", "lastname": "Two",
		"extension_attributes": map[string]any{"is_subscribed": true}})
	if err := e.UpdateCustomer(id2, map[string]any{"extension_attributes": map[string]any{"is_subscribed": false}}); err != nil {
		t.Fatal(err)
	}
	if e.SubscriberStatus(id2) != magentotest.SubscriberUnsubscribed || e.ConfirmSubscription(id2) {
		t.Errorf("a pending subscription saved back as false: status %d, want unsubscribed", e.SubscriberStatus(id2))
	}
}

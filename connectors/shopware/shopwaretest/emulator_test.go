package shopwaretest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, e *Emulator, url, method, path, token string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func TestEmulatorAPI(t *testing.T) {
	e := New(Options{TokenTTL: time.Minute})
	url := e.Start()
	t.Cleanup(e.Close)

	resp, out := call(t, e, url, "POST", "/api/oauth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": "SWIA-test", "client_secret": "nope"})
	if resp.StatusCode != 401 {
		t.Fatalf("wrong credentials: %d %v", resp.StatusCode, out)
	}
	_, out = call(t, e, url, "POST", "/api/oauth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": "SWIA-test", "client_secret": "test-secret"})
	tok, _ := out["access_token"].(string)
	if tok == "" || out["expires_in"] != float64(60) {
		t.Fatalf("token answer %v", out)
	}
	resp, out = call(t, e, url, "POST", "/api/search/customer", "bad", map[string]any{})
	if resp.StatusCode != 401 || !strings.Contains(mustJSON(out), `"detail":"Access token could not be verified."`) {
		t.Errorf("bad bearer: %d %v", resp.StatusCode, out)
	}

	ids := e.Seed(3)
	e.UpdateCustomer(ids[0], map[string]any{"lastName": "Updated"})
	// MySQL sorts NULL first: the never-updated come before the updated.
	_, out = call(t, e, url, "POST", "/api/search/customer", tok, map[string]any{
		"sort":             []any{map[string]any{"field": "updatedAt"}, map[string]any{"field": "createdAt"}, map[string]any{"field": "id"}},
		"total-count-mode": 1, "limit": 2,
	})
	data := out["data"].([]any)
	if out["total"] != float64(3) || len(data) != 2 || data[0].(map[string]any)["id"] == ids[0] || data[1].(map[string]any)["id"] == ids[0] {
		t.Errorf("sorted search = %v", mustJSON(out))
	}
	_, out = call(t, e, url, "POST", "/api/search/customer", tok, map[string]any{
		"filter": []any{map[string]any{"type": "multi", "operator": "or", "queries": []any{
			map[string]any{"type": "equals", "field": "lastName", "value": "updated"},
			map[string]any{"type": "equalsAny", "field": "id", "value": []string{ids[2]}},
		}}},
	})
	if got := len(out["data"].([]any)); got != 2 {
		t.Errorf("multi/or filter matched %d, want 2", got)
	}
	// Criteria ids: only those records, each once, unknown ids left out.
	_, out = call(t, e, url, "POST", "/api/search/customer", tok, map[string]any{"ids": []string{ids[2], "0000", ids[0], ids[2]}})
	var got []any
	for _, r := range out["data"].([]any) {
		got = append(got, r.(map[string]any)["id"])
	}
	if len(got) != 2 || !slices.Contains(got, any(ids[0])) || !slices.Contains(got, any(ids[2])) || out["total"] != float64(2) {
		t.Errorf("ids search = %v (total %v), want [%s %s]", got, out["total"], ids[0], ids[2])
	}
	resp, _ = call(t, e, url, "POST", "/api/search/customer", tok, map[string]any{"limit": 501})
	if resp.StatusCode != 400 {
		t.Errorf("limit 501: %d, want 400", resp.StatusCode)
	}

	resp, out = call(t, e, url, "POST", "/api/customer", tok, map[string]any{"email": "x@example.com"})
	if resp.StatusCode != 400 || !strings.Contains(mustJSON(out), `"pointer":"/firstName"`) {
		t.Errorf("incomplete create: %d %v", resp.StatusCode, mustJSON(out))
	}

	e.Throttle(1, 1500*time.Millisecond)
	resp, out = call(t, e, url, "POST", "/api/search/customer", tok, map[string]any{})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1.5" || !strings.Contains(mustJSON(out), `"seconds":2`) {
		t.Errorf("throttled: %d %s %v", resp.StatusCode, resp.Header.Get("Retry-After"), mustJSON(out))
	}
}

func TestSignedDelivery(t *testing.T) {
	e := New(Options{AppSecret: "s"})
	t.Cleanup(e.Close)
	h, body := e.SignedDelivery("customer.deleted", []string{"a", "b"})
	if h.Get("shopware-shop-signature") != e.Sign(body) {
		t.Error("signature header does not sign the body")
	}
	var env struct {
		Data struct {
			Payload []map[string]any `json:"payload"`
			Event   string           `json:"event"`
		} `json:"data"`
		Source struct {
			EventID string `json:"eventId"`
		} `json:"source"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Data.Event != "customer.deleted" || len(env.Data.Payload) != 2 || env.Data.Payload[0]["operation"] != "delete" || env.Source.EventID == "" {
		t.Errorf("delivery = %s", body)
	}
	_, again := e.SignedDelivery("customer.deleted", []string{"a"})
	if bytes.Equal(body, again) {
		t.Error("two deliveries are identical; eventId must be fresh")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Writes over Shopware's column limits are refused as Shopware refuses
// them (StringField maxLength, Symfony's Length violation): the customer's
// names hold 255 characters, an address's first name 50, last name 60.
func TestEmulatorColumnLimits(t *testing.T) {
	e := New(Options{})
	url := e.Start()
	t.Cleanup(e.Close)
	_, out := call(t, e, url, "POST", "/api/oauth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": "SWIA-test", "client_secret": "test-secret"})
	tok, _ := out["access_token"].(string)
	id := e.Seed(1)[0]
	tests := []struct {
		name    string
		body    map[string]any
		pointer string // "" accepted
	}{
		{"255-character first name", map[string]any{"firstName": strings.Repeat("ä", 255)}, ""},
		{"256-character first name", map[string]any{"firstName": strings.Repeat("ä", 256)}, "/firstName"},
		{"101-character title", map[string]any{"title": strings.Repeat("t", 101)}, "/title"},
		{"50-character address first name", map[string]any{"defaultBillingAddress": map[string]any{"id": e.mustAddress(t, id), "firstName": strings.Repeat("a", 50)}}, ""},
		{"51-character address first name", map[string]any{"defaultBillingAddress": map[string]any{"id": e.mustAddress(t, id), "firstName": strings.Repeat("a", 51)}}, "/defaultBillingAddress/firstName"},
		{"61-character address last name", map[string]any{"defaultBillingAddress": map[string]any{"id": e.mustAddress(t, id), "lastName": strings.Repeat("a", 61)}}, "/defaultBillingAddress/lastName"},
	}
	for _, tt := range tests {
		resp, out := call(t, e, url, "PATCH", "/api/customer/"+id, tok, tt.body)
		if tt.pointer == "" {
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("%s: %d %v, want 204", tt.name, resp.StatusCode, out)
			}
			continue
		}
		js := mustJSON(out)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(js, `"code":"d94b19cc-114f-4f44-9cc4-4138e80a87b9"`) || !strings.Contains(js, `"pointer":"`+tt.pointer+`"`) {
			t.Errorf("%s: %d %s, want 400 with the Length violation at %s", tt.name, resp.StatusCode, js, tt.pointer)
		}
	}
}

func (e *Emulator) mustAddress(t *testing.T, customerID string) string {
	t.Helper()
	c, ok := e.Customer(customerID)
	if !ok {
		t.Fatalf("no customer %s", customerID)
	}
	return c["defaultBillingAddressId"].(string)
}

// Returns move through order_return.state as the Commercial extension
// defines it — open → in_progress → done, open or in_progress →
// cancelled, done or cancelled → open — and an illegal move fails. A
// return line's state is of order_line_item.state: return_requested when
// filed, returned once its return is done, and still return_requested
// when its return is cancelled (return lines are never cancelled).
func TestReturnStateMachine(t *testing.T) {
	e := New(Options{ReturnManagement: true})
	e.Start()
	t.Cleanup(e.Close)
	cust := e.CreateCustomer(map[string]any{"email": "rita@example.com", "firstName": "Rita", "lastName": "Tour"})
	id, err := e.PlaceOrder(cust, "EUR", true, OrderLine{Label: "Teapot", Quantity: 2, Price: "60.00"}, OrderLine{Label: "Cup", Quantity: 1, Price: "30.00"})
	if err != nil {
		t.Fatal(err)
	}
	teapot, err := e.RequestReturn(id, map[string]int64{"Teapot": 1})
	if err != nil {
		t.Fatal(err)
	}
	cup, err := e.RequestReturn(id, map[string]int64{"Cup": 1})
	if err != nil {
		t.Fatal(err)
	}
	states := func() map[string][2]string { // return id -> its state, its line's state
		t.Helper()
		o, _ := e.Order(id)
		out := map[string][2]string{}
		for _, r := range o["returns"].([]any) {
			rm := r.(map[string]any)
			line := rm["lineItems"].([]any)[0].(map[string]any)
			out[rm["id"].(string)] = [2]string{rm["state"].(map[string]any)["technicalName"].(string),
				line["state"].(map[string]any)["technicalName"].(string)}
		}
		return out
	}
	steps := []struct {
		ret, to string
		legal   bool
	}{
		{teapot, "done", false}, // complete is in_progress → done only
		{teapot, "in_progress", true},
		{teapot, "done", true},
		{teapot, "cancelled", false},
		{cup, "cancelled", true},
		{cup, "done", false},
		{cup, "in_progress", false},
	}
	for _, s := range steps {
		if err := e.SetReturnState(s.ret, s.to); (err == nil) != s.legal {
			t.Errorf("return %s to %s: %v, legal %v", s.ret, s.to, err, s.legal)
		}
	}
	want := map[string][2]string{teapot: {"done", "returned"}, cup: {"cancelled", "return_requested"}}
	if got := states(); got[teapot] != want[teapot] || got[cup] != want[cup] {
		t.Errorf("states %v, want %v", got, want)
	}
	if err := e.SetReturnState(cup, "open"); err != nil { // reopen
		t.Errorf("reopen a cancelled return: %v", err)
	}
}

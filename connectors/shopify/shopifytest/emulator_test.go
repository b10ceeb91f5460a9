package shopifytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

func newTestEmulator(t *testing.T, opts Options) (*Emulator, *client) {
	t.Helper()
	e := New(opts)
	url := e.Start()
	t.Cleanup(e.Close)
	return e, &client{t: t, base: url + "/admin/api/2025-10/", token: e.Options().AccessToken}
}

// do sends a request; path is relative to /admin/api/2025-10/ unless it is
// an absolute URL (a Link target).
func (c *client) do(method, path, body string) (*http.Response, []byte) {
	c.t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-Shopify-Access-Token", c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var linkRe = regexp.MustCompile(`<([^<>]+)>;\s*rel="([^"]+)"`)

func links(h http.Header) map[string]string {
	out := map[string]string{}
	for _, m := range linkRe.FindAllStringSubmatch(h.Get("Link"), -1) {
		out[m[2]] = m[1]
	}
	return out
}

func ids(t *testing.T, body []byte) []string {
	t.Helper()
	var out struct {
		Customers []struct {
			ID json.Number `json:"id"`
		} `json:"customers"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var s []string
	for _, c := range out.Customers {
		s = append(s, c.ID.String())
	}
	return s
}

func TestPagingThousandCustomers(t *testing.T) {
	e, c := newTestEmulator(t, Options{})
	seeded := e.Seed(1000)
	for _, tt := range []struct {
		name, query string
		want        []string
	}{
		{"default id order", "customers.json?limit=250", seeded},
		{"updated_at asc", "customers.json?limit=250&order=updated_at+asc", seeded},
		{"id desc", "customers.json?limit=250&order=id+desc", reversed(seeded)},
		{"since_id", "customers.json?limit=250&since_id=" + seeded[899], seeded[900:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var pages [][]string
			next := tt.query
			for next != "" {
				resp, body := c.do("GET", next, "")
				if resp.StatusCode != 200 {
					t.Fatalf("%d %s", resp.StatusCode, body)
				}
				page := ids(t, body)
				pages = append(pages, page)
				got = append(got, page...)
				l := links(resp.Header)
				if len(pages) > 1 && l["previous"] == "" {
					t.Error("page after the first has no rel=previous")
				}
				if len(pages) == 1 && l["previous"] != "" {
					t.Error("first page has rel=previous")
				}
				if l["previous"] != "" && len(pages) > 1 {
					// Going back returns exactly the page before.
					_, pb := c.do("GET", l["previous"], "")
					if diff := cmp.Diff(pages[len(pages)-2], ids(t, pb)); diff != "" {
						t.Errorf("previous page differs:\n%s", diff)
					}
				}
				next = l["next"]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestUpdatedAtOrderAndMin(t *testing.T) {
	base := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := base
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func() { mu.Lock(); now = now.Add(time.Second); mu.Unlock() }
	e, c := newTestEmulator(t, Options{Now: clock})
	ids1 := e.Seed(10)
	tick()
	if err := e.UpdateCustomer(ids1[2], map[string]any{"note": "x"}); err != nil {
		t.Fatal(err)
	}
	tick()
	if err := e.UpdateCustomer(ids1[0], map[string]any{"first_name": "Zed"}); err != nil {
		t.Fatal(err)
	}
	_, body := c.do("GET", "customers.json?order=updated_at%20asc&limit=250", "")
	want := append(append([]string{}, ids1[1], ids1[3], ids1[4], ids1[5], ids1[6], ids1[7], ids1[8], ids1[9]), ids1[2], ids1[0])
	if diff := cmp.Diff(want, ids(t, body)); diff != "" {
		t.Errorf("updated_at order (-want +got):\n%s", diff)
	}
	min := base.Add(time.Second).In(time.FixedZone("", -4*3600)).Format(time.RFC3339)
	_, body = c.do("GET", "customers.json?order=updated_at+asc&updated_at_min="+strings.ReplaceAll(min, "+", "%2B"), "")
	if diff := cmp.Diff([]string{ids1[2], ids1[0]}, ids(t, body)); diff != "" {
		t.Errorf("updated_at_min (inclusive, offset-aware) (-want +got):\n%s", diff)
	}
	cust, _ := e.Customer(ids1[0])
	if cust["updated_at"] != "2025-05-01T08:00:02-04:00" {
		t.Errorf("updated_at = %v, want RFC 3339 with the shop's offset", cust["updated_at"])
	}
	if err := e.UpdateCustomer(ids1[0], map[string]any{"first_name": "Zed"}); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.Customer(ids1[0]); again["updated_at"] != cust["updated_at"] {
		t.Error("an edit that changes nothing bumped updated_at")
	}
}

func TestErrorsAsShopifyAnswers(t *testing.T) {
	e, c := newTestEmulator(t, Options{})
	id := e.Seed(3)[0]
	resp, _ := c.do("GET", "customers.json?limit=1", "")
	pageInfoURL := links(resp.Header)["next"]

	bad := &client{t: t, base: c.base, token: "wrong"}
	tests := []struct {
		name   string
		c      *client
		method string
		path   string
		body   string
		status int
		want   string
	}{
		{"wrong token", bad, "GET", "customers.json", "", 401, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`},
		{"unknown path", c, "GET", "widgets.json", "", 404, `{"errors":"Not Found"}`},
		{"unknown customer", c, "GET", "customers/1.json", "", 404, `{"errors":"Not Found"}`},
		{"limit over 250", c, "GET", "customers.json?limit=251", "", 400, `limit`},
		{"page_info with a filter", c, "GET", pageInfoURL + "&updated_at_min=2020-01-01", "", 400, `page_info`},
		{"bad page_info", c, "GET", "customers.json?page_info=not-a-token!", "", 400, `page_info`},
		{"missing wrapper", c, "POST", "customers.json", `{"email":"a@b.example"}`, 400, `Required parameter missing`},
		{"invalid email", c, "POST", "customers.json", `{"customer":{"email":"nope"}}`, 422, `{"errors":{"email":["is invalid"]}}`},
		{"email taken", c, "POST", "customers.json", `{"customer":{"email":"customer` + id + `@example.com"}}`, 422, `{"errors":{"email":["has already been taken"]}}`},
		{"count", c, "GET", "customers/count.json", "", 200, `{"count":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tt.c.do(tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("%d %s, want %d containing %s", resp.StatusCode, body, tt.status, tt.want)
			}
			if resp.Header.Get("X-Shopify-Shop-Api-Call-Limit") == "" && tt.status != 401 && tt.status != 404 {
				t.Error("no X-Shopify-Shop-Api-Call-Limit header")
			}
		})
	}
}

func TestLeakyBucket(t *testing.T) {
	_, c := newTestEmulator(t, Options{LeakRate: StandardLeakRate, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	for i := 1; i <= 40; i++ {
		resp, _ := c.do("GET", "customers/count.json", "")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		if got, want := resp.Header.Get("X-Shopify-Shop-Api-Call-Limit"), fmt.Sprintf("%d/40", i); got != want {
			t.Errorf("request %d: call limit %s, want %s", i, got, want)
		}
	}
	resp, body := c.do("GET", "customers/count.json", "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2.0" || !strings.Contains(string(body), "Exceeded 2 calls per second") {
		t.Errorf("41st request: %d Retry-After=%q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestThrottleAndFailNext(t *testing.T) {
	e, c := newTestEmulator(t, Options{})
	e.Throttle(2, 250*time.Millisecond)
	for i := 0; i < 2; i++ {
		resp, _ := c.do("GET", "customers/count.json", "")
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "0.25" {
			t.Errorf("throttled request %d: %d %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	e.FailNext(1, 503)
	if resp, _ := c.do("GET", "customers/count.json", ""); resp.StatusCode != 503 {
		t.Errorf("FailNext: %d", resp.StatusCode)
	}
	if resp, _ := c.do("GET", "customers/count.json", ""); resp.StatusCode != 200 {
		t.Errorf("after controls: %d", resp.StatusCode)
	}
	if e.Requests() != 4 {
		t.Errorf("Requests = %d, want 4", e.Requests())
	}
}

// hook records deliveries and fails the first failures of them.
type hook struct {
	mu       sync.Mutex
	failures int
	got      []http.Header
	bodies   [][]byte
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, r.Header.Clone())
	h.bodies = append(h.bodies, b)
	if h.failures > 0 {
		h.failures--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func TestWebhooksForAPIWritesWithRetries(t *testing.T) {
	h := &hook{failures: 2}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e, c := newTestEmulator(t, Options{WebhookURL: srv.URL, WebhookSecret: "shh", WebhookRetry: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}})

	resp, body := c.do("POST", "customers.json", `{"customer":{"email":"hook@example.com","first_name":"Hook"}}`)
	if resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if err := e.WaitDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := e.Deliveries()
	if st.Sent != 1 || st.Retried != 2 || st.Attempts != 3 || st.Failed != 0 {
		t.Errorf("stats = %+v", st)
	}
	h.mu.Lock()
	first, last := h.got[0], h.got[len(h.got)-1]
	lastBody := h.bodies[len(h.bodies)-1]
	h.mu.Unlock()
	if first.Get("X-Shopify-Webhook-Id") == "" || first.Get("X-Shopify-Webhook-Id") != last.Get("X-Shopify-Webhook-Id") {
		t.Error("retries must reuse the webhook id")
	}
	if last.Get("X-Shopify-Topic") != "customers/create" || last.Get("X-Shopify-Hmac-Sha256") != SignWith("shh", lastBody) {
		t.Errorf("topic %q, signature mismatch", last.Get("X-Shopify-Topic"))
	}
	for _, k := range []string{"X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"} {
		if last.Get(k) == "" {
			t.Errorf("delivery lacks %s", k)
		}
	}
	var payload map[string]any
	if err := json.Unmarshal(lastBody, &payload); err != nil || payload["email"] != "hook@example.com" {
		t.Errorf("body is not the bare customer: %s", lastBody)
	}

	// An API update fires customers/update (the echo a sync must suppress);
	// a no-op update fires nothing.
	id, _ := e.FindByEmail("hook@example.com")
	c.do("PUT", "customers/"+id+".json", `{"customer":{"id":`+id+`,"first_name":"Changed"}}`)
	c.do("PUT", "customers/"+id+".json", `{"customer":{"id":`+id+`,"first_name":"Changed"}}`)
	if err := e.WaitDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	topics := []string{}
	for _, g := range h.got[3:] {
		topics = append(topics, g.Get("X-Shopify-Topic"))
	}
	h.mu.Unlock()
	if diff := cmp.Diff([]string{"customers/update"}, topics); diff != "" {
		t.Errorf("topics after two identical PUTs (-want +got):\n%s", diff)
	}
}

func TestCloseStopsRetries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	t.Cleanup(srv.Close)
	e := New(Options{WebhookURL: srv.URL, WebhookRetry: []time.Duration{time.Hour}})
	e.CreateCustomer(map[string]any{"email": "x@example.com"})
	deadline := time.Now().Add(5 * time.Second)
	for e.Deliveries().Attempts == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	e.Close()
	e.Close()
	if time.Since(start) > time.Second {
		t.Errorf("Close took %s while a retry was scheduled in an hour", time.Since(start))
	}
	if st := e.Deliveries(); st.Failed != 1 || st.Pending != 0 {
		t.Errorf("stats after Close = %+v", st)
	}
}

func TestSignedDelivery(t *testing.T) {
	e := New(Options{WebhookSecret: "k"})
	defer e.Close()
	h, body := e.SignedDelivery("customers/update", map[string]any{"id": 1})
	if string(body) != `{"id":1}` || h.Get("X-Shopify-Hmac-Sha256") != SignWith("k", body) || h.Get("X-Shopify-Topic") != "customers/update" {
		t.Errorf("headers %v body %s", h, body)
	}
}

// BenchmarkListMillion pages through the newest changes of a shop with a
// million customers: paging must cost O(page), not O(shop).
func BenchmarkListMillion(b *testing.B) {
	e := New(Options{})
	defer e.Close()
	ids := e.Seed(1_000_000)
	for _, id := range ids[:1000] {
		_ = e.UpdateCustomer(id, map[string]any{"note": "changed"})
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	c, _ := e.Customer(ids[0])
	url := srv.URL + "/admin/api/2025-10/customers.json?limit=250&order=updated_at+asc&updated_at_min=" + strings.ReplaceAll(c["updated_at"].(string), "+", "%2B")
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Shopify-Access-Token", DefaultAccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

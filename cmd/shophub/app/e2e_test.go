package app_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/sync/redistest"
)

// quiet waits until no task is pending, running, scheduled or retrying and
// every outbox event is dispatched: the pipeline has nothing left to do.
func (e *env) quiet(t *testing.T) {
	t.Helper()
	w := pipelineWatch{rdb: e.rdb, store: e.app.Store}
	if _, ok := w.wait(60 * time.Second); !ok { // a hang guard
		t.Fatalf("after 60s: pipeline never became idle; last seen: %s", w.busy)
	}
}

func (e *env) hubCustomer(t *testing.T, email string) (*hub.Customer, map[string]any) {
	t.Helper()
	c, err := e.app.Store.CustomerByEmail(context.Background(), email)
	if err != nil {
		return nil, nil
	}
	c, data, err := e.app.Store.Customer(context.Background(), c.ID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil // erased between the two reads
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, data
}

// waitInsights waits until the insights of email's hub customer satisfy
// ok; a test that fails then logs the insights it read last.
func (e *env) waitInsights(t *testing.T, email, what string, ok func(hub.Indicators) bool) {
	t.Helper()
	var got hub.Indicators
	defer func() {
		if t.Failed() {
			t.Logf("insights %+v", got)
		}
	}()
	eventually(t, 20*time.Second, what, func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		got, _, _ = e.app.Store.Insights(context.Background(), c.ID)
		return ok(got)
	})
}

// staysIdle checks that, with nobody editing, the customer's version does
// not move and neither emulator gets a call (no echo loop), and returns
// the hub's profile.
func (e *env) staysIdle(t *testing.T, email string) map[string]any {
	t.Helper()
	before, _ := e.hubCustomer(t, email)
	shopifyReq, shopwareReq := e.shopify.Requests(), e.shopware.Requests()
	time.Sleep(2 * time.Second)
	e.quiet(t)
	after, data := e.hubCustomer(t, email)
	if after.Version != before.Version {
		t.Errorf("version moved from %d to %d with nobody editing: an echo loop", before.Version, after.Version)
	}
	if e.shopify.Requests() != shopifyReq || e.shopware.Requests() != shopwareReq {
		t.Errorf("vendor API calls continued while idle: shopify %d→%d, shopware %d→%d",
			shopifyReq, e.shopify.Requests(), shopwareReq, e.shopware.Requests())
	}
	return data
}

// atShopware waits until the hub's customer of email is linked at
// Shopware and returns it with its Shopware id.
func (e *env) atShopware(t *testing.T, email string) (*hub.Customer, string) {
	t.Helper()
	var cust *hub.Customer
	var shopwareID string
	eventually(t, 15*time.Second, "customer never reached Shopware", func() bool {
		cust, _ = e.hubCustomer(t, email)
		if cust == nil {
			return false
		}
		shopwareID = e.linkOf(t, cust.ID, "shopware")
		return shopwareID != ""
	})
	return cust, shopwareID
}

func (e *env) linkOf(t *testing.T, customerID uint64, instance string) string {
	t.Helper()
	l, err := e.app.Store.Link(context.Background(), customerID, instance, "customer")
	if err != nil {
		return ""
	}
	return l.ExternalID
}

func TestCustomerTravelsShopifyToShopwareAndBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	email := "reise@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{
		"email": email, "first_name": "Rita", "last_name": "Reise", "phone": "+4930555123", "tags": "vip",
		"addresses": []any{map[string]any{"address1": "Unter den Linden 1", "city": "Berlin", "zip": "10117", "country_code": "DE", "default": true}},
	})

	// Shopify → hub → Shopware.
	cust, shopwareID := e.atShopware(t, email)
	sw, ok := e.shopware.Customer(shopwareID)
	if !ok {
		t.Fatalf("hub links Shopware record %s, the emulator has none", shopwareID)
	}
	if sw["email"] != email || sw["firstName"] != "Rita" || sw["lastName"] != "Reise" {
		t.Errorf("Shopware record: email %v firstName %v lastName %v", sw["email"], sw["firstName"], sw["lastName"])
	}
	if e.linkOf(t, cust.ID, "shopify") != shopifyID {
		t.Errorf("hub not linked to Shopify record %s", shopifyID)
	}

	// An edit in Shopware flows back to Shopify.
	if !e.shopware.UpdateCustomer(shopwareID, map[string]any{"firstName": "Rosa"}) {
		t.Fatalf("Shopware emulator has no customer %s", shopwareID)
	}
	eventually(t, 15*time.Second, "Shopware edit never reached Shopify", func() bool {
		c, ok := e.shopify.Customer(shopifyID)
		return ok && c["first_name"] == "Rosa"
	})

	// The echoes of those writes change nothing: versions and vendor
	// records stay put once the pipeline is idle.
	e.quiet(t)
	data := e.staysIdle(t, email)
	if data["first_name"] != "Rosa" || data["phone"] != "+4930555123" {
		t.Errorf("hub profile: %v", data)
	}
	var customers int64
	e.app.Store.DB().Model(&hub.Customer{}).Count(&customers)
	if customers != 1 {
		t.Errorf("%d hub customers, want 1", customers)
	}
	if n := e.shopware.Count(); n != 1 {
		t.Errorf("%d Shopware customers, want 1", n)
	}
}

func postWebhook(t *testing.T, url string, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func shopifyRecord(id int, email, first string, updated time.Time) map[string]any {
	return map[string]any{"id": id, "email": email, "first_name": first, "last_name": "Order",
		"created_at": "2026-01-01T10:00:00+01:00", "updated_at": updated.Format(time.RFC3339), "tags": ""}
}

func TestDuplicateAndReorderedWebhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: func(c *config.Config) { onlyShopify(c) }})
	url := e.app.URL() + "/webhooks/shopify"
	email := "order@example.com"
	id := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Original", "last_name": "Order"})
	var v0 int64
	eventually(t, 10*time.Second, "created customer never reached the hub", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c != nil {
			v0 = c.Version
		}
		return c != nil
	})
	e.quiet(t)

	// Two later edits, as Shopify would send them: the stored record with a
	// new name and updated_at.
	rec, _ := e.shopify.Customer(id)
	edit := func(first string, at time.Time) map[string]any {
		r := map[string]any{}
		for k, v := range rec {
			r[k] = v
		}
		r["first_name"], r["updated_at"] = first, at.Format(time.RFC3339)
		return r
	}
	t1 := time.Now().Add(time.Hour)
	h2, b2 := e.shopify.SignedDelivery("customers/update", edit("Newer", t1.Add(time.Minute)))
	// The newer edit arrives first, five times (vendor retries).
	for i := 0; i < 5; i++ {
		if code, body := postWebhook(t, url, h2, b2); code != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", i, code, body)
		}
	}
	h1, b1 := e.shopify.SignedDelivery("customers/update", edit("Older", t1))
	if code, body := postWebhook(t, url, h1, b1); code != http.StatusOK {
		t.Fatalf("older delivery: %d %s", code, body)
	}
	e.quiet(t)
	c, data := e.hubCustomer(t, email)
	if data["first_name"] != "Newer" {
		t.Errorf("first_name %v, want the newest value", data["first_name"])
	}
	// The older edit may be applied first (it is, if a worker takes it
	// before the newer one); then the newer one replaces it. Never more.
	if c.Version > v0+2 {
		t.Errorf("version %d, want at most %d: duplicates must not count", c.Version, v0+2)
	}
	var n int64
	e.app.Store.DB().Model(&hub.Customer{}).Count(&n)
	if n != 1 {
		t.Errorf("%d customers, want exactly 1", n)
	}
}

func TestWebhookRejections(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: func(c *config.Config) { onlyShopify(c) }})
	url := e.app.URL() + "/webhooks/shopify"
	rec := shopifyRecord(77, "reject@example.com", "R", time.Now())
	h, body := e.shopify.SignedDelivery("customers/create", rec)

	bad := h.Clone()
	bad.Set("X-Shopify-Hmac-Sha256", "AAAA"+h.Get("X-Shopify-Hmac-Sha256")[4:])
	big := bytes.Repeat([]byte("x"), 17<<20) // over the 16 MiB default
	malformed := []byte(`{"id": 77, "email": `)
	mh := h.Clone()
	mh.Set("X-Shopify-Hmac-Sha256", e.shopify.Sign(malformed))
	bh := h.Clone()
	bh.Set("X-Shopify-Hmac-Sha256", e.shopify.Sign(big))

	cases := []struct {
		name string
		url  string
		h    http.Header
		body []byte
		want int
	}{
		{"wrong signature", url, bad, body, http.StatusUnauthorized},
		{"no signature", url, http.Header{"X-Shopify-Topic": {"customers/create"}}, body, http.StatusUnauthorized},
		{"malformed json, signed", url, mh, malformed, http.StatusBadRequest},
		{"17 MB body", url, bh, big, http.StatusRequestEntityTooLarge},
		{"unknown connector", e.app.URL() + "/webhooks/nope", h, body, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, resp := postWebhook(t, tc.url, tc.h, tc.body); code != tc.want {
				t.Errorf("status %d (%s), want %d", code, resp, tc.want)
			}
		})
	}
	e.quiet(t)
	var n int64
	e.app.Store.DB().Model(&hub.Customer{}).Count(&n)
	if n != 0 {
		t.Errorf("rejected webhooks wrote %d customers", n)
	}
}

func TestWebhookWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 500 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnv(t, envOptions{redis: rdb, tune: func(c *config.Config) { onlyShopify(c) }})
	url := e.app.URL() + "/webhooks/shopify"
	rec := shopifyRecord(88, "down@example.com", "Down", time.Now())
	h, body := e.shopify.SignedDelivery("customers/create", rec)

	srv.Stop()
	code, resp := postWebhook(t, url, h, body)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("with Redis down: %d %s, want 503 so the vendor retries", code, resp)
	}
	var n int64
	e.app.Store.DB().Model(&hub.Customer{}).Count(&n)
	if n != 0 {
		t.Fatalf("503 but %d customers written", n)
	}

	srv.Start()
	// The vendor retries the same delivery (same webhook id): accepted now,
	// not mistaken for a duplicate of the failed attempt.
	eventually(t, 10*time.Second, "retry after Redis came back was not accepted", func() bool {
		code, _ := postWebhook(t, url, h, body)
		return code == http.StatusOK
	})
	eventually(t, 15*time.Second, "retried webhook never reached the hub", func() bool {
		c, _ := e.hubCustomer(t, "down@example.com")
		return c != nil
	})
}

func TestBackfillResumesFromCursor(t *testing.T) {
	t.Parallel()
	const total = 10000
	listed := &backfillRequests{}
	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		onlyShopify(c)
		c.Worker.ShutdownTimeout = config.Duration(time.Second)
	}, shopifyVia: func(u string) string { return listed.wrap(t, u) }})
	e.shopify.Seed(total)
	base := e.shopify.Requests()
	listedBase := listed.n.Load()
	if err := e.app.Handlers.Backfill(context.Background(), "shopify", "customer"); err != nil {
		t.Fatal(err)
	}
	// Stop the worker midway: some pages stored, not done.
	eventually(t, 60*time.Second, "backfill never got midway", func() bool {
		cur, err := e.app.Store.Cursor(context.Background(), "shopify", "customer")
		return err == nil && cur.Value != "" && !cur.Done && e.shopify.Requests()-base >= 8
	})
	e.stop()
	cur := e.storedCursor(t)
	if cur == "" {
		t.Fatal("no cursor stored when the worker stopped")
	}
	pagesBefore := e.shopify.Requests() - base
	t.Logf("stopped after %d list requests; cursor %q", pagesBefore, truncate(cur, 80))

	e.start()
	eventually(t, 180*time.Second, "backfill never finished after restart", func() bool {
		c, err := e.app.Store.Cursor(context.Background(), "shopify", "customer")
		return err == nil && c.Done
	})
	var n int64
	e.app.Store.DB().Model(&hub.Customer{}).Count(&n)
	if n != total {
		t.Errorf("%d customers in the hub after the backfill, want %d", n, total)
	}
	// 10,000 records in pages of 250 are 40 pages (+1 to see the end),
	// and the pages listed but unstored when the worker stopped (those
	// merging and those listed ahead of them) are listed again; starting
	// over would have listed every page before the stop again. The
	// listing of edits since the backfill began, which follows it, is not
	// the backfill's (backfillRequests).
	pages := listed.n.Load() - listedBase
	window := e.app.Handlers.PagesMergedAtOnce("customer") + e.app.Handlers.PagesListedAhead("customer")
	if pages > int64(total/250+1+window) {
		t.Errorf("%d list requests for %d pages: the restarted worker started over instead of resuming", pages, total/250)
	}
}

// backfillRequests counts, behind a proxy in front of Shopify, the
// requests made before the first listing of edits since a time
// (updated_at_min): the poll that follows a finished backfill, which
// lists again every record stamped in the second the backfill began
// (whole seconds, the minimum inclusive) and may start before a test
// reads its counts.
type backfillRequests struct {
	n        atomic.Int64
	caughtUp atomic.Bool
}

func (b *backfillRequests) wrap(t *testing.T, target string) string {
	return proxyTo(t, target, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.URL.Query().Has("updated_at_min") {
			b.caughtUp.Store(true)
		}
		if !b.caughtUp.Load() {
			b.n.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// storedCursor reads the cursor straight from the database, with shophub
// stopped.
func (e *env) storedCursor(t *testing.T) string {
	t.Helper()
	st, err := hub.Open(context.Background(), e.cfg.Database.Driver, e.cfg.Database.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Cursor(context.Background(), "shopify", "customer")
	if err != nil {
		t.Fatal(err)
	}
	return c.Value
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

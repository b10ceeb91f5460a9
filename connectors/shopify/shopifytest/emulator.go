// Package shopifytest is an in-memory Shopify Admin REST API (customers) for
// tests, benchmarks and `shophub dev`: access-token auth, Link-header
// pagination, the leaky-bucket rate limit, Shopify's error bodies, and signed
// webhooks with Shopify's retry behaviour.
package shopifytest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// Defaults used when Options leave a field zero.
const (
	DefaultAccessToken   = "shpat_emulator_token"
	DefaultWebhookSecret = "emulator-client-secret"
	DefaultAPIVersion    = "2025-10"
	DefaultShopDomain    = "shophub-dev.myshopify.com"
	DefaultBucketSize    = 40
	// StandardLeakRate is Shopify's standard plan (2 requests/s); pass it as
	// Options.LeakRate to emulate throttling. The zero LeakRate disables it.
	StandardLeakRate = 2.0
)

// DefaultWebhookRetry is Shopify's 8 retries with exponential backoff,
// compressed from hours to seconds so tests can watch them.
var DefaultWebhookRetry = []time.Duration{
	100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
	1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 12800 * time.Millisecond,
}

// Options configure an Emulator.
type Options struct {
	// AccessToken is the only token accepted in X-Shopify-Access-Token.
	AccessToken string
	// WebhookSecret is the app's client secret that signs webhooks.
	WebhookSecret string
	// WebhookURL receives customers/* webhooks; empty sends none.
	WebhookURL string
	APIVersion string
	ShopDomain string
	// BucketSize is the leaky bucket's capacity (Shopify standard: 40).
	BucketSize int
	// LeakRate is requests per second the bucket drains; 0 disables the
	// bucket (fast tests). Use StandardLeakRate to emulate a real shop.
	LeakRate float64
	// WebhookRetry is the wait before each retry of a failed delivery;
	// nil means DefaultWebhookRetry, an empty non-nil slice no retries.
	WebhookRetry []time.Duration
	// Zone is the shop's time zone timestamps are rendered in (default
	// UTC-04:00, so clients must honour offsets).
	Zone *time.Location
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DeliveryStats counts webhook deliveries.
type DeliveryStats struct {
	// Attempts is every POST made, first tries and retries.
	Attempts int64
	// Sent counts deliveries acknowledged with 2xx.
	Sent int64
	// Retried counts retries scheduled after a failed attempt.
	Retried int64
	// Failed counts deliveries given up after the last retry or on Close.
	Failed int64
	// Pending counts deliveries not yet sent nor given up.
	Pending int64
}

// Emulator is an in-memory Shopify shop. It is safe for concurrent use.
type Emulator struct {
	opts Options
	emulator.Server

	mu sync.RWMutex
	st *store

	webhookURL atomic.Pointer[string]

	// bucketMu guards the leaky bucket.
	bucketMu sync.Mutex
	bucket   float64
	bucketAt time.Time

	stats struct{ attempts, sent, retried, failed, pending atomic.Int64 }

	ctx      context.Context
	cancel   context.CancelFunc
	wgMu     sync.Mutex // orders wg.Add against Close's wg.Wait
	closed   bool
	wg       sync.WaitGroup
	sem      chan struct{}
	hc       *http.Client
	closeOne sync.Once
}

// New builds an emulator; serve it with Handler or Start.
func New(opts Options) *Emulator {
	if opts.AccessToken == "" {
		opts.AccessToken = DefaultAccessToken
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = DefaultWebhookSecret
	}
	if opts.APIVersion == "" {
		opts.APIVersion = DefaultAPIVersion
	}
	if opts.ShopDomain == "" {
		opts.ShopDomain = DefaultShopDomain
	}
	if opts.BucketSize <= 0 {
		opts.BucketSize = DefaultBucketSize
	}
	if opts.WebhookRetry == nil {
		opts.WebhookRetry = DefaultWebhookRetry
	}
	if opts.Zone == nil {
		opts.Zone = time.FixedZone("-0400", -4*3600)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		opts:   opts,
		st:     newStore(opts.Zone),
		ctx:    ctx,
		cancel: cancel,
		sem:    make(chan struct{}, 32),
		hc:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 5 * time.Second},
	}
	url := opts.WebhookURL
	e.webhookURL.Store(&url)
	return e
}

// Handler serves the Admin REST API under /admin/api/{version}/.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Start serves the emulator on a local httptest server and returns its base
// URL (use it as the connector's shop_url).
func (e *Emulator) Start() string { return e.Server.Start(e.Handler()) }

// Close stops the server and every webhook delivery; safe to call twice.
func (e *Emulator) Close() {
	e.closeOne.Do(func() {
		e.cancel()
		e.wgMu.Lock()
		e.closed = true
		e.wgMu.Unlock()
		e.Server.Close()
		e.wg.Wait()
	})
}

// Options returns the effective options (defaults filled in).
func (e *Emulator) Options() Options { return e.opts }

// SetWebhookURL changes where future webhooks go; empty stops sending.
func (e *Emulator) SetWebhookURL(url string) { e.webhookURL.Store(&url) }

// Throttle answers 429 with Retry-After in Shopify's fractional seconds
// and a full X-Shopify-Shop-Api-Call-Limit, FailNext Shopify's error body;
// Requests counts every API request, refused ones included.

// Deliveries reports webhook delivery counters.
func (e *Emulator) Deliveries() DeliveryStats {
	return DeliveryStats{
		Attempts: e.stats.attempts.Load(),
		Sent:     e.stats.sent.Load(),
		Retried:  e.stats.retried.Load(),
		Failed:   e.stats.failed.Load(),
		Pending:  e.stats.pending.Load(),
	}
}

// WaitDeliveries blocks until no webhook delivery is pending or ctx ends.
func (e *Emulator) WaitDeliveries(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for e.stats.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// Seed bulk-creates n customers as if imported in the admin: no webhooks, no
// validation beyond unique emails. It returns their ids in creation order.
func (e *Emulator) Seed(n int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.st.stamp(e.opts.Now())
	ids := make([]string, n)
	for i := range n {
		id := e.st.nextID
		e.st.nextID++
		first, last := emulator.SeedName(i)
		c := &customer{
			id:        id,
			createdAt: now,
			updatedAt: now,
			email:     "customer" + strconv.FormatInt(id, 10) + "@example.com",
			firstName: first,
			lastName:  last,
			state:     "disabled",
			currency:  "USD",
			verified:  true,
			emailMkt:  consent{state: "not_subscribed", optIn: "single_opt_in"},
		}
		e.st.insert(c)
		ids[i] = strconv.FormatInt(id, 10)
	}
	return ids
}

// CreateCustomer creates a customer as a merchant would in the admin (REST
// field names, e.g. "addresses": [{…}]) and sends customers/create. It panics
// on input Shopify would reject: the input is the test's own.
func (e *Emulator) CreateCustomer(fields map[string]any) string {
	c, errs := e.create(fields)
	if errs != nil {
		panic(fmt.Sprintf("shopifytest: CreateCustomer: %v", errs))
	}
	return strconv.FormatInt(c.id, 10)
}

// UpdateCustomer edits a customer as a merchant would in the admin: a change
// bumps updated_at and sends customers/update. An edit that changes nothing
// is a no-op.
func (e *Emulator) UpdateCustomer(id string, fields map[string]any) error {
	_, errs, found := e.update(id, fields)
	if !found {
		return fmt.Errorf("shopifytest: no customer %s", id)
	}
	if errs != nil {
		return fmt.Errorf("shopifytest: update %s: %v", id, errs)
	}
	return nil
}

// DeleteCustomer deletes a customer and sends customers/delete.
func (e *Emulator) DeleteCustomer(id string) bool { return e.delete(id) }

// Customer returns the customer as the REST API renders it.
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	c := e.st.customers[n]
	if c == nil {
		return nil, false
	}
	return e.st.render(c), true
}

// FindByEmail returns the id of the customer with that email
// (case-insensitive).
func (e *Emulator) FindByEmail(email string) (string, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	id, ok := e.st.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return "", false
	}
	return strconv.FormatInt(id, 10), true
}

// Count returns the number of customers.
func (e *Emulator) Count() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.st.customers)
}

// Sign returns the X-Shopify-Hmac-Sha256 value for body under the
// emulator's webhook secret.
func (e *Emulator) Sign(body []byte) string { return SignWith(e.opts.WebhookSecret, body) }

// SignWith signs body with an arbitrary secret (for wrong-secret tests).
func SignWith(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ---- create / update / delete shared by the API and test controls ----

func (e *Emulator) create(fields map[string]any) (*customer, fieldErrors) {
	e.mu.Lock()
	now := e.st.stamp(e.opts.Now())
	// Created in the admin or through the API: verified_email defaults to
	// true there (Shopify's Customer docs); a test makes a storefront
	// sign-up nobody confirmed with "verified_email": false.
	c := &customer{id: e.st.nextID, createdAt: now, updatedAt: now, state: "disabled", currency: "USD", verified: true,
		emailMkt: consent{state: "not_subscribed", optIn: "single_opt_in"}}
	if errs := e.st.apply(c, fields, now); errs != nil {
		e.mu.Unlock()
		return nil, errs
	}
	if c.email == "" && c.phone == "" && c.firstName == "" && c.lastName == "" {
		e.mu.Unlock()
		return nil, fieldErrors{"customer": {"must have a name, phone number or email address"}}
	}
	e.st.nextID++
	e.st.insert(c)
	body := mustJSON(e.st.render(c))
	e.mu.Unlock()
	e.enqueue("customers/create", body)
	return c, nil
}

// update applies fields; it returns the rendered customer, validation errors,
// and whether the customer exists. Only a real change bumps updated_at and
// sends customers/update.
func (e *Emulator) update(id string, fields map[string]any) (map[string]any, fieldErrors, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, nil, false
	}
	return e.mutate(n, func(c *customer, now int64) fieldErrors { return e.st.apply(c, fields, now) })
}

func (e *Emulator) mutate(id int64, fn func(c *customer, now int64) fieldErrors) (map[string]any, fieldErrors, bool) {
	e.mu.Lock()
	old := e.st.customers[id]
	if old == nil {
		e.mu.Unlock()
		return nil, nil, false
	}
	now := e.opts.Now().Unix()
	nc := old.clone()
	if errs := fn(nc, now); errs != nil {
		e.mu.Unlock()
		return nil, errs, true
	}
	before := mustJSON(e.st.render(old))
	after := mustJSON(e.st.render(nc))
	if string(before) == string(after) {
		e.mu.Unlock()
		return e.st.render(old), nil, true
	}
	nc.updatedAt = e.st.stamp(e.opts.Now())
	e.st.replace(old, nc)
	out := e.st.render(nc)
	body := mustJSON(out)
	e.mu.Unlock()
	e.enqueue("customers/update", body)
	return out, nil, true
}

func (e *Emulator) delete(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return false
	}
	e.mu.Lock()
	c := e.st.customers[n]
	if c == nil {
		e.mu.Unlock()
		return false
	}
	e.st.remove(c)
	e.mu.Unlock()
	// Shopify's customers/delete body carries little more than the id.
	e.enqueue("customers/delete", mustJSON(map[string]any{
		"id": c.id, "phone": nil, "addresses": []any{}, "tax_exemptions": []any{},
		"email_marketing_consent": nil, "sms_marketing_consent": nil,
		"admin_graphql_api_id": "gid://shopify/Customer/" + strconv.FormatInt(c.id, 10),
	}))
	return true
}

// Package magentotest is an in-memory Magento 2 REST API (customers) for
// tests and demos. It speaks Magento's wire format: /rest/<store>/V1/…
// routes, bearer tokens (a static integration token and admin tokens from
// POST /V1/integration/admin/token with their lifetime and the login
// lockout), searchCriteria filtering, sorting and paging with the
// last-page-repeat quirk, full-save PUT semantics, Magento's error bodies
// ({"message": "...", "parameters": {...}}), and Adobe Commerce webhooks
// signed with RSA-SHA256.
package magentotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shophub/shophub/connectors/emulator"
	"time"
)

// Defaults used when Options leave a field zero.
const (
	DefaultStoreCode        = "default"
	DefaultIntegrationToken = "magento-integration-token"
	DefaultAdminUser        = "shophub"
	DefaultAdminPassword    = "admin-password-123"
	// DefaultTokenLifetime is Magento's admin token lifetime (4 h).
	DefaultTokenLifetime = 4 * time.Hour
	// DefaultMaxFailures is oauth/authentication_lock/max_failures_count.
	DefaultMaxFailures = 6
	// DefaultLockout is oauth/authentication_lock/timeout (1800 s).
	DefaultLockout = 30 * time.Minute
	// DefaultMaxPageSize is webapi/validation/maximum_page_size.
	DefaultMaxPageSize = 300
	// DefaultPageSize is webapi/validation/default_page_size.
	DefaultPageSize = 20
	// DateLayout is how Magento writes created_at and updated_at (UTC).
	DateLayout = "2006-01-02 15:04:05"
)

// Options configure an Emulator.
type Options struct {
	// StoreCode is the store view code in /rest/<store>/V1; "default" and
	// "all" are always accepted too.
	StoreCode string
	// IntegrationToken is accepted as a bearer token that never expires;
	// "-" disables integration tokens.
	IntegrationToken string
	AdminUser        string
	AdminPassword    string
	TokenLifetime    time.Duration
	MaxFailures      int
	Lockout          time.Duration
	MaxPageSize      int
	DefaultPageSize  int
	// WebsiteID new customers are created in when the payload names none.
	WebsiteID int64
	// RequireTelephone makes address telephone required, as in a default
	// Magento configuration; off by default so partial addresses save.
	RequireTelephone bool
	// NeedToConfirm is Magento's Stores › Configuration › Customers ›
	// Newsletter › Subscription Options › Need to Confirm: a subscription
	// waits as "Not Activated" until the customer follows the mail's link
	// (ConfirmSubscription), and reads as is_subscribed false until then.
	NeedToConfirm bool
	// CustomerAttributes are the codes of the store's user-defined
	// customer attributes; nil means DefaultCustomerAttributes. Custom
	// attributes a save names beyond them are dropped, as Magento does.
	CustomerAttributes []string
	// WebhookURL receives observer.customer_save_commit_after and
	// observer.customer_delete_commit_after, signed; empty sends none.
	WebhookURL string
	// Now is the wall clock (default time.Now); SetNow overrides it.
	Now func() time.Time
}

// Emulator is an in-memory Magento store. It is safe for concurrent use.
type Emulator struct {
	opts Options

	mu sync.Mutex
	st *store

	emulator.Clock

	authMu       sync.Mutex
	tokens       map[string]time.Time // admin token → expiry
	failures     int
	lockedUntil  time.Time
	loginOK      int
	loginFailed  int
	tokenCounter int

	emulator.Server

	keyOnce sync.Once
	key     *rsa.PrivateKey

	webhookURL atomic.Pointer[string]
	hc         *http.Client
}

// New builds an emulator; serve it with Handler or Start.
func New(opts Options) *Emulator {
	if opts.StoreCode == "" {
		opts.StoreCode = DefaultStoreCode
	}
	if opts.IntegrationToken == "" {
		opts.IntegrationToken = DefaultIntegrationToken
	}
	if opts.AdminUser == "" {
		opts.AdminUser = DefaultAdminUser
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = DefaultAdminPassword
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = DefaultMaxFailures
	}
	if opts.Lockout == 0 {
		opts.Lockout = DefaultLockout
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = DefaultMaxPageSize
	}
	if opts.DefaultPageSize == 0 {
		opts.DefaultPageSize = DefaultPageSize
	}
	if opts.WebsiteID == 0 {
		opts.WebsiteID = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Emulator{opts: opts, Clock: emulator.Clock{Base: opts.Now}, st: newStore(), tokens: map[string]time.Time{}, hc: &http.Client{Timeout: 5 * time.Second}}
	attrs := opts.CustomerAttributes
	if attrs == nil {
		attrs = DefaultCustomerAttributes
	}
	for _, code := range attrs {
		e.st.attributes[code] = true
	}
	url := opts.WebhookURL
	e.webhookURL.Store(&url)
	return e
}

// Handler serves the REST API under /rest/<store>/V1/.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Start serves the emulator on a local httptest server and returns its base
// URL (the connector's base_url).
func (e *Emulator) Start() string { return e.Server.Start(e.Handler()) }

// Options returns the effective options (defaults filled in).
func (e *Emulator) Options() Options { return e.opts }

// ---- clock ----

func (e *Emulator) stamp() string { return e.Now().UTC().Format(DateLayout) }

// ---- test controls ----

// Throttle answers 429 with Retry-After as a proxy or CDN in front of
// Magento would (core Magento has no rate limit); FailNext answers with
// Magento's internal-error body. Requests and RequestLog include token
// requests and requests to an unknown store.

// ExpireTokens revokes every admin token issued so far, as their lifetime
// running out would.
func (e *Emulator) ExpireTokens() {
	e.authMu.Lock()
	defer e.authMu.Unlock()
	clear(e.tokens)
}

// LoginStats reports successful and failed admin token requests and
// whether the admin account is locked now.
func (e *Emulator) LoginStats() (ok, failed int, locked bool) {
	e.authMu.Lock()
	defer e.authMu.Unlock()
	return e.loginOK, e.loginFailed, e.Now().Before(e.lockedUntil)
}

// Seed bulk-creates n customers as if imported in the admin, all stamped
// with the current clock second, and returns their ids in creation order.
func (e *Emulator) Seed(n int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.stamp()
	ids := make([]string, n)
	for i := range n {
		id := e.st.nextID
		first, last := emulator.SeedName(i)
		c := map[string]any{
			"email":     "customer" + strconv.FormatInt(id, 10) + "@example.com",
			"firstname": first,
			"lastname":  last,
		}
		saved, verr := e.st.create(c, e.opts, now)
		if verr != nil {
			panic(fmt.Sprintf("magentotest: Seed: %v", verr))
		}
		ids[i] = strconv.FormatInt(saved, 10)
	}
	return ids
}

// CreateCustomer creates a customer as a merchant would in the admin, in
// the REST shape (e.g. "addresses": [{…, "default_billing": true}]). It
// panics on input Magento would reject: the input is the test's own.
func (e *Emulator) CreateCustomer(fields map[string]any) string {
	e.mu.Lock()
	id, verr := e.st.create(deepCopy(fields).(map[string]any), e.opts, e.stamp())
	var body []byte
	if verr == nil {
		body = webhookBody("observer.customer_save_commit_after", e.st.render(id))
	}
	e.mu.Unlock()
	if verr != nil {
		panic(fmt.Sprintf("magentotest: CreateCustomer: %v", verr))
	}
	e.sendWebhook(body)
	return strconv.FormatInt(id, 10)
}

// UpdateCustomer edits a customer as a merchant would in the admin: the
// given top-level fields replace the stored ones (addresses and
// custom_attributes as whole lists; extension_attributes key by key), and
// a real change bumps updated_at.
func (e *Emulator) UpdateCustomer(id string, fields map[string]any) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("magentotest: no customer %s", id)
	}
	e.mu.Lock()
	old := e.st.customers[n]
	if old == nil {
		e.mu.Unlock()
		return fmt.Errorf("magentotest: no customer %s", id)
	}
	next := deepCopy(old).(map[string]any)
	for k, v := range deepCopy(fields).(map[string]any) {
		if k == "extension_attributes" {
			ext, _ := next[k].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
			}
			if m, ok := v.(map[string]any); ok {
				for ek, ev := range m {
					ext[ek] = ev
				}
			}
			next[k] = ext
			continue
		}
		next[k] = v
	}
	changed, verr := e.st.save(n, next, e.opts, e.stamp())
	var body []byte
	if verr == nil && changed {
		body = webhookBody("observer.customer_save_commit_after", e.st.render(n))
	}
	e.mu.Unlock()
	if verr != nil {
		return fmt.Errorf("magentotest: update %s: %v", id, verr)
	}
	e.sendWebhook(body)
	return nil
}

// ConfirmSubscription is the customer following the confirmation link of
// a subscription waiting under NeedToConfirm; it reports whether one was
// waiting.
func (e *Emulator) ConfirmSubscription(id string) bool {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.st.customers[n]
	if c == nil || e.st.newsletter[n] != SubscriberNotActive {
		return false
	}
	e.st.newsletter[n] = SubscriberSubscribed
	c["extension_attributes"].(map[string]any)["is_subscribed"] = true
	return true
}

// SubscriberStatus is a customer's newsletter_subscriber status (0 when
// there is no subscriber row).
func (e *Emulator) SubscriberStatus(id string) int {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.newsletter[n]
}

// DeleteCustomer deletes a customer.
func (e *Emulator) DeleteCustomer(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return false
	}
	e.mu.Lock()
	ok := e.st.delete(n)
	e.mu.Unlock()
	if ok {
		e.sendWebhook(webhookBody("observer.customer_delete_commit_after", map[string]any{"id": n}))
	}
	return ok
}

// Customer returns the customer as GET /V1/customers/{id} renders it.
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.customers[n] == nil {
		return nil, false
	}
	return e.st.render(n), true
}

// FindByEmail returns the id of the customer with that email.
func (e *Emulator) FindByEmail(email string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, c := range e.st.customers {
		if strings.EqualFold(str(c["email"]), strings.TrimSpace(email)) {
			return strconv.FormatInt(id, 10), true
		}
	}
	return "", false
}

// Count returns the number of customers.
func (e *Emulator) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.st.customers)
}

// ---- admin tokens ----

// issueToken checks admin credentials the way Magento's
// AdminTokenService does, including the lockout after MaxFailures.
func (e *Emulator) issueToken(user, pass string) (string, bool) {
	e.authMu.Lock()
	defer e.authMu.Unlock()
	now := e.Now()
	if now.Before(e.lockedUntil) {
		e.loginFailed++
		return "", false
	}
	if user != e.opts.AdminUser || pass != e.opts.AdminPassword {
		e.loginFailed++
		e.failures++
		if e.failures >= e.opts.MaxFailures {
			e.lockedUntil = now.Add(e.opts.Lockout)
			e.failures = 0
		}
		return "", false
	}
	e.failures = 0
	e.loginOK++
	e.tokenCounter++
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "adm" + strconv.Itoa(e.tokenCounter) + hex.EncodeToString(b)
	e.tokens[tok] = now.Add(e.opts.TokenLifetime)
	return tok, true
}

func (e *Emulator) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	if e.opts.IntegrationToken != "-" && tok == e.opts.IntegrationToken {
		return true
	}
	e.authMu.Lock()
	defer e.authMu.Unlock()
	exp, ok := e.tokens[tok]
	return ok && e.Now().Before(exp)
}

// ---- webhook signing ----

func (e *Emulator) privateKey() *rsa.PrivateKey {
	e.keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		e.key = k
	})
	return e.key
}

// PublicKeyPEM is the public key an admin copies from Stores › Settings ›
// Configuration › Adobe Services › Webhooks into shophub's settings.
func (e *Emulator) PublicKeyPEM() string {
	return PublicKeyPEM(&e.privateKey().PublicKey)
}

// PublicKeyPEM encodes an RSA public key as a PEM "PUBLIC KEY" block.
func PublicKeyPEM(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// SetWebhookURL changes where future webhooks go; empty stops sending.
func (e *Emulator) SetWebhookURL(url string) { e.webhookURL.Store(&url) }

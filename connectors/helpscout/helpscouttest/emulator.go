// Package helpscouttest emulates the parts of the Help Scout Mailbox API 2.0
// shophub uses: the OAuth2 client-credentials token endpoint, customers with
// HAL paging and their sub-entities (emails, phones, address, properties),
// conversations, the per-minute rate limit with Help Scout's headers and
// 429s (writes cost two units), and webhooks signed as Help Scout signs them
// (base64 HMAC-SHA1 of the raw body in X-HelpScout-Signature).
package helpscouttest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// Defaults the emulator accepts when Options leave them empty.
const (
	DefaultClientID     = "hs-app-id"
	DefaultClientSecret = "hs-app-secret"
	DefaultPageSize     = 50
)

// Options configure an emulator.
type Options struct {
	ClientID, ClientSecret string
	// WebhookSecret signs webhook deliveries.
	WebhookSecret string
	// PageSize is Help Scout's fixed page size (50).
	PageSize int
	// TokenTTL is the expires_in handed out with tokens (default 2 days).
	TokenTTL time.Duration
	// RateLimit is the units allowed per RateWindow (0: unlimited); reads
	// cost 1, writes 2, as at Help Scout.
	RateLimit  int
	RateWindow time.Duration
}

// Stats count what the emulator answered.
type Stats struct {
	Requests int64
	TooMany  int64
	Tokens   int64
	Units    int64
	// Asked is the units of every request the rate limit saw, refused
	// ones too: what the client asked for, against Units it was granted.
	Asked      int64
	Deliveries int64
}

// Emulator is one Help Scout account.
type Emulator struct {
	opts Options
	emulator.Server

	mu        sync.Mutex
	customers map[int64]*customer
	convos    map[int64]*conversation
	nextID    int64
	nextSub   int64
	tokens    map[string]time.Time
	// rate window
	winStart time.Time
	winUsed  int

	webhookURL atomic.Pointer[string]
	wg         sync.WaitGroup
	closed     atomic.Bool

	tooMany, tokenCount, units, asked, deliveries atomic.Int64
}

// New builds an emulator; Start serves it.
func New(opts Options) *Emulator {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 48 * time.Hour
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	e := &Emulator{opts: opts, customers: map[int64]*customer{}, convos: map[int64]*conversation{},
		nextID: 100000, nextSub: 500000, tokens: map[string]time.Time{}}
	empty := ""
	e.webhookURL.Store(&empty)
	return e
}

// Start serves the API and returns its base URL (the connector's base_url).
func (e *Emulator) Start() string { return e.Server.Start(e.Handler()) }

// Handler is the emulated API, to serve on an address of one's own
// (shophub dev).
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Close stops the server and waits for webhook deliveries in flight.
func (e *Emulator) Close() {
	e.closed.Store(true)
	e.Server.Close()
	e.wg.Wait()
}

// SetWebhookURL sets where webhooks go; "" stops sending.
func (e *Emulator) SetWebhookURL(url string) { e.webhookURL.Store(&url) }

// Throttle answers 429 with the wait in X-RateLimit-Retry-After, FailNext
// with Help Scout's error body; both apply to authorized API requests only,
// as the account's rate limit does.

// SetRateLimit changes the per-window budget (0: unlimited).
func (e *Emulator) SetRateLimit(units int, window time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.RateLimit, e.opts.RateWindow = units, window
	e.winStart, e.winUsed = time.Time{}, 0
}

// Stats returns the counters.
func (e *Emulator) Stats() Stats {
	return Stats{Requests: e.Requests(), TooMany: e.tooMany.Load(), Tokens: e.tokenCount.Load(),
		Units: e.units.Load(), Asked: e.asked.Load(), Deliveries: e.deliveries.Load()}
}

// ExpireTokens invalidates every token handed out, as an expiry would.
func (e *Emulator) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokens = map[string]time.Time{}
}

// Sign returns the X-HelpScout-Signature of body under the emulator's secret.
func (e *Emulator) Sign(body []byte) string { return SignWith(e.opts.WebhookSecret, body) }

// SignWith is base64(HMAC-SHA1(secret, body)), Help Scout's signature.
func SignWith(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// now is Help Scout's clock at second resolution.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

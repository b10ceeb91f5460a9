package shopware

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
)

const testAppSecret = "app-secret"

func newEmulator(t *testing.T, opts shopwaretest.Options) (*shopwaretest.Emulator, string) {
	t.Helper()
	if opts.AppSecret == "" {
		opts.AppSecret = testAppSecret
	}
	emu := shopwaretest.New(opts)
	return emu, connectortest.Start(t, emu)
}

func connect(t *testing.T, url string, pageSize int) *Connector {
	t.Helper()
	s := NewSettings()
	s.URL, s.ClientID, s.ClientSecret, s.PageSize = url, "SWIA-test", "test-secret", pageSize
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := New(connectors.Instance{Name: "test", Type: Type, WebhookSecrets: []string{testAppSecret}, Timeout: 10 * time.Second}, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func kitPayload(i int, lastName string) map[string]any {
	return map[string]any{
		"email":     fmt.Sprintf("kit-%d@example.com", i),
		"firstName": "Kit",
		"lastName":  lastName,
		"tags":      []any{"kit"},
		"defaultBillingAddress": map[string]any{
			"street": "Kitweg 1", "zipcode": "10115", "city": "Berlin", "countryIso": "DE",
		},
	}
}

func TestConformance(t *testing.T) {
	const pageSize = 5
	emu, url := newEmulator(t, shopwaretest.Options{})
	connectortest.Run(t, connectortest.Env{
		Connector: connect(t, url, pageSize),
		Reconnect: func(t *testing.T) connectors.Connector { return connect(t, url, pageSize) },
		Resource:  connectors.ResourceCustomer,
		PageSize:  pageSize,
		Touch: func(t *testing.T, id string) {
			if !emu.UpdateCustomer(id, map[string]any{"lastName": "Touched"}) {
				t.Fatalf("touch %s: no such customer", id)
			}
		},
		CreatePayload: func(i int) map[string]any { return kitPayload(i, "Customer") },
		UpdatePayload: func(i int) map[string]any { return kitPayload(i, "Updated") },
		UpdatedField:  "lastName",
		UpdatedValue:  "Updated",
		Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
		SignedWebhook: func(t *testing.T, id string) (http.Header, []byte) {
			return emu.SignedDelivery("customer.written", []string{id})
		},
		WrongSecret: func(t *testing.T, id string) (http.Header, []byte) {
			h, body := emu.SignedDelivery("customer.written", []string{id})
			h.Set("shopware-shop-signature", hmacHex("not-the-secret", body))
			return h, body
		},
		SignBody: func(t *testing.T, body []byte) http.Header {
			return http.Header{"Shopware-Shop-Signature": {emu.Sign(body)}}
		},
	}.WithEmulator(emu))
}

func TestTokenRefreshOn401(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	id := emu.Seed(1)[0]
	if got := emu.TokensIssued(); got != 1 {
		t.Fatalf("tokens after connect = %d, want 1", got)
	}
	emu.ExpireTokens()
	before := emu.Requests()
	if _, err := c.Fetch(testCtx(t), connectors.ResourceCustomer, id); err != nil {
		t.Fatalf("fetch after tokens expired: %v", err)
	}
	if got := emu.TokensIssued(); got != 2 {
		t.Errorf("tokens = %d, want 2 (one refresh)", got)
	}
	// 401, token, retry.
	if got := emu.Requests() - before; got != 3 {
		t.Errorf("requests for one fetch across a refresh = %d, want 3", got)
	}
}

func TestTokenRefreshConcurrent(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, 10)
	id := emu.Seed(1)[0]
	for round := 0; round < 3; round++ {
		emu.ExpireTokens()
		before := emu.TokensIssued()
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for i := 0; i < 32; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Fetch(testCtx(t), connectors.ResourceCustomer, id); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := emu.TokensIssued() - before; got != 1 {
			t.Errorf("round %d: %d concurrent callers caused %d token requests, want 1", round, 32, got)
		}
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	emu, url := newEmulator(t, shopwaretest.Options{TokenTTL: 40 * time.Second})
	c := connect(t, url, 10)
	id := emu.Seed(1)[0]
	var mu sync.Mutex
	now := time.Now()
	c.sess.Load().tokens.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	fetch := func() {
		t.Helper()
		if _, err := c.Fetch(testCtx(t), connectors.ResourceCustomer, id); err != nil {
			t.Fatal(err)
		}
	}
	fetch()
	// 40 s token, margin min(30 s, ttl/4) = 10 s: renewed after 30 s.
	advance(29 * time.Second)
	fetch()
	if got := emu.TokensIssued(); got != 1 {
		t.Errorf("tokens before the renewal point = %d, want 1", got)
	}
	advance(2 * time.Second)
	before := emu.Requests()
	fetch()
	if got := emu.TokensIssued(); got != 2 {
		t.Errorf("tokens after the renewal point = %d, want 2", got)
	}
	if got := emu.Requests() - before; got != 2 {
		t.Errorf("requests = %d, want 2 (token + search, no 401)", got)
	}
}

func TestConnectBadCredentials(t *testing.T) {
	_, url := newEmulator(t, shopwaretest.Options{})
	s := NewSettings()
	s.URL, s.ClientID, s.ClientSecret = url, "SWIA-test", "wrong"
	c, err := New(connectors.Instance{Name: "test"}, s)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Connect(testCtx(t))
	var herr *connectors.HTTPError
	if err == nil || !asHTTP(err, &herr) || herr.Status != 401 {
		t.Fatalf("connect with a wrong secret: %v, want the 401", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOAuthRateLimitWaitFromBody(t *testing.T) {
	// Real Shopware's oauth limiter sends the wait in the body only.
	emu, url := newEmulator(t, shopwaretest.Options{OAuthLimit: 1, OAuthWindow: 30 * time.Second})
	c := connect(t, url, 10)
	id := emu.Seed(1)[0]
	emu.ExpireTokens()
	_, err := c.Fetch(testCtx(t), connectors.ResourceCustomer, id)
	wait, ok := connectors.RetryAfterOf(err)
	if !ok || wait < 25*time.Second || wait > 30*time.Second {
		t.Fatalf("token request over the oauth limit: err %v, wait %s; want a RateLimitedError of ~30s", err, wait)
	}
}

func TestSettingsValidate(t *testing.T) {
	for name, modify := range map[string]func(*Settings){
		"valid":    func(*Settings) {},
		"group id": func(s *Settings) { s.GroupID = "cfbd5018d38d41d8adca10d94fc8bdd6" },
	} {
		s := NewSettings()
		s.URL, s.ClientID, s.ClientSecret = "https://shop.example.com", "SWIA", "secret"
		modify(s)
		if err := s.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", name, err)
		}
	}
	connectortest.CheckRefused(t, Type, []connectortest.Refused{
		{Name: "no url", Settings: map[string]any{"client_id": "SWIA", "client_secret": "secret"}, Want: "url: want the shop's http(s) base URL"},
		{Name: "url without scheme", Settings: map[string]any{"url": "shop.example.com", "client_id": "SWIA", "client_secret": "secret"}, Want: `got "shop.example.com"`},
		{Name: "no secret", Settings: map[string]any{"url": "https://shop.example.com", "client_id": "SWIA"}, Want: "client_secret: required"},
		{Name: "page size too big", Settings: map[string]any{"url": "https://shop.example.com", "client_id": "SWIA", "client_secret": "secret", "page_size": 501}, Want: "page_size: 501"},
		{Name: "page size zero", Settings: map[string]any{"url": "https://shop.example.com", "client_id": "SWIA", "client_secret": "secret", "page_size": 0}, Want: "page_size: 0"},
		{Name: "bad group id", Settings: map[string]any{"url": "https://shop.example.com", "client_id": "SWIA", "client_secret": "secret", "group_id": "standard"}, Want: `group_id: "standard"`},
	})
}

func TestRegistration(t *testing.T) {
	r, ok := connectors.Lookup(Type)
	if !ok {
		t.Fatal("shopware is not registered")
	}
	raw := map[string]any{"url": "https://shop.example.com", "client_id": "SWIA", "client_secret": "s", "page_size": 50}
	s, err := connectors.DecodeSettings(Type, raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(*Settings); got.PageSize != 50 || got.LanguageID != systemLanguageID {
		t.Errorf("decoded settings = %+v", got)
	}
	if len(r.Mapping) == 0 {
		t.Error("no default mapping")
	}
}

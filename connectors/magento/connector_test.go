package magento_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/magento"
	"github.com/shophub/shophub/connectors/magento/magentotest"
)

// startEmulator runs a fresh emulator for one test.
func startEmulator(t *testing.T, opts magentotest.Options) (*magentotest.Emulator, string) {
	t.Helper()
	emu := magentotest.New(opts)
	return emu, connectortest.Start(t, emu)
}

// newConnector builds a connector with an integration token through the
// registry, as the pipeline does.
func newConnector(t *testing.T, baseURL string, pageSize int) connectors.Connector {
	t.Helper()
	return build(t, map[string]any{"base_url": baseURL, "access_token": magentotest.DefaultIntegrationToken, "page_size": pageSize})
}

func build(t *testing.T, settings map[string]any) connectors.Connector {
	t.Helper()
	return connectortest.Connect(t, connectors.Instance{
		Name: "magento-test", Type: magento.Type,
		RateLimit: -1, // no client-side pacing in tests
	}, settings)
}

func conformanceEnv(t *testing.T, emu *magentotest.Emulator, settings func() map[string]any, pageSize int) connectortest.Env {
	return connectortest.Env{
		Connector: build(t, settings()),
		Reconnect: func(t *testing.T) connectors.Connector { return build(t, settings()) },
		PageSize:  pageSize,
		Lookback:  5 * time.Second, // magento's default poll look-back
		Touch: func(t *testing.T, id string) {
			if err := emu.UpdateCustomer(id, map[string]any{"lastname": "Touched " + time.Now().Format(time.RFC3339Nano)}); err != nil {
				t.Fatal(err)
			}
		},
		CreatePayload: func(i int) map[string]any {
			return map[string]any{
				"email": fmt.Sprintf("kit-%d@example.com", i), "firstname": "Kit", "lastname": fmt.Sprint(i),
				"extension_attributes": map[string]any{"is_subscribed": true},
				"default_billing_address": map[string]any{"street": []any{"Main St 1"}, "city": "Berlin",
					"postcode": "10115", "country_id": "DE", "telephone": "+4930123456"},
			}
		},
		UpdatePayload: func(i int) map[string]any { return map[string]any{"firstname": "Updated"} },
		UpdatedField:  "firstname",
		UpdatedValue:  "Updated",
		Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
		SignedWebhook: func(t *testing.T, id string) (http.Header, []byte) {
			c, ok := emu.Customer(id)
			if !ok {
				t.Fatalf("no customer %s", id)
			}
			return emu.SignedDelivery("observer.customer_save_commit_after", c)
		},
		WrongSecret: func(t *testing.T, id string) (http.Header, []byte) {
			c, _ := emu.Customer(id)
			h, body := emu.SignedDelivery("observer.customer_save_commit_after", c)
			other, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			h.Set("x-adobe-commerce-webhook-signature", magentotest.SignWith(other, body))
			return h, body
		},
		SignBody: func(t *testing.T, body []byte) http.Header { return emu.DeliveryHeaders(body) },
	}.WithEmulator(emu)
}

// TestConformance runs the kit against each way an instance can be set
// up: integration token; admin token; admin token plus webhook key.
func TestConformance(t *testing.T) {
	const pageSize = 5
	setups := []struct {
		name     string
		settings func(url string, emu *magentotest.Emulator) map[string]any
	}{
		{"integration-token", func(url string, _ *magentotest.Emulator) map[string]any {
			return map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken, "page_size": pageSize}
		}},
		{"admin-token-and-webhooks", func(url string, emu *magentotest.Emulator) map[string]any {
			return map[string]any{"base_url": url, "username": magentotest.DefaultAdminUser, "password": magentotest.DefaultAdminPassword,
				"page_size": pageSize, "webhook_public_key": emu.PublicKeyPEM()}
		}},
	}
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			emu, url := startEmulator(t, magentotest.Options{})
			env := conformanceEnv(t, emu, func() map[string]any { return s.settings(url, emu) }, pageSize)
			connectortest.Run(t, env)
		})
	}
}

func TestCapabilitiesFollowWebhookKey(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	plain := newConnector(t, url, 5)
	if _, ok := plain.(connectors.WebhookSource); ok || plain.Capabilities().Webhooks {
		t.Error("without webhook_public_key the instance must neither declare nor implement webhooks")
	}
	signed := build(t, map[string]any{"base_url": url, "access_token": "x", "webhook_public_key": emu.PublicKeyPEM()})
	if _, ok := signed.(connectors.WebhookSource); !ok || !signed.Capabilities().Webhooks {
		t.Error("with webhook_public_key the instance must declare and implement webhooks")
	}
}

func TestSettingsValidation(t *testing.T) {
	connectortest.CheckRefused(t, magento.Type, []connectortest.Refused{
		{Name: "no credentials", Settings: map[string]any{"base_url": "https://shop.example"}, Want: "access_token, or username and password"},
		{Name: "both credentials", Settings: map[string]any{"base_url": "https://shop.example", "access_token": "t", "username": "u", "password": "p"}, Want: "not both"},
		{Name: "user without password", Settings: map[string]any{"base_url": "https://shop.example", "username": "u"}, Want: "go together"},
		{Name: "rest in base url", Settings: map[string]any{"base_url": "https://shop.example/rest/default", "access_token": "t"}, Want: "without /rest"},
		{Name: "page size over Magento's limit", Settings: map[string]any{"base_url": "https://shop.example", "access_token": "t", "page_size": 301}, Want: "page_size 301"},
		{Name: "bad key", Settings: map[string]any{"base_url": "https://shop.example", "access_token": "t", "webhook_public_key": "nope"}, Want: "webhook_public_key"},
		{Name: "unknown key", Settings: map[string]any{"base_url": "https://shop.example", "access_token": "t", "store": "x"}, Want: "not found"},
	})
}

func TestUnauthorizedSurfacesMagentoMessage(t *testing.T) {
	_, url := startEmulator(t, magentotest.Options{})
	c := build(t, map[string]any{"base_url": url, "access_token": "wrong"})
	_, err := c.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, "1")
	var herr *connectors.HTTPError
	if !errors.As(err, &herr) || herr.Status != http.StatusUnauthorized {
		t.Fatalf("want *HTTPError 401, got %v", err)
	}
	if !strings.Contains(err.Error(), "The consumer isn't authorized to access Magento_Customer::manage.") {
		t.Errorf("error does not carry Magento's message with its parameters filled in: %v", err)
	}
}

func TestExpiredAdminTokenIsRenewed(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	start := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	emu.SetNow(start)
	c := build(t, map[string]any{"base_url": url, "username": magentotest.DefaultAdminUser, "password": magentotest.DefaultAdminPassword})
	id := emu.Seed(1)[0]
	f := c.(connectors.Fetcher)
	fetch := func(what string) {
		t.Helper()
		if _, err := f.Fetch(context.Background(), connectors.ResourceCustomer, id); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	fetch("first call")
	fetch("second call")
	if ok, failed, _ := emu.LoginStats(); ok != 1 || failed != 0 {
		t.Fatalf("logins ok=%d failed=%d after two calls, want one token for both", ok, failed)
	}
	// Revoked (or expired early in Magento): the 401 is answered by one
	// new login and the call still succeeds.
	emu.ExpireTokens()
	fetch("call after the token was revoked")
	if ok, _, _ := emu.LoginStats(); ok != 2 {
		t.Errorf("logins = %d after a 401, want 2", ok)
	}
	// Past its lifetime in Magento's clock: the emulator refuses it, the
	// connector logs in again transparently.
	emu.SetNow(start.Add(4*time.Hour + time.Minute))
	fetch("call after the token's lifetime")
	if ok, failed, _ := emu.LoginStats(); ok != 3 || failed != 0 {
		t.Errorf("logins ok=%d failed=%d after expiry, want 3 and 0", ok, failed)
	}
}

func TestAdminTokenRenewedBeforeLifetimeEnds(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{TokenLifetime: time.Hour})
	c := build(t, map[string]any{"base_url": url, "username": magentotest.DefaultAdminUser, "password": magentotest.DefaultAdminPassword,
		"token_lifetime": "1h"})
	clock := time.Now()
	magento.SetClock(c, func() time.Time { return clock })
	id := emu.Seed(1)[0]
	f := c.(connectors.Fetcher)
	if _, err := f.Fetch(context.Background(), connectors.ResourceCustomer, id); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(56 * time.Minute) // inside the renewal margin
	before := len(emu.RequestLog())
	if _, err := f.Fetch(context.Background(), connectors.ResourceCustomer, id); err != nil {
		t.Fatal(err)
	}
	log := emu.RequestLog()[before:]
	if len(log) != 2 || !strings.Contains(log[0], "integration/admin/token") {
		t.Errorf("want a new token before the call, no 401 round trip; requests: %v", log)
	}
}

func TestWrongPasswordStopsBeforeLockout(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	c := build(t, map[string]any{"base_url": url, "username": magentotest.DefaultAdminUser, "password": "wrong"})
	l := c.(connectors.Lister)
	var first error
	for i := 0; i < 20; i++ { // twenty polls, as a retrying scheduler would
		_, err := l.List(context.Background(), connectors.ResourceCustomer, "")
		if err == nil {
			t.Fatal("listing with a wrong password succeeded")
		}
		if i == 0 {
			first = err
		}
	}
	if !errors.Is(first, magento.ErrLoginRefused) || !errors.Is(first, connectors.ErrPermanent) {
		t.Errorf("want a permanent ErrLoginRefused, got %v", first)
	}
	for _, want := range []string{"The account sign-in was incorrect", `"shophub"`, "until shophub restarts"} {
		if !strings.Contains(first.Error(), want) {
			t.Errorf("error %q does not say %q", first, want)
		}
	}
	ok, failed, locked := emu.LoginStats()
	if failed != 1 || ok != 0 || locked {
		t.Errorf("Magento saw %d failed logins (locked=%v), want exactly 1", failed, locked)
	}
	if n := emu.Requests(); n != 1 {
		t.Errorf("%d requests reached Magento, want only the one login", n)
	}
}

// TestEmulatorLocksOutAfterSixFailures shows what the connector avoids.
func TestEmulatorLocksOutAfterSixFailures(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	for i := 0; i < 6; i++ {
		c := build(t, map[string]any{"base_url": url, "username": magentotest.DefaultAdminUser, "password": "wrong"})
		_, _ = c.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, "1")
	}
	right := build(t, map[string]any{"base_url": url, "username": magentotest.DefaultAdminUser, "password": magentotest.DefaultAdminPassword})
	_, err := right.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, "1")
	if !errors.Is(err, magento.ErrLoginRefused) {
		t.Errorf("after 6 failures the right password must be refused too (locked), got %v", err)
	}
	if _, _, locked := emu.LoginStats(); !locked {
		t.Error("emulator not locked after 6 failures")
	}
}

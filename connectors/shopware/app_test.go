package shopware

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
)

// memApps is an in-memory AppStore.
type memApps struct {
	mu    sync.Mutex
	shops map[string]connectors.AppShop
}

func (m *memApps) AppShop(_ context.Context, instance string) (*connectors.AppShop, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.shops[instance]
	if !ok {
		return nil, nil
	}
	return &s, nil
}

func (m *memApps) SaveAppShop(_ context.Context, s *connectors.AppShop) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shops[s.Instance] = *s
	return nil
}

func appConnector(t *testing.T, apps connectors.AppStore) *Connector {
	t.Helper()
	s := NewSettings()
	s.URL, s.AppName, s.AppSecret = "https://shop.example.com", "ShophubSync", "manifest-secret"
	if err := s.Validate(); err != nil {
		t.Fatalf("app-mode settings: %v", err)
	}
	c, err := New(connectors.Instance{Name: "shopware", Type: Type, Apps: apps}, s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// registrationQuery is the query as Shopware's PrivateHandshake sends it.
func registrationQuery(at time.Time) string {
	return "shop-id=GLblL0Q8YI7veaV5&shop-url=https://shop.example.com&timestamp=" + strconv.FormatInt(at.Unix(), 10)
}

func TestAppRegistrationHandshake(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	good := registrationQuery(now)
	tests := []struct {
		name  string
		query string
		sig   string
		want  error // nil: answered
	}{
		{"signed with the manifest secret", good, hmacHex("manifest-secret", []byte(good)), nil},
		{"wrong secret", good, hmacHex("other", []byte(good)), connectors.ErrBadSignature},
		{"no signature", good, "", connectors.ErrBadSignature},
		{"query changed after signing", good + "&x=1", hmacHex("manifest-secret", []byte(good)), connectors.ErrBadSignature},
		{"replayed after eleven minutes", registrationQuery(now.Add(-11 * time.Minute)), hmacHex("manifest-secret", []byte(registrationQuery(now.Add(-11*time.Minute)))), connectors.ErrBadSignature},
		{"no shop id", "shop-url=https://x&timestamp=1", hmacHex("manifest-secret", []byte("shop-url=https://x&timestamp=1")), connectors.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps := &memApps{shops: map[string]connectors.AppShop{}}
			c := appConnector(t, apps)
			answer, err := c.Register(ctx, http.Header{"Shopware-App-Signature": {tt.sig}}, tt.query, "https://hub.example.com/apps/shopware/confirm")
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Register: %v, want %v", err, tt.want)
				}
				if len(apps.shops) != 0 {
					t.Errorf("a refused registration was stored: %+v", apps.shops)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var a struct {
				Proof           string `json:"proof"`
				Secret          string `json:"secret"`
				ConfirmationURL string `json:"confirmation_url"`
			}
			if err := json.Unmarshal(answer, &a); err != nil {
				t.Fatal(err)
			}
			// The proof Shopware's PrivateHandshake::fetchAppProof expects.
			if want := hmacHex("manifest-secret", []byte("GLblL0Q8YI7veaV5"+"https://shop.example.com"+"ShophubSync")); a.Proof != want {
				t.Errorf("proof %s, want %s", a.Proof, want)
			}
			if len(a.Secret) < 32 || a.ConfirmationURL != "https://hub.example.com/apps/shopware/confirm" {
				t.Errorf("answer %s", answer)
			}
			if s := apps.shops["shopware"]; s.PendingSecret != a.Secret || s.Secret != "" || s.ShopID != "GLblL0Q8YI7veaV5" {
				t.Errorf("stored %+v", s)
			}

			// The confirmation, as AppRegistrationService sends it.
			body := []byte(`{"apiKey":"SWIAAPPKEY","secretKey":"app-secret-key","timestamp":"` + strconv.FormatInt(now.Unix(), 10) +
				`","shopUrl":"https:\/\/shop.example.com","shopId":"GLblL0Q8YI7veaV5"}`)
			for _, bad := range []struct {
				name string
				h    http.Header
				body []byte
			}{
				{"signed with the manifest secret", http.Header{"Shopware-Shop-Signature": {hmacHex("manifest-secret", body)}}, body},
				{"another shop", http.Header{"Shopware-Shop-Signature": {hmacHex(a.Secret, []byte(`{"shopId":"other"}`))}}, []byte(`{"shopId":"other"}`)},
			} {
				if err := c.ConfirmRegistration(ctx, bad.h, bad.body); !errors.Is(err, connectors.ErrBadSignature) {
					t.Errorf("confirmation %s: %v, want refused", bad.name, err)
				}
			}
			if id, _, err := c.credentials(ctx); err == nil {
				t.Errorf("credentials %q before the confirmation", id)
			}
			if err := c.ConfirmRegistration(ctx, http.Header{"Shopware-Shop-Signature": {hmacHex(a.Secret, body)}}, body); err != nil {
				t.Fatalf("confirmation: %v", err)
			}
			s := apps.shops["shopware"]
			if s.Secret != a.Secret || s.PendingSecret != "" || s.APIKey != "SWIAAPPKEY" || s.SecretKey != "app-secret-key" || s.ConfirmedAt == nil {
				t.Errorf("after the confirmation: %+v", s)
			}
			if id, secret, err := c.credentials(ctx); err != nil || id != "SWIAAPPKEY" || secret != "app-secret-key" {
				t.Errorf("credentials %q %q %v", id, secret, err)
			}
			// Webhooks verify with the per-shop secret, not the manifest's.
			hook := []byte(`{"data":{"payload":[],"event":"customer.written"}}`)
			if err := c.VerifyWebhook(http.Header{"Shopware-Shop-Signature": {hmacHex(a.Secret, hook)}}, hook); err != nil {
				t.Errorf("webhook signed with the per-shop secret: %v", err)
			}
			if err := c.VerifyWebhook(http.Header{"Shopware-Shop-Signature": {hmacHex("manifest-secret", hook)}}, hook); !errors.Is(err, connectors.ErrBadSignature) {
				t.Errorf("webhook signed with the manifest secret: %v, want refused", err)
			}
		})
	}
}

func TestAppModeSettings(t *testing.T) {
	for _, tt := range []struct {
		name                   string
		appName, appSecret     string
		clientID, clientSecret string
		ok                     bool
	}{
		{"app", "ShophubSync", "s", "", "", true},
		{"app with integration fallback", "ShophubSync", "s", "SWIA", "x", true},
		{"app name without secret", "ShophubSync", "", "SWIA", "x", false},
		{"app without name", "", "s", "", "", false},
		{"integration", "", "", "SWIA", "x", true},
		{"neither", "", "", "", "", false},
	} {
		s := NewSettings()
		s.URL, s.AppName, s.AppSecret, s.ClientID, s.ClientSecret = "https://shop.example.com", tt.appName, tt.appSecret, tt.clientID, tt.clientSecret
		if err := s.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

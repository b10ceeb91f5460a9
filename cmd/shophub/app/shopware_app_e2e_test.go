package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	shsync "github.com/shophub/shophub/sync"
)

const (
	testAppName   = "ShophubSync"
	testAppSecret = "manifest-setup-secret"
)

func shopwareAsApp(c *config.Config) {
	for i := range c.Connectors {
		if c.Connectors[i].Name == "shopware" {
			c.Connectors[i].WebhookSecret = ""
			c.Connectors[i].Settings = map[string]any{"url": c.Connectors[i].Settings["url"], "app_name": testAppName, "app_secret": testAppSecret}
		}
	}
}

// Shopware as an app: the emulated shop registers against shophub's
// registration endpoint as real Shopware does, its webhooks are verified
// with the per-shop secret handed out there (not the manifest's, not an
// integration secret), and shophub reaches the Admin API with the
// credentials the shop confirmed. A re-registration rotates the secret.
func TestShopwareAppRegistrationAndSignedWebhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{lazy: true, tune: shopwareAsApp})
	ctx := t.Context()
	hook := e.app.URL() + "/webhooks/shopware"
	manifest := shopwaretest.AppManifest{Name: testAppName, RegistrationURL: e.app.URL() + "/apps/shopware/register", Secret: testAppSecret}

	// Not registered: Shopware cannot be reached, everything else works.
	eventually(t, 10*time.Second, "unregistered Shopware app never reported down", func() bool {
		h, _ := e.app.Points.Get("shopware")
		return h.Health().State == shsync.StateDown
	})

	// The shop refuses an app that cannot prove it knows the secret, and
	// shophub refuses a shop that does not know it.
	if err := e.shopware.InstallApp(ctx, shopwaretest.AppManifest{Name: testAppName, RegistrationURL: manifest.RegistrationURL, Secret: "wrong"}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("registration signed with a wrong manifest secret: %v, want 401", err)
	}
	if err := e.shopware.InstallApp(ctx, shopwaretest.AppManifest{Name: "OtherApp", RegistrationURL: manifest.RegistrationURL, Secret: testAppSecret}); err == nil || !strings.Contains(err.Error(), "invalid proof") {
		t.Fatalf("installing under another app name: %v, want the shop to refuse the proof", err)
	}

	if err := e.shopware.InstallApp(ctx, manifest); err != nil {
		t.Fatalf("install: %v", err)
	}
	reg, err := e.app.Store.AppShop(ctx, "shopware")
	if err != nil || reg == nil {
		t.Fatalf("registration in the hub: %v %v", reg, err)
	}
	apiKey, _ := e.shopware.AppCredentials()
	if reg.Secret == "" || reg.PendingSecret != "" || reg.APIKey != apiKey || reg.ConfirmedAt == nil || reg.ShopURL != e.shopware.URL() {
		t.Errorf("registration after the confirmation: secret set %v, pending %q, api key %q (shop's %q), confirmed %v, shop url %q",
			reg.Secret != "", reg.PendingSecret, reg.APIKey, apiKey, reg.ConfirmedAt, reg.ShopURL)
	}
	eventually(t, 10*time.Second, "Shopware never connected with the app's credentials", func() bool {
		h, _ := e.app.Points.Get("shopware")
		return h.Health().State == shsync.StateUp
	})

	// Webhook → hub, signed with the per-shop secret; the record is fetched
	// with the app's credentials.
	email := "app@example.com"
	e.shopware.CreateCustomer(map[string]any{"email": email, "firstName": "Ada", "lastName": "App",
		"defaultBillingAddress": map[string]any{"firstName": "Ada", "lastName": "App", "street": "Appweg 1", "zipcode": "10115", "city": "Berlin", "countryIso": "DE"}})
	eventually(t, 15*time.Second, "Shopware customer never reached the hub", func() bool {
		c, _ := e.hubCustomer(t, email)
		return c != nil && e.linkOf(t, c.ID, "shopify") != ""
	})

	// The manifest secret and the integration secret of the emulator's
	// options sign nothing any more.
	h, body := e.shopware.SignedDelivery("customer.written", []string{shopwaretest.NewID()})
	if code, resp := postWebhook(t, hook, h, body); code != http.StatusOK {
		t.Errorf("delivery signed with the per-shop secret: %d %s", code, resp)
	}
	for _, secret := range []string{testAppSecret, app.DemoShopwareAppHMAC} {
		h.Set("shopware-shop-signature", hmacHex(secret, body))
		if code, _ := postWebhook(t, hook, h, body); code != http.StatusUnauthorized {
			t.Errorf("delivery signed with %q: %d, want 401", secret, code)
		}
	}

	// Hub → Shopware with the app's credentials.
	e.shopify.CreateCustomer(app.DemoCustomer(7))
	eventually(t, 15*time.Second, "Shopify customer never reached Shopware", func() bool { return e.shopware.Count() == 2 })

	// Re-registration (an app update) rotates the secret: the new one
	// verifies, the old one still does for a grace period.
	old := reg.Secret
	if err := e.shopware.InstallApp(ctx, manifest); err != nil {
		t.Fatalf("re-install: %v", err)
	}
	reg, _ = e.app.Store.AppShop(ctx, "shopware")
	if reg.Secret == old || reg.PreviousSecret != old {
		t.Errorf("rotation: secret changed %v, previous kept %v", reg.Secret != old, reg.PreviousSecret == old)
	}
	h, body = e.shopware.SignedDelivery("customer.written", []string{shopwaretest.NewID()})
	if code, resp := postWebhook(t, hook, h, body); code != http.StatusOK {
		t.Errorf("delivery signed with the rotated secret: %d %s", code, resp)
	}
	h.Set("shopware-shop-signature", hmacHex(old, body))
	if code, resp := postWebhook(t, hook, h, body); code != http.StatusOK {
		t.Errorf("delivery signed with the previous secret within its grace: %d %s", code, resp)
	}
}

func hmacHex(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

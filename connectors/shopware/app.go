package shopware

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shophub/shophub/connectors"
)

// App mode: the shop registers shophub as an app, as Shopware's app system
// does with every app that has a <setup> in its manifest
// (Framework/App/Lifecycle/Registration: PrivateHandshake,
// AppRegistrationService):
//
//  1. The shop sends GET <registrationUrl>?shop-id=…&shop-url=…&timestamp=…
//     with shopware-app-signature = hex HMAC-SHA256(manifest secret, the
//     query string as sent).
//  2. The app answers {"proof", "secret", "confirmation_url"}: proof is hex
//     HMAC-SHA256(manifest secret, shop-id + shop-url + app name), secret a
//     new per-shop secret. The shop checks the proof and stores the secret:
//     from then on it signs its webhooks with it.
//  3. The shop POSTs {"apiKey","secretKey","timestamp","shopUrl","shopId"}
//     (the app's integration credentials) to confirmation_url, signed with
//     shopware-shop-signature = hex HMAC-SHA256(per-shop secret, raw body).
//
// A re-registration (app update, reinstall) hands out a new secret; the
// confirmed one stays valid until the new one is confirmed, and the one
// replaced is still accepted for previousSecretGrace, for deliveries signed
// before the switch that are retried after it.

const (
	headerAppSignature = "shopware-app-signature"
	// registrationMaxAge bounds how old a signed registration request may
	// be, so a captured one cannot be replayed later.
	registrationMaxAge  = 10 * time.Minute
	previousSecretGrace = time.Hour
	// appCacheTTL: how long a registration read from the hub is trusted
	// before another process's newer one is looked for.
	appCacheTTL = 30 * time.Second
)

// appCache holds the instance's registration as last read from the hub.
type appCache struct {
	mu   sync.Mutex
	shop *connectors.AppShop
	at   time.Time
}

// registration returns the instance's registration, read from the hub when
// the cached one is older than maxAge.
func (c *Connector) registration(ctx context.Context, maxAge time.Duration) (*connectors.AppShop, error) {
	if c.inst.Apps == nil {
		return nil, fmt.Errorf("shopware %s: app mode needs the hub's app registrations, and this process has none", c.inst.Name)
	}
	c.app.mu.Lock()
	defer c.app.mu.Unlock()
	if !c.app.at.IsZero() && time.Since(c.app.at) < maxAge {
		return copyShop(c.app.shop), nil
	}
	shop, err := c.inst.Apps.AppShop(ctx, c.inst.Name)
	if err != nil {
		return nil, fmt.Errorf("shopware %s: app registration: %w", c.inst.Name, err)
	}
	c.app.shop, c.app.at = copyShop(shop), time.Now()
	return shop, nil
}

// copyShop keeps the cached registration apart from the one a caller
// changes: Register and ConfirmRegistration edit theirs while webhooks
// read the cache concurrently.
func copyShop(shop *connectors.AppShop) *connectors.AppShop {
	if shop == nil {
		return nil
	}
	cp := *shop
	return &cp
}

func (c *Connector) saveRegistration(ctx context.Context, shop *connectors.AppShop) error {
	if err := c.inst.Apps.SaveAppShop(ctx, shop); err != nil {
		return fmt.Errorf("shopware %s: save app registration: %w", c.inst.Name, err)
	}
	c.app.mu.Lock()
	cp := *shop
	c.app.shop, c.app.at = &cp, time.Now()
	c.app.mu.Unlock()
	return nil
}

// credentials are the configured integration's, else in app mode those the
// shop confirmed at registration.
func (c *Connector) credentials(ctx context.Context) (string, string, error) {
	if !c.settings.appMode() || c.settings.ClientID != "" {
		return c.settings.ClientID, c.settings.ClientSecret, nil
	}
	shop, err := c.registration(ctx, 0)
	if err != nil {
		return "", "", err
	}
	if shop == nil || shop.APIKey == "" {
		return "", "", fmt.Errorf("app %s is not registered by the shop yet: install it in Shopware (registration URL /apps/%s/register)", c.settings.AppName, c.inst.Name)
	}
	return shop.APIKey, shop.SecretKey, nil
}

// appSecrets are the per-shop secrets a webhook may be signed with.
func appSecrets(shop *connectors.AppShop, now time.Time) []string {
	if shop == nil {
		return nil
	}
	out := []string{shop.Secret, shop.PendingSecret}
	if shop.ConfirmedAt != nil && now.Sub(*shop.ConfirmedAt) < previousSecretGrace {
		out = append(out, shop.PreviousSecret)
	}
	return out
}

func sign(secret string, msg []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(msg)
	return mac.Sum(nil)
}

// signatureMatches reports whether the hex signature sig is msg's HMAC under
// secret.
func signatureMatches(sig, secret string, msg []byte) bool {
	b, err := hex.DecodeString(strings.TrimSpace(sig))
	return err == nil && secret != "" && hmac.Equal(b, sign(secret, msg))
}

// Register answers the shop's registration request (step 2).
func (c *Connector) Register(ctx context.Context, h http.Header, rawQuery, confirmURL string) ([]byte, error) {
	if !c.settings.appMode() {
		return nil, fmt.Errorf("shopware %s: not configured as an app (settings app_name, app_secret): %w", c.inst.Name, connectors.ErrBadSignature)
	}
	if !signatureMatches(h.Get(headerAppSignature), c.settings.AppSecret, []byte(rawQuery)) {
		return nil, fmt.Errorf("shopware %s: registration: %s does not match the app secret: %w", c.inst.Name, headerAppSignature, connectors.ErrBadSignature)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("shopware %s: registration query: %v: %w", c.inst.Name, err, connectors.ErrMalformed)
	}
	shopID, shopURL := q.Get("shop-id"), q.Get("shop-url")
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if shopID == "" || shopURL == "" || err != nil {
		return nil, fmt.Errorf("shopware %s: registration needs shop-id, shop-url and timestamp: %w", c.inst.Name, connectors.ErrMalformed)
	}
	if age := time.Since(time.Unix(ts, 0)); age > registrationMaxAge || age < -registrationMaxAge {
		return nil, fmt.Errorf("shopware %s: registration timestamp is %s off: %w", c.inst.Name, age.Round(time.Second), connectors.ErrBadSignature)
	}
	shop, err := c.registration(ctx, 0)
	if err != nil {
		return nil, err
	}
	if shop == nil {
		shop = &connectors.AppShop{Instance: c.inst.Name}
	} else if shop.ShopID != shopID {
		c.inst.Logger.Warn("shopware: app registered by a shop id other than before; the new one replaces it",
			"connector", c.inst.Name, "old_shop_id", shop.ShopID, "shop_id", shopID)
		// Another shop's secret and credentials must not outlive it.
		shop = &connectors.AppShop{Instance: c.inst.Name}
	}
	secret, err := newSecret()
	if err != nil {
		return nil, err
	}
	shop.ShopID, shop.ShopURL, shop.PendingSecret, shop.RegisteredAt = shopID, shopURL, secret, time.Now().UTC()
	if err := c.saveRegistration(ctx, shop); err != nil {
		return nil, err
	}
	c.inst.Logger.Info("shopware: app registration answered; waiting for the shop's confirmation", "connector", c.inst.Name, "shop_id", shopID, "shop_url", shopURL)
	return json.Marshal(map[string]string{
		"proof":            hex.EncodeToString(sign(c.settings.AppSecret, []byte(shopID+shopURL+c.settings.AppName))),
		"secret":           secret,
		"confirmation_url": confirmURL,
	})
}

// ConfirmRegistration takes the shop's confirmation (step 3): signed with
// the secret just handed out, it carries the app's API credentials.
func (c *Connector) ConfirmRegistration(ctx context.Context, h http.Header, body []byte) error {
	if !c.settings.appMode() {
		return fmt.Errorf("shopware %s: not configured as an app: %w", c.inst.Name, connectors.ErrBadSignature)
	}
	var conf struct {
		APIKey    string `json:"apiKey"`
		SecretKey string `json:"secretKey"`
		Timestamp string `json:"timestamp"`
		ShopURL   string `json:"shopUrl"`
		ShopID    string `json:"shopId"`
	}
	if err := json.Unmarshal(body, &conf); err != nil {
		return fmt.Errorf("shopware %s: confirmation body: %v: %w", c.inst.Name, err, connectors.ErrMalformed)
	}
	shop, err := c.registration(ctx, 0)
	if err != nil {
		return err
	}
	if shop == nil || shop.ShopID != conf.ShopID || shop.PendingSecret == "" {
		return fmt.Errorf("shopware %s: confirmation for shop %q, which has no registration waiting: %w", c.inst.Name, conf.ShopID, connectors.ErrBadSignature)
	}
	if !signatureMatches(h.Get(headerSignature), shop.PendingSecret, body) {
		return fmt.Errorf("shopware %s: confirmation: %s does not match the secret handed out: %w", c.inst.Name, headerSignature, connectors.ErrBadSignature)
	}
	if conf.APIKey == "" || conf.SecretKey == "" {
		return fmt.Errorf("shopware %s: confirmation without apiKey and secretKey: %w", c.inst.Name, connectors.ErrMalformed)
	}
	now := time.Now().UTC()
	if shop.Secret != "" {
		shop.PreviousSecret = shop.Secret
	}
	shop.Secret, shop.PendingSecret = shop.PendingSecret, ""
	shop.APIKey, shop.SecretKey, shop.ConfirmedAt = conf.APIKey, conf.SecretKey, &now
	if conf.ShopURL != "" {
		shop.ShopURL = conf.ShopURL
	}
	if err := c.saveRegistration(ctx, shop); err != nil {
		return err
	}
	c.inst.Logger.Info("shopware: app registration confirmed", "connector", c.inst.Name, "shop_id", shop.ShopID)
	return nil
}

// webhookSecrets are the secrets a delivery may be signed with: the
// configured integration secrets (setups without an app) and, in app mode,
// the per-shop ones. fresh re-reads the registration from the hub.
func (c *Connector) webhookSecrets(fresh bool) []string {
	secrets := append([]string(nil), c.inst.WebhookSecrets...)
	if !c.settings.appMode() || c.inst.Apps == nil {
		return secrets
	}
	maxAge := appCacheTTL
	if fresh {
		maxAge = time.Second // a rotation elsewhere is seen at once, a flood of bad signatures costs one read a second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shop, err := c.registration(ctx, maxAge)
	if err != nil {
		c.inst.Logger.Warn("shopware: app registration unreadable; only configured secrets verify", "connector", c.inst.Name, "err", err)
		return secrets
	}
	return append(secrets, appSecrets(shop, time.Now())...)
}

func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("shopware: app secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

var errNoSecret = errors.New("no webhook secret configured and no app registration")

var _ connectors.AppRegistrar = (*Connector)(nil)

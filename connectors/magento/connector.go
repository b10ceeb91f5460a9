// Package magento connects shophub to a Magento 2 / Adobe Commerce store
// through its REST API: updated_at polling (Magento Open Source sends no
// webhooks), read-modify-write customer pushes that respect Magento's
// full-save PUT, and, where an Adobe Commerce instance signs webhooks and
// its public key is configured, webhooks as a fast path next to polling.
package magento

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "magento"

//go:embed mapping.yaml
var defaultMapping []byte

// sample is a vendor-shaped customer for docs and benchmarks.
//
//go:embed testdata/customer.json
var sample []byte

func init() {
	connectors.Register(connectors.Registration{
		Type: Type,
		Doc: "Magento 2 / Adobe Commerce store via REST: updated_at polling of customers, orders and carts (quotes), read-modify-write customer pushes, " +
			"optional RSA-signed Adobe Commerce webhooks.",
		// The type can receive webhooks; an instance does only when
		// webhook_public_key is set (see Capabilities).
		Capabilities: connectors.Capabilities{Webhooks: true, Poll: true, Push: true, Patch: true, Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder, connectors.ResourceCart}},
		NewSettings:  func() any { return NewSettings() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
		Sample:       sample,
		Vocabularies: []connectors.Vocabulary{genderVocabulary},
	})
}

// Settings configure one Magento store view.
type Settings struct {
	BaseURL   string `yaml:"base_url" doc:"Store base URL including scheme, e.g. https://shop.example.com (REST lives under /rest/<store_code>/V1)"`
	StoreCode string `yaml:"store_code" doc:"Store view code in the REST path (default, all, or a store view code)" default:"default"`
	WebsiteID int    `yaml:"website_id" doc:"Website new customers are created in; also scopes the email lookup" default:"1"`
	GroupID   int    `yaml:"group_id" doc:"Customer group of new customers (Magento's General group is 1)" default:"1"`
	StoreID   int    `yaml:"store_id" doc:"Store view id of new customers; 0 lets Magento pick the website's default" default:"0"`

	AccessToken string `yaml:"access_token" doc:"Integration access token sent as a bearer token (needs oauth/consumer/enable_integration_as_bearer=1 since 2.4.4); or set username and password" secret:"true"`
	Username    string `yaml:"username" doc:"Admin user for POST /V1/integration/admin/token (instead of access_token); needs an admin without two-factor auth"`
	Password    string `yaml:"password" doc:"Password of username; a rejected login stops all requests until restart so Magento's lockout (6 failures) never triggers" secret:"true"`
	// TokenLifetime mirrors Magento's Services › OAuth › Access Token
	// Expiration › Admin Token Lifetime; the token is renewed before it.
	TokenLifetime time.Duration `yaml:"token_lifetime" doc:"Admin token lifetime configured in Magento; shophub renews the token before it ends" default:"4h"`

	// PlaceholderTelephone fills telephone on an address shophub creates
	// when the hub knows no phone: Magento requires a telephone on every
	// address unless the store made it optional.
	PlaceholderTelephone string `yaml:"placeholder_telephone" doc:"Telephone written on addresses shophub creates without a known phone, for stores that require one (e.g. \"-\"); empty sends none"`

	PageSize int `yaml:"page_size" doc:"Customers per search page when polling (1–300, Magento's maximum_page_size)" default:"100"`

	// InsightAttributes turns on the default mapping's insight attributes.
	InsightAttributes bool `yaml:"insight_attributes" doc:"Push the hub's customer insights to the customer attributes shophub_segment, shophub_profitability, shophub_total_spent and shophub_return_rate (text attributes the operator creates first: Magento's REST API cannot create them and silently drops unknown ones; a missing one makes the push wait with that instruction)" default:"false"`

	WebhookPublicKey string `yaml:"webhook_public_key" doc:"PEM public key from Stores › Configuration › Adobe Services › Webhooks; set it to accept signed Adobe Commerce webhooks, leave it empty to rely on polling"`
}

// NewSettings returns settings filled with their defaults.
func NewSettings() *Settings {
	return &Settings{StoreCode: "default", WebsiteID: 1, GroupID: 1, TokenLifetime: 4 * time.Hour, PageSize: defaultPageSize}
}

const (
	defaultPageSize = 100
	maxPageSize     = 300
)

var storeCodeRe = regexp.MustCompile(`^[a-z0-9_]+$`)

// Validate checks settings without contacting Magento.
func (s *Settings) Validate() error {
	var errs []error
	if _, err := connectors.BaseURL("base_url", s.BaseURL, "https://shop.example.com"); err != nil {
		errs = append(errs, err)
	} else if u, _ := url.Parse(s.BaseURL); strings.Contains(u.Path, "/rest") {
		errs = append(errs, fmt.Errorf("base_url %q: give the store's base URL without /rest/…; store_code selects the store view", s.BaseURL))
	}
	if !storeCodeRe.MatchString(s.StoreCode) {
		errs = append(errs, fmt.Errorf("store_code %q: want a store view code like default", s.StoreCode))
	}
	token := strings.TrimSpace(s.AccessToken) != ""
	login := s.Username != "" || s.Password != ""
	switch {
	case token && login:
		errs = append(errs, errors.New("set either access_token or username/password, not both"))
	case !token && !login:
		errs = append(errs, errors.New("access_token, or username and password, is required"))
	case login && (s.Username == "" || s.Password == ""):
		errs = append(errs, errors.New("username and password go together"))
	}
	if s.TokenLifetime < time.Minute {
		errs = append(errs, fmt.Errorf("token_lifetime %s: want at least 1m", s.TokenLifetime))
	}
	if s.PageSize < 1 || s.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("page_size %d: want 1–%d", s.PageSize, maxPageSize))
	}
	if s.WebsiteID < 0 || s.GroupID < 0 || s.StoreID < 0 {
		errs = append(errs, errors.New("website_id, group_id and store_id must not be negative"))
	}
	if s.WebhookPublicKey != "" {
		if _, err := parsePublicKey(s.WebhookPublicKey); err != nil {
			errs = append(errs, fmt.Errorf("webhook_public_key: %w", err))
		}
	}
	return errors.Join(errs...)
}

func parsePublicKey(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("not a PEM block (-----BEGIN PUBLIC KEY-----)")
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("want an RSA key, got %T", k)
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not an RSA public key: %w", err)
	}
	return k, nil
}

// Connector is one configured Magento store view, polled and pushed to. It
// holds no mutable per-call state apart from the token source, which is
// safe for concurrent workers.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	http     *connectors.HTTPClient
	auth     *connectors.TokenSource // nil with an integration token
	dir      directory               // region ids by country (directory.go)
	attrs    attrCache               // customer attributes the store defines (attributes.go)
}

// WebhookConnector is a Connector whose instance has a webhook public key:
// it also verifies and decodes Adobe Commerce webhooks. New returns it only
// then, so that implementing WebhookSource and declaring Webhooks agree.
type WebhookConnector struct {
	*Connector
	publicKey *rsa.PublicKey
}

// New builds an unconnected connector: a *WebhookConnector when
// webhook_public_key is set, else a *Connector.
func New(inst connectors.Instance, s Settings) (connectors.Connector, error) {
	s.BaseURL, _ = connectors.BaseURL("base_url", s.BaseURL, "")
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("magento: %w", err)
	}
	c := &Connector{inst: inst, settings: s}
	c.http = c.newHTTPClient()
	if s.WebhookPublicKey == "" {
		return c, nil
	}
	k, err := parsePublicKey(s.WebhookPublicKey)
	if err != nil {
		return nil, fmt.Errorf("magento: webhook_public_key: %w", err)
	}
	return &WebhookConnector{Connector: c, publicKey: k}, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector: polling and pushes; no
// webhooks (see WebhookConnector).
func (c *Connector) Capabilities() connectors.Capabilities {
	// Patch: the Writer merges a payload into the customer it reads first.
	return connectors.Capabilities{Poll: true, Push: true, Patch: true, Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder, connectors.ResourceCart}}
}

// Capabilities implements connectors.Connector: as Connector, plus webhooks.
func (c *WebhookConnector) Capabilities() connectors.Capabilities {
	caps := c.Connector.Capabilities()
	caps.Webhooks = true
	return caps
}

// Connect does not contact Magento: the admin token is fetched on the first
// call, so shophub starts (and verifies webhooks) while Magento is down. A
// wrong password surfaces on that first call, once.
func (c *Connector) Connect(_ context.Context) error { return nil }

// Close releases nothing; it is safe to call any number of times.
func (c *Connector) Close() error { return nil }

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Connector = (*WebhookConnector)(nil)
)

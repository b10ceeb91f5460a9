// Package shopware connects a Shopware 6 shop through its Admin API: OAuth
// client credentials, DAL criteria search for fetching and polling, PATCH
// writes, and app-system webhooks (shopware-shop-signature).
package shopware

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "shopware"

// systemLanguageID is Shopware's Defaults::LANGUAGE_SYSTEM, identical on
// every installation.
const systemLanguageID = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"

//go:embed mapping.yaml
var defaultMapping []byte

// sample is a vendor-shaped customer for docs and benchmarks.
//
//go:embed testdata/customer.json
var sample []byte

func init() {
	connectors.Register(connectors.Registration{
		Type:         Type,
		Doc:          "Shopware 6 shop via the Admin API and app webhooks, with integration credentials or registered as an app (handshake at /apps/<instance>/register): customers both ways, orders read.",
		Capabilities: capabilities(),
		NewSettings:  func() any { return NewSettings() },
		New: func(inst connectors.Instance, s any) (connectors.Connector, error) {
			settings, ok := s.(*Settings)
			if !ok {
				return nil, fmt.Errorf("shopware: settings of type %T", s)
			}
			return New(inst, settings)
		},
		Mapping:      defaultMapping,
		Sample:       sample,
		Vocabularies: []connectors.Vocabulary{genderVocabulary},
	})
}

func capabilities() connectors.Capabilities {
	// Patch: the Admin API PATCHes, and the Writer patches addresses in place.
	return connectors.Capabilities{Webhooks: true, Poll: true, Push: true, Patch: true, Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder}}
}

// maxPageSize is shopware.api.max_limit.
const maxPageSize = 500

// Settings configure one Shopware instance.
type Settings struct {
	URL          string `yaml:"url" doc:"shop base URL, e.g. https://shop.example.com (the Admin API lives under /api)"`
	ClientID     string `yaml:"client_id" doc:"integration access key id (Settings → System → Integrations)"`
	ClientSecret string `yaml:"client_secret" doc:"integration secret access key" secret:"true"`
	PageSize     int    `yaml:"page_size" doc:"records per search page when polling (1–500)" default:"100"`

	SalesChannelID         string `yaml:"sales_channel_id" doc:"sales channel new customers are assigned to; empty: the first one the API lists"`
	GroupID                string `yaml:"group_id" doc:"customer group for new customers; empty: the first one the API lists"`
	SalutationID           string `yaml:"salutation_id" doc:"salutation for new customers and their addresses; empty: 'not_specified' or the first one"`
	DefaultPaymentMethodID string `yaml:"default_payment_method_id" doc:"default payment method for new customers (required before Shopware 6.7); empty: the first active one"`
	LanguageID             string `yaml:"language_id" doc:"language of new customers" default:"2fbb5fe2e29a4d70aa5854ce7ce3e20b"`

	// App mode (app.go): the shop registers shophub as an app.
	AppName   string `yaml:"app_name" doc:"app mode: the app's technical name (manifest.xml <meta><name>); register it with <setup><registrationUrl> https://<shophub>/apps/<instance>/register"`
	AppSecret string `yaml:"app_secret" doc:"app mode: the manifest's <setup><secret>; the shop's webhooks are then verified with the per-shop secret from the registration and the API is reached with the app's credentials (client_id and client_secret not needed)" secret:"true"`

	// The hub's insights (default mapping): custom fields and tags.
	InsightCustomFields bool `yaml:"insight_custom_fields" doc:"Push the hub's customer insights to the customer's customFields shophub_segment, shophub_profitability, shophub_rfm, shophub_total_spent, shophub_return_rate and shophub_next_order_due (define them as a custom field set in Settings › System › Custom fields to show them in the admin)" default:"true"`
	InsightTags         bool `yaml:"insight_tags" doc:"Tag customers shophub:segment:<segment> and shophub:profitability:<class> beside their own tags (tags are created when missing); tags starting shophub: are never read back as edits" default:"true"`
}

// appMode: the shop registers shophub as an app.
func (s *Settings) appMode() bool { return s.AppSecret != "" }

// NewSettings returns settings filled with defaults.
func NewSettings() *Settings {
	return &Settings{PageSize: 100, LanguageID: systemLanguageID, InsightCustomFields: true, InsightTags: true}
}

// Validate checks settings without calling Shopware.
func (s *Settings) Validate() error {
	var errs []error
	u, err := url.Parse(s.URL)
	if s.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url: want the shop's http(s) base URL, got %q", s.URL))
	}
	switch {
	case s.appMode():
		if s.AppName == "" {
			errs = append(errs, errors.New("app_name: required with app_secret (the manifest's <meta><name>)"))
		}
		if (s.ClientID == "") != (s.ClientSecret == "") {
			errs = append(errs, errors.New("client_id and client_secret: set both or neither (app mode takes the app's credentials)"))
		}
	case s.AppName != "":
		errs = append(errs, errors.New("app_secret: required with app_name (the manifest's <setup><secret>)"))
	default:
		if s.ClientID == "" {
			errs = append(errs, errors.New("client_id: required (or app_name and app_secret for app mode)"))
		}
		if s.ClientSecret == "" {
			errs = append(errs, errors.New("client_secret: required"))
		}
	}
	if s.PageSize < 1 || s.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("page_size: %d is not within 1–%d", s.PageSize, maxPageSize))
	}
	for name, v := range map[string]string{"sales_channel_id": s.SalesChannelID, "group_id": s.GroupID, "salutation_id": s.SalutationID, "default_payment_method_id": s.DefaultPaymentMethodID, "language_id": s.LanguageID} {
		if v != "" && !isID(v) {
			errs = append(errs, fmt.Errorf("%s: %q is not a Shopware id (32 hex characters)", name, v))
		}
	}
	return errors.Join(errs...)
}

func isID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Connector is one Shopware instance.
type Connector struct {
	inst     connectors.Instance
	settings Settings

	// Set by Connect; nil before. Atomic because a failed Connect is
	// retried while other goroutines may already ask for the client.
	sess atomic.Pointer[session]

	// Caches of Shopware ids, filled on demand and safe for concurrent use.
	refsMu    sync.Mutex
	refs      *createRefs
	countryMu sync.Mutex
	countries map[string]string // ISO-2 → countryId; ISO 3166-2 → countryStateId ("" = none)
	tagMu     sync.Mutex
	tags      map[string]string // name → tagId

	app appCache // app mode: the registration (app.go)

	// noReturnsAt is when the shop last rejected the order returns
	// association (UnixNano; 0: never): orders.go.
	noReturnsAt atomic.Int64
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s *Settings) (*Connector, error) {
	if s == nil {
		s = NewSettings()
	}
	cp := *s
	cp.URL = strings.TrimRight(cp.URL, "/")
	if inst.Logger == nil {
		inst.Logger = slog.Default()
	}
	return &Connector{inst: inst, settings: cp, countries: map[string]string{}, tags: map[string]string{}}, nil
}

func (c *Connector) Type() string                          { return Type }
func (c *Connector) Capabilities() connectors.Capabilities { return capabilities() }

// Connect builds the API client and fetches the first access token, so bad
// credentials show as the instance being down (the pipeline connects
// lazily and retries). Webhook verification needs none of it. Safe to call
// again after a failure.
func (c *Connector) Connect(ctx context.Context) error {
	tokens := newTokenSource(c.settings.URL, c.credentials, c.inst.Timeout)
	if _, err := tokens.Token(ctx); err != nil {
		return fmt.Errorf("shopware %s: connect: %w", c.inst.Name, err)
	}
	c.sess.Store(&session{api: c.newAPIClient(tokens), tokens: tokens})
	return nil
}

// session is what Connect sets up: the Admin API client and its tokens.
type session struct {
	api    *connectors.HTTPClient
	tokens *connectors.TokenSource
}

// Close releases nothing but is part of the contract; safe twice and after
// a failed Connect.
func (c *Connector) Close() error { return nil }

func (c *Connector) client() (*connectors.HTTPClient, error) {
	sess := c.sess.Load()
	if sess == nil {
		return nil, errors.New("shopware: not connected")
	}
	return sess.api, nil
}

// tokenRefreshMargin is how long before expiry a token is renewed.
const tokenRefreshMargin = 30 * time.Second

var (
	_ connectors.Connector     = (*Connector)(nil)
	_ connectors.WebhookSource = (*Connector)(nil)
	_ connectors.Fetcher       = (*Connector)(nil)
	_ connectors.Lister        = (*Connector)(nil)
	_ connectors.Writer        = (*Connector)(nil)
	_ connectors.Updater       = (*Connector)(nil)
	_ connectors.Finder        = (*Connector)(nil)
)

// Package shopify connects shophub to a Shopify shop through the REST Admin
// API: customers/* webhooks in, updated_at polling for backfill and catch-up,
// and customer upserts out.
package shopify

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "shopify"

//go:embed mapping.yaml
var defaultMapping []byte

// sample is a vendor-shaped customer for docs and benchmarks.
//
//go:embed testdata/customer.json
var sample []byte

var capabilities = connectors.Capabilities{
	Webhooks:  true,
	Poll:      true,
	Push:      true,
	Patch:     true, // customer and address PUTs change only the keys sent
	Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder, connectors.ResourceCart},
}

func init() {
	connectors.Register(connectors.Registration{
		Type:         Type,
		Doc:          "Shopify shop via the REST Admin API: customers/*, orders/* and checkouts/* webhooks, updated_at polling of customers, orders and abandoned checkouts, and customer upserts.",
		Capabilities: capabilities,
		NewSettings:  func() any { return NewSettings() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
		Sample:       sample,
	})
}

// Settings configure one Shopify shop.
type Settings struct {
	ShopURL     string `yaml:"shop_url" doc:"Shop base URL including scheme, e.g. https://acme.myshopify.com"`
	APIVersion  string `yaml:"api_version" doc:"REST Admin API version (YYYY-MM)" default:"2025-10"`
	AccessToken string `yaml:"access_token" doc:"Admin API access token (shpat_…) sent as X-Shopify-Access-Token" secret:"true"`
	PageSize    int    `yaml:"page_size" doc:"Customers or orders per page when polling (1–250)" default:"250"`
	// Compliance webhooks are signed like every topic but the topic header
	// is not: their body must name this shop before shophub acts on them.
	ShopDomain string `yaml:"shop_domain" doc:"The shop's permanent *.myshopify.com domain, which compliance webhooks (customers/redact, customers/data_request, shop/redact) must name; default: shop_url's host when it is one. Without it every compliance webhook is rejected"`
	ShopID     string `yaml:"shop_id" doc:"The shop's numeric id; when set, compliance webhooks must carry it as shop_id too"`
	// The hub's insights (default mapping): metafields and tags.
	InsightMetafields  bool   `yaml:"insight_metafields" doc:"Push the hub's customer insights (segment, profitability, rfm, total_spent, return_rate, next_order_due) as customer metafields in metafield_namespace" default:"true"`
	InsightTags        bool   `yaml:"insight_tags" doc:"Tag customers shophub:segment:<segment> and shophub:profitability:<class> beside the merchant's own tags; tags starting shophub: are never read back as edits" default:"true"`
	MetafieldNamespace string `yaml:"metafield_namespace" doc:"Namespace of the customer metafields the payload's metafields.<key> write (3–255 letters, digits, - or _)" default:"shophub"`
}

// NewSettings returns settings filled with their defaults.
func NewSettings() *Settings {
	return &Settings{APIVersion: "2025-10", PageSize: maxPageSize, InsightMetafields: true, InsightTags: true, MetafieldNamespace: "shophub"}
}

const maxPageSize = 250

var versionRe = regexp.MustCompile(`^(\d{4}-\d{2}|unstable)$`)

// namespaceRe is Shopify's rule for a metafield namespace.
var namespaceRe = regexp.MustCompile(`^[A-Za-z0-9_-]{3,255}$`)

// Validate checks settings without contacting Shopify.
func (s *Settings) Validate() error {
	var errs []error
	if _, err := connectors.BaseURL("shop_url", s.ShopURL, "https://acme.myshopify.com"); err != nil {
		errs = append(errs, err)
	} else if u, _ := url.Parse(s.ShopURL); u.Path != "" && u.Path != "/" {
		errs = append(errs, fmt.Errorf("shop_url %q: give the shop's base URL without a path", s.ShopURL))
	}
	if !versionRe.MatchString(s.APIVersion) {
		errs = append(errs, fmt.Errorf("api_version %q: want YYYY-MM, e.g. 2025-10", s.APIVersion))
	}
	if s.ShopDomain != "" && !strings.HasSuffix(strings.ToLower(strings.TrimSpace(s.ShopDomain)), ".myshopify.com") {
		errs = append(errs, fmt.Errorf("shop_domain %q: want the shop's permanent domain, e.g. acme.myshopify.com", s.ShopDomain))
	}
	if s.ShopID != "" {
		if _, err := strconv.ParseUint(s.ShopID, 10, 64); err != nil {
			errs = append(errs, fmt.Errorf("shop_id %q: want the shop's numeric id", s.ShopID))
		}
	}
	if strings.TrimSpace(s.AccessToken) == "" {
		errs = append(errs, errors.New("access_token is required"))
	}
	if s.MetafieldNamespace != "" && !namespaceRe.MatchString(s.MetafieldNamespace) {
		errs = append(errs, fmt.Errorf("metafield_namespace %q: want 3–255 letters, digits, - or _", s.MetafieldNamespace))
	}
	if s.PageSize < 1 || s.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("page_size %d: want 1–%d", s.PageSize, maxPageSize))
	}
	return errors.Join(errs...)
}

// Connector is one configured Shopify shop. It holds no mutable per-call
// state: concurrent workers share it.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	http     *connectors.HTTPClient
	// restartPages is restartPages; tests lower it.
	restartPages int
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (*Connector, error) {
	s.ShopURL, _ = connectors.BaseURL("shop_url", s.ShopURL, "")
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	if s.MetafieldNamespace == "" {
		s.MetafieldNamespace = "shophub"
	}
	return &Connector{inst: inst, settings: s, http: newHTTPClient(inst, s), restartPages: restartPages}, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities { return capabilities }

// Connect has nothing to do: the access token is static and the client is
// built in New, so webhook verification works whether or not Shopify is
// reachable. A wrong token surfaces on the first call as a 401 carrying
// Shopify's message.
func (c *Connector) Connect(_ context.Context) error { return nil }

// Close releases nothing; it is safe to call any number of times.
func (c *Connector) Close() error { return nil }

var _ connectors.Connector = (*Connector)(nil)

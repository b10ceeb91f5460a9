// Package odoo connects shophub to Odoo as the ERP: customers are
// res.partner records, polled by write_date with a keyset cursor, written
// with create and write, read and written over the JSON-2 API (Odoo 19+)
// or, for older versions, the legacy /jsonrpc endpoint. Odoo's automation
// rules ("Send Webhook Notification") cannot sign what they send, so a
// notification is accepted only with the instance's secret in the URL and
// is a hint to fetch the partner: the fetched record is what is merged.
//
// With the order resource configured (it needs the Sales and Invoicing
// apps and read access to sale.order, sale.order.line, account.move and
// product.product), confirmed sales orders are read too: see orders.go.
package odoo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "odoo"

//go:embed mapping.yaml
var defaultMapping []byte

func init() {
	connectors.Register(connectors.Registration{
		Type: Type,
		Doc: "Odoo ERP (res.partner; sale.order read-only, with payments and credit notes from account.move, returns from stock.move when Inventory is installed) over the JSON-2 API or legacy /jsonrpc: write_date polling, create/write pushes, " +
			"secret-URL webhook notifications as fetch hints.",
		Capabilities: connectors.Capabilities{Webhooks: true, Poll: true, Push: true, Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder}},
		NewSettings:  func() any { return NewSettings() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
	})
}

// Protocols an instance can speak.
const (
	ProtocolJSON2   = "json2"
	ProtocolJSONRPC = "jsonrpc"
)

// Which partners count as customers.
const (
	PartnersAll         = "all"
	PartnersIndividuals = "individuals"
	PartnersCompanies   = "companies"
)

// Settings configure one Odoo database.
type Settings struct {
	URL      string `yaml:"url" doc:"Odoo base URL, e.g. https://acme.odoo.com"`
	Database string `yaml:"database" doc:"Database name: sent as X-Odoo-Database (needed when the server hosts several databases); required with protocol jsonrpc"`
	APIKey   string `yaml:"api_key" doc:"API key of the integration user (Preferences › Account Security › New API Key); keys last at most 3 months" secret:"true"`
	Protocol string `yaml:"protocol" doc:"json2 (Odoo 19+: POST /json/2/<model>/<method>) or jsonrpc (the legacy /jsonrpc endpoint for Odoo before 19)" default:"json2"`
	Login    string `yaml:"login" doc:"Login of the user the API key belongs to; needed by jsonrpc only"`
	Partners string `yaml:"partners" doc:"Which res.partner records are customers: individuals (is_company false; contacts of a company included, their company is the parent's name), companies, or all" default:"all"`
	// CustomersOnly drops partners that never bought (vendors, employees'
	// private addresses, …) from polling.
	CustomersOnly bool `yaml:"customers_only" doc:"Poll only partners with customer_rank > 0; partners shophub creates get customer_rank 1"`
	PageSize      int  `yaml:"page_size" doc:"Partners per search_read page when polling (1–1000)" default:"100"`
	// InsightFields turns on the default mapping's insight fields; they
	// must exist on res.partner (Settings › Technical › Fields, or Studio).
	InsightFields bool `yaml:"insight_fields" doc:"Push the hub's customer insights to the res.partner fields x_shophub_segment, x_shophub_profitability, x_shophub_total_spent and x_shophub_return_rate (char fields the operator creates first)"`
}

// NewSettings returns settings filled with their defaults.
func NewSettings() *Settings {
	return &Settings{Protocol: ProtocolJSON2, Partners: PartnersAll, PageSize: 100}
}

// Validate checks settings without contacting Odoo.
func (s *Settings) Validate() error {
	var errs []error
	u, err := url.Parse(s.URL)
	switch {
	case s.URL == "":
		errs = append(errs, errors.New("url is required"))
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		errs = append(errs, fmt.Errorf("url %q: want a base URL like https://acme.odoo.com", s.URL))
	case strings.Contains(u.Path, "/json"):
		errs = append(errs, fmt.Errorf("url %q: give the server's base URL without /json/2 or /jsonrpc; protocol selects the endpoint", s.URL))
	}
	if strings.TrimSpace(s.APIKey) == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	switch s.Protocol {
	case ProtocolJSON2:
	case ProtocolJSONRPC:
		if s.Database == "" || s.Login == "" {
			errs = append(errs, errors.New("protocol jsonrpc needs database and login"))
		}
	default:
		errs = append(errs, fmt.Errorf("protocol %q: want json2 or jsonrpc", s.Protocol))
	}
	switch s.Partners {
	case PartnersAll, PartnersIndividuals, PartnersCompanies:
	default:
		errs = append(errs, fmt.Errorf("partners %q: want all, individuals or companies", s.Partners))
	}
	if s.PageSize < 1 || s.PageSize > 1000 {
		errs = append(errs, fmt.Errorf("page_size %d: want 1–1000", s.PageSize))
	}
	return errors.Join(errs...)
}

// Connector is one configured Odoo database. It polls and pushes; see
// WebhookConnector for notifications.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	http     *connectors.HTTPClient
	rpc      transport
	refs     *refCache

	// noStockAt is when the database last answered that it has no
	// stock.move (Inventory not installed) or that the user may not read
	// it (UnixNano; 0: never): returns.go.
	noStockAt atomic.Int64
	// stockLegacy: stock.move has no quantity (Odoo before 17): returns.go.
	stockLegacy atomic.Bool
}

// WebhookConnector is a Connector whose instance has a webhook secret: it
// also accepts Odoo's unsigned notifications that carry the secret in the
// URL. New returns it only then, so that implementing WebhookSource and
// declaring Webhooks agree.
type WebhookConnector struct {
	*Connector
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (connectors.Connector, error) {
	s.URL = strings.TrimRight(s.URL, "/")
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("odoo: %w", err)
	}
	c := &Connector{inst: inst, settings: s, refs: newRefCache()}
	opts := connectors.ClientOptions{BaseURL: s.URL, Timeout: inst.Timeout, OnResponse: inst.Observe}
	switch {
	case inst.RateLimit > 0:
		opts.Limiter = connectors.LocalLimiter{L: rate.NewLimiter(rate.Limit(inst.RateLimit), max(inst.RateBurst, 1))}
	case inst.RateLimit == 0:
		// Self-hosted Odoo documents no limit; stay polite by default.
		opts.Limiter = connectors.LocalLimiter{L: rate.NewLimiter(20, 10)}
	}
	if inst.Limiter != nil { // shared across workers by the pipeline
		opts.Limiter = inst.Limiter
	}
	if s.Protocol == ProtocolJSON2 {
		if s.Database != "" {
			opts.Headers = map[string]string{"X-Odoo-Database": s.Database}
		}
		key := s.APIKey
		opts.Authorize = func(_ context.Context, r *resty.Request) error {
			r.SetHeader("Authorization", "bearer "+key)
			return nil
		}
		c.http = connectors.NewHTTPClient(opts)
		c.rpc = &json2{http: c.http}
	} else {
		c.http = connectors.NewHTTPClient(opts)
		c.rpc = &jsonRPC{http: c.http, db: s.Database, login: s.Login, key: s.APIKey}
	}
	if len(inst.WebhookSecrets) == 0 {
		return c, nil
	}
	return &WebhookConnector{Connector: c}, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Poll: true, Push: true, Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder}}
}

// Capabilities implements connectors.Connector: as Connector, plus
// webhook notifications.
func (c *WebhookConnector) Capabilities() connectors.Capabilities {
	caps := c.Connector.Capabilities()
	caps.Webhooks = true
	return caps
}

// Connect does not contact Odoo: the first call authenticates (jsonrpc) or
// sends the key (json2), so shophub starts and accepts notifications while
// Odoo is down.
func (c *Connector) Connect(_ context.Context) error { return nil }

// Close releases nothing; safe to call any number of times.
func (c *Connector) Close() error { return nil }

// refCache maps many2one ids of countries, states and tags to codes and
// names and back. Countries and states hardly change; tags shophub creates
// are added as it creates them.
type refCache struct {
	mu        sync.Mutex
	countries map[int64]string // id → ISO code
	states    map[int64]stateRef
	tags      map[int64]string
}

type stateRef struct {
	code    string
	name    string // the name it was found by, if not its code
	country int64
}

func newRefCache() *refCache {
	return &refCache{states: map[int64]stateRef{}, tags: map[int64]string{}}
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Connector = (*WebhookConnector)(nil)
)

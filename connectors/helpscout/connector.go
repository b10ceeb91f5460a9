// Package helpscout connects shophub to a Help Scout account through the
// Mailbox API 2.0: customer.* and convo.* webhooks in, modifiedSince polling
// of customers and conversations, customer upserts (main fields,
// sub-entities and customer properties) out. Conversations come in as the
// canonical resource "ticket".
package helpscout

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "helpscout"

//go:embed mapping.yaml
var defaultMapping []byte

//go:embed testdata/customer.json
var sample []byte

var capabilities = connectors.Capabilities{
	Webhooks:  true,
	Poll:      true,
	Push:      true,
	Resources: []string{connectors.ResourceCustomer, connectors.ResourceTicket},
}

func init() {
	connectors.Register(connectors.Registration{
		Type:         Type,
		Doc:          "Help Scout Mailbox API 2.0: customer and conversation webhooks, modifiedSince polling, customer upserts with properties; conversations become tickets.",
		Capabilities: capabilities,
		NewSettings:  func() any { return NewSettings() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
		Sample:       sample,
	})
}

// Settings configure one Help Scout account.
type Settings struct {
	BaseURL      string `yaml:"base_url" doc:"API base URL without /v2" default:"https://api.helpscout.net"`
	ClientID     string `yaml:"client_id" doc:"App ID of the OAuth2 app (client credentials)"`
	ClientSecret string `yaml:"client_secret" doc:"App secret of the OAuth2 app" secret:"true"`
	// RatePerMinute is the account's plan limit in units (writes cost 2).
	RatePerMinute int `yaml:"rate_per_minute" doc:"Account rate limit in units per window; writes count double" default:"200"`
	// RateWindow is Help Scout's one minute; tests shrink it.
	RateWindow string `yaml:"rate_window" doc:"Length of the rate-limit window (Go duration)" default:"1m"`
	// PropertyKey is the payload key the outbound mapping renders customer
	// properties under; the writer turns it into PATCH /properties ops.
	PropertyKey string `yaml:"property_key" doc:"Outbound payload key holding customer properties {slug: value}" default:"properties"`
}

// NewSettings returns settings filled with their defaults.
func NewSettings() *Settings {
	return &Settings{BaseURL: "https://api.helpscout.net", RatePerMinute: 200, RateWindow: "1m", PropertyKey: "properties"}
}

// Validate checks settings without contacting Help Scout.
func (s *Settings) Validate() error {
	var errs []error
	if _, err := connectors.BaseURL("base_url", s.BaseURL, "https://api.helpscout.net"); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(s.ClientID) == "" {
		errs = append(errs, errors.New("client_id is required"))
	}
	if strings.TrimSpace(s.ClientSecret) == "" {
		errs = append(errs, errors.New("client_secret is required"))
	}
	if s.RatePerMinute < 2 {
		errs = append(errs, fmt.Errorf("rate_per_minute %d: want at least 2 (one write)", s.RatePerMinute))
	}
	if d, err := time.ParseDuration(s.RateWindow); err != nil || d <= 0 {
		errs = append(errs, fmt.Errorf("rate_window %q: want a positive duration like 1m", s.RateWindow))
	}
	if s.PropertyKey == "" {
		errs = append(errs, errors.New("property_key is required"))
	}
	return errors.Join(errs...)
}

// Connector is one configured Help Scout account; concurrent workers share
// it. Its only mutable state, the token and the rate-limit pause, is behind
// locks.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	auth     *connectors.TokenSource
	pace     *pacer
	http     *connectors.HTTPClient
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (*Connector, error) {
	s.BaseURL, _ = connectors.BaseURL("base_url", s.BaseURL, "")
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("helpscout: %w", err)
	}
	c := &Connector{inst: inst, settings: s}
	c.auth = newTokenSource(s, inst.Timeout)
	c.pace = newPacer(inst, s)
	c.http = c.newHTTPClient()
	return c, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities { return capabilities }

// Connect does nothing: the token is fetched on first use, so webhook
// verification works whether or not Help Scout is reachable.
func (c *Connector) Connect(_ context.Context) error { return nil }

// Close releases nothing; safe to call any number of times.
func (c *Connector) Close() error { return nil }

var _ connectors.Connector = (*Connector)(nil)

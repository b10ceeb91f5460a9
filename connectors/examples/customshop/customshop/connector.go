// Package customshop connects shophub to "custom shop", a small in-house
// shop system: it signs a webhook for every customer change in its admin
// (webhook-in) and offers a JSON REST API to read, create, update, find
// and delete customers with a bearer API key (REST-out). It is the worked
// example of connectors/GUIDE.md, built with `shophub connector new
// customshop --webhooks --push` and then filled in.
package customshop

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type: what operators write as `type:`.
const Type = "customshop"

//go:embed mapping.yaml
var defaultMapping []byte

//go:embed testdata/customer.json
var sample []byte

var capabilities = connectors.Capabilities{
	Webhooks:  true,
	Poll:      false,
	Push:      true,
	Resources: []string{connectors.ResourceCustomer},
}

func init() {
	connectors.Register(connectors.Registration{
		Type:         Type,
		Doc:          "Custom shop (the connector guide's example): signed customer webhooks in, customer upserts over its REST API out.",
		Capabilities: capabilities,
		NewSettings:  func() any { return connectors.Defaults[Settings]() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
		Sample:       sample,
	})
}

// Settings configure one customshop instance. The tags are the docs
// (shophub docs), the defaults (connectors.Defaults) and the log masking
// (secret) in one place.
type Settings struct {
	BaseURL string `yaml:"base_url" doc:"API base URL, e.g. https://shop.example.com/api"`
	APIKey  string `yaml:"api_key" doc:"API key, sent as a bearer token" secret:"true"`
}

// Validate checks settings without contacting customshop.
func (s *Settings) Validate() error {
	var errs []error
	var err error
	if s.BaseURL, err = connectors.BaseURL("base_url", s.BaseURL, "https://shop.example.com/api"); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(s.APIKey) == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	return errors.Join(errs...)
}

// Connector is one configured customshop instance. It holds no mutable
// per-call state: concurrent workers share it.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	http     *connectors.HTTPClient
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (*Connector, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Type, err)
	}
	c := &Connector{inst: inst, settings: s}
	c.http = c.newHTTPClient()
	return c, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities { return capabilities }

// Connect prepares the connector. It must not need customshop to be
// reachable: webhooks are verified without it.
func (c *Connector) Connect(context.Context) error { return nil }

// Close releases resources; safe after a failed Connect and when called
// twice.
func (c *Connector) Close() error { return nil }

var _ connectors.Connector = (*Connector)(nil)

// Package klaviyo delivers the hub's customers and events to Klaviyo
// (outbound only) through its JSON:API REST API: profiles upserted with
// Create or Update Profile (POST /api/profile-import: email, phone, names,
// location, the hub's insights as custom properties; with the pipeline's
// Patch capability only changed keys), consent through the Bulk Subscribe
// and Bulk Unsubscribe jobs (POST /api/profile-subscription-bulk-create-jobs
// and …-delete-jobs) with the hub's consent and its timestamp, and events
// through Create Event (POST /api/events) with their properties and a
// unique_id, so a retried delivery is one event at Klaviyo.
//
// Every request carries the revision header. Klaviyo limits each endpoint
// per account in two fixed windows, burst (1 s) and steady (1 min):
// profile-import and the subscription jobs are tier L (75/s, 700/m),
// events XL (350/s, 3500/m). The client paces each endpoint at its steady
// rate and honours Retry-After on a 429: a short wait in place, a long one
// back to the queue (the task is retried after it, without using up a
// retry).
package klaviyo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "klaviyo"

//go:embed mapping.yaml
var defaultMapping []byte

var capabilities = connectors.Capabilities{
	Push:      true,
	Patch:     true, // profile-import changes only the attributes sent
	Resources: []string{connectors.ResourceCustomer},
}

func init() {
	connectors.Register(connectors.Registration{
		Type:         Type,
		Doc:          "Klaviyo (outbound only): profiles upserted through profile-import with the hub's insights as custom properties, consent through the bulk subscribe/unsubscribe jobs, hub events through Create Event; per-endpoint burst and steady limits paced, Retry-After honoured.",
		Capabilities: capabilities,
		NewSettings:  func() any { return NewSettings() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
	})
}

// DefaultRevision is the API revision sent in the revision header.
const DefaultRevision = "2025-10-15"

// Settings configure one Klaviyo account.
type Settings struct {
	BaseURL  string `yaml:"base_url" doc:"API base URL" default:"https://a.klaviyo.com"`
	APIKey   string `yaml:"api_key" doc:"Private API key (pk_…), sent as Authorization: Klaviyo-API-Key" secret:"true"`
	Revision string `yaml:"revision" doc:"API revision header (YYYY-MM-DD)" default:"2025-10-15"`
	// ListID is the list subscribe jobs add consenting profiles to.
	ListID string `yaml:"list_id" doc:"List id the subscribe job adds consenting profiles to (optional)"`
	// Source names shophub as the consent's source in Klaviyo.
	Source string   `yaml:"custom_source" doc:"custom_source of subscription jobs" default:"shophub"`
	Events []string `yaml:"events" doc:"Hub event types sent as Klaviyo events (metric = event type); empty: all"`
	// RateScale speeds Klaviyo's windows up for emulators: the client paces
	// each endpoint at scale × its steady rate (and the emulator, given the
	// same scale, shrinks its windows by it). 1 for the real Klaviyo.
	RateScale float64 `yaml:"rate_scale" doc:"Test/dev only: pace at this multiple of Klaviyo's documented rates (an emulator with the same scale)" default:"1"`
}

// NewSettings returns settings filled with their defaults.
func NewSettings() *Settings {
	return &Settings{BaseURL: "https://a.klaviyo.com", Revision: DefaultRevision, Source: "shophub", RateScale: 1}
}

// Validate checks settings without contacting Klaviyo.
func (s *Settings) Validate() error {
	var errs []error
	if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base_url %q: want a URL like https://a.klaviyo.com", s.BaseURL))
	}
	if strings.TrimSpace(s.APIKey) == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	if _, err := time.Parse(time.DateOnly, s.Revision); err != nil {
		errs = append(errs, fmt.Errorf("revision %q: want a date like %s", s.Revision, DefaultRevision))
	}
	if s.RateScale <= 0 {
		errs = append(errs, fmt.Errorf("rate_scale %v: want > 0", s.RateScale))
	}
	return errors.Join(errs...)
}

// Connector is one Klaviyo account; concurrent workers share it.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	api      *client
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (*Connector, error) {
	s.BaseURL = strings.TrimRight(s.BaseURL, "/")
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("klaviyo: %w", err)
	}
	return &Connector{inst: inst, settings: s, api: newClient(inst, s)}, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities { return capabilities }

// Connect does nothing: the key is sent with every request.
func (c *Connector) Connect(context.Context) error { return nil }

// Close is safe any number of times.
func (c *Connector) Close() error { return nil }

// WantsEvent implements connectors.EventSink.
func (c *Connector) WantsEvent(typ string) bool {
	return connectors.WantsEventOf(c.settings.Events, typ)
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Writer    = (*Connector)(nil)
	_ connectors.Fetcher   = (*Connector)(nil)
	_ connectors.EventSink = (*Connector)(nil)
)

// Package webhook delivers the hub's events to any HTTP endpoint as signed
// JSON (outbound webhooks). Each configured instance is one endpoint with
// its own secret and its own subset of event types; deliveries are push
// tasks of that instance, so they are retried, dead-lettered and
// replayable like every push.
//
// Body (schema in connectors/README.md):
//
//	{"id": "shophub-event-42", "type": "cart_abandoned", "time": "2026-12-01T18:00:00Z",
//	 "marketing": true, "person": {"hub_id": 7, "email": "…", "first_name": "…"},
//	 "properties": {…}}
//
// Header X-Shophub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" under the instance's secret>. A receiver recomputes it and
// rejects timestamps far from its clock (replays).
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "webhook"

// SignatureHeader carries the signature of a delivery.
const SignatureHeader = "X-Shophub-Signature"

//go:embed mapping.yaml
var defaultMapping []byte

var capabilities = connectors.Capabilities{Resources: []string{"event"}}

func init() {
	connectors.Register(connectors.Registration{
		Type:         Type,
		Doc:          "Outbound webhook: the hub's events (cart_abandoned, birthday_upcoming, …) POSTed as JSON to one URL, signed with X-Shophub-Signature (HMAC-SHA256 over timestamp and body); retried, dead-lettered and replayable like every push.",
		Capabilities: capabilities,
		NewSettings:  func() any { return NewSettings() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
	})
}

// Settings configure one endpoint.
type Settings struct {
	URL    string   `yaml:"url" doc:"Endpoint the events are POSTed to (https, or http for local receivers)"`
	Secret string   `yaml:"secret" doc:"Shared secret of the X-Shophub-Signature HMAC" secret:"true"`
	Events []string `yaml:"events" doc:"Event types delivered to this endpoint; empty: all"`
}

// NewSettings returns settings filled with their defaults.
func NewSettings() *Settings { return &Settings{} }

// Validate checks settings without contacting the endpoint.
func (s *Settings) Validate() error {
	var errs []error
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url %q: want an http(s) URL", s.URL))
	}
	if strings.TrimSpace(s.Secret) == "" {
		errs = append(errs, errors.New("secret is required"))
	}
	return errors.Join(errs...)
}

// Connector is one endpoint.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	http     *connectors.HTTPClient
	now      func() time.Time
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (*Connector, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	c := &Connector{inst: inst, settings: s, now: time.Now}
	// No retries in place: every retry goes back to the queue, whose
	// handler checks again that the event still stands (an order may
	// have cancelled an abandoned cart meanwhile).
	c.http = connectors.NewHTTPClient(connectors.ClientOptions{BaseURL: "", Timeout: inst.Timeout, Retries: -1,
		Limiter: connectors.InstanceLimiter(inst, -1, 0), OnResponse: inst.Observe})
	return c, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities { return capabilities }

// Connect does nothing: the endpoint is called per event.
func (c *Connector) Connect(context.Context) error { return nil }

// Close is safe any number of times.
func (c *Connector) Close() error { return nil }

// WantsEvent implements connectors.EventSink.
func (c *Connector) WantsEvent(typ string) bool {
	return connectors.WantsEventOf(c.settings.Events, typ)
}

// Body is the JSON body of one delivery.
type Body = connectors.OutEvent

// Sign returns the X-Shophub-Signature value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body, as a receiver does:
// the HMAC must match and the timestamp lie within tolerance of now.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("malformed signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("signature timestamp out of tolerance")
	}
	want := Sign(secret, time.Unix(sec, 0), body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("signature mismatch")
	}
	return nil
}

// SendEvent implements connectors.EventSink: one signed POST. 2xx is
// delivered; 429 and 5xx are retried (Retry-After honoured); any other
// 4xx is permanent (a dead letter at once).
func (c *Connector) SendEvent(ctx context.Context, ev connectors.OutEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return connectors.Permanent(fmt.Errorf("webhook: encode event: %w", err))
	}
	sig := Sign(c.settings.Secret, c.now(), body)
	_, err = c.http.DoRequest(connectors.Idempotent(ctx), "POST", c.settings.URL, func(r *resty.Request) {
		r.SetBody(body).SetHeader("Content-Type", "application/json").
			SetHeader(SignatureHeader, sig).SetHeader("X-Shophub-Event", ev.Type).SetHeader("X-Shophub-Event-Id", ev.ID)
	}, nil)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", c.inst.Name, err)
	}
	return nil
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.EventSink = (*Connector)(nil)
)

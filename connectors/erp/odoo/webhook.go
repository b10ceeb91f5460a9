package odoo

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// tokenHeader is where the webhook receiver puts a token taken from the
// URL (/webhooks/<instance>/<token> or ?token=); webhooks.TokenHeader.
const tokenHeader = "X-Shophub-Webhook-Token"

// VerifyWebhook accepts a notification only with the instance's secret (or
// one still valid during a rotation) as the URL token: Odoo's "Send
// Webhook Notification" signs nothing. The body is not authenticated by
// this, which is why it is never merged — Decode returns ids only and the
// pipeline fetches the partner from Odoo.
func (c *WebhookConnector) VerifyWebhook(h http.Header, _ []byte) error {
	got := strings.TrimSpace(h.Get(tokenHeader))
	if got == "" {
		return fmt.Errorf("odoo: notification without the instance's secret in its URL: %w", connectors.ErrBadSignature)
	}
	ok := 0
	for _, s := range c.inst.WebhookSecrets {
		if s != "" {
			ok |= subtle.ConstantTimeCompare([]byte(got), []byte(s))
		}
	}
	if ok != 1 {
		return fmt.Errorf("odoo: notification with a wrong secret: %w", connectors.ErrBadSignature)
	}
	return nil
}

// notification is the body Odoo's automation rule posts: _model, _id,
// _action, plus whatever fields the rule selects (write_date is worth
// selecting: it tells two notifications of one partner apart).
type notification struct {
	Model     string          `json:"_model"`
	ID        json.RawMessage `json:"_id"`
	Action    string          `json:"_action"`
	WriteDate any             `json:"write_date"`
}

// DecodeWebhook reads the partner id. The event carries no body, so the
// pipeline fetches the partner: the record merged is Odoo's own, never the
// notification's fields.
func (c *WebhookConnector) DecodeWebhook(_ http.Header, body []byte) ([]connectors.Event, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("odoo: notification: %v: %w", err, connectors.ErrMalformed)
	}
	idText := strings.Trim(string(n.ID), `"`)
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("odoo: notification: _id %s is not a record id: %w", n.ID, connectors.ErrMalformed)
	}
	ev := connectors.Event{Topic: n.Action, Resource: connectors.ResourceCustomer, ExternalID: strconv.FormatInt(id, 10)}
	if n.Model != "res.partner" {
		ev.Ignore = true // a rule on another model: acknowledged, not synced
	}
	// One id per delivery: Odoo does not retry, so a repeat is a second
	// notification — distinct when the rule sends write_date.
	if wd, ok := n.WriteDate.(string); ok && wd != "" {
		ev.ID = fmt.Sprintf("odoo:%s:%d:%s", n.Model, id, wd)
		if t, err := parseDate(wd); err == nil {
			ev.OccurredAt = t
		}
	} else {
		// Without write_date a rule's notifications of one partner can be
		// byte for byte alike ({_model, _id, _action}), and a body hash
		// would drop every edit after the first as a re-delivery for the
		// dedupe window. Odoo does not retry, so each delivery is its own
		// event; the record is fetched at ingest, so a repeat costs a read.
		ev.ID = fmt.Sprintf("odoo:%s:%d:at:%d.%x", n.Model, id, time.Now().UnixNano(), rand.Uint32())
	}
	return []connectors.Event{ev}, nil
}

var _ connectors.WebhookSource = (*WebhookConnector)(nil)

package helpscout

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// VerifyWebhook checks X-HelpScout-Signature, the base64 HMAC-SHA1 of the
// raw body under the webhook secret. Every secret of the instance is tried,
// so deliveries signed with the previous secret pass during a rotation.
func (c *Connector) VerifyWebhook(h http.Header, body []byte) error {
	return connectors.HMACSignature{Vendor: "helpscout", Header: "X-HelpScout-Signature", Hash: sha1.New}.Verify(c.inst, h, body)
}

// envelope is what DecodeWebhook reads of a body: the resource id and its
// modification time. Conversations carry userUpdatedAt.
type envelope struct {
	ID            json.Number `json:"id"`
	UpdatedAt     string      `json:"updatedAt"`
	UserUpdatedAt string      `json:"userUpdatedAt"`
}

// DecodeWebhook decodes customer.* and convo.* deliveries into id-only
// events: the pipeline fetches the current record, so an out-of-order
// delivery never applies an old state, and payload shape differences
// between webhook versions do not matter. A customer's body (the v2
// Customer object) goes along as the event's Snapshot: it still shows an
// agent's edit that our write, on its way, overwrote. Any other event
// (helpscout.test, satisfaction.ratings, tag.*, beacon.*) is acknowledged
// and ignored.
//
// Help Scout sends no delivery id (only X-HelpScout-Event and
// X-HelpScout-Signature) and the body is the whole resource object, so the
// event id is event + resource id + a hash of the body: a re-delivery of one
// event carries the same body, while two changes made in the same whole
// second of updatedAt (an agent's edit right after the echo of our push)
// differ in their bodies and are never taken for one. Yet the hash is no
// delivery id: a save that sets the resource back, within that second, to
// what an earlier save of the second left (an agent's Anna, Bea, Anna; a
// status closed and reopened) sends the earlier save's body again, byte for
// byte, and dropped as its re-delivery the set-back is lost. Such events
// are marked connectors.Event.IDRecurs: every delivery is fetched, and a
// true re-delivery finds what the hub has.
func (c *Connector) DecodeWebhook(h http.Header, body []byte) ([]connectors.Event, error) {
	event := strings.TrimSpace(h.Get("X-HelpScout-Event"))
	if event == "" {
		return nil, fmt.Errorf("helpscout: no X-HelpScout-Event header: %w", connectors.ErrMalformed)
	}
	ev := connectors.Event{Topic: event}
	switch {
	case event == "customer.created" || event == "customer.updated":
		ev.Resource = connectors.ResourceCustomer
	case event == "customer.deleted":
		ev.Resource, ev.Deleted = connectors.ResourceCustomer, true
	case event == "convo.deleted":
		ev.Resource, ev.Deleted = connectors.ResourceTicket, true
	case strings.HasPrefix(event, "convo."):
		ev.Resource = connectors.ResourceTicket
	default:
		ev.ID = event + ":" + bodyHash(body)
		ev.Ignore = true
		return []connectors.Event{ev}, nil
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("helpscout: %s body: %w: %v", event, connectors.ErrMalformed, err)
	}
	if env.ID == "" {
		return nil, fmt.Errorf("helpscout: %s body has no id: %w", event, connectors.ErrMalformed)
	}
	ev.ExternalID = env.ID.String()
	at := env.UpdatedAt
	if at == "" {
		at = env.UserUpdatedAt
	}
	if t, ok := parseTime(at); ok {
		ev.OccurredAt = t
	}
	ev.ID = event + ":" + ev.ExternalID + ":" + bodyHash(body)
	ev.IDRecurs = !ev.Deleted // a deletion happens once
	if ev.Resource == connectors.ResourceCustomer && !ev.Deleted {
		ev.Snapshot = body
	}
	return []connectors.Event{ev}, nil
}

func bodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:12])
}

var _ connectors.WebhookSource = (*Connector)(nil)

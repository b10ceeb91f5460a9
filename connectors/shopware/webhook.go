package shopware

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/internal/jsonx"
)

// Signature headers: the current one and, while the app rotates its shop
// secret, the previous one (app-php-sdk accepts both).
const (
	headerSignature         = "shopware-shop-signature"
	headerSignaturePrevious = "shopware-shop-signature-previous"
)

// VerifyWebhook checks hex HMAC-SHA256 of the raw body against every
// secret the delivery may be signed with (configured integration secrets,
// current first; in app mode the per-shop ones from the registration,
// app.go), for both signature headers. A miss re-reads the registration
// once, so a secret rotated through another process verifies at once.
func (c *Connector) VerifyWebhook(h http.Header, body []byte) error {
	var sigs [][]byte
	for _, name := range []string{headerSignature, headerSignaturePrevious} {
		for _, v := range h.Values(name) {
			if b, err := hex.DecodeString(strings.TrimSpace(v)); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("shopware %s: missing or unreadable %s header: %w", c.inst.Name, headerSignature, connectors.ErrBadSignature)
	}
	secrets := c.webhookSecrets(false)
	if matchesAny(sigs, secrets, body) {
		return nil
	}
	if c.settings.appMode() && matchesAny(sigs, c.webhookSecrets(true), body) {
		return nil
	}
	if len(secrets) == 0 {
		return fmt.Errorf("shopware %s: %w: %w", c.inst.Name, errNoSecret, connectors.ErrBadSignature)
	}
	return fmt.Errorf("shopware %s: signature does not match: %w", c.inst.Name, connectors.ErrBadSignature)
}

func matchesAny(sigs [][]byte, secrets []string, body []byte) bool {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		want := sign(secret, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return true
			}
		}
	}
	return false
}

// envelope is an app-system webhook body. Entity events carry ids only.
type envelope struct {
	Data *struct {
		// Payload is a list of payloadItem for entity events (x.written,
		// x.deleted) and an object of the event's data for business events
		// (checkout.order.placed, state_enter.*: {"order": {…}}).
		Payload json.RawMessage `json:"payload"`
		Event   string          `json:"event"`
	} `json:"data"`
	Source struct {
		URL        string `json:"url"`
		EventID    string `json:"eventId"`
		ShopID     string `json:"shopId"`
		AppVersion string `json:"appVersion"`
	} `json:"source"`
	Timestamp int64 `json:"timestamp"`
}

type payloadItem struct {
	Entity    string `json:"entity"`
	Operation string `json:"operation"`
	// PrimaryKey is a string for entities, an object for mapping
	// definitions such as customer_tag ({"customerId","tagId"}).
	PrimaryKey    json.RawMessage `json:"primaryKey"`
	UpdatedFields []string        `json:"updatedFields"`
}

// DecodeWebhook turns one delivery into one event per affected customer or
// order.
//
//   - order.written / order.deleted, and the business events
//     checkout.order.placed and state_enter.order.state.* /
//     state_enter.order_transaction.state.*: an id-only order event the
//     pipeline fetches (orders.go). A payment state change writes only the
//     transaction row, so its business event is what announces it.
//   - customer.written / customer.deleted: one event per payload item;
//     Deleted for operation delete or the .deleted event. Body stays nil
//     (ids only), so the pipeline Fetches the customer.
//   - customer_tag.written / customer_tag.deleted: the mapping row's key
//     names the customer, so tag changes become customer events.
//   - customer_address.written: ignored. Its payload carries only the
//     address id; learning the customer would take an API call, and
//     DecodeWebhook must work without reaching Shopware. Address edits made
//     through the customer (the admin's customer page, nested API writes,
//     and this connector's own pushes) fire customer.written as well; a
//     standalone /api/customer-address write is caught by the next poll only
//     if it also touched the customer. See the report on a resolving hook.
//   - anything else: one event with Ignore set.
//
// Event.ID is source.eventId + ":" + customer id, so the ids of one
// delivery deduplicate separately and a redelivery collapses onto them.
func (c *Connector) DecodeWebhook(h http.Header, body []byte) ([]connectors.Event, error) {
	var env envelope
	if err := jsonx.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("shopware: webhook body: %v: %w", err, connectors.ErrMalformed)
	}
	if env.Data == nil || env.Data.Event == "" {
		return nil, fmt.Errorf("shopware: webhook body has no data.event: %w", connectors.ErrMalformed)
	}
	event := env.Data.Event
	occurred := time.Unix(env.Timestamp, 0).UTC()
	if env.Timestamp == 0 {
		occurred = time.Time{}
	}
	eventID := env.Source.EventID
	if eventID == "" {
		sum := sha256.Sum256(body)
		eventID = hex.EncodeToString(sum[:16])
	}
	ignore := []connectors.Event{{ID: eventID, Topic: event, OccurredAt: occurred, Ignore: true}}

	resource := connectors.ResourceCustomer
	var entityKey string // which key of a composite primary key names the customer
	switch {
	case event == "customer.written", event == "customer.deleted":
	case event == "customer_tag.written", event == "customer_tag.deleted":
		entityKey = "customerId"
	case event == "order.written", event == "order.deleted":
		resource = connectors.ResourceOrder
	case isOrderBusinessEvent(event):
		return decodeOrderBusinessEvent(env.Data.Payload, eventID, event, occurred) // orders.go
	default:
		return ignore, nil
	}
	var items []payloadItem
	if err := jsonx.Unmarshal(env.Data.Payload, &items); err != nil {
		return nil, fmt.Errorf("shopware: %s payload is not a list of entity writes: %v: %w", event, err, connectors.ErrMalformed)
	}
	entity, _, _ := strings.Cut(event, ".")
	var out []connectors.Event
	seen := map[string]bool{}
	for i, it := range items {
		if it.Entity != entity {
			continue
		}
		id, err := primaryKey(it.PrimaryKey, entityKey)
		if err != nil {
			return nil, fmt.Errorf("shopware: webhook payload %d: %v: %w", i, err, connectors.ErrMalformed)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, connectors.Event{
			ID:         eventID + ":" + id,
			Topic:      event,
			Resource:   resource,
			ExternalID: id,
			// A removed tag mapping is an update of the customer.
			Deleted:    entityKey == "" && (it.Operation == "delete" || event == "customer.deleted"),
			OccurredAt: occurred,
		})
	}
	if len(out) == 0 {
		return ignore, nil
	}
	return out, nil
}

func primaryKey(raw json.RawMessage, key string) (string, error) {
	var id string
	if key == "" {
		if err := json.Unmarshal(raw, &id); err != nil {
			return "", fmt.Errorf("primaryKey: %v", err)
		}
	} else {
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return "", fmt.Errorf("primaryKey: %v", err)
		}
		id = m[key]
	}
	if !isID(id) {
		return "", fmt.Errorf("primaryKey %q is not a Shopware id", id)
	}
	return id, nil
}

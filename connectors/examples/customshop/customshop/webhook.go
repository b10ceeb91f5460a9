package customshop

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// The shop's delivery headers. It posts the customer as it now is, with
// the topic and a delivery id beside it, and signs the body with the
// webhook secret (base64 HMAC-SHA256).
const (
	headerTopic     = "X-Customshop-Topic"
	headerDelivery  = "X-Customshop-Delivery"
	headerSignature = "X-Customshop-Hmac-Sha256"
)

var signature = connectors.HMACSignature{Vendor: Type, Header: headerSignature, Hash: sha256.New}

// VerifyWebhook checks a delivery's signature against every configured
// secret (rotation); errors wrap connectors.ErrBadSignature.
func (c *Connector) VerifyWebhook(h http.Header, body []byte) error {
	return signature.Verify(c.inst, h, body)
}

// DecodeWebhook turns one delivery into one customer event. The body is
// the whole customer, so the pipeline needs no Fetch.
func (c *Connector) DecodeWebhook(h http.Header, body []byte) ([]connectors.Event, error) {
	var data map[string]any
	if err := connectors.DecodeJSON(body, &data); err != nil {
		return nil, fmt.Errorf("%s: delivery body: %v: %w", Type, err, connectors.ErrMalformed)
	}
	topic := h.Get(headerTopic)
	resource, action, _ := strings.Cut(topic, ".")
	switch {
	case topic == "":
		return nil, fmt.Errorf("%s: delivery without %s: %w", Type, headerTopic, connectors.ErrMalformed)
	case resource != "customer":
		// Other topics (orders, test pings) are acknowledged, not synced.
		return []connectors.Event{{ID: deliveryID(h, body), Topic: topic, Ignore: true}}, nil
	}
	rec, err := record(data)
	if err != nil {
		return nil, fmt.Errorf("%s: delivery: %v: %w", Type, err, connectors.ErrMalformed)
	}
	return []connectors.Event{{
		ID:         deliveryID(h, body),
		Topic:      topic,
		Resource:   connectors.ResourceCustomer,
		ExternalID: rec.ExternalID,
		Deleted:    action == "deleted",
		OccurredAt: rec.UpdatedAt,
		Body:       body,
	}}, nil
}

// deliveryID is the shop's delivery id, or a hash of the body when a
// delivery lacks one: a retried delivery must get the same id.
func deliveryID(h http.Header, body []byte) string {
	if id := h.Get(headerDelivery); id != "" {
		return id
	}
	sum := sha256.Sum256(body)
	return "body-" + hex.EncodeToString(sum[:12])
}

var _ connectors.WebhookSource = (*Connector)(nil)

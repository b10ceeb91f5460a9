package connectors

import (
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"hash"
	"net/http"
)

// HMACSignature is how vendors such as Help Scout and Shopify sign webhooks:
// the base64 HMAC of the raw body under the webhook secret, in one header.
type HMACSignature struct {
	// Vendor prefixes the errors, e.g. "helpscout".
	Vendor string
	Header string
	// Hash is the HMAC's hash, e.g. sha256.New.
	Hash func() hash.Hash
}

// Verify checks the signature against every secret of the instance, so
// deliveries signed with the previous secret pass during a rotation. Its
// errors wrap ErrBadSignature.
func (s HMACSignature) Verify(inst Instance, h http.Header, body []byte) error {
	got := h.Get(s.Header)
	if got == "" {
		return fmt.Errorf("%s: no %s header: %w", s.Vendor, s.Header, ErrBadSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(got)
	if err != nil {
		return fmt.Errorf("%s: %s is not base64: %w", s.Vendor, s.Header, ErrBadSignature)
	}
	if len(inst.WebhookSecrets) == 0 {
		return fmt.Errorf("%s: instance %q has no webhook secret configured: %w", s.Vendor, inst.Name, ErrBadSignature)
	}
	for _, secret := range inst.WebhookSecrets {
		m := hmac.New(s.Hash, []byte(secret))
		m.Write(body)
		if hmac.Equal(sig, m.Sum(nil)) {
			return nil
		}
	}
	return fmt.Errorf("%s: signature does not match any configured secret: %w", s.Vendor, ErrBadSignature)
}

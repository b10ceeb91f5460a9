package connectors

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
)

func TestHMACSignature(t *testing.T) {
	s := HMACSignature{Vendor: "v", Header: "X-Sig", Hash: sha256.New}
	body := []byte(`{"id":1}`)
	sign := func(secret string) http.Header {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		return http.Header{"X-Sig": {base64.StdEncoding.EncodeToString(m.Sum(nil))}}
	}
	rotating := Instance{Name: "i", WebhookSecrets: []string{"new", "old"}}
	for _, tt := range []struct {
		name string
		inst Instance
		h    http.Header
		ok   bool
	}{
		{"current secret", rotating, sign("new"), true},
		{"previous secret", rotating, sign("old"), true},
		{"other secret", rotating, sign("other"), false},
		{"no header", rotating, http.Header{}, false},
		{"not base64", rotating, http.Header{"X-Sig": {"%%"}}, false},
		{"no secret configured", Instance{Name: "i"}, sign(""), false},
	} {
		err := s.Verify(tt.inst, tt.h, body)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadSignature)) {
			t.Errorf("%s: got %v", tt.name, err)
		}
	}
}

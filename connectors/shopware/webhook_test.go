package shopware

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
)

func hmacHex(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func offlineConnector(t *testing.T, secrets ...string) *Connector {
	t.Helper()
	s := NewSettings()
	s.URL, s.ClientID, s.ClientSecret = "https://shop.example.com", "SWIA", "secret"
	c, err := New(connectors.Instance{Name: "test", Type: Type, WebhookSecrets: secrets}, s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyWebhook(t *testing.T) {
	body := connectortest.Fixture(t, "webhook_customer_written.json")
	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		body    []byte
		ok      bool
	}{
		{"current secret", []string{"new"}, http.Header{"Shopware-Shop-Signature": {hmacHex("new", body)}}, body, true},
		{"upper-case hex", []string{"new"}, http.Header{"Shopware-Shop-Signature": {"  " + upper(hmacHex("new", body))}}, body, true},
		{"rotated: old secret still accepted", []string{"new", "old"}, http.Header{"Shopware-Shop-Signature": {hmacHex("old", body)}}, body, true},
		{"previous-signature header", []string{"new"}, http.Header{
			"Shopware-Shop-Signature":          {hmacHex("other", body)},
			"Shopware-Shop-Signature-Previous": {hmacHex("new", body)},
		}, body, true},
		{"wrong secret", []string{"new"}, http.Header{"Shopware-Shop-Signature": {hmacHex("wrong", body)}}, body, false},
		{"tampered body", []string{"new"}, http.Header{"Shopware-Shop-Signature": {hmacHex("new", body)}}, append([]byte(" "), body...), false},
		{"missing header", []string{"new"}, http.Header{}, body, false},
		{"not hex", []string{"new"}, http.Header{"Shopware-Shop-Signature": {"sha256=" + hmacHex("new", body)}}, body, false},
		{"no secret configured", nil, http.Header{"Shopware-Shop-Signature": {hmacHex("", body)}}, body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := offlineConnector(t, tt.secrets...).VerifyWebhook(tt.header, tt.body)
			if tt.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tt.ok && !errors.Is(err, connectors.ErrBadSignature) {
				t.Fatalf("got %v, want ErrBadSignature", err)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func TestDecodeWebhook(t *testing.T) {
	const (
		c1 = "0191c4a5b8f0700b9d6c2d1c4e5f6a7b"
		c2 = "0191c4a5b8f0700b9d6c2d1c4e5f6a7c"
	)
	tests := []struct {
		fixture   string
		want      []connectors.Event
		malformed bool
	}{
		{fixture: "webhook_customer_written.json", want: []connectors.Event{
			{ID: "8ab9fd6bbbc24b4aa6d6a1a4f0e2c3d4:" + c1, Topic: "customer.written", Resource: "customer", ExternalID: c1, OccurredAt: time.Unix(1718000000, 0).UTC()},
			{ID: "8ab9fd6bbbc24b4aa6d6a1a4f0e2c3d4:" + c2, Topic: "customer.written", Resource: "customer", ExternalID: c2, OccurredAt: time.Unix(1718000000, 0).UTC()},
		}},
		{fixture: "webhook_customer_deleted.json", want: []connectors.Event{
			{ID: "1b2c3d4e5f60718293a4b5c6d7e8f901:" + c1, Topic: "customer.deleted", Resource: "customer", ExternalID: c1, Deleted: true, OccurredAt: time.Unix(1718000100, 0).UTC()},
		}},
		{fixture: "webhook_customer_tag_deleted.json", want: []connectors.Event{
			{ID: "3d4e5f60718293a4b5c6d7e8f9011223:" + c1, Topic: "customer_tag.deleted", Resource: "customer", ExternalID: c1, OccurredAt: time.Unix(1718000300, 0).UTC()},
		}},
		{fixture: "webhook_customer_address_written.json", want: []connectors.Event{
			{ID: "2c3d4e5f60718293a4b5c6d7e8f90112", Topic: "customer_address.written", OccurredAt: time.Unix(1718000200, 0).UTC(), Ignore: true},
		}},
		{fixture: "webhook_app_installed.json", want: []connectors.Event{
			{ID: "4e5f60718293a4b5c6d7e8f901122334", Topic: "app.installed", OccurredAt: time.Unix(1718000400, 0).UTC(), Ignore: true},
		}},
		{fixture: "webhook_no_event.json", malformed: true},
		{fixture: "webhook_bad_primary_key.json", malformed: true},
	}
	c := offlineConnector(t, "s")
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := c.DecodeWebhook(http.Header{}, connectortest.Fixture(t, tt.fixture))
			if tt.malformed {
				if !errors.Is(err, connectors.ErrMalformed) {
					t.Fatalf("got %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := c.DecodeWebhook(http.Header{}, []byte(`{"data": [`)); !errors.Is(err, connectors.ErrMalformed) {
		t.Errorf("truncated JSON: got %v, want ErrMalformed", err)
	}
}

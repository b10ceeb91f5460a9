package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/webhook"
)

func TestSignAndVerify(t *testing.T) {
	body := []byte(`{"id":"shophub-event-1"}`)
	now := time.Unix(1764612000, 0)
	sig := webhook.Sign("s3cret", now, body)
	if err := webhook.Verify("s3cret", sig, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		at             time.Time
	}{
		"other secret":   {"other", sig, body, now},
		"changed body":   {"s3cret", sig, []byte(`{"id":"shophub-event-2"}`), now},
		"replayed later": {"s3cret", sig, body, now.Add(10 * time.Minute)},
		"malformed":      {"s3cret", "v1=abc", body, now},
	} {
		if err := webhook.Verify(c.secret, c.header, c.body, c.at, 5*time.Minute); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A delivery is one signed POST; 4xx is permanent, 5xx and 429 are not.
func TestSendEvent(t *testing.T) {
	status := http.StatusNoContent
	var got []byte
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		sig = r.Header.Get(webhook.SignatureHeader)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	c := connectortest.Connect(t, connectors.Instance{Name: "hook", Type: webhook.Type},
		map[string]any{"url": srv.URL, "secret": "s3cret", "events": []any{"cart_abandoned"}})
	sink := c.(connectors.EventSink)
	if !sink.WantsEvent("cart_abandoned") || sink.WantsEvent("birthday_upcoming") {
		t.Error("event subset not honoured")
	}
	ev := connectors.OutEvent{ID: "shophub-event-7", Type: "cart_abandoned", Time: time.Now(), Person: connectors.OutPerson{HubID: 7, Email: "a@example.com"}}
	if err := sink.SendEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify("s3cret", sig, got, time.Now(), time.Minute); err != nil {
		t.Errorf("delivered signature does not verify: %v", err)
	}
	status = http.StatusBadRequest
	if err := sink.SendEvent(context.Background(), ev); !errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("400: %v, want permanent", err)
	}
	status = http.StatusServiceUnavailable
	if err := sink.SendEvent(context.Background(), ev); err == nil || errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("503: %v, want a retryable error", err)
	}
}

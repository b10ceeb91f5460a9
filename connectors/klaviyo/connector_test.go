package klaviyo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/klaviyo"
	"github.com/shophub/shophub/connectors/klaviyo/klaviyotest"
)

func newConnector(t *testing.T, url string, settings map[string]any) connectors.Connector {
	t.Helper()
	s := map[string]any{"base_url": url, "api_key": klaviyotest.DefaultAPIKey, "rate_scale": 60}
	for k, v := range settings {
		s[k] = v
	}
	return connectortest.Connect(t, connectors.Instance{Name: "klaviyo", Type: klaviyo.Type}, s)
}

func TestConformance(t *testing.T) {
	emu := klaviyotest.New(klaviyotest.Options{Scale: 60})
	url := connectortest.Start(t, emu)
	connectortest.Run(t, connectortest.Env{
		Connector: newConnector(t, url, nil),
		Reconnect: func(t *testing.T) connectors.Connector { return newConnector(t, url, nil) },
		CreatePayload: func(i int) map[string]any {
			return map[string]any{"email": fmt.Sprintf("kit-%d@example.com", i), "first_name": "Kit", "last_name": fmt.Sprint(i),
				"phone_number": "+4930123456", "location": map[string]any{"city": "Berlin", "zip": "10115", "country": "DE"},
				"properties": map[string]any{"order_count": 3}}
		},
		UpdatePayload: func(i int) map[string]any { return map[string]any{"first_name": "Updated"} },
		UpdatedField:  "first_name",
		UpdatedValue:  "Updated",
	}.WithEmulator(emu))
}

// Consent goes out as subscribe and unsubscribe jobs with the hub's time;
// events carry a unique id, so a repeated delivery is one event.
func TestConsentAndEvents(t *testing.T) {
	emu := klaviyotest.New(klaviyotest.Options{Scale: 60})
	url := connectortest.Start(t, emu)
	c := newConnector(t, url, nil)
	w := c.(connectors.Writer)
	ctx := context.Background()
	rec, err := w.Upsert(ctx, connectors.ResourceCustomer, "", map[string]any{"email": "ana@example.com", "first_name": "Ana",
		"phone_number":  "+4917612345678",
		"email_consent": map[string]any{"subscribed": true, "updated_at": "2026-11-30T10:00:00Z"},
		"sms_consent":   map[string]any{"subscribed": false, "updated_at": "2026-11-30T10:00:00Z"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := emu.Profile(rec.ExternalID)
	if p.EmailConsent != "SUBSCRIBED" || p.ConsentedAt != "2026-11-30T10:00:00Z" || p.SMSConsent != "UNSUBSCRIBED" {
		t.Fatalf("consent at Klaviyo: email %q at %q, sms %q", p.EmailConsent, p.ConsentedAt, p.SMSConsent)
	}
	// Only the consent changed (Patch): the writer finds the identifiers.
	if _, err := w.Upsert(ctx, connectors.ResourceCustomer, rec.ExternalID, map[string]any{
		"email_consent": map[string]any{"subscribed": false, "updated_at": "2026-12-01T10:00:00Z"}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := emu.Profile(rec.ExternalID); p.EmailConsent != "UNSUBSCRIBED" {
		t.Fatalf("email consent after withdrawal: %q", p.EmailConsent)
	}
	sink := c.(connectors.EventSink)
	ev := connectors.OutEvent{ID: "shophub-event-1", Type: "cart_abandoned", Time: time.Now(), Marketing: true,
		Person:     connectors.OutPerson{HubID: 1, Email: "ana@example.com", ExternalID: rec.ExternalID},
		Properties: map[string]any{"total": "59.90", "currency": "EUR", "recovery_url": "https://shop.example/recover"}}
	for range 2 {
		if err := sink.SendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	evs := emu.Events()
	if len(evs) != 1 || evs[0].Metric != "cart_abandoned" || evs[0].ProfileID != rec.ExternalID || evs[0].Value != 59.9 {
		t.Fatalf("events at Klaviyo: %+v", evs)
	}
}

// The emulator refuses what Klaviyo refuses, in JSON:API errors.
func TestEmulatorValidates(t *testing.T) {
	emu := klaviyotest.New(klaviyotest.Options{Scale: 60})
	url := connectortest.Start(t, emu)
	w := newConnector(t, url, nil).(connectors.Writer)
	for name, payload := range map[string]map[string]any{
		"unknown attribute": {"email": "a@example.com", "favourite_colour": "red"},
		"bad email":         {"email": "not-an-email"},
		"bad phone":         {"email": "b@example.com", "phone_number": "030 123"},
		"no identifier":     {"first_name": "Nobody"},
	} {
		_, err := w.Upsert(context.Background(), connectors.ResourceCustomer, "", payload)
		if err == nil || !errors.Is(err, connectors.ErrPermanent) {
			t.Errorf("%s: got %v, want a permanent 400", name, err)
		}
	}
}

// Pushed concurrently far faster than allowed, every profile arrives: the
// client paces each endpoint at its steady rate and waits out the 429s.
func TestRateLimitsHonoured(t *testing.T) {
	emu := klaviyotest.New(klaviyotest.Options{Scale: 60})
	url := connectortest.Start(t, emu)
	w := newConnector(t, url, nil).(connectors.Writer)
	const n = 1500
	failed := upsertProfiles(context.Background(), w, n, 32, "p")
	if failed != 0 || emu.ProfileCount() != n {
		t.Fatalf("failed %d, profiles %d of %d", failed, emu.ProfileCount(), n)
	}
}

// upsertProfiles pushes n profiles (<prefix><i>@example.com) through w
// from workers goroutines, each waiting out the Retry-After of a 429 and
// trying again, and returns how many failed otherwise.
func upsertProfiles(ctx context.Context, w connectors.Writer, n, workers int, prefix string) int64 {
	var failed atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				for {
					_, err := w.Upsert(ctx, connectors.ResourceCustomer, "", map[string]any{"email": fmt.Sprintf("%s%d@example.com", prefix, i)})
					if d, ok := connectors.RetryAfterOf(err); ok {
						select {
						case <-time.After(d):
							continue
						case <-ctx.Done():
						}
					}
					if err != nil {
						failed.Add(1)
					}
					break
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return failed.Load()
}

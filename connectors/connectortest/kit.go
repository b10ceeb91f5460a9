// Package connectortest is the conformance kit every connector passes with
// its emulator: webhook verification, listing to the end, cursor resume,
// idempotent pushes, the canonical → vendor → canonical round trip of its
// default mapping and rate-limit handling. A connector's test calls Run
// with an Env that wires the connector to a fresh emulator.
package connectortest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Env wires one connector to one fresh emulator. Functions a connector's
// capabilities do not need may stay nil.
type Env struct {
	// Connector is connected to the emulator.
	Connector connectors.Connector
	// Reconnect builds a second, fresh connector against the same emulator,
	// as a restarted worker would.
	Reconnect func(t *testing.T) connectors.Connector
	Resource  string
	// PageSize is the page size the connector lists with against the emulator.
	PageSize int
	// Lookback is how far before its high-water mark an incremental
	// listing lists again (the connector's poll look-back; the pipeline
	// drops what is unchanged by content). Records older than that must
	// not come back.
	Lookback time.Duration

	// Seed creates n records directly in the vendor, as if made in its admin,
	// and returns their ids in creation order.
	Seed func(t *testing.T, n int) []string
	// Touch changes a record in the vendor so that it counts as updated.
	Touch func(t *testing.T, id string)
	// Stored returns the record as the vendor holds it and the vendor's
	// record count.
	Stored func(t *testing.T, id string) (map[string]any, bool)
	Count  func(t *testing.T) int

	// CreatePayload is a vendor payload for a new record with unique email i;
	// UpdatePayload changes a field of it. UpdatedField names a top-level key
	// of the stored record that UpdatePayload changes, and its new value.
	CreatePayload func(i int) map[string]any
	UpdatePayload func(i int) map[string]any
	UpdatedField  string
	UpdatedValue  any
	// Email returns the email CreatePayload(i) carries, for Finder.
	Email func(i int) string

	// SignedWebhook returns a delivery for record id signed exactly as the
	// vendor signs; WrongSecret the same delivery signed with another key.
	SignedWebhook func(t *testing.T, id string) (http.Header, []byte)
	WrongSecret   func(t *testing.T, id string) (http.Header, []byte)
	// SignBody signs an arbitrary body as the vendor would (for malformed
	// bodies with valid signatures).
	SignBody func(t *testing.T, body []byte) http.Header

	// Throttle makes the emulator answer the next n API requests with 429
	// and the vendor's wait hint.
	Throttle func(t *testing.T, n int, retryAfter time.Duration)

	// PhoneValidated says the vendor refuses a customer phone that is no
	// number (Shopify): the round trip's raw phone stays on the address.
	PhoneValidated bool
	// Mapping is the mapping file the instance runs with (a profile's);
	// nil means the type's registered default.
	Mapping []byte
}

// Run runs every check the connector's capabilities call for.
func Run(t *testing.T, env Env) {
	t.Helper()
	if env.Resource == "" {
		env.Resource = connectors.ResourceCustomer
	}
	caps := env.Connector.Capabilities()
	t.Run("capabilities", func(t *testing.T) { checkCapabilities(t, env.Connector) })
	if caps.Webhooks {
		t.Run("webhook", func(t *testing.T) { checkWebhook(t, env) })
	}
	if caps.Poll {
		t.Run("list-to-end", func(t *testing.T) { checkListToEnd(t, env) })
		t.Run("cursor-resume", func(t *testing.T) { checkCursorResume(t, env) })
	}
	if _, ok := env.Connector.(connectors.Fetcher); ok {
		t.Run("fetch", func(t *testing.T) { checkFetch(t, env) })
	}
	if caps.Push {
		t.Run("push-idempotent", func(t *testing.T) { checkPush(t, env) })
		if env.Resource == connectors.ResourceCustomer {
			t.Run("round-trip", func(t *testing.T) { checkRoundTrip(t, env) }) // roundtrip.go
		}
	}
	if env.Throttle != nil {
		t.Run("rate-limit", func(t *testing.T) { checkRateLimit(t, env) })
	}
	t.Run("close-twice", func(t *testing.T) {
		c := env.Reconnect(t)
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func checkCapabilities(t *testing.T, c connectors.Connector) {
	caps := c.Capabilities()
	if len(caps.Resources) == 0 {
		t.Error("capabilities name no resource")
	}
	if _, ok := c.(connectors.WebhookSource); ok != caps.Webhooks {
		t.Errorf("Webhooks=%v but implements WebhookSource=%v", caps.Webhooks, ok)
	}
	if _, ok := c.(connectors.Lister); ok != caps.Poll {
		t.Errorf("Poll=%v but implements Lister=%v", caps.Poll, ok)
	}
	if _, ok := c.(connectors.Writer); ok != caps.Push {
		t.Errorf("Push=%v but implements Writer=%v", caps.Push, ok)
	}
	if r, ok := connectors.Lookup(c.Type()); !ok {
		t.Errorf("type %q is not registered", c.Type())
	} else if len(r.Mapping) == 0 {
		t.Errorf("type %q registers no default mapping", c.Type())
	}
}

func checkWebhook(t *testing.T, env Env) {
	ws := env.Connector.(connectors.WebhookSource)
	id := env.Seed(t, 1)[0]

	h, body := env.SignedWebhook(t, id)
	if err := ws.VerifyWebhook(h, body); err != nil {
		t.Fatalf("valid delivery rejected: %v", err)
	}
	events, err := ws.DecodeWebhook(h, body)
	if err != nil {
		t.Fatalf("decode valid delivery: %v", err)
	}
	if len(events) == 0 {
		t.Fatal("valid delivery decoded to no event")
	}
	ev := events[0]
	if ev.ID == "" {
		t.Error("event has no id to deduplicate on")
	}
	if ev.ExternalID != id {
		t.Errorf("event external id = %q, want %q", ev.ExternalID, id)
	}
	if ev.Resource != env.Resource {
		t.Errorf("event resource = %q, want %q", ev.Resource, env.Resource)
	}
	// The same delivery decodes to the same id, so retries collapse.
	again, _ := ws.DecodeWebhook(h, body)
	if len(again) == 0 || again[0].ID != ev.ID {
		t.Error("decoding the same delivery twice gives a different event id")
	}

	tampered := append([]byte{}, body...)
	tampered[len(tampered)/2] ^= 0x01
	if err := ws.VerifyWebhook(h, tampered); !errors.Is(err, connectors.ErrBadSignature) {
		t.Errorf("tampered body: got %v, want ErrBadSignature", err)
	}
	if env.WrongSecret != nil {
		wh, wbody := env.WrongSecret(t, id)
		if err := ws.VerifyWebhook(wh, wbody); !errors.Is(err, connectors.ErrBadSignature) {
			t.Errorf("wrong secret: got %v, want ErrBadSignature", err)
		}
	}
	if err := ws.VerifyWebhook(http.Header{}, body); !errors.Is(err, connectors.ErrBadSignature) {
		t.Errorf("missing signature: got %v, want ErrBadSignature", err)
	}
	if env.SignBody != nil {
		bad := []byte(`{"id": 12, "email": `)
		bh := env.SignBody(t, bad)
		if err := ws.VerifyWebhook(bh, bad); err != nil {
			t.Fatalf("signed malformed body must verify (it is authentic): %v", err)
		}
		if _, err := ws.DecodeWebhook(bh, bad); !errors.Is(err, connectors.ErrMalformed) {
			t.Errorf("malformed body: got %v, want ErrMalformed", err)
		}
	}
}

// ListAll lists resource from cursor until Done and returns the records in
// order and the final cursor; a page neither done nor with a next cursor
// fails t. Connectors' own tests list with it too.
func ListAll(t *testing.T, l connectors.Lister, resource, cursor string) ([]connectors.Record, string) {
	t.Helper()
	var out []connectors.Record
	c := ctx(t)
	for i := 0; i < 10000; i++ {
		page, err := l.List(c, resource, cursor)
		if err != nil {
			t.Fatalf("List(%q): %v", cursor, err)
		}
		out = append(out, page.Records...)
		if page.Next == "" && !page.Done {
			t.Fatal("page is neither done nor has a next cursor")
		}
		cursor = page.Next
		if page.Done {
			return out, cursor
		}
	}
	t.Fatal("listing never reported Done")
	return nil, ""
}

func checkListToEnd(t *testing.T, env Env) {
	l := env.Connector.(connectors.Lister)
	before, _ := ListAll(t, l, env.Resource, "")
	n := env.PageSize*2 + env.PageSize/2 + 1
	ids := env.Seed(t, n)

	all, cursor := ListAll(t, l, env.Resource, "")
	seen := map[string]int{}
	var newest time.Time
	for _, r := range all {
		seen[r.ExternalID]++
		if r.ExternalID == "" {
			t.Error("listed record without external id")
		}
		if r.UpdatedAt.IsZero() {
			t.Errorf("record %s has no source timestamp", r.ExternalID)
		}
		if r.UpdatedAt.After(newest) {
			newest = r.UpdatedAt
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("record %s listed %d times in a full listing, want 1", id, seen[id])
		}
	}
	if len(all) != len(before)+n {
		t.Errorf("full listing returned %d records, want %d", len(all), len(before)+n)
	}

	// Incremental: nothing changed → only records at the high-water mark
	// (or within the look-back before it) may repeat; a touched record
	// comes back.
	newest = newest.Add(-env.Lookback)
	quiet, cursor2 := ListAll(t, l, env.Resource, cursor)
	for _, r := range quiet {
		if r.UpdatedAt.Before(newest) {
			t.Errorf("incremental listing with no changes returned %s (updated %s, before high-water less look-back %s)", r.ExternalID, r.UpdatedAt, newest)
		}
	}
	if env.Touch != nil {
		time.Sleep(1100 * time.Millisecond) // vendors keep second-resolution timestamps
		env.Touch(t, ids[3])
		changed, _ := ListAll(t, l, env.Resource, cursor2)
		found := false
		for _, r := range changed {
			if r.ExternalID == ids[3] {
				found = true
			}
			if r.UpdatedAt.Before(newest) {
				t.Errorf("incremental listing returned unchanged record %s", r.ExternalID)
			}
		}
		if !found {
			t.Errorf("touched record %s not returned by incremental listing from the stored cursor", ids[3])
		}
	}
}

func checkCursorResume(t *testing.T, env Env) {
	env.Seed(t, env.PageSize*2+1)
	l := env.Connector.(connectors.Lister)
	first, err := l.List(ctx(t), env.Resource, "")
	if err != nil {
		t.Fatal(err)
	}
	if first.Done {
		t.Fatalf("first page of %d+ records is already done", env.PageSize*2+1)
	}
	if len(first.Records) != env.PageSize {
		t.Errorf("first page has %d records, want page size %d", len(first.Records), env.PageSize)
	}
	// A restarted worker resumes from the stored cursor with a fresh client.
	fresh := env.Reconnect(t)
	t.Cleanup(func() { _ = fresh.Close() })
	rest, _ := ListAll(t, fresh.(connectors.Lister), env.Resource, first.Next)
	inFirst := map[string]bool{}
	for _, r := range first.Records {
		inFirst[r.ExternalID] = true
	}
	for _, r := range rest {
		if inFirst[r.ExternalID] {
			t.Errorf("resumed listing repeats %s from the first page", r.ExternalID)
		}
	}
	full, _ := ListAll(t, l, env.Resource, "")
	if len(first.Records)+len(rest) != len(full) {
		t.Errorf("first page + resumed listing = %d records, full listing = %d", len(first.Records)+len(rest), len(full))
	}
}

func checkFetch(t *testing.T, env Env) {
	f := env.Connector.(connectors.Fetcher)
	id := env.Seed(t, 1)[0]
	rec, err := f.Fetch(ctx(t), env.Resource, id)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", id, err)
	}
	if rec.ExternalID != id || rec.UpdatedAt.IsZero() || len(rec.Data) == 0 {
		t.Errorf("Fetch(%s) = id %q, updated %v, %d fields", id, rec.ExternalID, rec.UpdatedAt, len(rec.Data))
	}
	_, err = f.Fetch(ctx(t), env.Resource, "999999999")
	if !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Fetch(unknown): got %v, want ErrNotFound", err)
	}
}

func checkPush(t *testing.T, env Env) {
	w := env.Connector.(connectors.Writer)
	countBefore := env.Count(t)
	created, err := w.Upsert(ctx(t), env.Resource, "", env.CreatePayload(1))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.ExternalID == "" {
		t.Fatal("create returned no external id")
	}
	if env.Count(t) != countBefore+1 {
		t.Fatalf("vendor count %d after create, want %d", env.Count(t), countBefore+1)
	}
	// Pushing the same payload to the linked record changes nothing and
	// creates nothing.
	again, err := w.Upsert(ctx(t), env.Resource, created.ExternalID, env.CreatePayload(1))
	if err != nil {
		t.Fatalf("repeat upsert: %v", err)
	}
	if again.ExternalID != created.ExternalID {
		t.Errorf("repeat upsert moved the record: %s → %s", created.ExternalID, again.ExternalID)
	}
	if env.Count(t) != countBefore+1 {
		t.Errorf("repeat upsert created a record: count %d", env.Count(t))
	}
	if _, err := w.Upsert(ctx(t), env.Resource, created.ExternalID, env.UpdatePayload(1)); err != nil {
		t.Fatalf("update: %v", err)
	}
	stored, ok := env.Stored(t, created.ExternalID)
	if !ok {
		t.Fatal("updated record not stored")
	}
	if env.UpdatedField != "" && stored[env.UpdatedField] != env.UpdatedValue {
		t.Errorf("after update %s = %v, want %v", env.UpdatedField, stored[env.UpdatedField], env.UpdatedValue)
	}
	if f, ok := env.Connector.(connectors.Finder); ok && env.Email != nil {
		rec, err := f.FindBy(ctx(t), env.Resource, "email", env.Email(1))
		if err != nil {
			t.Fatalf("FindBy email: %v", err)
		}
		if rec.ExternalID != created.ExternalID {
			t.Errorf("FindBy email = %s, want %s", rec.ExternalID, created.ExternalID)
		}
		if _, err := f.FindBy(ctx(t), env.Resource, "email", "nobody-at-all@example.invalid"); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("FindBy unknown email: got %v, want ErrNotFound", err)
		}
	}
	if err := w.Delete(ctx(t), env.Resource, created.ExternalID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok := env.Stored(t, created.ExternalID); ok {
		t.Error("record still stored after delete")
	}
}

func checkRateLimit(t *testing.T, env Env) {
	id := env.Seed(t, 1)[0]
	call := func() error {
		if f, ok := env.Connector.(connectors.Fetcher); ok {
			_, err := f.Fetch(ctx(t), env.Resource, id)
			return err
		}
		if l, ok := env.Connector.(connectors.Lister); ok {
			_, err := l.List(ctx(t), env.Resource, "")
			return err
		}
		t.Skip("connector neither fetches nor lists; rate limit checked through pushes elsewhere")
		return nil
	}
	// A short wait is honoured in place.
	env.Throttle(t, 1, 200*time.Millisecond)
	start := time.Now()
	if err := call(); err != nil {
		t.Fatalf("after one short 429 the call must succeed: %v", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("retried after %s, before the vendor's Retry-After of 200ms", waited)
	}
	// A long wait goes back to the queue as a typed error carrying the wait.
	env.Throttle(t, 100, 90*time.Second)
	err := call()
	wait, ok := connectors.RetryAfterOf(err)
	if !ok {
		t.Fatalf("long 429: got %v, want a *RateLimitedError", err)
	}
	if wait < 80*time.Second || wait > 100*time.Second {
		t.Errorf("RetryAfter = %s, want the vendor's 90s", wait)
	}
	var herr *connectors.HTTPError
	if !errors.As(err, &herr) || herr.Status != http.StatusTooManyRequests {
		t.Errorf("rate-limit error does not carry the vendor's 429: %v", err)
	}
	env.Throttle(t, 0, 0)
}

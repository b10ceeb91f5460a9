package helpscout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/helpscout"
	"github.com/shophub/shophub/connectors/helpscout/helpscouttest"
	"github.com/shophub/shophub/mappings"
)

const testSecret = "hs-webhook-secret"

func startEmulator(t *testing.T, opts helpscouttest.Options) (*helpscouttest.Emulator, string) {
	t.Helper()
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = testSecret
	}
	emu := helpscouttest.New(opts)
	return emu, connectortest.Start(t, emu)
}

func newConnector(t *testing.T, url string, settings map[string]any) connectors.Connector {
	t.Helper()
	s := map[string]any{"base_url": url, "client_id": helpscouttest.DefaultClientID, "client_secret": helpscouttest.DefaultClientSecret,
		"rate_per_minute": 100000}
	for k, v := range settings {
		s[k] = v
	}
	return connectortest.Connect(t, connectors.Instance{Name: "helpdesk", Type: helpscout.Type, WebhookSecrets: []string{testSecret, "old-secret"}}, s)
}

func TestConformance(t *testing.T) {
	const pageSize = 5
	emu, url := startEmulator(t, helpscouttest.Options{PageSize: pageSize})
	connectortest.Run(t, connectortest.Env{
		Connector: newConnector(t, url, nil),
		Reconnect: func(t *testing.T) connectors.Connector { return newConnector(t, url, nil) },
		PageSize:  pageSize,
		Touch: func(t *testing.T, id string) {
			if err := emu.UpdateCustomer(id, map[string]any{"jobTitle": "touched " + time.Now().String()}); err != nil {
				t.Fatal(err)
			}
		},
		CreatePayload: func(i int) map[string]any {
			return map[string]any{"firstName": "Kit", "lastName": fmt.Sprint(i), "emails": []any{fmt.Sprintf("kit-%d@example.com", i)},
				"phones":     []any{"+4930123456"},
				"address":    map[string]any{"lines": []any{"Main St 1"}, "city": "Berlin", "postalCode": "10115", "country": "DE"},
				"properties": map[string]any{"shops": "kit"}}
		},
		UpdatePayload: func(i int) map[string]any { return map[string]any{"firstName": "Updated"} },
		UpdatedField:  "firstName",
		UpdatedValue:  "Updated",
		Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
		SignedWebhook: func(t *testing.T, id string) (http.Header, []byte) {
			c, ok := emu.Customer(id)
			if !ok {
				t.Fatalf("no customer %s", id)
			}
			return emu.SignedDelivery("customer.updated", map[string]any{"id": c["id"], "updatedAt": c["updatedAt"]})
		},
		WrongSecret: func(t *testing.T, id string) (http.Header, []byte) {
			h, body := emu.SignedDelivery("customer.updated", map[string]any{"id": id})
			h.Set("X-HelpScout-Signature", helpscouttest.SignWith("not-the-secret", body))
			return h, body
		},
		SignBody: func(t *testing.T, body []byte) http.Header { return emu.DeliveryHeaders("customer.updated", body) },
	}.WithEmulator(emu))
}

// Sub-entities and properties are written only where they differ.
func TestUpdateWritesOnlyDifferences(t *testing.T) {
	emu, url := startEmulator(t, helpscouttest.Options{})
	w := newConnector(t, url, nil).(connectors.Writer)
	ctx := context.Background()
	rec, err := w.Upsert(ctx, "customer", "", map[string]any{"firstName": "Ann", "emails": []any{"ann@example.com"}, "phones": []any{"+491111"},
		"properties": map[string]any{"shops": "shopify", "open-tickets": 0}})
	if err != nil {
		t.Fatal(err)
	}
	id := rec.ExternalID
	before := emu.Stats().Units
	if _, err := w.Upsert(ctx, "customer", id, map[string]any{"firstName": "Ann", "emails": []any{"ann@example.com"}, "phones": []any{"+491111"},
		"properties": map[string]any{"shops": "shopify", "open-tickets": 0}}); err != nil {
		t.Fatal(err)
	}
	if got := emu.Stats().Units - before; got != 1 {
		t.Errorf("unchanged push cost %d units, want 1 (the read)", got)
	}
	before = emu.Stats().Units
	if _, err := w.Upsert(ctx, "customer", id, map[string]any{"firstName": "Ann", "phones": []any{"+492222"},
		"properties": map[string]any{"shops": "shopify, shopware", "open-tickets": 2}}); err != nil {
		t.Fatal(err)
	}
	if got := emu.Stats().Units - before; got != 5 {
		t.Errorf("phone + properties push cost %d units, want 5 (read, phone PUT, properties PATCH)", got)
	}
	if emu.Phone(id) != "+492222" {
		t.Errorf("phone = %q", emu.Phone(id))
	}
	if diff := cmp.Diff(map[string]any{"shops": "shopify, shopware", "open-tickets": "2"}, emu.Properties(id)); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
}

// The token is fetched once for many concurrent callers, refreshed once
// after it expires (401): the callers refused with the old token find the
// new one and keep it.
func TestTokenSharedAndRefreshedOnce(t *testing.T) {
	emu, url := startEmulator(t, helpscouttest.Options{})
	f := newConnector(t, url, nil).(connectors.Fetcher)
	id := emu.Seed(1)[0]
	run := func() {
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.Fetch(context.Background(), "customer", id); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	run()
	if n := emu.Stats().Tokens; n != 1 {
		t.Errorf("%d tokens fetched by 20 concurrent callers, want 1", n)
	}
	emu.ExpireTokens()
	run()
	if n := emu.Stats().Tokens; n != 2 {
		t.Errorf("%d tokens after one expiry, want 2", n)
	}
}

func TestTokenExpiresIn(t *testing.T) {
	emu, url := startEmulator(t, helpscouttest.Options{TokenTTL: 2 * time.Second})
	f := newConnector(t, url, nil).(connectors.Fetcher)
	id := emu.Seed(1)[0]
	for i := 0; i < 3; i++ {
		if _, err := f.Fetch(context.Background(), "customer", id); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond)
	}
	if n := emu.Stats().Tokens; n < 2 {
		t.Errorf("token not refreshed from expires_in: %d fetched", n)
	}
}

func TestWebhookEvents(t *testing.T) {
	emu, url := startEmulator(t, helpscouttest.Options{})
	ws := newConnector(t, url, nil).(connectors.WebhookSource)
	cases := []struct {
		event, body string
		want        connectors.Event
	}{
		{"customer.created", `{"id":7,"updatedAt":"2025-01-02T03:04:05Z"}`, connectors.Event{Topic: "customer.created", Resource: "customer", ExternalID: "7", OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
			Snapshot: []byte(`{"id":7,"updatedAt":"2025-01-02T03:04:05Z"}`), IDRecurs: true}},
		{"customer.deleted", `{"id":7}`, connectors.Event{Topic: "customer.deleted", Resource: "customer", ExternalID: "7", Deleted: true}},
		{"convo.status", `{"id":9,"userUpdatedAt":"2025-01-02T03:04:05Z"}`, connectors.Event{Topic: "convo.status", Resource: "ticket", ExternalID: "9", OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
			IDRecurs: true}},
		{"satisfaction.ratings", `{"id":1}`, connectors.Event{Topic: "satisfaction.ratings", Ignore: true}},
		{"helpscout.test", `{}`, connectors.Event{Topic: "helpscout.test", Ignore: true}},
	}
	for _, tc := range cases {
		h := emu.DeliveryHeaders(tc.event, []byte(tc.body))
		if err := ws.VerifyWebhook(h, []byte(tc.body)); err != nil {
			t.Fatalf("%s: %v", tc.event, err)
		}
		evs, err := ws.DecodeWebhook(h, []byte(tc.body))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v %v", tc.event, evs, err)
		}
		got := evs[0]
		if got.ID == "" {
			t.Errorf("%s: no dedupe id", tc.event)
		}
		if tc.want.ID == "" {
			got.ID = ""
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.event, diff)
		}
	}
}

// TestWebhookEventIDs: Help Scout sends no delivery id and stamps whole
// seconds, so the dedupe id is the body's: a re-delivery (same body) is a
// duplicate, an agent's edit in the second of our push's echo is not.
func TestWebhookEventIDs(t *testing.T) {
	emu, url := startEmulator(t, helpscouttest.Options{})
	ws := newConnector(t, url, nil).(connectors.WebhookSource)
	echo := `{"id":7,"firstName":"Ada","lastName":"Adler","updatedAt":"2025-01-02T03:04:05Z","_embedded":{"phones":[]}}`
	cases := []struct {
		name         string
		event, body  string
		sameAsEcho   bool
		wantOccurred time.Time
	}{
		{"re-delivery of the echo", "customer.updated", echo, true, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"agent edit in the same second", "customer.updated", `{"id":7,"firstName":"Bruno","lastName":"Adler","updatedAt":"2025-01-02T03:04:05Z","_embedded":{"phones":[]}}`, false, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"phone edit in the same second", "customer.updated", `{"id":7,"firstName":"Ada","lastName":"Adler","updatedAt":"2025-01-02T03:04:05Z","_embedded":{"phones":[{"id":1,"type":"work","value":"+4940123"}]}}`, false, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"same body, other event", "customer.created", echo, false, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"other customer", "customer.updated", `{"id":8,"firstName":"Ada","lastName":"Adler","updatedAt":"2025-01-02T03:04:05Z","_embedded":{"phones":[]}}`, false, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	decode := func(event, body string) connectors.Event {
		t.Helper()
		evs, err := ws.DecodeWebhook(emu.DeliveryHeaders(event, []byte(body)), []byte(body))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s %s: %v %v", event, body, evs, err)
		}
		return evs[0]
	}
	first := decode("customer.updated", echo)
	for _, tc := range cases {
		got := decode(tc.event, tc.body)
		if same := got.ID == first.ID; same != tc.sameAsEcho {
			t.Errorf("%s: id %q, echo's %q: same %v, want %v", tc.name, got.ID, first.ID, same, tc.sameAsEcho)
		}
		if !got.OccurredAt.Equal(tc.wantOccurred) {
			t.Errorf("%s: occurred at %s, want %s", tc.name, got.OccurredAt, tc.wantOccurred)
		}
	}
}

// TestWebhookBodyIsTheCustomer: the emulator posts what Help Scout posts,
// the v2 Customer object, for an agent's edit and for an API write.
func TestWebhookBodyIsTheCustomer(t *testing.T) {
	got := make(chan map[string]any, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		body["event"] = r.Header.Get("X-HelpScout-Event")
		got <- body
	}))
	t.Cleanup(hook.Close)
	emu, url := startEmulator(t, helpscouttest.Options{})
	emu.SetWebhookURL(hook.URL)
	id := emu.Seed(1)[0]
	if err := emu.UpdateCustomer(id, map[string]any{"firstName": "Agent"}); err != nil {
		t.Fatal(err)
	}
	w := newConnector(t, url, nil).(connectors.Writer)
	if _, err := w.Upsert(context.Background(), "customer", id, map[string]any{"firstName": "Pushed"}); err != nil {
		t.Fatal(err)
	}
	// Deliveries are sent asynchronously, as Help Scout's are: they may
	// arrive in either order.
	names := map[any]bool{}
	for range 2 {
		select {
		case b := <-got:
			if b["event"] != "customer.updated" || b["updatedAt"] == nil || b["_embedded"] == nil {
				t.Errorf("delivery %v, want customer.updated with the whole customer", b)
			}
			names[b["firstName"]] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("deliveries so far %v, want Agent and Pushed", names)
		}
	}
	if !names["Agent"] || !names["Pushed"] {
		t.Errorf("deliveries named %v, want one named Agent and one Pushed", names)
	}
}

// Many workers against a small window: the shared pacer keeps 429s to a
// handful and every write lands.
func TestRateLimitUnderConcurrency(t *testing.T) {
	emu, url := startEmulator(t, helpscouttest.Options{RateLimit: 100, RateWindow: 2 * time.Second})
	w := newConnector(t, url, map[string]any{"rate_per_minute": 100, "rate_window": "2s"}).(connectors.Writer)
	ids := emu.Seed(20)
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.Upsert(context.Background(), "customer", ids[i%len(ids)], map[string]any{"firstName": fmt.Sprint("n", i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := emu.Stats().TooMany; n > 5 {
		t.Errorf("%d 429s, want a handful", n)
	}
}

func TestMapping(t *testing.T) {
	reg, _ := connectors.Lookup(helpscout.Type)
	m, err := mappings.Compile("helpscout/mapping.yaml", reg.Mapping, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	rec := connectortest.FixtureJSON(t, "customer.json")
	doc, err := m.Inbound("customer", rec)
	if err != nil {
		t.Fatal(err)
	}
	want := mappings.Doc{"email": "vbear@example.com", "first_name": "Vernon", "last_name": "Bear", "company": "Acme GmbH", "phone": "+49301234567"}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("inbound customer (-want +got):\n%s", diff)
	}
	out, err := m.Outbound("customer", mappings.Doc{"email": "a@b.de", "first_name": "A", "phone": "+4930111",
		"billing_address": map[string]any{"street": "S 1", "zip": "1", "city": "C", "country": "DE"},
		"_hub": map[string]any{"shops": []any{"shop-a", "shop-b"}, "open_tickets": 1, "customer_since": "2025-01-01",
			"order_count": 2, "total_spent": "130.50", "average_order_value": "65.25", "currency": "EUR",
			"first_order_date": "2025-02-01", "last_order_date": "2025-03-05"}})
	if err != nil {
		t.Fatal(err)
	}
	wantOut := map[string]any{"firstName": "A", "emails": []any{"a@b.de"}, "phones": []any{"+4930111"},
		"address": map[string]any{"lines": []any{"S 1"}, "city": "C", "state": "", "postalCode": "1", "country": "DE"},
		"properties": map[string]any{"shops": "shop-a, shop-b", "open-tickets": 1, "customer-since": "2025-01-01",
			"order-count": 2, "total-spent": "130.50 EUR", "last-order": "2025-03-05"}}
	if diff := cmp.Diff(wantOut, out); diff != "" {
		t.Errorf("outbound (-want +got):\n%s", diff)
	}
	// Without orders, total spent and last order render "", which removes
	// the properties a former order set.
	out, err = m.Outbound("customer", mappings.Doc{"email": "a@b.de", "_hub": map[string]any{"shops": []any{}, "open_tickets": 0,
		"customer_since": "2025-01-01", "order_count": 0, "total_spent": "0.00", "average_order_value": "0.00", "currency": "",
		"first_order_date": "", "last_order_date": ""}})
	if err != nil {
		t.Fatal(err)
	}
	wantProps := map[string]any{"shops": "", "open-tickets": 0, "customer-since": "2025-01-01", "order-count": 0, "total-spent": "", "last-order": ""}
	if diff := cmp.Diff(wantProps, out["properties"]); diff != "" {
		t.Errorf("properties without orders (-want +got):\n%s", diff)
	}
	tdoc, err := m.Inbound("ticket", connectortest.FixtureJSON(t, "conversation.json"))
	if err != nil {
		t.Fatal(err)
	}
	tdoc, err = mappings.NormalizeTicket(tdoc)
	if err != nil {
		t.Fatal(err)
	}
	wantT := mappings.Doc{"subject": "Where is my parcel?", "status": "pending", "channel": "email", "mailbox": "1", "number": "1001",
		"tags": []string{"VIP", "shipping"}, "threads": 3, "customer_ref": "100001", "customer_email": "vbear@example.com",
		"opened_at": "2025-03-04T10:00:00Z", "updated_at": "2025-03-04T11:30:00Z", "closed_at": ""}
	if diff := cmp.Diff(wantT, tdoc); diff != "" {
		t.Errorf("inbound ticket (-want +got):\n%s", diff)
	}
}

func TestBadCredentialsArePermanent(t *testing.T) {
	_, url := startEmulator(t, helpscouttest.Options{ClientSecret: "other"})
	f := newConnector(t, url, nil).(connectors.Fetcher)
	_, err := f.Fetch(context.Background(), "customer", "1")
	var herr *connectors.HTTPError
	if !errors.As(err, &herr) || herr.Status != http.StatusUnauthorized {
		t.Fatalf("fetch with wrong credentials: got %v, want the token endpoint's 401", err)
	}
}

// TestUpdateRefusesAChangedCustomer: the pipeline sends Help Scout whole
// payloads and Help Scout has no conditional write, so Update compares the
// read it makes anyway with the pipeline's: an agent's edit since (of the
// name the push writes, of another, of a phone) makes it write nothing and
// answer ErrChanged, so the pipeline merges that edit first.
func TestUpdateRefusesAChangedCustomer(t *testing.T) {
	cases := []struct {
		name  string
		agent func(emu *helpscouttest.Emulator, id string) error // between read and Update; nil: none
		want  error
	}{
		{"unchanged since the read: written", nil, nil},
		{"agent changed the pushed name", func(emu *helpscouttest.Emulator, id string) error {
			return emu.UpdateCustomer(id, map[string]any{"firstName": "Agent"})
		}, connectors.ErrChanged},
		{"agent changed another field", func(emu *helpscouttest.Emulator, id string) error {
			return emu.UpdateCustomer(id, map[string]any{"jobTitle": "Buyer"})
		}, connectors.ErrChanged},
		{"agent changed a phone", func(emu *helpscouttest.Emulator, id string) error {
			return emu.SetPhone(id, "+4940123456")
		}, connectors.ErrChanged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, url := startEmulator(t, helpscouttest.Options{})
			id := emu.Seed(1)[0]
			conn := newConnector(t, url, nil)
			read, err := conn.(connectors.Fetcher).Fetch(context.Background(), "customer", id)
			if err != nil {
				t.Fatal(err)
			}
			if tc.agent != nil {
				if err := tc.agent(emu, id); err != nil {
					t.Fatal(err)
				}
			}
			edited, _ := emu.Customer(id)
			_, err = conn.(connectors.Updater).Update(context.Background(), "customer", read, map[string]any{"firstName": "Pushed", "lastName": edited["lastName"]})
			after, _ := emu.Customer(id)
			if tc.want == nil {
				if err != nil || after["firstName"] != "Pushed" {
					t.Fatalf("Update: %v, firstName %v, want Pushed", err, after["firstName"])
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Update: %v, want %v", err, tc.want)
			}
			if d := cmp.Diff(edited, after); d != "" {
				t.Errorf("customer written although it changed since the read (-agent +after):\n%s", d)
			}
		})
	}
}

// TestUpdatePaysCheckAndWritesTogether: Update pays the rate-limit units of
// its check and of every write after it (main fields, phone, email,
// address, properties) before the check, so no pacing wait opens between
// the check and a write, where an agent's edit would be overwritten
// unseen. Told here without a clock: at a rate of a few units an hour, a
// wait cannot end within the test's context, so an Update that cannot pay
// for everything at once must fail before its first request; one that can
// makes every write.
func TestUpdatePaysCheckAndWritesTogether(t *testing.T) {
	// 70 units an hour, 90% of it used: a bucket of 6 units refilled at 63
	// an hour.
	settings := map[string]any{"rate_per_minute": 70, "rate_window": "1h"}
	payload := func(c map[string]any) map[string]any {
		return map[string]any{"firstName": "Pushed", "lastName": c["lastName"], "phones": []any{"+4940999888"}}
	}
	for _, tc := range []struct {
		name   string
		drain  int // reads made before the pipeline's read
		writes bool
	}{
		{"check and both writes paid at once", 0, true},
		{"a unit short: nothing sent", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu, url := startEmulator(t, helpscouttest.Options{})
			id := emu.Seed(1)[0]
			if err := emu.SetPhone(id, "+4940111222"); err != nil {
				t.Fatal(err)
			}
			conn := newConnector(t, url, settings)
			f := conn.(connectors.Fetcher)
			for range tc.drain {
				if _, err := f.Fetch(context.Background(), "customer", id); err != nil {
					t.Fatal(err)
				}
			}
			read, err := f.Fetch(context.Background(), "customer", id) // 1 unit; the check and two writes cost 5
			if err != nil {
				t.Fatal(err)
			}
			before, _ := emu.Customer(id)
			n := emu.Stats().Requests
			// A hang guard: a wait the rate cannot end within it fails at once.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err = conn.(connectors.Updater).Update(ctx, "customer", read, payload(before))
			after, _ := emu.Customer(id)
			sent := emu.Stats().Requests - n
			if !tc.writes {
				if err == nil || sent != 0 {
					t.Fatalf("Update: %v after %d requests, want a rate-limit error before any request", err, sent)
				}
				if d := cmp.Diff(before, after); d != "" {
					t.Errorf("customer written (-before +after):\n%s", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if sent != 3 || after["firstName"] != "Pushed" {
				t.Errorf("%d requests (want the check, the name's PUT and the phone's), firstName %v", sent, after["firstName"])
			}
		})
	}
}

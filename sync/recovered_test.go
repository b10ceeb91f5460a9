package sync

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// TestRecoveredEditKeepsItsOwnTime: a Help Scout agent renames Anna to
// Hanna while our push of Anna is on its way; the write lands over the
// edit, and the webhook's body (the snapshot) alone still shows Hanna.
// The webhook's ingest waits for the record's lock, and meanwhile a
// Shopware admin renames the customer Sanne, which is merged and pushed
// to Help Scout. When the ingest fetches at last, Help Scout holds
// Sanne, what we last pushed, and the snapshot a value the hub never
// held: Hanna is recovered (recoverOverwritten). It is an edit of its
// own time, no later than the webhook's arrival: it takes back our write
// of the older Anna, but not the later Sanne. Stamped as of the last
// push, it was newer than Sanne and reverted her in the hub and every
// system (convergence seed 6 at 20 edits). A snapshot whose own stamp is
// older than the hub's value (Magento keeps updated_at on an
// address-only save) is still ordered by the webhook's arrival.
func TestRecoveredEditKeepsItsOwnTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		// later: a Shopware edit merged and pushed to Help Scout after
		// the webhook arrived, before its ingest ran.
		later string
		// staleStamp: the snapshot's stamp is older than the hub's Anna.
		staleStamp bool
		want       string
	}{
		{name: "overwritten by our push, nothing since", want: "Hanna"},
		{name: "the snapshot's stamp older than the hub's value", staleStamp: true, want: "Hanna"},
		{name: "a later edit elsewhere pushed there meanwhile", later: "Sanne", want: "Sanne"},
	} {
		for _, st := range hubtest.Stores(t) {
			t.Run(tc.name+"/"+st.Name, func(t *testing.T) {
				ctx := context.Background()
				s := st.Store
				rdb, _ := redistest.Client(t)
				m := firstNameMapping(t, "helpscout")
				now := time.Now()
				hs := &erpRecord{first: "Anna", at: now.Add(-time.Hour)}
				tp := &Touchpoint{Name: "helpscout", Conn: hs, Mapping: m}
				h := &Handlers{Store: s, Queue: NewQueue(rdb), Log: slog.New(slog.DiscardHandler), MaxRetry: 3,
					Points: &Touchpoints{byName: map[string]*Touchpoint{"helpscout": tp}, names: []string{"helpscout"}}}
				doc := func(first string) map[string]any {
					return map[string]any{"email": "held@example.com", "first_name": first}
				}
				merge := func(instance, id, first string, at time.Time) hub.Result {
					t.Helper()
					r, err := s.MergeCustomer(ctx, hub.Inbound{Instance: instance, Resource: "customer", ExternalID: id,
						EventID: first, SourceAt: at, Doc: doc(first)}, hub.Policy{})
					if err != nil {
						t.Fatal(err)
					}
					return r
				}
				a := merge("shopify", "S1", "Anna", now.Add(-2*time.Minute))

				// The agent saves Hanna; the webhook arrives at once, its
				// ingest waits for the record, which our push of Anna holds
				// (its write lands over Hanna, then it is recorded).
				edited := now.Add(-time.Minute)
				stamp := edited.Truncate(time.Second)
				if tc.staleStamp {
					stamp = now.Add(-3 * time.Minute).Truncate(time.Second)
				}
				snap, err := json.Marshal(map[string]any{"email": "held@example.com", "first": "Hanna"})
				if err != nil {
					t.Fatal(err)
				}
				task, err := NewIngestTask(IngestPayload{Instance: "helpscout", Resource: "customer", ExternalID: "E1",
					EventID: "customer.updated:E1:hanna", SourceAt: stamp, ReceivedAt: edited.Add(300 * time.Millisecond),
					Snapshot: snap}, 3)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Pushed(ctx, a.CustomerID, "helpscout", "customer", "E1", "h1", a.Version, doc("Anna")); err != nil {
					t.Fatal(err)
				}
				hs.mu.Lock()
				hs.first, hs.at = "Anna", time.Now()
				hs.mu.Unlock()
				if tc.later != "" {
					b := merge("shopware", "W1", tc.later, now.Add(-30*time.Second))
					if _, err := s.Pushed(ctx, b.CustomerID, "helpscout", "customer", "E1", "h2", b.Version, doc(tc.later)); err != nil {
						t.Fatal(err)
					}
					hs.mu.Lock()
					hs.first, hs.at = tc.later, time.Now()
					hs.mu.Unlock()
				}

				if err := h.Ingest(ctx, task); err != nil {
					t.Fatal(err)
				}
				_, got, err := s.Customer(ctx, a.CustomerID)
				if err != nil {
					t.Fatal(err)
				}
				if got["first_name"] != tc.want {
					t.Fatalf("first name %v after the webhook's ingest, want %s", got["first_name"], tc.want)
				}
			})
		}
	}
}

package sync

import (
	"context"
	"encoding/json"
	"log/slog"
	gosync "sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// shopRecord is a shop holding one customer, read by Fetch and written by
// Upsert. onFetch runs once, inside the first read (what happens in the
// hub while the push reads).
type shopRecord struct {
	mu      gosync.Mutex
	first   string
	at      time.Time
	onFetch func()
	writes  []map[string]any
}

func (s *shopRecord) Type() string { return "shop" }
func (s *shopRecord) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Patch: true}
}
func (s *shopRecord) Connect(context.Context) error { return nil }
func (s *shopRecord) Close() error                  { return nil }
func (s *shopRecord) Delete(context.Context, string, string) error {
	return nil
}
func (s *shopRecord) record() *connectors.Record {
	return &connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: "S1", UpdatedAt: s.at,
		Data: map[string]any{"email": "moved@example.com", "first": s.first}}
}
func (s *shopRecord) Fetch(context.Context, string, string) (*connectors.Record, error) {
	if f := s.onFetch; f != nil {
		s.onFetch = nil
		f()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.record(), nil
}
func (s *shopRecord) Upsert(_ context.Context, _, _ string, payload map[string]any) (*connectors.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, payload)
	if v, ok := payload["first"].(string); ok {
		s.first, s.at = v, time.Now()
	}
	return s.record(), nil
}

// TestPushRendersTheHubItReadAfter: a push of the hub's version with the
// shop's first edit (Eins) reads the shop, which holds its second edit
// (Zwei) — and that edit's webhook was merged while the push read, so the
// shop holds exactly its last record and the read merges nothing. The
// write must be rendered from the hub as it is after the read (Zwei:
// nothing to write), not from the customer read before it: that wrote
// Eins over the shop's newer Zwei, and the echo of that write, merged
// before the push was recorded, won as the newest edit everywhere
// (TestTwoEditsWithinASecondKeepTheirOrder under load).
func TestPushRendersTheHubItReadAfter(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			s := st.Store
			rdb, _ := redistest.Client(t)
			m := firstNameMapping(t, "shop")
			start := time.Now().Add(-time.Minute)
			shop := &shopRecord{first: "Erst", at: start}
			tp := &Touchpoint{Name: "shop", Conn: shop, Mapping: m}
			h := &Handlers{Store: s, Queue: NewQueue(rdb), Log: slog.New(slog.DiscardHandler), MaxRetry: 3,
				Points: &Touchpoints{byName: map[string]*Touchpoint{"shop": tp}, names: []string{"shop"}}}
			merge := func(in hub.Inbound) hub.Result {
				t.Helper()
				r, err := s.MergeCustomer(ctx, in, hub.Policy{})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			webhook := func(first string, at time.Time) hub.Result {
				return merge(hub.Inbound{Instance: "shop", Resource: "customer", ExternalID: "S1", EventID: first, SourceAt: at,
					Doc: map[string]any{"email": "moved@example.com", "first_name": first}})
			}
			a := webhook("Erst", start)
			if _, err := s.Pushed(ctx, a.CustomerID, "shop", "customer", "S1", "h1", a.Version,
				map[string]any{"email": "moved@example.com", "first_name": "Erst"}); err != nil {
				t.Fatal(err)
			}
			// The shop's first edit, then a change from elsewhere (a phone
			// the shop does not hold): the version pushed to the shop.
			webhook("Eins", start.Add(10*time.Second))
			shop.first, shop.at = "Eins", start.Add(10*time.Second)
			v := merge(hub.Inbound{Instance: "crm", Resource: "customer", ExternalID: "C1", EventID: "phone", SourceAt: start.Add(11 * time.Second),
				Doc: map[string]any{"email": "moved@example.com", "phone": "+4930123456"}})
			// The shop's second edit; its webhook is merged while the push
			// reads the shop.
			shop.first, shop.at = "Zwei", start.Add(12*time.Second)
			shop.onFetch = func() { webhook("Zwei", start.Add(12*time.Second)) }

			b, _ := json.Marshal(PushPayload{Instance: "shop", Resource: "customer", CustomerID: v.CustomerID, Version: v.Version})
			if err := h.Push(ctx, asynq.NewTask(TypePush, b)); err != nil {
				t.Fatal(err)
			}
			if len(shop.writes) > 0 || shop.first != "Zwei" {
				t.Errorf("the push wrote %v: the shop holds %s, want Zwei and no write (the hub's value after the read)", shop.writes, shop.first)
			}
			_, doc, err := s.Customer(ctx, v.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			if doc["first_name"] != "Zwei" {
				t.Errorf("hub first name %v, want Zwei", doc["first_name"])
			}
		})
	}
}

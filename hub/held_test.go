package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// TestHeldBefore: the change log tells a value the hub held for a path
// (created with, replaced, taken, refused) from one it never saw.
func TestHeldBefore(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			addr := func(city string) map[string]any { return map[string]any{"city": city, "country": "DE"} }
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "held@example.com", "first_name": "Anna",
				"billing_address": addr("Kiel")}))
			mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0.Add(time.Minute), map[string]any{"email": "held@example.com", "first_name": "Anne",
				"billing_address": addr("Ulm")}))
			mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0.Add(2*time.Minute), map[string]any{"email": "held@example.com", "first_name": "Anja",
				"billing_address": addr("Ulm")}))
			for _, tc := range []struct {
				path  string
				value any
				want  bool
			}{
				{"first_name", "Anna", true}, // created with
				{"first_name", "Anne", true}, // replaced
				{"first_name", "Anja", true}, // holds
				{"first_name", "Annika", false},
				{"billing_address.city", "Kiel", true},
				{"billing_address.city", "Ulm", true},
				{"billing_address.city", "Bonn", false},
				{"last_name", "Anna", false},
			} {
				got, err := s.HeldBefore(ctx, a.CustomerID, tc.path, tc.value)
				if err != nil || got != tc.want {
					t.Errorf("HeldBefore(%s, %v) = %v, %v; want %v", tc.path, tc.value, got, err, tc.want)
				}
			}
		})
	}
}

// TestReadBeforePushIsNoEdit: a poll lists the helpdesk's record holding
// our previous push (Anna), then our push of the newer edit (Anne) is
// recorded, then the listing merges. Read before that push, the record is
// an older state of the source, not an edit, however late its stamp: the
// hub keeps Anne and the source gets it again. Read after, it would be an
// edit (TestReadAfterPushIsAnEdit).
func TestReadBeforePushIsNoEdit(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "before@example.com", "first_name": "Anna"}))
			if _, err := s.Pushed(ctx, a.CustomerID, "erp", "customer", "E1", "h1", 1, map[string]any{"email": "before@example.com", "first_name": "Anna"}); err != nil {
				t.Fatal(err)
			}
			mustMerge(t, s, hub.Policy{}, in("shopify", "1", time.Now().Add(-time.Second), map[string]any{"email": "before@example.com", "first_name": "Anne"}))
			readAt := time.Now()
			time.Sleep(10 * time.Millisecond)
			if _, err := s.Pushed(ctx, a.CustomerID, "erp", "customer", "E1", "h2", 2, map[string]any{"email": "before@example.com", "first_name": "Anne"}); err != nil {
				t.Fatal(err)
			}
			listed := in("erp", "E1", readAt, map[string]any{"email": "before@example.com", "first_name": "Anna"})
			listed.ReadAt = readAt
			r := mustMerge(t, s, hub.Policy{}, listed)
			got, _ := profile(t, s, a.CustomerID)
			if got["first_name"] != "Anne" || len(r.Changed) != 0 || !r.OriginStale {
				t.Fatalf("first_name %v (changed %v, origin stale %v): a record read before our push reverted the edit it carried", got["first_name"], r.Changed, r.OriginStale)
			}
			// An ERP user's edit listed before our push landed (Annika) is
			// passed over too, but is no baseline: read again after the
			// push (the stale push's read-before-write), it is an edit.
			edit := in("erp", "E1", readAt, map[string]any{"email": "before@example.com", "first_name": "Annika"})
			edit.ReadAt = readAt
			mustMerge(t, s, hub.Policy{}, edit)
			again := in("erp", "E1", time.Now(), map[string]any{"email": "before@example.com", "first_name": "Annika"})
			again.ReadAt = time.Now()
			mustMerge(t, s, hub.Policy{}, again)
			if got, _ := profile(t, s, a.CustomerID); got["first_name"] != "Annika" {
				t.Errorf("first_name %v: the edit read again after our push was lost (the early read became its baseline)", got["first_name"])
			}
		})
	}
}

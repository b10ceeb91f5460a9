package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// TestHeldBefore: the change log tells a value the hub held for a path
// (created with, replaced, taken, refused) from one it never saw.
func TestHeldBefore(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// TestChangedBackAfterPushIsAnEdit: the ERP holds city Kiel (its last
// record, the link's baseline), our push writes Ulm there, and a user sets
// Kiel again before any poll saw Ulm. A record read after the push landed
// holds Kiel: somebody wrote it back after our write, an edit the hub
// takes (before, "unchanged at the source" kept Ulm in the hub and every
// shop, and the ERP alone held Kiel). The same for a top-level field. A
// record not read after the push (a webhook body, a listing read before
// the push was recorded) may be the state before our write and asserts
// nothing; neither does a field the push did not change.
func TestChangedBackAfterPushIsAnEdit(t *testing.T) {
	cases := []struct {
		name     string
		read     time.Duration // ReadAt: the push's record plus read
		noRead   bool          // a webhook body
		hubAfter bool          // the hub's city moved on after the push
		want     string        // the hub's city and first name afterwards
	}{
		{name: "read after the push: an edit", read: time.Millisecond, want: "Kiel/Anna"},
		{name: "a webhook body: maybe the state before our write", noRead: true, want: "Ulm/Anne"},
		{name: "read before the push was recorded", read: -time.Millisecond, want: "Ulm/Anne"},
		// The push wrote Ulm and Anne; the hub has moved to Jena since
		// (not pushed yet). Kiel read after the push is still an edit, as
		// new as the push: newer than Jena's edit stamped before it.
		{name: "the hub moved on before the read", read: time.Millisecond, hubAfter: true, want: "Kiel/Anna"},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					email := fmt.Sprintf("back%d@example.com", i)
					sf, erp := fmt.Sprint("S", i), fmt.Sprint("E", i)
					addr := func(city string) map[string]any { return map[string]any{"zip": "24103", "city": city, "country": "DE"} }
					doc := func(first, city string) map[string]any {
						return map[string]any{"email": email, "first_name": first, "billing_address": addr(city)}
					}
					created := time.Now().Add(-time.Minute)
					a := mustMerge(t, s, hub.Policy{}, in("shopify", sf, created, doc("Anna", "Kiel")))
					push := func(hash string, d map[string]any) time.Time {
						t.Helper()
						return recordPush(t, s, a.CustomerID, "erp", erp, hash, d)
					}
					read := func(first, city string, readAt time.Time) hub.Result {
						t.Helper()
						x := in("erp", erp, time.Now(), doc(first, city))
						x.EventID = fmt.Sprint(x.EventID, city, readAt.IsZero())
						x.ReadAt = readAt
						return mustMerge(t, s, hub.Policy{}, x)
					}
					push("h1", doc("Anna", "Kiel"))
					read("Anna", "Kiel", time.Now()) // the echo: the baseline
					mustMerge(t, s, hub.Policy{}, in("shopify", sf, created.Add(10*time.Second), doc("Anne", "Ulm")))
					pushedAt := push("h2", doc("Anne", "Ulm"))
					if c.hubAfter {
						mustMerge(t, s, hub.Policy{}, in("shopify", sf, created.Add(20*time.Second), doc("Anne", "Jena")))
					}
					var readAt time.Time
					if !c.noRead {
						readAt = pushedAt.Add(c.read)
					}
					r := read("Anna", "Kiel", readAt)
					got, _ := profile(t, s, a.CustomerID)
					city := got["billing_address"].(map[string]any)["city"]
					if fmt.Sprint(city, "/", got["first_name"]) != c.want {
						t.Fatalf("hub holds %v/%v, want %s (changed %v)", city, got["first_name"], c.want, r.Changed)
					}
					if c.want != "Kiel/Anna" {
						return
					}
					// The ERP gets the hub's values again (it holds them:
					// that push writes nothing). The record, now the
					// source's last one and newer than the push, listed
					// again is a duplicate, in the merge and in its cheap
					// copies: not weighed anew against the push it answered.
					if !r.OriginStale {
						t.Errorf("the ERP is not pushed the hub's values after its edit back")
					}
					again := in("erp", erp, time.Now(), doc("Anna", "Kiel"))
					again.ReadAt = time.Now()
					said, err := s.SaidBefore(ctx, again)
					if err != nil {
						t.Fatal(err)
					}
					applied, err := s.Applied(ctx, "erp", "customer", []hub.Inbound{again})
					if err != nil {
						t.Fatal(err)
					}
					again.EventID += "again"
					if r := mustMerge(t, s, hub.Policy{}, again); !r.Duplicate || !said || !applied[0] {
						t.Errorf("listed again: duplicate %v, SaidBefore %v, Applied %v; want all true", r.Duplicate, said, applied[0])
					}
				})
			}
		})
	}
}

// TestTakenValueReadAgainIsNoSetBack: our push writes Ulm to Magento, an
// admin sets Bonn there, an address-only save that leaves the record's
// stamp at the customer's creation, before the push; the hub takes Bonn
// (read after the push); another shop sets Ulm again. The push of Ulm
// reads Bonn at Magento: the value the hub took and that shop replaced,
// not one written back over our Ulm, however old its stamp. The hub keeps
// Ulm, and the merge and its cheap copies call the record a duplicate.
// Before, the stamp made the taken Bonn look older than our push, and
// Bonn read again after it passed for a revert and won over the newer
// Ulm (changedBack).
//
// Read in our push's own millisecond, the record (refused as older than
// Ulm) counts as read before it: Bonn read again after the push was
// written back over our Ulm, an edit the hub takes.
func TestTakenValueReadAgainIsNoSetBack(t *testing.T) {
	cases := []struct {
		name     string
		baseRead time.Duration // the admin's Bonn record's ReadAt: our Ulm push's record plus this
		want     string        // the hub's city at the end
	}{
		{name: "read after our push", baseRead: 2 * time.Millisecond, want: "Ulm"},
		{name: "read in our push's millisecond", want: "Bonn"},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					email := fmt.Sprintf("taken%d@example.com", i)
					sf, sw, mage := fmt.Sprint("S", i), fmt.Sprint("W", i), fmt.Sprint("M", i)
					doc := func(city string) map[string]any {
						return map[string]any{"email": email, "billing_address": map[string]any{"zip": "24103", "city": city, "country": "DE"}}
					}
					created := time.Now().Add(-time.Minute) // Magento's stamp throughout
					a := mustMerge(t, s, hub.Policy{}, in("shopify", sf, created, doc("Kiel")))
					push := func(hash string, d map[string]any) time.Time {
						t.Helper()
						return recordPush(t, s, a.CustomerID, "magento", mage, hash, d)
					}
					read := func(city string, readAt time.Time) hub.Inbound {
						x := in("magento", mage, created, doc(city))
						x.EventID = fmt.Sprint(x.EventID, city, readAt.UnixNano())
						x.ReadAt = readAt
						return x
					}
					push("h1", doc("Kiel"))
					mustMerge(t, s, hub.Policy{}, read("Kiel", time.Now())) // the echo: the baseline
					mustMerge(t, s, hub.Policy{}, in("shopify", sf, created.Add(10*time.Second), doc("Ulm")))
					pushedAt := push("h2", doc("Ulm"))
					mustMerge(t, s, hub.Policy{}, read("Bonn", pushedAt.Add(c.baseRead)))
					mustMerge(t, s, hub.Policy{}, in("shopware", sw, time.Now(), doc("Ulm")))
					time.Sleep(5 * time.Millisecond)

					again := read("Bonn", time.Now())
					said, err := s.SaidBefore(ctx, again)
					if err != nil {
						t.Fatal(err)
					}
					applied, err := s.Applied(ctx, "magento", "customer", []hub.Inbound{again})
					if err != nil {
						t.Fatal(err)
					}
					r := mustMerge(t, s, hub.Policy{}, again)
					got, _ := profile(t, s, a.CustomerID)
					if city := got["billing_address"].(map[string]any)["city"]; city != c.want {
						t.Fatalf("hub holds %v, want %s (changed %v)", city, c.want, r.Changed)
					}
					if dup := c.want == "Ulm"; r.Duplicate != dup || said != dup || applied[0] != dup {
						t.Errorf("Bonn read again: duplicate %v, SaidBefore %v, Applied %v; want all %v", r.Duplicate, said, applied[0], dup)
					}
				})
			}
		})
	}
}

// recordPush records a push of d (version 1) to instance's customer
// record ext and returns its time as the link keeps it.
func recordPush(t *testing.T, s *hub.Store, customerID uint64, instance, ext, hash string, d map[string]any) time.Time {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Pushed(ctx, customerID, instance, "customer", ext, hash, 1, d); err != nil {
		t.Fatal(err)
	}
	l, err := s.Link(ctx, customerID, instance, "customer")
	if err != nil {
		t.Fatal(err)
	}
	return *l.LastPushedAt
}

package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// PushedLinked records many pushes to linked records in one go and
// answers for each what Pushed would: recorded and not overtaken,
// recorded and overtaken (the hub moved on), or not recorded, for Pushed
// to decide (a newer version recorded first, a record linked to someone
// else).
func TestPushedLinkedAnswersAsPushed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		before      []int64 // versions recorded first, for the customer at version 1
		edits       int     // merges that move the customer on before the push
		version     int64
		other       bool // the link names another customer
		written     bool
		overtaken   bool
		wantVersion int64 // the link's last pushed version after
	}{
		{name: "a later push of a linked record", before: []int64{1}, edits: 1, version: 2, written: true, wantVersion: 2},
		{name: "the same version again", before: []int64{1}, version: 1, written: true, wantVersion: 1},
		{name: "the hub moved on while it ran", before: []int64{1}, edits: 2, version: 2, written: true, overtaken: true, wantVersion: 2},
		{name: "a newer push was recorded first", before: []int64{1, 3}, edits: 2, version: 2, wantVersion: 3},
		{name: "the link is someone else's", before: []int64{1}, other: true, version: 1, wantVersion: 1},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			recs := make([]hub.LinkedPush, len(cases))
			for i, c := range cases {
				email := fmt.Sprintf("linked%d@example.com", i)
				src := fmt.Sprint("L", i)
				a := mustMerge(t, s, hub.Policy{}, in("shop", src, t0, map[string]any{"email": email, "first_name": "Anna"}))
				ext := fmt.Sprint("T", i)
				for _, v := range c.before {
					if _, err := s.Pushed(ctx, a.CustomerID, "target", "customer", ext, "h", v, nil); err != nil {
						t.Fatal(err)
					}
				}
				for e := 1; e <= c.edits; e++ {
					mustMerge(t, s, hub.Policy{}, in("shop", src, t0.Add(time.Duration(e)*time.Minute), map[string]any{"email": email, "first_name": fmt.Sprint("Anna", e)}))
				}
				l, err := s.Link(ctx, a.CustomerID, "target", "customer")
				if err != nil {
					t.Fatal(err)
				}
				cust := a.CustomerID
				if c.other {
					cust = mustMerge(t, s, hub.Policy{}, in("shop", src+"b", t0, map[string]any{"email": "b" + email})).CustomerID
				}
				recs[i] = hub.LinkedPush{LinkID: l.ID, CustomerID: cust, ExternalID: ext, Hash: "h2", Version: c.version,
					Pushed: map[string]any{"first_name": "Anna"}}
			}
			written, overtaken, errs, err := s.PushedLinked(ctx, recs)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cases {
				if written[i] != c.written || overtaken[i] != c.overtaken || errs[i] != nil {
					t.Errorf("%s: written %v overtaken %v err %v, want %v %v nil", c.name, written[i], overtaken[i], errs[i], c.written, c.overtaken)
				}
				var l hub.Link
				if err := s.DB().Where("id = ?", recs[i].LinkID).Take(&l).Error; err != nil {
					t.Fatal(err)
				}
				if l.LastPushedVersion != c.wantVersion {
					t.Errorf("%s: link at pushed version %d, want %d", c.name, l.LastPushedVersion, c.wantVersion)
				}
				if c.written && (l.LastPushedHash != "h2" || l.LastPushedDoc == "" || l.LastPushedAt == nil) {
					t.Errorf("%s: link hash %q doc %q: the push was not recorded", c.name, l.LastPushedHash, l.LastPushedDoc)
				}
				if !c.written && l.LastPushedHash == "h2" {
					t.Errorf("%s: recorded, want it left to Pushed", c.name)
				}
			}
		})
	}
}

// CustomersForPush reads what Customer and LinksWaiting read, for many
// customers at once; a missing customer is missing from its answer.
func TestCustomersForPushReadsAsOne(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			var ids []uint64
			for i := range 3 {
				a := mustMerge(t, s, hub.Policy{}, in("shop", fmt.Sprint("F", i), t0, map[string]any{"email": fmt.Sprintf("front%d@example.com", i), "first_name": "Anna"}))
				ids = append(ids, a.CustomerID)
			}
			if _, err := s.Pushed(ctx, ids[0], "target", "customer", "T0", "h", 1, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.Wait(ctx, ids[0], "target", "customer", "no address"); err != nil {
				t.Fatal(err)
			}
			got, err := s.CustomersForPush(ctx, append(ids, 1<<40))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ids) {
				t.Fatalf("%d customers read, want %d (the missing one left out)", len(got), len(ids))
			}
			for _, id := range ids {
				c, doc, err := s.Customer(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				st := got[id]
				d, err := hub.DecodeDoc(st.Customer)
				if err != nil {
					t.Fatal(err)
				}
				if st.Customer.Version != c.Version || d["email"] != doc["email"] {
					t.Errorf("customer %d: version %d email %v, want %d %v", id, st.Customer.Version, d["email"], c.Version, doc["email"])
				}
				links, link, waiting, lerr := s.LinksWaiting(ctx, id, "target", "customer")
				plinks, plink, pwaiting, perr := st.Pick("target", "customer")
				if (lerr == nil) != (perr == nil) || len(links) != len(plinks) || waiting != pwaiting ||
					(link != nil) != (plink != nil) || (link != nil && link.ID != plink.ID) {
					t.Errorf("customer %d: Pick gives %d links, %v waiting %v (%v); LinksWaiting %d, %v waiting %v (%v)",
						id, len(plinks), plink, pwaiting, perr, len(links), link, waiting, lerr)
				}
			}
		})
	}
}

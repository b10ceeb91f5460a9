package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// SaidBefore answers yes only where a merge would be a duplicate: each
// case asks it, then merges the same record and compares.
func TestSaidBeforeIsTheMergesDuplicateRule(t *testing.T) {
	t.Parallel()
	doc := func(email, first string) map[string]any {
		return map[string]any{"email": email, "first_name": first,
			"billing_address": map[string]any{"city": "Berlin", "zip": "10115"}}
	}
	later := t0.Add(time.Minute)
	cases := []struct {
		name string
		// rec is the record asked about, of the record ext (email) whose
		// first version the hub merged at t0.
		rec   func(ext, email string) hub.Inbound
		setup func(t *testing.T, s *hub.Store, ext string)
		want  bool
	}{
		{name: "the same record again", want: true,
			rec: func(ext, email string) hub.Inbound { return in("shop", ext, later, doc(email, "Anna")) }},
		{name: "the same values built in another order", want: true,
			rec: func(ext, email string) hub.Inbound {
				return in("shop", ext, later, map[string]any{"billing_address": map[string]any{"zip": "10115", "city": "Berlin"},
					"first_name": "Anna", "email": email})
			}},
		{name: "a changed field",
			rec: func(ext, email string) hub.Inbound { return in("shop", ext, later, doc(email, "Anne")) }},
		{name: "a record the hub has no link to",
			rec: func(ext, email string) hub.Inbound { return in("shop", ext+"-other", later, doc(email, "Anna")) }},
		{name: "the same record id at another instance",
			rec: func(ext, email string) hub.Inbound { return in("erp", ext, later, doc(email, "Anna")) }},
		{name: "the same record, now unverified",
			rec: func(ext, email string) hub.Inbound {
				x := in("shop", ext, later, doc(email, "Anna"))
				x.Unverified = true
				return x
			}},
		{name: "the same record after the vendor deleted it",
			setup: func(t *testing.T, s *hub.Store, ext string) {
				if _, _, _, err := s.MarkDeleted(context.Background(), "shop", "customer", ext, t0.Add(30*time.Second), "test"); err != nil {
					t.Fatal(err)
				}
			},
			rec: func(ext, email string) hub.Inbound { return in("shop", ext, later, doc(email, "Anna")) }},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					ext, email := fmt.Sprint("S", i), fmt.Sprintf("said%d@example.com", i)
					mustMerge(t, s, hub.Policy{}, in("shop", ext, t0, doc(email, "Anna")))
					if c.setup != nil {
						c.setup(t, s, ext)
					}
					rec := c.rec(ext, email)
					got, err := s.SaidBefore(context.Background(), rec)
					if err != nil {
						t.Fatal(err)
					}
					if got != c.want {
						t.Errorf("SaidBefore = %v, want %v", got, c.want)
					}
					// SaidBeforeVersion answers the same, with the linked
					// customer's version read in the same statement.
					id, err := s.CustomerByRecord(context.Background(), "shop", "customer", ext)
					if err != nil {
						t.Fatal(err)
					}
					got2, v, err := s.SaidBeforeVersion(context.Background(), rec, id)
					if err != nil {
						t.Fatal(err)
					}
					want, err := s.CustomerVersion(context.Background(), id)
					if err != nil {
						t.Fatal(err)
					}
					if _, lerr := s.CustomerByRecord(context.Background(), rec.Instance, rec.Resource, rec.ExternalID); lerr != nil {
						want = 0 // no link of rec's: nothing read
					}
					if got2 != got || v != want {
						t.Errorf("SaidBeforeVersion = %v, version %d; want %v, %d", got2, v, got, want)
					}
					res := mustMerge(t, s, hub.Policy{}, rec)
					if got && (!res.Duplicate || len(res.Changed) > 0 || res.OutboxID != 0) {
						t.Errorf("SaidBefore said yes, but the merge was no duplicate: %+v", res)
					}
				})
			}
		})
	}
}

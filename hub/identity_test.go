package hub_test

import (
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// TestMatchKeys: a record without a link and without a known email finds
// its customer by the configured keys in order — phone, the ERP's
// customer number — and by nothing it is not configured for. A value two
// customers share matches neither.
func TestMatchKeys(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		keys  []string
		doc   map[string]any
		match bool
	}{
		{"email only: same phone is another person", nil, map[string]any{"email": "b@example.com", "phone": "+4930111"}, false},
		{"phone", []string{"email", "phone"}, map[string]any{"email": "b@example.com", "phone": "+4930111"}, true},
		{"phone, no email at all", []string{"email", "phone"}, map[string]any{"phone": "+4930111", "first_name": "Ann"}, true},
		{"customer number", []string{"email", "customer_number"}, map[string]any{"customer_number": "K-7", "last_name": "Erp"}, true},
		{"customer number not configured", []string{"email", "phone"}, map[string]any{"customer_number": "K-7"}, false},
		{"shared phone matches nobody", []string{"email", "phone"}, map[string]any{"phone": "+4930999"}, false},
	}
	for _, c := range cases {
		for _, st := range hubtest.Stores(t) {
			t.Run(st.Name+"/"+c.name, func(t *testing.T) {
				s := st.Store
				pol := hub.Policy{MatchKeys: c.keys}
				a := mustMerge(t, s, pol, in("shopify", "1", t0, map[string]any{"email": "a@example.com", "phone": "+4930111", "customer_number": "K-7"}))
				mustMerge(t, s, pol, in("shopify", "2", t0, map[string]any{"email": "x@example.com", "phone": "+4930999"}))
				mustMerge(t, s, pol, in("shopify", "3", t0, map[string]any{"email": "y@example.com", "phone": "+4930999"}))
				b := mustMerge(t, s, pol, in("erp", "9", t0.Add(time.Second), c.doc))
				if got := b.CustomerID == a.CustomerID; got != c.match {
					t.Errorf("record joined the first customer: %v, want %v", got, c.match)
				}
			})
		}
	}
}

// TestVendorDeletionOnTheLink: a deletion marks the link (first time and
// source kept) and logs a change; a version of the record from before the
// deletion merges nothing; a newer one (the vendor restored the record)
// links it again and logs the return.
func TestVendorDeletionOnTheLink(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := t.Context()
			a := mustMerge(t, s, hub.Policy{}, in("erp", "7", t0, map[string]any{"email": "del@example.com", "first_name": "Dora"}))
			if _, found, _, err := s.MarkDeleted(ctx, "erp", "customer", "nobody", t0, "webhook"); err != nil || found {
				t.Fatalf("unlinked record: found %v, err %v", found, err)
			}
			id, found, marked, err := s.MarkDeleted(ctx, "erp", "customer", "7", t0.Add(time.Minute), "poll: archived or deactivated")
			if err != nil || !found || !marked || id != a.CustomerID {
				t.Fatalf("MarkDeleted = %d %v %v %v", id, found, marked, err)
			}
			if _, _, marked, _ := s.MarkDeleted(ctx, "erp", "customer", "7", t0.Add(2*time.Minute), "webhook"); marked {
				t.Error("second deletion marked again")
			}
			l, err := s.Link(ctx, a.CustomerID, "erp", "customer")
			if err != nil || l.VendorDeletedAt == nil || !l.VendorDeletedAt.Equal(t0.Add(time.Minute)) || l.VendorDeletedBy != "poll: archived or deactivated" {
				t.Fatalf("link after deletion: %+v (%v)", l, err)
			}
			old := mustMerge(t, s, hub.Policy{}, in("erp", "7", t0.Add(30*time.Second), map[string]any{"email": "del@example.com", "first_name": "Old"}))
			if !old.VendorDeleted || len(old.Changed) > 0 {
				t.Errorf("version from before the deletion: %+v, want nothing merged", old)
			}
			back := mustMerge(t, s, hub.Policy{}, in("erp", "7", t0.Add(3*time.Minute), map[string]any{"email": "del@example.com", "first_name": "Dora"}))
			if back.VendorDeleted || back.CustomerID != a.CustomerID {
				t.Errorf("restored record: %+v", back)
			}
			if l, _ := s.Link(ctx, a.CustomerID, "erp", "customer"); l.VendorDeletedAt != nil {
				t.Errorf("restored record's link still deleted: %+v", l)
			}
			var rows []hub.Change
			s.DB().Where("customer_id = ? AND field = ?", a.CustomerID, hub.DeletedField).Order("id").Find(&rows)
			if len(rows) != 2 || rows[0].NewValue == "null" || rows[1].NewValue != "null" {
				t.Errorf("change log of the deletion and the return: %+v", rows)
			}
		})
	}
}

// TestEmailNameMatch: with email_name a record carrying a verified
// person's email but other names (folded: case, accents, whitespace; a
// missing name agrees) links to the person as unverified and changes
// nothing of them, while one with their names merges as an email match.
// A later version of the stranger's record stays unverified while its
// names differ. Plain email merges regardless of names.
func TestEmailNameMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		keys       []string
		doc        map[string]any
		unverified bool
	}{
		{"same names, folded", []string{"email_name"}, map[string]any{"first_name": " PAULA ", "last_name": "Pérson", "phone": "+4930222"}, false},
		{"no names", []string{"phone", "email_name"}, map[string]any{"phone": "+4930222"}, false},
		{"other names", []string{"email_name"}, map[string]any{"first_name": "Sam", "last_name": "Stranger", "phone": "+4930222"}, true},
		{"other last name", []string{"email_name", "email"}, map[string]any{"first_name": "Paula", "last_name": "Other", "phone": "+4930222"}, true},
		{"plain email ignores names", []string{"email"}, map[string]any{"first_name": "Sam", "last_name": "Stranger", "phone": "+4930222"}, false},
	}
	for _, c := range cases {
		for _, st := range hubtest.Stores(t) {
			t.Run(st.Name+"/"+c.name, func(t *testing.T) {
				s := st.Store
				pol := hub.Policy{MatchKeys: c.keys}
				person := map[string]any{"email": "paula@example.com", "first_name": "Paula", "last_name": "Person", "phone": "+4930111"}
				a := mustMerge(t, s, pol, in("shopware", "1", t0, person))
				doc := map[string]any{"email": "paula@example.com"}
				for k, v := range c.doc {
					doc[k] = v
				}
				b := mustMerge(t, s, pol, in("shopify", "7", t0.Add(time.Second), doc))
				if b.CustomerID != a.CustomerID {
					t.Fatalf("record made customer %d, want the person's %d", b.CustomerID, a.CustomerID)
				}
				link := func() hub.Link {
					var l hub.Link
					if err := s.DB().Where("instance = ? AND external_id = ?", "shopify", "7").Take(&l).Error; err != nil {
						t.Fatal(err)
					}
					return l
				}
				if l := link(); l.Unverified != c.unverified {
					t.Errorf("link unverified %v, want %v", l.Unverified, c.unverified)
				}
				data, _ := profile(t, s, a.CustomerID)
				wantPhone := "+4930222"
				if c.unverified {
					wantPhone = "+4930111"
					if data["first_name"] != "Paula" || data["last_name"] != "Person" {
						t.Errorf("stranger changed the person's name: %v %v", data["first_name"], data["last_name"])
					}
				}
				if data["phone"] != wantPhone {
					t.Errorf("phone %v, want %v", data["phone"], wantPhone)
				}
				if !c.unverified {
					return
				}
				// The stranger's next version, names still theirs: still
				// unverified, still nothing of the person changes.
				doc["phone"] = "+4930333"
				mustMerge(t, s, pol, in("shopify", "7", t0.Add(2*time.Second), doc))
				if l := link(); !l.Unverified {
					t.Error("stranger's link verified by a later version with other names")
				}
				if data, _ := profile(t, s, a.CustomerID); data["phone"] != "+4930111" {
					t.Errorf("later stranger version set phone %v", data["phone"])
				}
			})
		}
	}
}

// An account linked as unverified because it carried a known person's
// email (a sign-up with a typo) and later confirmed under another email is
// someone else: its record moves to that email's customer and leaves the
// first person's record as it was.
func TestUnverifiedLinkConfirmedUnderAnotherEmailMoves(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			a := mustMerge(t, s, hub.Policy{}, in("shopware", "1", t0, map[string]any{"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"}))
			typo := in("shopify", "9", t0.Add(time.Hour), map[string]any{"email": "ann@example.com", "first_name": "Bob", "last_name": "Kim"})
			typo.Unverified = true
			if r := mustMerge(t, s, hub.Policy{}, typo); r.CustomerID != a.CustomerID {
				t.Fatalf("the unverified sign-up: customer %d, want linked to Ann's %d", r.CustomerID, a.CustomerID)
			}
			r := mustMerge(t, s, hub.Policy{}, in("shopify", "9", t0.Add(2*time.Hour), map[string]any{"email": "bob@example.com", "first_name": "Bob", "last_name": "Kim"}))
			if r.CustomerID == a.CustomerID {
				t.Errorf("the confirmed record stayed with Ann's customer")
			}
			if data, _ := profile(t, s, a.CustomerID); data["email"] != "ann@example.com" || data["first_name"] != "Ann" {
				t.Errorf("Ann's record after Bob confirmed his own email: %v %v", data["email"], data["first_name"])
			}
			if data, _ := profile(t, s, r.CustomerID); data["email"] != "bob@example.com" || data["first_name"] != "Bob" || data["last_name"] != "Kim" {
				t.Errorf("Bob's record: %v", data)
			}
			if links, err := s.Links(t.Context(), a.CustomerID); err != nil || len(links) != 1 {
				t.Errorf("Ann's links %v (%v), want only her own", links, err)
			}
		})
	}
}

// Two customers' email changes in one batch, the first taking the email
// the second gives up: processed in that order, the first is refused (the
// email is still held), and the shop sending the same record again later
// has it taken. Remembered as said, the record was a duplicate and the
// change lost for good.
func TestEmailRefusedForAConflictIsTakenWhenSentAgain(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "A", t0, map[string]any{"email": "a@example.com", "first_name": "Ann"}))
			b := mustMerge(t, s, hub.Policy{}, in("shopify", "B", t0, map[string]any{"email": "b@example.com", "first_name": "Bea"}))
			ra := in("shopify", "A", t0.Add(time.Minute), map[string]any{"email": "b@example.com", "first_name": "Ann"})
			rb := in("shopify", "B", t0.Add(time.Minute), map[string]any{"email": "c@example.com", "first_name": "Bea"})
			res, err := s.MergeBatch(t.Context(), []hub.Inbound{ra, rb}, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res[0].Conflicts) == 0 {
				t.Fatalf("A's change first: %+v, want the email refused (B still held it)", res[0])
			}
			again := in("shopify", "A", t0.Add(2*time.Minute), map[string]any{"email": "b@example.com", "first_name": "Ann"})
			if r := mustMerge(t, s, hub.Policy{}, again); r.Duplicate {
				t.Errorf("A's record sent again: %+v, want merged", r)
			}
			if data, _ := profile(t, s, a.CustomerID); data["email"] != "b@example.com" {
				t.Errorf("Ann's email %v, want the b@example.com her shop holds", data["email"])
			}
			if data, _ := profile(t, s, b.CustomerID); data["email"] != "c@example.com" {
				t.Errorf("Bea's email %v, want c@example.com", data["email"])
			}
		})
	}
}

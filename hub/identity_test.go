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

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

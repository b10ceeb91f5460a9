package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A record seen for the first time from a touchpoint to which its
// customer is being pushed right now may be the echo of that push's
// create: it is not merged (Result.Pending), and the store asks only
// about such first sightings of known customers.
func TestFirstSightingOfACustomerBeingPushedWaits(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			id := mustMerge(t, s, hub.Policy{}, in("crm", "c1", t0, map[string]any{"email": "mia@example.com", "first_name": "Mia"})).CustomerID
			var asked []hub.PushKey
			s.SetPushing(func(_ context.Context, keys []hub.PushKey) ([]bool, error) {
				asked = append(asked, keys...)
				out := make([]bool, len(keys))
				for i, k := range keys {
					out[i] = k.CustomerID == id && k.Instance == "magento"
				}
				return out, nil
			})

			echo := in("magento", "7", t0.Add(time.Minute), map[string]any{"email": "mia@example.com", "first_name": "Mia",
				"billing_address": map[string]any{"first_name": "Mia", "phone": "-"}})
			r := mustMerge(t, s, hub.Policy{}, echo)
			if !r.Pending || r.Version != 0 || len(r.Changed) != 0 {
				t.Fatalf("first sighting at the touchpoint being pushed to: %+v, want Pending and nothing merged", r)
			}
			if data, _ := profile(t, s, id); data["billing_address"] != nil {
				t.Errorf("hub took %v from a record it held back", data["billing_address"])
			}
			if n := countRows(t, s, &hub.Link{}); n != 1 {
				t.Errorf("%d links, want only the CRM's", n)
			}
			if len(asked) != 1 || asked[0] != (hub.PushKey{CustomerID: id, Instance: "magento", Resource: "customer"}) {
				t.Errorf("asked about %v, want the customer's pushes to magento", asked)
			}

			// Elsewhere nothing waits; a new person is asked about by nobody.
			asked = nil
			if r := mustMerge(t, s, hub.Policy{}, in("shopify", "9", t0.Add(time.Minute), map[string]any{"email": "mia@example.com", "last_name": "Fill"})); r.Pending || !r.Linked {
				t.Errorf("first sighting at another touchpoint: %+v, want linked", r)
			}
			if r := mustMerge(t, s, hub.Policy{}, in("magento", "8", t0, map[string]any{"email": "neu@example.com"})); r.Pending || !r.Created {
				t.Errorf("a new person: %+v, want created", r)
			}
			if len(asked) != 1 || asked[0].Instance != "shopify" {
				t.Errorf("asked about %v, want only the shopify sighting of the known customer", asked)
			}

			// Once the push is done, the same record merges.
			s.SetPushing(nil)
			if r := mustMerge(t, s, hub.Policy{}, echo); r.Pending || !r.Linked {
				t.Errorf("after the push: %+v, want linked", r)
			}
		})
	}
}

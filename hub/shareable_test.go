package hub_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A guest checkout (unverified) comes first, typing the person's email,
// a phone, a street and names; the person's verified account follows,
// with their own names and street and no phone. What the hub shares with
// the person's accounts leaves the guest's phone and the address keys
// only the guest gave out; the hub keeps them. Before the account came,
// the guest-only customer was shared whole.
func TestShareableLeavesOutAGuestsValuesOnceVerified(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			guest := in("shopware", "g", t0, map[string]any{"email": "vera@example.com", "first_name": "Gus", "last_name": "Gast", "phone": "+49361999999",
				"billing_address": map[string]any{"street": "Fremdweg 9", "city": "Erfurt", "phone": "+49361999999", "first_name": "Gus"}})
			guest.Unverified = true
			r := mustMerge(t, s, hub.Policy{}, guest)
			shared := func() map[string]any {
				t.Helper()
				c, doc, err := s.Customer(t.Context(), r.CustomerID)
				if err != nil {
					t.Fatal(err)
				}
				out, err := hub.Shareable(c, doc)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			if got := shared(); got["phone"] != "+49361999999" || got["first_name"] != "Gus" {
				t.Errorf("guest-only customer shared as %v, want whole", got)
			}

			mustMerge(t, s, hub.Policy{}, in("shopify", "p", t0.Add(time.Minute), map[string]any{"email": "vera@example.com", "first_name": "Vera", "last_name": "Echt",
				"billing_address": map[string]any{"street": "Echtweg 1", "city": "Berlin"}}))
			want := map[string]any{"email": "vera@example.com", "first_name": "Vera", "last_name": "Echt",
				"billing_address": map[string]any{"street": "Echtweg 1", "city": "Berlin"}}
			if diff := cmp.Diff(want, shared()); diff != "" {
				t.Errorf("shared once the person's account came (-want +got):\n%s", diff)
			}
			if data, _ := profile(t, s, r.CustomerID); data["phone"] != "+49361999999" {
				t.Errorf("hub phone %v, want the guest's kept", data["phone"])
			}
		})
	}
}

// The person checked out as a guest and registers with the names and
// street they typed then: their verified account vouches for those values
// (they are shared), not for the phone it lacks; and a later stranger's
// guest order changes nothing of them. A record we pushed to vouches for
// nothing: it may hold our write of the guest's value.
func TestVerifiedRecordVouchesForEqualValues(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			doc := map[string]any{"email": "vera@example.com", "first_name": "Vera", "last_name": "Echt", "phone": "+49361999999",
				"billing_address": map[string]any{"street": "Echtweg 1", "city": "Berlin"}}
			guest := in("shopware", "g", t0, doc)
			guest.Unverified = true
			r := mustMerge(t, s, hub.Policy{}, guest)
			account := map[string]any{"email": "vera@example.com", "first_name": "Vera", "last_name": "Echt",
				"billing_address": map[string]any{"street": "Echtweg 1", "city": "Berlin"}}
			if res := mustMerge(t, s, hub.Policy{}, in("shopify", "p", t0.Add(time.Minute), account)); res.Version != r.Version {
				t.Errorf("version %d → %d: vouching changes no value", r.Version, res.Version)
			}
			v, err := s.View(t.Context(), r.CustomerID, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"email", "first_name", "last_name", "billing_address.street", "billing_address.city"} {
				if got := v.Provenance[p]; got.Unverified || got.Instance != "shopify" || !got.At.Equal(t0) {
					t.Errorf("%s provenance %+v, want Shopify's vouching, at the guest's time", p, got)
				}
			}
			if got := v.Provenance["phone"]; !got.Unverified {
				t.Errorf("phone provenance %+v, want still the guest's", got)
			}
			c, data, _ := s.Customer(t.Context(), r.CustomerID)
			got, _ := hub.Shareable(c, data)
			if diff := cmp.Diff(account, got); diff != "" {
				t.Errorf("shared (-want +got):\n%s", diff)
			}

			stranger := in("shopware", "s", t0.Add(time.Hour), map[string]any{"email": "vera@example.com", "first_name": "Sam", "last_name": "Fremd"})
			stranger.Unverified = true
			mustMerge(t, s, hub.Policy{}, stranger)
			if data, _ := profile(t, s, r.CustomerID); data["first_name"] != "Vera" {
				t.Errorf("a stranger's later guest order set first name %v", data["first_name"])
			}
		})
	}
}

package hub_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A customer's provenance is written in the compact form, and a row still
// holding the JSON form written before reads, merges and shows alike; the
// next change rewrites it compact with every path's provenance kept.
func TestProvenanceStoredFormsReadAlike(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s, ctx := st.Store, context.Background()
			a := mustMerge(t, s, hub.Policy{}, in("erp", "E1", t0, map[string]any{"email": "p@example.com", "first_name": "Ada",
				"billing_address": map[string]any{"city": "Kiel", "zip": "24103", "country": "DE"}}))
			mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0.Add(time.Minute), map[string]any{"email": "p@example.com", "last_name": "Lovelace"}))
			stored := func() string {
				t.Helper()
				var c hub.Customer
				if err := s.DB().Select("provenance").Where("id = ?", a.CustomerID).Take(&c).Error; err != nil {
					t.Fatal(err)
				}
				return c.Provenance
			}
			compact, err := s.View(ctx, a.CustomerID, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]hub.Provenance{
				"email": {Instance: "erp", At: t0}, "first_name": {Instance: "erp", At: t0}, "last_name": {Instance: "shopify", At: t0.Add(time.Minute)},
				"billing_address.city": {Instance: "erp", At: t0}, "billing_address.zip": {Instance: "erp", At: t0},
				"billing_address.country": {Instance: "erp", At: t0},
			}
			old, _ := json.Marshal(want)
			if p := stored(); !strings.HasPrefix(p, "~") || 2*len(p) > len(old) {
				t.Errorf("stored provenance %q, want the compact form (under half the JSON form's %d bytes)", p, len(old))
			}
			sameTime := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
			if diff := cmp.Diff(want, compact.Provenance, sameTime); diff != "" {
				t.Errorf("view of the compact form (-want +got):\n%s", diff)
			}

			// The row as a release before the compact form wrote it.
			if err := s.DB().Model(&hub.Customer{}).Where("id = ?", a.CustomerID).Update("provenance", string(old)).Error; err != nil {
				t.Fatal(err)
			}
			fromJSON, err := s.View(ctx, a.CustomerID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(compact.Provenance, fromJSON.Provenance, sameTime); diff != "" {
				t.Errorf("view of the JSON form (-compact +json):\n%s", diff)
			}
			x, err := s.Export(ctx, a.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, x.Provenance, sameTime); diff != "" {
				t.Errorf("export of the JSON form (-want +got):\n%s", diff)
			}
			// The JSON form still decides: an older city loses, a newer
			// first name wins.
			r := mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0.Add(-time.Minute), map[string]any{"email": "p@example.com",
				"billing_address": map[string]any{"city": "Older"}}))
			if !r.Duplicate && len(r.Changed) != 0 {
				t.Errorf("an older record changed %v", r.Changed)
			}
			mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0.Add(2*time.Minute), map[string]any{"email": "p@example.com", "last_name": "Lovelace",
				"first_name": "Augusta"}))
			got, _ := profile(t, s, a.CustomerID)
			if got["first_name"] != "Augusta" || got["billing_address"].(map[string]any)["city"] != "Kiel" {
				t.Errorf("after merges over the JSON form: %v", got)
			}
			if p := stored(); !strings.HasPrefix(p, "~") {
				t.Errorf("provenance after a change %q, want it rewritten compact", p)
			}
			after, err := s.View(ctx, a.CustomerID, 0)
			if err != nil {
				t.Fatal(err)
			}
			want["first_name"] = hub.Provenance{Instance: "shopify", At: t0.Add(2 * time.Minute)}
			if diff := cmp.Diff(want, after.Provenance, sameTime); diff != "" {
				t.Errorf("provenance rewritten compact (-want +got):\n%s", diff)
			}
		})
	}
}

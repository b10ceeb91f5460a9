package hub_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// TestUnstampedEditDatedByItsWebhook: Magento keeps customer_entity's
// updated_at on an address-only save, so the record fetched for the save's
// webhook carries the stamp of the row's last save, an hour old. A
// Shopware edit of the same city was merged meanwhile, and our push of it
// to Magento is still on its way (the last push recorded there is older).
// The admin's city is dated by the webhook that announced it, not by the
// old stamp and not by our older push (merger.unstamped; convergence seed
// 16): saved after the Shopware edit, it wins; saved before, it loses and
// Magento gets the hub's city back. A record no webhook named keeps its
// stamp, and a stamp that moved dates the save itself.
func TestUnstampedEditDatedByItsWebhook(t *testing.T) {
	t.Parallel()
	addr := func(city string) map[string]any {
		return map[string]any{"street": "Lindenweg 5", "zip": "28195", "city": city, "country": "DE"}
	}
	cases := []struct {
		name string
		// announced: the webhook's arrival after the Shopware edit (nil:
		// no webhook, a poll or a read before write fetched it).
		announced *time.Duration
		// moved: the Magento stamp moved, to the Shopware edit plus moved.
		moved *time.Duration
		want  string
		stale bool
	}{
		{name: "saved after the edit elsewhere", announced: dur(500 * time.Millisecond), want: "Köln"},
		{name: "saved before the edit elsewhere", announced: dur(-500 * time.Millisecond), want: "Bremen", stale: true},
		{name: "no webhook: the stamp dates it", want: "Bremen", stale: true},
		{name: "the row saved too, before the edit elsewhere", announced: dur(500 * time.Millisecond), moved: dur(-time.Second), want: "Bremen", stale: true},
		{name: "the row saved too, after the edit elsewhere", announced: dur(500 * time.Millisecond), moved: dur(200 * time.Millisecond), want: "Köln"},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					email := fmt.Sprintf("unstamped%d@example.com", i)
					created := time.Now().UTC().Add(-time.Minute)
					stamp := created.Add(-time.Hour) // Magento's row, saved an hour ago (whole seconds)
					sf, mg := fmt.Sprint("S", i), fmt.Sprint("M", i)
					a := mustMerge(t, s, hub.Policy{}, in("shopify", sf, created, map[string]any{"email": email, "billing_address": addr("Hamburg")}))
					if _, err := s.Pushed(t.Context(), a.CustomerID, "magento", "customer", mg, "h", 2, map[string]any{"email": email, "billing_address": addr("Hamburg")}); err != nil {
						t.Fatal(err)
					}
					echo := in("magento", mg, stamp, map[string]any{"email": email, "billing_address": addr("Hamburg")})
					echo.ReadAt = time.Now()
					mustMerge(t, s, hub.Policy{}, echo) // the link's baseline, at the old stamp

					// Shopware's edit, whose push to Magento has not landed.
					edited := time.Now().UTC().Add(time.Second)
					mustMerge(t, s, hub.Policy{}, in("shopware", "W"+fmt.Sprint(i), edited, map[string]any{"email": email, "billing_address": addr("Bremen")}))

					at := stamp
					if c.moved != nil {
						at = edited.Add(*c.moved)
					}
					x := in("magento", mg, at, map[string]any{"email": email, "billing_address": addr("Köln")})
					x.ReadAt = edited.Add(2 * time.Second)
					if c.announced != nil {
						x.AnnouncedAt = edited.Add(*c.announced)
					}
					r := mustMerge(t, s, hub.Policy{}, x)
					got, _ := profile(t, s, a.CustomerID)
					if city := got["billing_address"].(map[string]any)["city"]; city != c.want || r.OriginStale != c.stale {
						t.Fatalf("city %v (stale %v), want %v (stale %v)", city, r.OriginStale, c.want, c.stale)
					}
				})
			}
		})
	}
}

func dur(d time.Duration) *time.Duration { return &d }

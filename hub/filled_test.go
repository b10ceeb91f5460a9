package hub_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

func TestTargetFills(t *testing.T) {
	t.Parallel()
	named := map[string]any{"first_name": "Fina", "last_name": "Fill", "street": "Weg 1", "city": "Berlin"}
	nameless := map[string]any{"street": "Weg 1", "city": "Berlin"}
	pushed := map[string]any{"email": "f@example.com", "billing_address": nameless, "_hub": map[string]any{"x": 1}}
	cases := []struct {
		name                string
		after, prev, before map[string]any
		created             bool
		want                map[string]any
	}{
		{name: "created: names and a shipping address no one gave",
			after: map[string]any{"email": "f@example.com", "billing_address": named, "shipping_address": named, "locale": "de-DE"}, created: true,
			want: map[string]any{"billing_address.first_name": "Fina", "billing_address.last_name": "Fill", "locale": "de-DE",
				"shipping_address.first_name": "Fina", "shipping_address.last_name": "Fill", "shipping_address.street": "Weg 1", "shipping_address.city": "Berlin"}},
		{name: "updated: a name the target held before is its own",
			after: map[string]any{"billing_address": named}, before: map[string]any{"billing_address": named}},
		{name: "updated: a name it did not hold before is a fill",
			after: map[string]any{"billing_address": named}, before: map[string]any{"billing_address": map[string]any{"street": "Alt 9"}},
			want: map[string]any{"billing_address.first_name": "Fina", "billing_address.last_name": "Fill"}},
		{name: "updated: a fill stays one as our writes change it",
			after:  map[string]any{"shipping_address": map[string]any{"street": "Neu 2"}},
			before: map[string]any{"shipping_address": map[string]any{"street": "Weg 1"}},
			prev:   map[string]any{"shipping_address.street": "Weg 1"},
			want:   map[string]any{"shipping_address.street": "Neu 2"}},
		{name: "not read before: only earlier fills",
			after: map[string]any{"billing_address": named, "locale": "de-DE"}, prev: map[string]any{"billing_address.last_name": "Fill"},
			want: map[string]any{"billing_address.last_name": "Fill"}},
		{name: "where the hub holds a value there is no fill",
			after: map[string]any{"email": "other@example.com", "billing_address": nameless}, created: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := hub.TargetFills(nil, pushed, c.after, c.prev, c.before, c.created)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("fills (-want +got):\n%s", diff)
			}
		})
	}
}

// Shopware needs names on an address and a default shipping address: what
// it filled in for our write comes back in its echo and is nobody's edit
// while the hub holds no value there; a name given there later is one.
func TestFillsAreNoEdits(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			bill := map[string]any{"street": "Weg 1", "city": "Berlin", "country": "DE"}
			doc := map[string]any{"email": "fina@example.com", "first_name": "Fina", "last_name": "Fill", "billing_address": bill}
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, doc))
			filled := map[string]any{"street": "Weg 1", "city": "Berlin", "country": "DE", "first_name": "Fina", "last_name": "Fill"}
			echo := map[string]any{"email": "fina@example.com", "first_name": "Fina", "last_name": "Fill", "billing_address": filled, "shipping_address": filled}
			// The Shopware record, as linked before our push filled it in.
			mustMerge(t, s, hub.Policy{}, in("shopware", "sw1", t0, map[string]any{"email": "fina@example.com", "first_name": "Fina", "last_name": "Fill"}))
			pushed := map[string]any{"email": "fina@example.com", "first_name": "Fina", "last_name": "Fill", "billing_address": bill,
				hub.FilledKey: hub.TargetFills(nil, doc, echo, nil, map[string]any{}, false)}
			if _, err := s.Pushed(ctx, a.CustomerID, "shopware", "customer", "sw1", "h", 2, pushed); err != nil {
				t.Fatal(err)
			}
			r := mustMerge(t, s, hub.Policy{}, in("shopware", "sw1", t0.Add(1e9), echo))
			got, _ := profile(t, s, a.CustomerID)
			if len(r.Changed) != 0 || r.OutboxID != 0 || !cmp.Equal(got["billing_address"], bill) || got["shipping_address"] != nil {
				t.Fatalf("after the echo: changed %v, outbox %d, billing %v, shipping %v; want the fills taken as nobody's",
					r.Changed, r.OutboxID, got["billing_address"], got["shipping_address"])
			}
			// The address edited in Shopware's admin: billing and shipping
			// are one entity there, so both change; the hub has a billing
			// address only, and the edit is that one's.
			given := map[string]any{"street": "Gasse 2", "city": "Berlin", "country": "DE", "first_name": "Josefine", "last_name": "Fill"}
			r = mustMerge(t, s, hub.Policy{}, in("shopware", "sw1", t0.Add(2e9), map[string]any{"email": "fina@example.com",
				"first_name": "Fina", "last_name": "Fill", "billing_address": given, "shipping_address": given}))
			got, _ = profile(t, s, a.CustomerID)
			want := map[string]any{"street": "Gasse 2", "city": "Berlin", "country": "DE", "first_name": "Josefine"}
			if !cmp.Equal(got["billing_address"], want) || got["shipping_address"] != nil {
				t.Errorf("after the address was edited at Shopware: billing %v, shipping %v; want %v and none", got["billing_address"], got["shipping_address"], want)
			}
			// A shipping address of its own given there is one.
			own := map[string]any{"street": "Hof 3", "city": "Potsdam", "country": "DE", "first_name": "Josefine", "last_name": "Fill"}
			mustMerge(t, s, hub.Policy{}, in("shopware", "sw1", t0.Add(3e9), map[string]any{"email": "fina@example.com",
				"first_name": "Fina", "last_name": "Fill", "billing_address": given, "shipping_address": own}))
			if got, _ = profile(t, s, a.CustomerID); !cmp.Equal(got["shipping_address"], own) {
				t.Errorf("shipping %v, want the address given at Shopware %v", got["shipping_address"], own)
			}
		})
	}
}

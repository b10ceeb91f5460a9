package hub_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func in(instance, ext string, at time.Time, doc map[string]any) hub.Inbound {
	return hub.Inbound{Instance: instance, Resource: "customer", ExternalID: ext, EventID: fmt.Sprint(instance, ext, at.UnixNano()), SourceAt: at, Doc: doc}
}

func mustMerge(t *testing.T, s *hub.Store, pol hub.Policy, x hub.Inbound) hub.Result {
	t.Helper()
	r, err := s.MergeCustomer(context.Background(), x, pol)
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	return r
}

func profile(t *testing.T, s *hub.Store, id uint64) (map[string]any, int64) {
	t.Helper()
	c, data, err := s.Customer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return data, c.Version
}

func countRows(t *testing.T, s *hub.Store, model any) int64 {
	t.Helper()
	var n int64
	if err := s.DB().Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIdentityResolution(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "jane@example.com", "first_name": "Jane"}))
			if !a.Created || a.Version != 1 || a.OutboxID == 0 {
				t.Fatalf("first sighting: %+v", a)
			}
			// Another system, same normalized email → same customer, new link.
			b := mustMerge(t, s, hub.Policy{}, in("shopware", "abc", t0.Add(time.Second), map[string]any{"email": "jane@example.com", "last_name": "Doe"}))
			if b.Created || b.CustomerID != a.CustomerID {
				t.Fatalf("match by email: %+v, want customer %d", b, a.CustomerID)
			}
			// By link, even when the record no longer carries the email.
			c := mustMerge(t, s, hub.Policy{}, in("shopware", "abc", t0.Add(2*time.Second), map[string]any{"company": "ACME"}))
			if c.CustomerID != a.CustomerID {
				t.Fatalf("match by link: customer %d, want %d", c.CustomerID, a.CustomerID)
			}
			// A new email makes a new customer.
			d := mustMerge(t, s, hub.Policy{}, in("shopify", "2", t0, map[string]any{"email": "max@example.com"}))
			if !d.Created || d.CustomerID == a.CustomerID {
				t.Fatalf("new person: %+v", d)
			}
			got, v := profile(t, s, a.CustomerID)
			want := map[string]any{"email": "jane@example.com", "first_name": "Jane", "last_name": "Doe", "company": "ACME"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("profile (-want +got):\n%s", diff)
			}
			if v != 3 {
				t.Errorf("version %d, want 3", v)
			}
			links, _ := s.Links(context.Background(), a.CustomerID)
			if len(links) != 2 {
				t.Errorf("%d links, want 2", len(links))
			}
		})
	}
}

func TestMergeOrderAndDuplicates(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			newer := in("shopify", "7", t0.Add(time.Minute), map[string]any{"email": "a@example.com", "first_name": "New", "phone": "+4930123456"})
			older := in("shopify", "7", t0, map[string]any{"email": "a@example.com", "first_name": "Old", "phone": "+4930000000"})
			// Delivered in reverse order, the newer one five times.
			var id uint64
			for i := 0; i < 5; i++ {
				r := mustMerge(t, s, hub.Policy{}, newer)
				id = r.CustomerID
				if i > 0 && !r.Duplicate {
					t.Errorf("redelivery %d not recognised as duplicate: %+v", i, r)
				}
			}
			r := mustMerge(t, s, hub.Policy{}, older)
			if !r.Duplicate || r.Version != 1 || len(r.Changed) != 0 || r.OutboxID != 0 {
				// An older version of a record the hub has seen newer says
				// nothing: the source itself has moved on.
				t.Errorf("older record: %+v", r)
			}
			got, v := profile(t, s, id)
			if got["first_name"] != "New" || got["phone"] != "+4930123456" || v != 1 {
				t.Errorf("after reverse delivery: %v version %d", got, v)
			}
			if n := countRows(t, s, &hub.Customer{}); n != 1 {
				t.Errorf("%d customers, want 1", n)
			}
			var rows []hub.Change
			s.DB().Find(&rows)
			if len(rows) != 1 || rows[0].Field != hub.CreatedField || rows[0].NewValue != `{"email":"a@example.com","first_name":"New","phone":"+4930123456"}` {
				t.Errorf("change log %+v, want one creation row holding the three initial fields", rows)
			}
		})
	}
}

func TestEqualValuesNeverBumpVersion(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			doc := map[string]any{"email": "e@example.com", "tags": []string{"a", "b"}, "billing_address": map[string]any{"city": "Berlin", "country": "DE"}}
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, doc))
			// The echo from another system: same values, newer time.
			echo := map[string]any{"email": "e@example.com", "tags": []any{"a", "b"}, "billing_address": map[string]any{"country": "DE", "city": "Berlin"}}
			b := mustMerge(t, s, hub.Policy{}, in("shopware", "x", t0.Add(time.Hour), echo))
			if b.Version != a.Version || b.OutboxID != 0 || len(b.Changed) != 0 {
				t.Fatalf("echo bumped: %+v", b)
			}
			// The echo is nobody's edit: a shop edit made after the value was
			// set, delivered after the echo, still wins.
			late := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0.Add(30*time.Minute), map[string]any{"billing_address": map[string]any{"city": "Hamburg", "country": "DE"}}))
			if len(late.Changed) != 1 {
				t.Errorf("a later edit lost to an echo: %+v", late)
			}
			if got, _ := profile(t, s, a.CustomerID); !reflectCity(got, "Hamburg") {
				t.Errorf("billing address %v, want the later edit", got["billing_address"])
			}
		})
	}
}

func TestPolicyPriorityAndOwners(t *testing.T) {
	t.Parallel()
	pol := hub.Policy{
		Priority: map[string][]string{"*": {"erp", "shopify"}},
		Owners:   map[string]string{"billing_address": "erp"},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			a := mustMerge(t, s, pol, in("shopify", "1", t0, map[string]any{"email": "p@example.com", "last_name": "Shop", "billing_address": map[string]any{"city": "Shopcity"}}))
			got, _ := profile(t, s, a.CustomerID)
			if _, ok := got["billing_address"]; ok {
				t.Errorf("non-owner set billing_address: %v", got)
			}
			// Same source time: the more trusted ERP wins the tie...
			mustMerge(t, s, pol, in("erp", "E1", t0, map[string]any{"email": "p@example.com", "last_name": "Erp", "billing_address": map[string]any{"city": "Erpcity"}}))
			// ...and the shop's tie afterwards does not take it back.
			r := mustMerge(t, s, pol, in("shopify", "1", t0, map[string]any{"last_name": "Shop2"}))
			got, _ = profile(t, s, a.CustomerID)
			if got["last_name"] != "Erp" {
				t.Errorf("tie: last_name %v, want Erp", got["last_name"])
			}
			if !reflectCity(got, "Erpcity") {
				t.Errorf("owner's billing address: %v", got["billing_address"])
			}
			if r.OutboxID == 0 {
				t.Error("shop sent values the hub rejected, but gets no correction event")
			}
			var refused []hub.Change
			s.DB().Where("rejected <> ''").Find(&refused)
			// Refused per sub-field: the address merges key by key.
			if len(refused) != 1 || refused[0].Field != "billing_address.city" || refused[0].Rejected != "owned by erp" || refused[0].Instance != "shopify" {
				t.Errorf("change log of the refused billing address: %+v", refused)
			}
			ev, err := s.OutboxEvent(context.Background(), r.OutboxID)
			if err != nil || !ev.OriginStale || ev.Origin != "shopify" {
				t.Errorf("correction event %+v, %v", ev, err)
			}
		})
	}
}

func reflectCity(p map[string]any, city string) bool {
	a, _ := p["billing_address"].(map[string]any)
	return a != nil && a["city"] == city
}

func TestConcurrentFirstSightingsMakeOneCustomer(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for i := 0; i < 40; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					x := in(fmt.Sprintf("sys%d", i%4), fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second), map[string]any{"email": "race@example.com", "first_name": fmt.Sprint("N", i)})
					if _, err := s.MergeCustomer(context.Background(), x, hub.Policy{}); err != nil {
						errs <- err
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := countRows(t, s, &hub.Customer{}); n != 1 {
				t.Fatalf("%d customers for one email, want 1", n)
			}
			if n := countRows(t, s, &hub.Link{}); n != 40 {
				t.Errorf("%d links, want 40", n)
			}
			c, err := s.CustomerByEmail(context.Background(), "race@example.com")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := profile(t, s, c.ID)
			if got["first_name"] != "N39" {
				t.Errorf("first_name %v, want the newest N39", got["first_name"])
			}
		})
	}
}

func TestConcurrentFieldUpdatesLoseNothing(t *testing.T) {
	t.Parallel()
	fields := []string{"first_name", "last_name", "company", "locale"}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			base := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "c@example.com"}))
			var wg sync.WaitGroup
			for g := 0; g < 48; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					// Each goroutine is its own connector (vendors send whole
					// records; partial records from one link would be
					// superseded by that link's newer record).
					f := fields[g%len(fields)]
					inst := fmt.Sprintf("sys%d", g)
					x := in(inst, "c-"+inst, t0.Add(time.Duration(g+1)*time.Second), map[string]any{"email": "c@example.com", f: fmt.Sprint(f, g)})
					if _, err := s.MergeCustomer(context.Background(), x, hub.Policy{}); err != nil {
						t.Error(err)
					}
				}(g)
			}
			wg.Wait()
			got, _ := profile(t, s, base.CustomerID)
			for i, f := range fields {
				want := fmt.Sprint(f, 44+i) // newest g with g%4 == i
				if got[f] != want {
					t.Errorf("%s = %v, want newest %s", f, got[f], want)
				}
			}
		})
	}
}

func TestOnlyChangesAtTheSourceAssert(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			pol := hub.Policy{}
			a := mustMerge(t, s, pol, in("shopify", "1", t0, map[string]any{"email": "b@example.com", "phone": "+4930111222", "first_name": "Berta"}))

			// A vendor that cannot hold phones sends "" with a newer time: it
			// never had one, so it clears nothing.
			mustMerge(t, s, pol, in("shopware", "s1", t0.Add(time.Minute), map[string]any{"email": "b@example.com", "phone": "", "first_name": "Berta"}))
			got, _ := profile(t, s, a.CustomerID)
			if got["phone"] != "+4930111222" {
				t.Fatalf("phone %v: an empty value from a source that never held one cleared it", got["phone"])
			}

			// The shop renames; later the other vendor re-sends its record
			// (something unmapped changed) with the old name and a newer
			// time: unchanged at that source, so no assertion.
			mustMerge(t, s, pol, in("shopify", "1", t0.Add(2*time.Minute), map[string]any{"first_name": "Bertha"}))
			r := mustMerge(t, s, pol, in("shopware", "s1", t0.Add(3*time.Minute), map[string]any{"email": "b@example.com", "phone": "", "first_name": "Berta"}))
			got, _ = profile(t, s, a.CustomerID)
			if got["first_name"] != "Bertha" || len(r.Changed) != 0 {
				t.Errorf("first_name %v (changed %v): a re-sent unchanged value overwrote a newer change", got["first_name"], r.Changed)
			}

			// The vendor now gets a phone and later really clears it.
			mustMerge(t, s, pol, in("shopware", "s1", t0.Add(4*time.Minute), map[string]any{"phone": "+4930999888"}))
			mustMerge(t, s, pol, in("shopware", "s1", t0.Add(5*time.Minute), map[string]any{"phone": ""}))
			got, _ = profile(t, s, a.CustomerID)
			if got["phone"] != "" {
				t.Errorf("phone %v: a source clearing a value it held must clear it", got["phone"])
			}
		})
	}
}

func TestSameSecondEditsLaterArrivalWins(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "tie@example.com", "last_name": "First"}))
			// Another system, same whole second, arriving later: its edit is
			// the one the user made last.
			mustMerge(t, s, hub.Policy{}, in("erp", "E1", t0, map[string]any{"email": "tie@example.com", "last_name": "Second"}))
			got, _ := profile(t, s, a.CustomerID)
			if got["last_name"] != "Second" {
				t.Errorf("last_name %v: on a tie without priority the later arrival wins", got["last_name"])
			}
			// A listed priority still decides ties.
			pol := hub.Policy{Priority: map[string][]string{"last_name": {"shopify", "erp"}}}
			mustMerge(t, s, pol, in("shopify", "1", t0, map[string]any{"last_name": "Third"}))
			mustMerge(t, s, pol, in("erp", "E1", t0, map[string]any{"last_name": "Fourth"}))
			if got, _ := profile(t, s, a.CustomerID); got["last_name"] != "Third" {
				t.Errorf("last_name %v: priority must win a tie", got["last_name"])
			}
		})
	}
}

// A push of an older state, delayed (a vendor's rate limit), lands after a
// newer edit; the vendor's echo of it carries a later timestamp than that
// edit. It is our own write coming back and must not revert the edit.
func TestLateEchoOfAnOlderPushRevertsNothing(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "late@example.com", "first_name": "Anna"}))
			// Pushed to the helpdesk: record H7 now holds Anna.
			if _, err := s.Pushed(ctx, a.CustomerID, "helpscout", "customer", "H7", "h1", 1, map[string]any{"email": "late@example.com", "first_name": "Anna"}); err != nil {
				t.Fatal(err)
			}
			// The shop renames her; that push to the helpdesk is still queued.
			mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0.Add(time.Minute), map[string]any{"email": "late@example.com", "first_name": "Anne"}))
			// The helpdesk's echo of the first push, stamped later.
			echo := mustMerge(t, s, hub.Policy{}, in("helpscout", "H7", t0.Add(2*time.Minute), map[string]any{"email": "late@example.com", "first_name": "Anna"}))
			got, _ := profile(t, s, a.CustomerID)
			if got["first_name"] != "Anne" || len(echo.Changed) != 0 {
				t.Fatalf("first_name %v (changed %v): the late echo of an older push reverted a newer edit", got["first_name"], echo.Changed)
			}
			// An agent's real edit in the helpdesk still wins.
			mustMerge(t, s, hub.Policy{}, in("helpscout", "H7", t0.Add(3*time.Minute), map[string]any{"email": "late@example.com", "first_name": "Annette"}))
			if got, _ := profile(t, s, a.CustomerID); got["first_name"] != "Annette" {
				t.Errorf("first_name %v: a real edit at the helpdesk must win", got["first_name"])
			}
		})
	}
}

// An admin edit at a vendor that stamps whole seconds (Magento, OXID, Help
// Scout), made in the same second as our push there, carries a time before
// the hub's edit we pushed. Differing from that push, and stamped no
// earlier than its second, it is a later edit, not a stale echo, and wins;
// a record stamped before the push's second and the echo of the push
// itself change nothing.
func TestSameSecondEditAfterPushWins(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		back      time.Duration // vendor stamp: the push's whole second minus back
		vendorVal string
		want      string
		changed   bool
	}{
		{"edit in the push's second", 0, "Annika", "Annika", true},
		{"record from the second before the push", time.Second, "Annika", "Anne", false},
		{"echo of the push", 0, "Anne", "Anne", false},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					// The hub's edit must fall in the push's second, after
					// the vendor's whole-second stamp: retry with a fresh
					// customer when the clock rolls over in between.
					for attempt := 0; ; attempt++ {
						email := fmt.Sprintf("second%d-%d@example.com", i, attempt)
						a := mustMerge(t, s, hub.Policy{}, in("shopify", fmt.Sprint("S", i, attempt), t0, map[string]any{"email": email, "first_name": "Anna"}))
						edit := time.Now().UTC()
						mustMerge(t, s, hub.Policy{}, in("shopify", fmt.Sprint("S", i, attempt), edit, map[string]any{"email": email, "first_name": "Anne"}))
						ext := fmt.Sprint("M", i, attempt)
						if _, err := s.Pushed(ctx, a.CustomerID, "magento", "customer", ext, "h", 2, map[string]any{"email": email, "first_name": "Anne"}); err != nil {
							t.Fatal(err)
						}
						l, err := s.Link(ctx, a.CustomerID, "magento", "customer")
						if err != nil {
							t.Fatal(err)
						}
						sec := l.LastPushedAt.Truncate(time.Second)
						if !edit.Truncate(time.Second).Equal(sec) && attempt < 5 {
							continue
						}
						r := mustMerge(t, s, hub.Policy{}, in("magento", ext, sec.Add(-c.back), map[string]any{"email": email, "first_name": c.vendorVal}))
						got, _ := profile(t, s, a.CustomerID)
						if got["first_name"] != c.want || (len(r.Changed) > 0) != c.changed {
							t.Fatalf("first_name %v (changed %v), want %v (changed %v)", got["first_name"], r.Changed, c.want, c.changed)
						}
						return
					}
				})
			}
		})
	}
}

// TestReadAfterPushIsAnEdit: a record shophub read at the vendor after its
// last push there was recorded holds that push's write or a later one; a
// value unlike the one pushed is an edit made there after the push,
// whatever the vendor's stamp says. Magento-shaped: an admin's address-only
// edit leaves customer_entity.updated_at where it was, an hour before the
// push (merger.readAfterPush).
func TestReadAfterPushIsAnEdit(t *testing.T) {
	t.Parallel()
	addr := func(city string) map[string]any {
		return map[string]any{"street": "Lindenweg 5", "zip": "28195", "city": city, "country": "DE"}
	}
	type step struct {
		// hub is a Shopify edit merged after the push, at the push's time
		// plus hubAt (zero: none).
		hubCity string
		hubAt   time.Duration
		// between is a push made before the last one (none: "").
		between string
	}
	cases := []struct {
		name string
		step
		city   string
		read   time.Duration // ReadAt: the push's time plus read; 0 for a webhook body
		noRead bool
		want   string
		stale  bool // the hub answers with its values (OriginStale)
	}{
		{name: "address edit read after the push", city: "Köln", read: time.Millisecond, want: "Köln"},
		{name: "echo of the push read after it", city: "Bremen", read: time.Millisecond, want: "Bremen"},
		{name: "the same record in a webhook body (not read by us)", city: "Köln", noRead: true, want: "Bremen", stale: true},
		{name: "read before the push was recorded", city: "Köln", read: -time.Millisecond, want: "Bremen", stale: true},
		// Only the last push's write can be there after it: an older
		// push's value read now was written again since.
		{name: "the city of an older push, read after the last one", step: step{between: "Jena"}, city: "Jena", read: time.Millisecond, want: "Jena"},
		// The value of the vendor's previous record, read after our push
		// of another landed: written back there after our write, an edit
		// (TestChangedBackAfterPushIsAnEdit).
		{name: "the source's previous value, read after a push of another", city: "Hamburg", read: time.Millisecond, want: "Hamburg", stale: true},
		{name: "hub edited elsewhere after the push", step: step{hubCity: "Kiel", hubAt: 2 * time.Second}, city: "Köln", read: time.Millisecond, want: "Kiel", stale: true},
		{name: "hub took an edit from before the push after it", step: step{hubCity: "Kiel", hubAt: -2 * time.Second}, city: "Köln", read: time.Millisecond, want: "Köln"},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					email := fmt.Sprintf("readafter%d@example.com", i)
					created := time.Now().UTC().Add(-time.Minute)
					sf, mg := fmt.Sprint("S", i), fmt.Sprint("M", i)
					a := mustMerge(t, s, hub.Policy{}, in("shopify", sf, created, map[string]any{"email": email, "billing_address": addr("Hamburg")}))
					push := func(city string) time.Time {
						t.Helper()
						if _, err := s.Pushed(ctx, a.CustomerID, "magento", "customer", mg, "h-"+city, 2, map[string]any{"email": email, "billing_address": addr(city)}); err != nil {
							t.Fatal(err)
						}
						l, err := s.Link(ctx, a.CustomerID, "magento", "customer")
						if err != nil {
							t.Fatal(err)
						}
						return *l.LastPushedAt
					}
					// Magento's row was last saved an hour ago; our pushes
					// change addresses only.
					stamp := created.Add(-time.Hour)
					magento := func(city string, readAt time.Time) hub.Result {
						x := in("magento", mg, stamp, map[string]any{"email": email, "billing_address": addr(city)})
						x.EventID = fmt.Sprint(x.EventID, city, readAt.UnixNano())
						x.ReadAt = readAt
						return mustMerge(t, s, hub.Policy{}, x)
					}
					push("Hamburg")
					magento("Hamburg", time.Now()) // the echo: the link's baseline
					if c.between != "" {
						push(c.between)
					}
					mustMerge(t, s, hub.Policy{}, in("shopify", sf, created.Add(time.Second), map[string]any{"email": email, "billing_address": addr("Bremen")}))
					pushedAt := push("Bremen")
					if c.hubCity != "" {
						mustMerge(t, s, hub.Policy{}, in("shopify", sf, pushedAt.Add(c.hubAt), map[string]any{"email": email, "billing_address": addr(c.hubCity)}))
					}
					var readAt time.Time
					if !c.noRead {
						readAt = pushedAt.Add(c.read)
					}
					r := magento(c.city, readAt)
					got, _ := profile(t, s, a.CustomerID)
					city := got["billing_address"].(map[string]any)["city"]
					if city != c.want || r.OriginStale != c.stale {
						t.Fatalf("city %v (stale %v), want %v (stale %v)", city, r.OriginStale, c.want, c.stale)
					}
					if c.want != c.city || c.city == "Bremen" {
						return
					}
					// The edit is ordered after the push, not at its stamp:
					// a Shopify record stamped in between does not take it back.
					mustMerge(t, s, hub.Policy{}, in("shopify", sf, pushedAt.Add(-time.Second/2), map[string]any{"email": email, "billing_address": addr("Ulm")}))
					if got, _ := profile(t, s, a.CustomerID); got["billing_address"].(map[string]any)["city"] != c.city {
						t.Fatalf("a record stamped before the push took the edit back: %v", got["billing_address"])
					}
				})
			}
		})
	}
}

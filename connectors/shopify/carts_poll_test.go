package shopify_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

// checkouts.json sorts by id, so a listing's newest updated_at is no safe
// next updated_at_min: a checkout on a page already read, edited before a
// checkout with a higher id is, is stamped below it and no later poll
// would list it. The next listing starts no later than this one began
// (Shopify's Date header).
func TestCartEditDuringAListingIsListedNextTime(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC).Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	emu, url := startEmulator(t, shopifytest.Options{Now: now})
	l := newConnector(t, url, 2).(connectors.Lister)
	ctx := context.Background()
	var ids []string
	for range 4 {
		id, err := emu.CreateCheckout("", "a@example.com", "EUR", shopifytest.CheckoutLine{Title: "x", Quantity: 1, Price: "1.00"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	walk := func(cur string, mid func()) (string, map[string]string) {
		got := map[string]string{}
		for i := 0; ; i++ {
			p, err := l.List(ctx, "cart", cur)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Records {
				got[r.ExternalID] = r.UpdatedAt.Format(time.TimeOnly)
			}
			cur = p.Next
			if p.Done {
				return cur, got
			}
			if i == 0 && mid != nil {
				mid()
			}
		}
	}
	cur, _ := walk("", nil)
	clock.Add(10)
	if err := emu.UpdateCheckout(ids[0], shopifytest.CheckoutLine{Title: "y", Quantity: 2, Price: "1.00"}); err != nil {
		t.Fatal(err)
	}
	clock.Add(10)
	// a poll: page 1 (A, B) read; then A edited again, later D.
	cur, got := walk(cur, func() {
		clock.Add(10)
		if err := emu.UpdateCheckout(ids[0], shopifytest.CheckoutLine{Title: "z", Quantity: 3, Price: "1.00"}); err != nil {
			t.Fatal(err)
		}
		clock.Add(10)
		if err := emu.UpdateCheckout(ids[3], shopifytest.CheckoutLine{Title: "w", Quantity: 1, Price: "1.00"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("poll 1 listed %v, cursor %s", got, cur)
	clock.Add(10)
	_, got = walk(cur, nil)
	t.Logf("poll 2 listed %v", got)
	co, _ := emu.Checkout(ids[0])
	if _, ok := got[ids[0]]; !ok {
		t.Errorf("checkout %s edited at %v (3 items) never listed by a later poll", ids[0], co["updated_at"])
	}
}

package shopify

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

// TestListRestartsLongPageChains checks the 25,000-deep pagination guard:
// a listing restarts from the high-water mark after restartPages pages,
// still returns every record, and never loops when many records share the
// high-water second.
func TestListRestartsLongPageChains(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	emu := shopifytest.New(shopifytest.Options{Now: clock})
	t.Cleanup(emu.Close)
	url := emu.Start()

	var want []string
	for i := 0; i < 30; i++ { // one customer per second
		want = append(want, emu.Seed(1)...)
		mu.Lock()
		now = now.Add(time.Second)
		mu.Unlock()
	}
	want = append(want, emu.Seed(30)...) // then 30 in the same second

	c, err := New(connectors.Instance{RateLimit: -1}, Settings{ShopURL: url, APIVersion: "2025-10",
		AccessToken: shopifytest.DefaultAccessToken, PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	c.restartPages = 2
	seen := map[string]int{}
	cur, restarts := "", 0
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("listing does not end")
		}
		page, err := c.List(context.Background(), connectors.ResourceCustomer, cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			seen[r.ExternalID]++
		}
		if p, _ := parseCursor(page.Next); !page.Done && p.PageInfo == "" {
			restarts++
		}
		cur = page.Next
		if page.Done {
			break
		}
	}
	for _, id := range want {
		if seen[id] == 0 {
			t.Errorf("customer %s never listed", id)
		}
	}
	if restarts == 0 {
		t.Error("listing never restarted from the high-water mark")
	}
}

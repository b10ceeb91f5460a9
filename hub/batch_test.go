package hub_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

func TestMergeBatch(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			// An existing customer whose email changes inside the batch.
			x := mustMerge(t, s, hub.Policy{}, in("shopify", "x", t0, map[string]any{"email": "old@example.com", "first_name": "X"}))

			batch := []hub.Inbound{
				in("shopify", "1", t0, map[string]any{"email": "same@example.com", "first_name": "A"}),
				in("shopware", "9", t0.Add(time.Second), map[string]any{"email": "same@example.com", "last_name": "B"}),
				in("shopify", "x", t0.Add(time.Minute), map[string]any{"email": "new@example.com"}),
				in("erp", "E7", t0.Add(time.Minute), map[string]any{"email": "new@example.com", "company": "ACME"}),
				in("shopify", "2", t0, map[string]any{"first_name": "No email"}),
			}
			for i := 0; i < 200; i++ {
				batch = append(batch, in("shopify", fmt.Sprint("bulk", i), t0, map[string]any{"email": fmt.Sprintf("bulk%d@example.com", i), "last_name": fmt.Sprint("L", i)}))
			}
			res, err := s.MergeBatch(ctx, batch, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].CustomerID != res[1].CustomerID || !res[0].Created || res[1].Created {
				t.Errorf("one new email twice in a batch: %+v %+v", res[0], res[1])
			}
			if res[2].CustomerID != x.CustomerID || res[3].CustomerID != x.CustomerID {
				t.Errorf("record carrying the email just changed in the batch went to %d, want %d", res[3].CustomerID, x.CustomerID)
			}
			if res[4].CustomerID == 0 || !res[4].Created {
				t.Errorf("customer without email: %+v", res[4])
			}
			// Every bulk link points at the customer holding its email.
			for i := 0; i < 200; i++ {
				r := res[5+i]
				c, data := profileOf(t, s, r.CustomerID)
				if *c.Email != fmt.Sprintf("bulk%d@example.com", i) || data["last_name"] != fmt.Sprint("L", i) {
					t.Fatalf("bulk %d: result points at customer %d with email %v", i, r.CustomerID, *c.Email)
				}
				l, err := s.Link(ctx, r.CustomerID, "shopify", "customer")
				if err != nil || l.ExternalID != fmt.Sprint("bulk", i) {
					t.Fatalf("bulk %d: link %+v %v", i, l, err)
				}
			}
			got, v := profile(t, s, x.CustomerID)
			if got["email"] != "new@example.com" || got["company"] != "ACME" || v != 3 {
				t.Errorf("customer x: %v version %d", got, v)
			}
			for i, r := range res {
				if (r.OutboxID == 0) == (len(r.Changed) > 0) {
					t.Errorf("record %d: outbox %d with changes %v", i, r.OutboxID, r.Changed)
				}
			}
			if n := countRows(t, s, &hub.Customer{}); n != 3+200 {
				t.Errorf("%d customers, want 203", n)
			}
			// The same batch again: all duplicates, nothing written.
			again, err := s.MergeBatch(ctx, batch, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range again {
				if !r.Duplicate || r.CustomerID != res[i].CustomerID {
					t.Fatalf("re-merged record %d: %+v", i, r)
				}
			}
		})
	}
}

func profileOf(t *testing.T, s *hub.Store, id uint64) (*hub.Customer, map[string]any) {
	t.Helper()
	c, data, err := s.Customer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c, data
}

func TestConcurrentOverlappingBatches(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			var wg sync.WaitGroup
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					var batch []hub.Inbound
					for i := 0; i < 50; i++ {
						// Every worker sees the same 50 people from its own system.
						batch = append(batch, in(fmt.Sprint("sys", w), fmt.Sprint(i), t0.Add(time.Duration(w)*time.Second),
							map[string]any{"email": fmt.Sprintf("p%d@example.com", (i*7+w)%50), "first_name": fmt.Sprint("W", w)}))
					}
					if _, err := s.MergeBatch(context.Background(), batch, hub.Policy{}); err != nil {
						t.Error(err)
					}
				}(w)
			}
			wg.Wait()
			if n := countRows(t, s, &hub.Customer{}); n != 50 {
				t.Errorf("%d customers for 50 emails", n)
			}
			if n := countRows(t, s, &hub.Link{}); n != 400 {
				t.Errorf("%d links, want 400", n)
			}
		})
	}
}

// BenchmarkMergeBatch merges pages of new customers, as a backfill does.
func BenchmarkMergeBatch(b *testing.B) {
	for _, st := range hubtest.Stores(b) {
		for _, size := range []int{1, 50, 250} {
			b.Run(fmt.Sprintf("%s/batch%d", st.Name, size), func(b *testing.B) {
				at := time.Now()
				// Customers new to the store in every invocation of this
				// function (the harness calls it more than once, -count
				// again): ids and emails from the clock, a million apart
				// per millisecond.
				n := int(at.UnixMicro() % 1e12 * 1000)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					batch := make([]hub.Inbound, size)
					for j := range batch {
						n++
						batch[j] = hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: fmt.Sprint("b", size, "-", n), SourceAt: at, Doc: benchDoc(n)}
					}
					if _, err := st.MergeBatch(context.Background(), batch, hub.Policy{}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "customers/s")
			})
		}
	}
}

package sync

import (
	"context"
	"fmt"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

func TestBatcherMergesConcurrentRecords(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			b := NewBatcher(st.Store, hub.Policy{}, 2, 50)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { b.Run(ctx); close(done) }()
			var wg gosync.WaitGroup
			at := time.Now()
			for i := 0; i < 200; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					doc := map[string]any{"email": fmt.Sprintf("c%d@example.com", i%150), "first_name": fmt.Sprint("F", i)}
					if i == 7 {
						doc["email"] = "not-an-email-but-the-hub-takes-what-mappings-validated@"
					}
					res, err := b.Merge(ctx, hub.Inbound{Instance: fmt.Sprint("s", i%3), Resource: "customer", ExternalID: fmt.Sprint(i), SourceAt: at, Doc: doc})
					if err != nil || res.CustomerID == 0 {
						t.Errorf("merge %d: %+v %v", i, res, err)
					}
				}(i)
			}
			wg.Wait()
			cancel()
			<-done
			var n int64
			st.DB().Model(&hub.Customer{}).Count(&n)
			if n != 151 {
				t.Errorf("%d customers, want 151", n)
			}
		})
	}
}

// BenchmarkBatcher merges new customers from 20 concurrent callers, as 20
// asynq workers do.
func BenchmarkBatcher(b *testing.B) {
	for _, st := range hubtest.Stores(b) {
		for _, mergers := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/mergers%d", st.Name, mergers), func(b *testing.B) {
				bt := NewBatcher(st.Store, hub.Policy{}, mergers, 200)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go bt.Run(ctx)
				var n atomic.Int64
				at := time.Now()
				b.SetParallelism(10)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						_, err := bt.Merge(ctx, hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: fmt.Sprint(i), SourceAt: at,
							Doc: map[string]any{"email": fmt.Sprintf("b%d@example.com", i), "first_name": "B", "last_name": fmt.Sprint(i)}})
						if err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
				b.ReportMetric(float64(b.N)/float64(bt.batches.Load()), "records/batch")
			})
		}
	}
}

// A batcher nobody runs (the handlers of an app a CLI command never
// starts) merges in the caller instead of waiting forever.
func TestBatcherWithoutRunMergesInline(t *testing.T) {
	st := hubtest.SQLite(t)
	b := NewBatcher(st, hub.Policy{}, 2, 50)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := b.Merge(ctx, hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: "1", SourceAt: time.Now(),
		Doc: map[string]any{"email": "inline@example.com"}})
	if err != nil || res.CustomerID == 0 || !res.Created {
		t.Fatalf("merge without a Run loop: %+v %v", res, err)
	}
}

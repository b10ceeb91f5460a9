package hub_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// BenchmarkMergeOrder merges new orders of 100 customers (linked by the
// shop's customer link) from parallel workers, one transaction each, as
// order webhooks arrive.
func BenchmarkMergeOrder(b *testing.B) {
	for _, st := range hubtest.Stores(b) {
		b.Run(st.Name, func(b *testing.B) {
			ctx := context.Background()
			at := time.Now()
			for i := range 100 {
				if _, err := st.MergeCustomer(ctx, hub.Inbound{Instance: "shop", Resource: "customer", ExternalID: fmt.Sprint(i), SourceAt: at, Doc: benchDoc(i)}, hub.Policy{}); err != nil {
					b.Fatal(err)
				}
			}
			var n atomic.Int64
			b.SetParallelism(10)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1))
					doc := map[string]any{"number": fmt.Sprint("#", i), "status": "open", "financial_status": "paid", "currency": "EUR",
						"total": "49.90", "refunded": "0.00", "line_items": 2, "customer_ref": fmt.Sprint(i % 100),
						"placed_at": at.UTC().Format(time.RFC3339)}
					if _, err := st.MergeOrder(ctx, hub.OrderInbound{Instance: "shop", ExternalID: fmt.Sprint(i), SourceAt: at, Doc: doc}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// BenchmarkCustomerOrderFigures reads the figures of a customer with 20
// and with 500 orders: what every push to a target reading _hub adds.
func BenchmarkCustomerOrderFigures(b *testing.B) {
	for _, st := range hubtest.Stores(b) {
		for _, orders := range []int{20, 500} {
			b.Run(fmt.Sprintf("%s/%d", st.Name, orders), func(b *testing.B) {
				ctx := context.Background()
				at := time.Now()
				c, err := st.MergeCustomer(ctx, hub.Inbound{Instance: "shop", Resource: "customer", ExternalID: "1", SourceAt: at, Doc: benchDoc(1)}, hub.Policy{})
				if err != nil {
					b.Fatal(err)
				}
				for i := range orders {
					doc := map[string]any{"status": "open", "financial_status": "paid", "currency": "EUR", "total": "10.00",
						"customer_ref": "1", "placed_at": at.Add(-time.Duration(i) * time.Hour).UTC().Format(time.RFC3339)}
					if _, err := st.MergeOrder(ctx, hub.OrderInbound{Instance: "shop", ExternalID: fmt.Sprint(i), SourceAt: at, Doc: doc}); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for range b.N {
					f, err := st.CustomerOrderFigures(ctx, c.CustomerID)
					if err != nil || f.Orders != orders {
						b.Fatalf("figures %+v, %v", f, err)
					}
				}
			})
		}
	}
}

// BenchmarkAdoptNothingWaiting is what a created customer costs the
// ingest path when no order or ticket waits for adoption: one statement
// of two indexed probes.
func BenchmarkAdoptNothingWaiting(b *testing.B) {
	for _, st := range hubtest.Stores(b) {
		b.Run(st.Name, func(b *testing.B) {
			ctx := context.Background()
			c, err := st.MergeCustomer(ctx, hub.Inbound{Instance: "shop", Resource: "customer", ExternalID: "1", SourceAt: time.Now(), Doc: benchDoc(1)}, hub.Policy{})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := st.Adopt(ctx, c.CustomerID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

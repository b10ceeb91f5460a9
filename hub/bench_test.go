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

func benchDoc(i int) map[string]any {
	return map[string]any{
		"email": fmt.Sprintf("bench%d@example.com", i), "first_name": "Bench", "last_name": fmt.Sprint("N", i),
		"phone": "+4930123456", "tags": []string{"a", "b"},
		"billing_address": map[string]any{"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
	}
}

// BenchmarkMergeCustomer merges new customers one transaction each, as the
// webhook path does, serially and from parallel workers.
func BenchmarkMergeCustomer(b *testing.B) {
	for _, st := range hubtest.Stores(b) {
		b.Run(st.Name, func(b *testing.B) {
			var n atomic.Int64
			at := time.Now()
			b.SetParallelism(10) // with GOMAXPROCS 2: 20 concurrent merges, asynq's default concurrency
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1))
					_, err := st.MergeCustomer(context.Background(), hub.Inbound{Instance: "shopify", Resource: "customer",
						ExternalID: fmt.Sprint(i), SourceAt: at, Doc: benchDoc(i)}, hub.Policy{})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
		})
	}
}

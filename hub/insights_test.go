package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A customer's indicators follow their orders and tickets, a change of
// the profitability class leaves an insight change, and ScoreRFM scores
// and names the segment.
func TestInsightsFollowOrders(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			now := at.Add(40 * 24 * time.Hour)
			rule, err := hub.CompileProfitability("return_rate_value > 0.1 ? 'unprofitable' : aov >= 100 ? 'high' : 'standard'")
			if err != nil {
				t.Fatal(err)
			}
			opts := hub.InsightOptions{LargeOrderUnits: 1000000, ComplaintDays: 14, Profitability: rule, Now: func() time.Time { return now }}
			cust := mustMerge(t, s, hub.Policy{}, in("shop", "501", at, map[string]any{"email": "olga@example.com"}))
			id := cust.CustomerID
			lines := []any{map[string]any{"sku": "A", "quantity": 2, "total": "100.00"}, map[string]any{"sku": "B", "quantity": 1, "total": "50.00"}}
			mergeOrder(t, s, "shop", "1", at, order(t, map[string]any{"total": "150.00", "customer_ref": "501", "placed_at": "2025-03-01T10:00:00Z", "payment_method": "invoice", "lines": lines}))
			mergeOrder(t, s, "shop", "2", at, order(t, map[string]any{"total": "110.00", "customer_ref": "501", "placed_at": "2025-03-11T10:00:00Z", "payment_method": "paypal"}))
			mergeOrder(t, s, "shop", "3", at, order(t, map[string]any{"total": "130.00", "customer_ref": "501", "placed_at": "2025-03-31T10:00:00Z", "payment_method": "invoice"}))
			res, err := s.RefreshInsights(ctx, opts, "order", id)
			if err != nil || len(res) != 1 {
				t.Fatalf("refresh = %+v, %v", res, err)
			}
			got, ok, err := s.Insights(ctx, id)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if got.LTV != "390.00" || got.AOV != "130.00" || got.ReturnRateValue != 0 || got.PreferredPaymentMethod != "invoice" ||
				got.LastPaymentMethod != "invoice" || got.InvoiceShare != 0.6667 || got.MedianDaysBetweenOrders != 15 ||
				got.NextOrderDue != "2025-04-15" || got.NextOrderDueBasis != "customer" || got.Profitability != "high" {
				t.Fatalf("insights %+v", got)
			}
			// A partial refund with a returned line.
			lines[1] = map[string]any{"sku": "B", "quantity": 1, "total": "50.00", "returned_quantity": 1, "refunded": "50.00"}
			mergeOrder(t, s, "shop", "1", at.Add(time.Hour), order(t, map[string]any{"total": "150.00", "refunded": "50.00", "financial_status": "partially_refunded",
				"customer_ref": "501", "placed_at": "2025-03-01T10:00:00Z", "payment_method": "invoice", "lines": lines}))
			res, err = s.RefreshInsights(ctx, opts, "order", id)
			if err != nil || len(res) != 1 {
				t.Fatalf("refresh = %+v, %v", res, err)
			}
			if got, _, _ = s.Insights(ctx, id); got.LTV != "340.00" || got.ReturnRateValue != 0.1282 || got.ReturnRateCount != 0.3333 || got.Profitability != "unprofitable" {
				t.Fatalf("after refund %+v", got)
			}
			if len(res[0].Changes) != 1 || res[0].Changes[0].Field != hub.InsightProfitability || res[0].Changes[0].NewValue != "unprofitable" || res[0].Changes[0].ID == 0 {
				t.Fatalf("changes %+v", res[0].Changes)
			}
			// Nothing changed: nothing written.
			if res, err = s.RefreshInsights(ctx, opts, "order", id); err != nil || len(res) != 0 {
				t.Fatalf("repeat refresh = %+v, %v", res, err)
			}
			sc, err := s.ScoreRFM(ctx, opts)
			if err != nil || sc.Scored != 1 || len(sc.Changed) != 1 {
				t.Fatalf("score = %+v, %v", sc, err)
			}
			if got, _, _ = s.Insights(ctx, id); got.R != 1 || got.F != 1 || got.M != 1 || got.Segment != "lost" {
				t.Fatalf("scored %+v", got)
			}
			if sc, err = s.ScoreRFM(ctx, opts); err != nil || len(sc.Changed) != 0 {
				t.Fatalf("second score = %+v, %v", sc, err)
			}
			pending, err := s.PendingInsightChanges(ctx, 10)
			if err != nil || len(pending) != 4 { // high, due, unprofitable, lost
				t.Fatalf("pending = %+v, %v", pending, err)
			}
		})
	}
}

package hub_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// Two recomputes of one customer that has no insights yet do not run side
// by side: the one that read before an order was linked must not write
// over the one that read after. The first recompute is held between its
// reads and its write while the order is merged and a second recompute
// runs; the figures must hold both orders. (READ COMMITTED on MariaDB let
// the second pass the first, whose write then came last: an order adopted
// while the shop's next order was recomputed stayed out of the figures.)
//
// MariaDB only: SQLite's store has one connection, which the held
// recompute's transaction keeps, so nothing else could run meanwhile.
func TestInsightRecomputesOfANewCustomerDoNotCross(t *testing.T) {
	t.Parallel()
	if os.Getenv(hubtest.EnvMySQL) == "" {
		t.Skip(hubtest.EnvMySQL + " is not set: the race is MariaDB's (SQLite runs one transaction at a time)")
	}
	s := hubtest.MySQL(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	opts := hub.InsightOptions{LargeOrderUnits: 1000000, ComplaintDays: 14, Now: func() time.Time { return at.Add(24 * time.Hour) }}
	id := mustMerge(t, s, hub.Policy{}, in("shop", "601", at, map[string]any{"email": "rosa@example.com"})).CustomerID
	mergeOrder(t, s, "shop", "1", at, order(t, map[string]any{"total": "20.00", "customer_ref": "601", "placed_at": "2025-03-01T10:00:00Z"}))

	held, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	s.SetBeforeInsightWrite(func([]uint64) {
		if calls.Add(1) == 1 { // the first only (a sync.Once would hold the second too)
			close(held)
			<-release
		}
	})
	first := make(chan error, 1)
	go func() { _, err := s.RefreshInsights(ctx, opts, "order", id); first <- err }()
	<-held // the first has read one order
	mergeOrder(t, s, "shop", "2", at.Add(time.Minute), order(t, map[string]any{"total": "150.00", "customer_ref": "601", "placed_at": "2025-03-01T10:01:00Z"}))
	second := make(chan error, 1)
	go func() { _, err := s.RefreshInsights(ctx, opts, "order", id); second <- err }()
	// The second either passes the held one (the fault) or waits for it;
	// a second is long enough to tell.
	select {
	case err := <-second:
		second <- err
	case <-time.After(time.Second):
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Insights(ctx, id)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got.Orders != 2 || got.LTV != "170.00" {
		t.Errorf("insights hold %d orders worth %s, want 2 worth 170.00 (the recompute that read one wrote last)", got.Orders, got.LTV)
	}
}

// A customer's indicators follow their orders and tickets, a change of
// the profitability class leaves an insight change, and ScoreRFM scores
// and names the segment.
func TestInsightsFollowOrders(t *testing.T) {
	t.Parallel()
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
			// The event recomputes leave high, due and unprofitable; the
			// run's first segment (nothing → lost) is a first
			// classification, which the run writes no row for.
			pending, err := s.PendingInsightChanges(ctx, 10)
			if err != nil || len(pending) != 3 || slices.ContainsFunc(pending, func(c hub.InsightChange) bool { return c.Cause == "score" }) {
				t.Fatalf("pending = %+v, %v", pending, err)
			}
		})
	}
}

// Between scoring runs a new customer, and one whose orders changed, get
// provisional scores and a segment from the last run's quintile
// boundaries, so segment queries are right before the next run; the next
// run settles them, and a run after it changes nobody.
func TestProvisionalSegmentBetweenRuns(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			base := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
			// A clock with nanoseconds, as the real one: the run keeps
			// milliseconds, what the columns hold.
			now := base.Add(200*24*time.Hour + 123456789)
			opts := hub.InsightOptions{Now: func() time.Time { return now }}
			ids := make([]uint64, 10)
			for i := range ids {
				ref := fmt.Sprint(100 + i)
				ids[i] = mustMerge(t, s, hub.Policy{}, in("shop", ref, base, map[string]any{"email": fmt.Sprintf("c%d@example.com", i)})).CustomerID
				placed := base.Add(time.Duration(i*10) * 24 * time.Hour)
				mergeOrder(t, s, "shop", ref+"-1", base, order(t, map[string]any{"total": fmt.Sprintf("%d.00", 10*(i+1)), "customer_ref": ref, "placed_at": placed.Format(time.RFC3339)}))
				if i >= 5 {
					mergeOrder(t, s, "shop", ref+"-2", base, order(t, map[string]any{"total": "10.00", "customer_ref": ref, "placed_at": placed.Add(5 * 24 * time.Hour).Format(time.RFC3339)}))
				}
			}
			if _, err := s.RefreshInsights(ctx, opts, "rebuild", ids...); err != nil {
				t.Fatal(err)
			}
			// Before any run nobody is scored: there are no boundaries yet.
			newcomer := func(ref, email string, placed time.Time) uint64 {
				t.Helper()
				id := mustMerge(t, s, hub.Policy{}, in("shop", ref, base, map[string]any{"email": email})).CustomerID
				mergeOrder(t, s, "shop", ref+"-1", base, order(t, map[string]any{"total": "500.00", "customer_ref": ref, "placed_at": placed.Format(time.RFC3339)}))
				if _, err := s.RefreshInsights(ctx, opts, "order", id); err != nil {
					t.Fatal(err)
				}
				return id
			}
			early := newcomer("200", "early@example.com", now.Add(-time.Hour))
			if got, _, _ := s.Insights(ctx, early); got.R != 0 || got.Segment != "" {
				t.Fatalf("scored before any run: %+v", got)
			}
			sc, err := s.ScoreRFM(ctx, opts)
			if err != nil || sc.Scored != 11 {
				t.Fatalf("score = %+v, %v", sc, err)
			}
			// The run's changed customers read back by its time, page by
			// page, as its pushes are (sync.TypeScorePush).
			var paged []uint64
			for after := uint64(0); ; {
				page, err := s.ScoredChanged(ctx, sc.At, after, 4)
				if err != nil {
					t.Fatal(err)
				}
				paged = append(paged, page...)
				if len(page) < 4 {
					break
				}
				after = page[len(page)-1]
			}
			if !slices.Equal(paged, sc.Changed) {
				t.Fatalf("ScoredChanged pages %v, the run changed %v", paged, sc.Changed)
			}
			oldest, _, _ := s.Insights(ctx, ids[0])
			if oldest.Segment != "lost" {
				t.Fatalf("oldest customer after the run: %+v", oldest)
			}

			// A new customer buys today: newest order, one order, the
			// largest amount → 5, 1, 5: "new", found by the segment query.
			fresh := newcomer("201", "fresh@example.com", now)
			got, _, _ := s.Insights(ctx, fresh)
			if got.R != 5 || got.F != 1 || got.M != 5 || got.Segment != "new" {
				t.Fatalf("new customer between runs: %+v", got)
			}
			found, err := s.FindInsights(ctx, hub.InsightFilter{Segment: "new", Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(found, func(x hub.InsightSummary) bool { return x.ID == fresh }) {
				t.Fatalf("segment query %+v misses the new customer %d", found, fresh)
			}
			// The oldest customer buys again: two orders, more than six of
			// the eleven have (3), and the newest order (5): "loyal".
			mergeOrder(t, s, "shop", "100-2", base, order(t, map[string]any{"total": "10.00", "customer_ref": "100", "placed_at": now.Format(time.RFC3339)}))
			res, err := s.RefreshInsights(ctx, opts, "order", ids[0])
			if err != nil || len(res) != 1 {
				t.Fatalf("refresh = %+v, %v", res, err)
			}
			got, _, _ = s.Insights(ctx, ids[0])
			if got.R != 5 || got.F != 3 || got.Segment != "loyal" {
				t.Fatalf("returning customer between runs: %+v", got)
			}
			if !slices.ContainsFunc(res[0].Changes, func(c hub.InsightChange) bool {
				return c.Field == hub.InsightSegment && c.OldValue == "lost" && c.NewValue == "loyal" && c.Cause == "order"
			}) {
				t.Fatalf("changes %+v, want lost → loyal", res[0].Changes)
			}
			// A refresh that moves no order keeps the scores the run gave.
			before, _, _ := s.Insights(ctx, ids[3])
			if _, err := s.RefreshInsights(ctx, opts, "ticket", ids[3]); err != nil {
				t.Fatal(err)
			}
			if after, _, _ := s.Insights(ctx, ids[3]); after.R != before.R || after.F != before.F || after.M != before.M || after.Segment != before.Segment {
				t.Fatalf("refresh of a customer whose orders did not move rescored: %+v → %+v", before, after)
			}
			all := append(slices.Clone(ids), early, fresh)
			segs := map[uint64]string{}
			for _, id := range all {
				in, _, _ := s.Insights(ctx, id)
				segs[id] = in.Segment
			}
			if _, err := s.ScoreRFM(ctx, opts); err != nil {
				t.Fatal(err)
			}
			// A segment the run moves leaves a row naming both values; a
			// first classification (the first run's) left none.
			moved := 0
			for _, id := range all {
				in, _, _ := s.Insights(ctx, id)
				chs, err := s.InsightChangesOf(ctx, id, 50)
				if err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(chs, func(c hub.InsightChange) bool { return c.Cause == "score" && c.OldValue == "" }) {
					t.Errorf("customer %d: a run wrote a first classification: %+v", id, chs)
				}
				if in.Segment == segs[id] {
					continue
				}
				moved++
				if !slices.ContainsFunc(chs, func(c hub.InsightChange) bool {
					return c.Cause == "score" && c.Field == hub.InsightSegment && c.OldValue == segs[id] && c.NewValue == in.Segment
				}) {
					t.Errorf("customer %d: segment %s → %s by the run, changes %+v", id, segs[id], in.Segment, chs)
				}
			}
			if moved == 0 {
				t.Error("the settling run moved no segment: the test shows nothing")
			}
			if sc, err := s.ScoreRFM(ctx, opts); err != nil || len(sc.Changed) != 0 {
				t.Fatalf("second run = %+v, %v", sc, err)
			}
		})
	}
}

// The 360° view's return rates name the orders they came from with the
// lines that were refunded or returned: a returned line (a shop's
// return) and a line credited without a return (an ERP's credit note
// line), each as the order's doc holds it; the lines nothing happened to,
// and the other indicators' sources, carry no lines.
func TestInsightsViewShowsReturnedLines(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			opts := hub.InsightOptions{LargeOrderUnits: 1000000, ComplaintDays: 14, Now: func() time.Time { return at.Add(40 * 24 * time.Hour) }}
			id := mustMerge(t, s, hub.Policy{}, in("shop", "601", at, map[string]any{"email": "lina@example.com"})).CustomerID
			mergeOrder(t, s, "shop", "1", at, order(t, map[string]any{"total": "150.00", "refunded": "50.00", "financial_status": "partially_refunded",
				"customer_ref": "601", "placed_at": "2025-03-01T10:00:00Z", "lines": []any{
					map[string]any{"sku": "A", "name": "Teapot", "quantity": 2, "total": "100.00"},
					map[string]any{"sku": "B", "name": "Cup", "quantity": 1, "total": "50.00", "returned_quantity": 1, "refunded": "50.00"}}}))
			mergeOrder(t, s, "erp", "7", at, order(t, map[string]any{"total": "120.00", "refunded": "60.00", "financial_status": "partially_refunded",
				"customer_email": "lina@example.com", "placed_at": "2025-03-11T10:00:00Z", "lines": []any{
					map[string]any{"sku": "TP-1", "name": "Teekanne", "quantity": 2, "total": "120.00", "refunded_quantity": 1, "refunded": "60.00"}}}))
			mergeOrder(t, s, "shop", "2", at, order(t, map[string]any{"total": "30.00", "customer_ref": "601", "placed_at": "2025-03-21T10:00:00Z",
				"lines": []any{map[string]any{"sku": "C", "quantity": 1, "total": "30.00"}}}))
			if _, err := s.RefreshInsights(ctx, opts, "order", id); err != nil {
				t.Fatal(err)
			}
			v, err := s.InsightsView(ctx, id)
			if err != nil || v == nil {
				t.Fatalf("view %+v, %v", v, err)
			}
			type ref struct {
				Order string
				Lines []hub.SourceLine
			}
			want := []ref{
				{"shop/1", []hub.SourceLine{{SKU: "B", Name: "Cup", Quantity: 1, ReturnedQuantity: 1, Refunded: "50.00"}}},
				{"erp/7", []hub.SourceLine{{SKU: "TP-1", Name: "Teekanne", Quantity: 2, RefundedQuantity: 1, Refunded: "60.00"}}},
			}
			for _, k := range []string{"return_rate_count", "return_rate_value"} {
				var got []ref
				for _, r := range v.Sources[k] {
					got = append(got, ref{r.Instance + "/" + r.ExternalID, r.Lines})
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("sources of %s: %+v, want %+v", k, got, want)
				}
			}
			for _, r := range v.Sources["ltv"] {
				if r.Lines != nil {
					t.Errorf("ltv source %+v carries lines", r)
				}
			}
			if len(v.Sources["ltv"]) != 3 {
				t.Errorf("ltv sources %+v, want the three orders", v.Sources["ltv"])
			}
		})
	}
}

// A customer an event recomputes while the nightly scoring runs keeps the
// recompute's scores: the run read the figures before, and written, its
// scores of the old figures replaced the newer ones until the next night.
func TestScoringLeavesACustomerRecomputedMeanwhile(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			opts := hub.InsightOptions{LargeOrderUnits: 1000000, ComplaintDays: 14, Now: func() time.Time { return at.Add(30 * 24 * time.Hour) }}
			var ids []uint64
			for i, n := range []int{1, 4} {
				ref := fmt.Sprint(700 + i)
				ids = append(ids, mustMerge(t, s, hub.Policy{}, in("shop", ref, at, map[string]any{"email": fmt.Sprintf("night%d@example.com", i)})).CustomerID)
				for k := range n {
					mergeOrder(t, s, "shop", fmt.Sprint(ref, "-", k), at, order(t, map[string]any{"total": "40.00", "customer_ref": ref,
						"placed_at": at.Add(time.Duration(k) * 24 * time.Hour).Format(time.RFC3339)}))
				}
			}
			if _, err := s.RefreshInsights(ctx, opts, "order", ids...); err != nil {
				t.Fatal(err)
			}
			// The first night's run reads; the first customer orders four
			// times more and is recomputed before the run writes.
			var recomputed hub.Indicators
			s.SetBeforeScoreWrite(func() {
				for k := range 4 {
					mergeOrder(t, s, "shop", fmt.Sprint("700-late-", k), at.Add(20*24*time.Hour), order(t, map[string]any{"total": "400.00",
						"customer_ref": "700", "placed_at": at.Add(time.Duration(20+k) * 24 * time.Hour).Format(time.RFC3339)}))
				}
				if _, err := s.RefreshInsights(ctx, opts, "order", ids[0]); err != nil {
					t.Error(err)
				}
				recomputed, _, _ = s.Insights(ctx, ids[0])
			})
			defer s.SetBeforeScoreWrite(nil)
			if _, err := s.ScoreRFM(ctx, opts); err != nil {
				t.Fatal(err)
			}
			got, _, _ := s.Insights(ctx, ids[0])
			if got.R != recomputed.R || got.F != recomputed.F || got.M != recomputed.M || got.Segment != recomputed.Segment || got.Orders != 5 {
				t.Errorf("after the run: R%d F%d M%d %s (%d orders); the recompute made R%d F%d M%d %s: the run's scores of one order replaced them",
					got.R, got.F, got.M, got.Segment, got.Orders, recomputed.R, recomputed.F, recomputed.M, recomputed.Segment)
			}
		})
	}
}

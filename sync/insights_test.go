package sync

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/mappings"
	"github.com/shophub/shophub/sync/redistest"
)

// A recompute that fails when an order arrives (here: the insights table
// is gone for a while) is not only logged: it becomes a retried task,
// which fails while the table is away and recomputes once it is back.
func TestFailedInsightsRecomputeIsRetried(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			s := st.Store
			rdb, _ := redistest.Client(t)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			cust, err := s.MergeCustomer(ctx, hub.Inbound{Instance: "shop", Resource: "customer", ExternalID: "1", SourceAt: at,
				Doc: map[string]any{"email": "retry@example.com"}}, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			doc, err := mappings.NormalizeOrder(map[string]any{"status": "open", "financial_status": "paid", "currency": "EUR", "line_items": 1,
				"total": "80.00", "customer_ref": "1", "placed_at": "2026-03-01T10:00:00Z", "payment_method": "invoice"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.MergeOrder(ctx, hub.OrderInbound{Instance: "shop", ExternalID: "o1", EventID: "e1", SourceAt: at, Doc: doc}); err != nil {
				t.Fatal(err)
			}
			var heard atomic.Uint64 // the customer OnInsights last heard of
			h := &Handlers{Store: s, Queue: NewQueue(rdb), Points: &Touchpoints{}, Log: log, MaxRetry: 10,
				OnInsights: func(_ context.Context, res []hub.InsightResult) {
					for _, r := range res {
						heard.Store(r.CustomerID)
					}
				}}
			rename := func(from, to string) {
				t.Helper()
				if err := s.DB().Exec("ALTER TABLE " + from + " RENAME TO " + to).Error; err != nil {
					t.Fatal(err)
				}
			}
			rename("customer_insights", "customer_insights_away")
			if h.updateInsights(ctx, cust.CustomerID, "event", log) {
				t.Fatal("the recompute succeeded without its table")
			}
			insp := asynq.NewInspectorFromRedisClient(rdb)
			info, err := insp.GetTaskInfo(QueuePoll, "insights:refresh:"+strconv.FormatUint(cust.CustomerID, 10))
			if err != nil || info.Type != TypeRefresh {
				t.Fatalf("no retry queued: %+v, %v", info, err)
			}
			srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{QueuePoll: 1},
				RetryDelayFunc:    func(int, error, *asynq.Task) time.Duration { return 200 * time.Millisecond },
				TaskCheckInterval: 20 * time.Millisecond, DelayedTaskCheckInterval: 100 * time.Millisecond,
				Logger: asynqLogger{log}, LogLevel: asynq.FatalLevel})
			mux := asynq.NewServeMux()
			h.Register(mux)
			if err := srv.Start(mux); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Shutdown)
			// It fails while the table is away…
			waitFor(t, 30*time.Second, "the retried recompute never failed", func() bool {
				info, err := insp.GetTaskInfo(QueuePoll, "insights:refresh:"+strconv.FormatUint(cust.CustomerID, 10))
				return err == nil && info.Retried > 0
			})
			if _, ok, _ := s.Insights(ctx, cust.CustomerID); ok || heard.Load() != 0 {
				t.Fatal("insights appeared without their table")
			}
			// …and recomputes once it is back.
			rename("customer_insights_away", "customer_insights")
			waitFor(t, 30*time.Second, "the retried recompute never succeeded", func() bool {
				in, ok, err := s.Insights(ctx, cust.CustomerID)
				return err == nil && ok && in.Orders == 1 && in.LTV == "80.00" && in.LastPaymentMethod == "invoice"
			})
			waitFor(t, 10*time.Second, "OnInsights never heard of the retried recompute", func() bool {
				return heard.Load() == cust.CustomerID
			})
		})
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal(what)
}

package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
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
			cust := customerWithOrder(t, s, "shop", "retry@example.com")
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

// customerWithOrder merges a customer of instance (external id 1) and one
// paid order of theirs: 80.00 EUR by invoice on 2026-03-01.
func customerWithOrder(t *testing.T, s *hub.Store, instance, email string) hub.Result {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cust, err := s.MergeCustomer(ctx, hub.Inbound{Instance: instance, Resource: "customer", ExternalID: "1", SourceAt: at,
		Doc: map[string]any{"email": email}}, hub.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := mappings.NormalizeOrder(map[string]any{"status": "open", "financial_status": "paid", "currency": "EUR", "line_items": 1,
		"total": "80.00", "customer_ref": "1", "placed_at": "2026-03-01T10:00:00Z", "payment_method": "invoice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MergeOrder(ctx, hub.OrderInbound{Instance: instance, ExternalID: "o1", EventID: "e1", SourceAt: at, Doc: doc}); err != nil {
		t.Fatal(err)
	}
	return cust
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

// pushSink is a target that takes every write (the test counts the push
// tasks, not the writes).
type pushSink struct{ fetchCounter }

var _ connectors.Writer = (*pushSink)(nil)

func (*pushSink) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Push: true, Resources: []string{connectors.ResourceCustomer}}
}
func (*pushSink) Upsert(context.Context, string, string, map[string]any) (*connectors.Record, error) {
	return nil, nil
}
func (*pushSink) Delete(context.Context, string, string) error { return nil }

// A scoring run's pushes go to the targets' bulk queues page by page,
// never more than the backlog at a time, and an instance's server takes
// its live pushes first: a change made at a shop while the first run's
// flood is queued is pushed before the flood's next push.
func TestScorePushesArePacedBehindLivePushes(t *testing.T) {
	s := hubtest.MySQL(t)
	ctx := context.Background()
	rdb, _ := redistest.Client(t)
	log := slog.New(slog.DiscardHandler)
	n := scoreBacklog + 3*scorePage/2 // more than one backlog
	now := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	custs := make([]hub.Customer, n)
	for i := range custs {
		e := "flood" + strconv.Itoa(i) + "@example.com"
		custs[i] = hub.Customer{Email: &e, Data: "{}", Provenance: "{}", Version: 1}
	}
	if err := s.DB().CreateInBatches(&custs, 1000).Error; err != nil {
		t.Fatal(err)
	}
	rows := make([]hub.Insight, n)
	for i, c := range custs {
		last := now.Add(-time.Duration(i) * time.Hour)
		rows[i] = hub.Insight{CustomerID: c.ID, Orders: 1 + i%4, Currency: "EUR", LTVUnits: int64(i) * 10000, LastOrderAt: &last, Data: `{}`, ComputedAt: now}
	}
	if err := s.DB().CreateInBatches(&rows, 1000).Error; err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Compile("desk", []byte("version: 1\nresources:\n  customer:\n    outbound:\n      fields:\n        segment:\n          from: _hub.segment\n"), mappings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tp := &Touchpoint{Name: "desk", Conn: &pushSink{}, Mapping: m}
	h := &Handlers{Store: s, Queue: NewQueue(rdb), Points: &Touchpoints{byName: map[string]*Touchpoint{"desk": tp}, names: []string{"desk"}},
		Log: log, MaxRetry: 3, Insights: hub.InsightOptions{Now: func() time.Time { return now }}}
	if !tp.CanPush(connectors.ResourceCustomer) || !m.ReadsHub(connectors.ResourceCustomer) {
		t.Fatal("the test target renders no insights")
	}
	if err := h.Score(ctx, NewScoreTask("1")); err != nil {
		t.Fatal(err)
	}
	// The chain runs on its own here, one page at a time: the backlog
	// stops it before all n are queued.
	insp := asynq.NewInspectorFromRedisClient(rdb)
	bulk := func() int {
		info, err := insp.GetQueueInfo(PushBulkQueue("desk"))
		if err != nil {
			return 0
		}
		return info.Pending
	}
	var waited bool
	for range 100 {
		tasks, err := insp.ListPendingTasks(QueuePoll)
		if err != nil || len(tasks) == 0 {
			if sch, _ := insp.ListScheduledTasks(QueuePoll); len(sch) > 0 {
				waited = true
			}
			break
		}
		for _, tk := range tasks {
			if err := h.ScorePush(ctx, asynq.NewTask(tk.Type, tk.Payload)); err != nil {
				t.Fatal(err)
			}
			if err := insp.DeleteTask(QueuePoll, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := bulk(); !waited || got > scoreBacklog+scorePage || got < scoreBacklog {
		t.Fatalf("bulk queue holds %d of %d pushes, waited %v: want the chain paused at the backlog (%d + one page)", got, n, waited, scoreBacklog)
	}
	// A live push queued after the flood runs first.
	var order []string
	var mu gosync.Mutex
	srv := NewServers(rdb, config.Worker{Concurrency: 4, TaskCheckInterval: config.Duration(20 * time.Millisecond), ShutdownTimeout: config.Duration(time.Second)},
		log, nil, map[string]int{"desk": 1})
	live := NewPushTask(PushPayload{Instance: "desk", Resource: connectors.ResourceCustomer, CustomerID: custs[0].ID, Version: 2}, 3)
	if err := h.Queue.Enqueue(ctx, live); err != nil {
		t.Fatal(err)
	}
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypePush, func(ctx context.Context, tk *asynq.Task) error {
		var p PushPayload
		_ = json.Unmarshal(tk.Payload(), &p)
		mu.Lock()
		defer mu.Unlock()
		order = append(order, fmt.Sprint(p.Bulk))
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	waitFor(t, 30*time.Second, "the live push never ran", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(order, "false")
	})
	mu.Lock()
	defer mu.Unlock()
	if i := slices.Index(order, "false"); i != 0 {
		t.Errorf("the live push ran after %d bulk pushes", i)
	}
}

// An event refreshes the insights at the touchpoints that render them,
// and only there: with a connector's insight settings off its mapping
// renders none, and it gets no refresh push per event.
func TestInsightRefreshesFollowTheSettings(t *testing.T) {
	s := hubtest.SQLite(t)
	ctx := context.Background()
	rdb, _ := redistest.Client(t)
	log := slog.New(slog.DiscardHandler)
	points := &Touchpoints{byName: map[string]*Touchpoint{}}
	for _, tc := range []struct {
		name, typ string
		settings  map[string]any
	}{
		{"shopify-on", "shopify", nil},
		{"shopify-off", "shopify", map[string]any{"insight_tags": false, "insight_metafields": false}},
		{"shopware-off", "shopware", map[string]any{"insight_tags": false, "insight_custom_fields": false}},
		{"shopware-tags", "shopware", map[string]any{"insight_custom_fields": false}},
		{"magento-default", "magento", nil},
		{"magento-on", "magento", map[string]any{"insight_attributes": true}},
		{"helpscout", "helpscout", nil},
	} {
		reg, ok := connectors.Lookup(tc.typ)
		if !ok {
			t.Fatalf("no connector %s", tc.typ)
		}
		m, err := mappings.Compile(tc.typ, reg.Mapping, mappings.Options{Settings: tc.settings})
		if err != nil {
			t.Fatal(err)
		}
		points.byName[tc.name] = &Touchpoint{Name: tc.name, Conn: &pushSink{}, Mapping: m}
		points.names = append(points.names, tc.name)
	}
	h := &Handlers{Store: s, Queue: NewQueue(rdb), Points: points, Log: log, MaxRetry: 3}
	cust := customerWithOrder(t, s, "shopify-on", "settings@example.com")
	h.refreshKnowledge(ctx, cust.CustomerID, log)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	got := map[string]int{}
	for _, name := range points.names {
		if tasks, err := insp.ListPendingTasks(PushQueue(name)); err == nil {
			got[name] = len(tasks)
		}
	}
	want := map[string]int{"shopify-on": 1, "shopware-tags": 1, "magento-on": 1, "helpscout": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("refresh pushes per touchpoint %v, want %v", got, want)
	}
}

package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/mappings"
	shsync "github.com/shophub/shophub/sync"
)

// `insights score` runs the scoring now and says what it did: the
// customers with orders read, those changed, the durations, and the pushes
// queued per target (the Shopify default mapping renders insights). A
// second run finds nothing changed; a run while another holds the lock is
// refused.
func TestInsightsScoreCommand(t *testing.T) {
	o := newOpsEnv(t)
	o.writeMapping(t, func(s string) string { return s })
	ctx := context.Background()
	cfg, err := config.Load(o.config)
	if err != nil {
		t.Fatal(err)
	}
	st, err := hub.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var ids []uint64
	for i := range 3 {
		c, err := st.MergeCustomer(ctx, hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: fmt.Sprint(i + 1), SourceAt: at,
			Doc: map[string]any{"email": fmt.Sprintf("score%d@example.com", i)}}, hub.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		for k := range i + 1 {
			doc, err := mappings.NormalizeOrder(map[string]any{"status": "open", "financial_status": "paid", "currency": "EUR", "line_items": 1,
				"total": fmt.Sprintf("%d.00", 40*(i+1)), "customer_ref": fmt.Sprint(i + 1),
				"placed_at": at.AddDate(0, 0, -30*k-i).Format(time.RFC3339), "payment_method": "invoice"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.MergeOrder(ctx, hub.OrderInbound{Instance: "shopify", ExternalID: fmt.Sprintf("o%d-%d", i, k),
				EventID: fmt.Sprintf("e%d-%d", i, k), SourceAt: at, Doc: doc}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, c.CustomerID)
	}
	if _, err := st.RefreshInsights(ctx, hub.InsightOptions{}, "event", ids...); err != nil {
		t.Fatal(err)
	}
	// What the event recompute scored provisionally without boundaries
	// the first run replaces: every customer changes.
	var before []hub.Insight
	if err := st.DB().Order("customer_id").Find(&before).Error; err != nil {
		t.Fatal(err)
	}

	out, err := run(t, "--config", o.config, "insights", "score")
	if err != nil {
		t.Fatalf("insights score: %v\n%s", err, out)
	}
	t.Logf("insights score:\n%s", out)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^customers read:\s+3 \(with orders\)$`),
		regexp.MustCompile(`(?m)^customers changed: 3 \(`),
		regexp.MustCompile(`(?m)^duration:\s+\S+ \(read \S+, classify \S+, write \S+\)$`),
		regexp.MustCompile(`(?m)^TARGET\s+PUSHES\s+QUEUE$`),
		regexp.MustCompile(`(?m)^shopify\s+3\s+push:shopify:bulk$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("insights score output lacks %s", want)
		}
	}
	var after []hub.Insight
	if err := st.DB().Order("customer_id").Find(&after).Error; err != nil {
		t.Fatal(err)
	}
	for i, r := range after {
		if r.R == 0 || r.Segment == "" || r.ScoredAt == nil || r.Version <= before[i].Version {
			t.Errorf("customer %d not scored: %+v", r.CustomerID, r)
		}
	}
	// The pushes go out through the workers: the run queued the first
	// page of its push chain.
	rdb := app.NewRedis(cfg.Redis)
	defer rdb.Close()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	tasks, err := insp.ListPendingTasks(shsync.QueuePoll)
	if err != nil {
		t.Fatal(err)
	}
	var chain int
	for _, tk := range tasks {
		if tk.Type == shsync.TypeScorePush {
			chain++
		}
	}
	if chain != 1 {
		t.Errorf("%d score push tasks queued, want the chain's first page", chain)
	}
	// The chain's pushes wait in the target's bulk queue, which status
	// lists beside its live queue.
	task := shsync.NewPushTask(shsync.PushPayload{Instance: "shopify", Resource: "customer", CustomerID: ids[0], Version: 1,
		Force: true, Knowledge: "s1", Bulk: true}, 3)
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(task); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "--config", o.config, "status"); err != nil || !regexp.MustCompile(`(?m)^push:shopify:bulk\s+1\s+0\s+0\s+0\s+0$`).MatchString(out) {
		t.Errorf("status does not list the bulk queue (%v):\n%s", err, out)
	}

	out, err = run(t, "--config", o.config, "insights", "score")
	if err != nil || !regexp.MustCompile(`(?m)^customers changed: 0 \(`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^shopify\s+0\s+push:shopify:bulk$`).MatchString(out) {
		t.Errorf("a second run changed something (%v):\n%s", err, out)
	}

	lease, ok, err := shsync.NewQueue(rdb).Lock(ctx, "insights:score", time.Minute, 0)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer lease.Release(ctx)
	if out, err := run(t, "--config", o.config, "insights", "score"); err == nil || !strings.Contains(err.Error(), "already going") {
		t.Errorf("a run while another holds the lock: %v\n%s", err, out)
	}
}

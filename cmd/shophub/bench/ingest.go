package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

const benchSecret = "bench-shopify-secret"

// shopifyWebhooks prepares n distinct signed customers/update deliveries of
// about 2 KB each.
func shopifyWebhooks(url string, n int) []request {
	em := shopifytest.New(shopifytest.Options{WebhookSecret: benchSecret})
	defer em.Close()
	out := make([]request, n)
	for i := range out {
		h, body := em.SignedDelivery("customers/update", benchCustomer(i, "Bench", time.Now()))
		h.Set("X-Shopify-Webhook-Id", "bench-"+strconv.Itoa(i))
		h.Set("Content-Type", "application/json")
		out[i] = request{url: url, header: h, body: body}
	}
	return out
}

// benchCustomer is a Shopify customer record of realistic size.
func benchCustomer(i int, first string, at time.Time) map[string]any {
	addr := map[string]any{"id": 9000000 + i, "customer_id": 1000000 + i, "first_name": first, "last_name": fmt.Sprint("Kunde", i),
		"company": "Beispiel GmbH", "address1": fmt.Sprintf("Hauptstraße %d", i%200+1), "address2": "Hinterhaus", "city": "Berlin",
		"province": "Berlin", "country": "Germany", "zip": "10115", "phone": "+49 30 1234567", "name": first + " Kunde",
		"province_code": "BE", "country_code": "DE", "country_name": "Germany", "default": true}
	return map[string]any{
		"id": 1000000 + i, "email": fmt.Sprintf("kunde%d@example.com", i), "first_name": first, "last_name": fmt.Sprint("Kunde", i),
		"phone": fmt.Sprintf("+4930%07d", i%10000000), "tags": "vip, newsletter, bench", "state": "enabled", "verified_email": true,
		"created_at": "2025-01-01T10:00:00+01:00", "updated_at": at.Format(time.RFC3339), "currency": "EUR", "tax_exempt": false,
		"orders_count": i % 17, "total_spent": fmt.Sprintf("%d.%02d", i%900, i%100), "note": "benchmark customer",
		"admin_graphql_api_id":    fmt.Sprintf("gid://shopify/Customer/%d", 1000000+i),
		"email_marketing_consent": map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": "2025-01-01T10:00:00+01:00"},
		"sms_marketing_consent":   map[string]any{"state": "not_subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": nil, "consent_collected_from": "OTHER"},
		"addresses":               []any{addr}, "default_address": addr,
	}
}

func runIngest(ctx context.Context, r *Runner) (*Result, error) {
	dsn, rdb, done, err := r.stores(ctx)
	if err != nil {
		return nil, err
	}
	defer done()

	cfg := &config.Config{File: "(bench)", Database: config.Database{Driver: "mysql", DSN: dsn},
		Connectors: []config.Connector{{Name: "shopify", Type: "shopify", WebhookSecret: benchSecret,
			Settings: map[string]any{"shop_url": "http://127.0.0.1:1", "access_token": "x"}}}}
	cfg.ApplyDefaults()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a, err := app.New(ctx, app.Options{Config: cfg, Log: r.Opts.Log, Serve: true, Listener: l, Redis: rdb, Migrate: true})
	if err != nil {
		return nil, err
	}
	if err := a.Start(ctx); err != nil {
		return nil, err
	}
	defer a.Shutdown(context.Background())

	// Ceiling: the least a webhook endpoint can do — read the body, enqueue
	// one task, answer — on the same machine, Redis and load generator.
	client := asynq.NewClientFromRedisClient(rdb)
	gin.SetMode(gin.ReleaseMode)
	bare := gin.New()
	bare.POST("/bare", func(c *gin.Context) {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		if _, err := client.EnqueueContext(c.Request.Context(), asynq.NewTask("bench:bare", body, asynq.Queue("bare"))); err != nil {
			c.Status(http.StatusServiceUnavailable)
			return
		}
		c.Status(http.StatusOK)
	})
	bl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	bareSrv := &http.Server{Handler: bare}
	go func() { _ = bareSrv.Serve(bl) }()
	defer bareSrv.Close()

	n := r.scale(20000, 5000)
	d := r.duration(10*time.Second, 3*time.Second)
	const conns = 50
	hooks := shopifyWebhooks(a.URL()+"/webhooks/shopify", n)
	bareReqs := make([]request, len(hooks))
	for i, h := range hooks {
		bareReqs[i] = request{url: "http://" + bl.Addr().String() + "/bare", header: h.header, body: h.body}
	}
	// CPU per answered request in this process (the load generator's
	// share is the same for both) and in Redis: counts that a loaded
	// machine's wall clock does not stretch.
	measure := func(reqs []request) (loadResult, float64, float64) {
		c0, s0 := cpuTime(), serverCPUNow()
		res := load(ctx, reqs, conns, d, r.Opts.Rate)
		n := int(max(1, res.ok))
		redisMS, _ := serverCPUNow().perItem(s0, n)
		return res, msPer(cpuTime()-c0, n) * 1000, redisMS * 1000
	}
	ceil, ceilCPU, ceilRedis := measure(bareReqs)
	_ = rdb.FlushDB(ctx).Err()
	got, gotCPU, gotRedis := measure(hooks)

	p := percentiles(got.latencies)
	pc := percentiles(ceil.latencies)
	res := &Result{
		Figure:  Figure{Name: "webhooks accepted", Value: got.perSecond(), Unit: "/s"},
		Ceiling: Figure{Name: "bare read+enqueue", Value: ceil.perSecond(), Unit: "/s"},
		Target:  "≥ 90% of ceiling, p99 ack ≤ 20 ms",
		Details: map[string]any{"connections": conns, "duration": d.String(), "accepted": got.ok, "rejected": got.rejected,
			"errors": got.errors, "ack_p50_ms": p["p50_ms"], "ack_p95_ms": p["p95_ms"], "ack_p99_ms": p["p99_ms"],
			"ceiling_p99_ms": pc["p99_ms"], "body_bytes": len(hooks[0].body),
			"cpu_us_per_webhook": gotCPU, "ceiling_cpu_us_per_request": ceilCPU,
			"redis_cpu_us_per_webhook": gotRedis, "ceiling_redis_cpu_us_per_request": ceilRedis},
	}
	if r.Opts.Rate > 0 {
		res.Details["rate"] = r.Opts.Rate
	}
	res.Ratio = ratio(res.Figure.Value, res.Ceiling.Value)
	return res, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

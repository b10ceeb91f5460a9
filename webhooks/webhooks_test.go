package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/api"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
	"github.com/shophub/shophub/webhooks"

	_ "github.com/shophub/shophub/connectors/all"
)

// lineCounter counts log lines and keeps them.
type lineCounter struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.lines = append(l.lines, s)
	}
	return len(p), nil
}

func (l *lineCounter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

const shopwareSecret = "app-secret"

// receiver serves POST /webhooks/shopware into a real Redis queue, logging
// at level (what operators run) into the returned counter.
func receiver(t testing.TB, level slog.Level) (*gin.Engine, *lineCounter, *shsync.Queue) {
	t.Helper()
	rdb, _ := redistest.Client(t)
	cfg := &config.Config{File: "test", Connectors: []config.Connector{{
		Name: "shopware", Type: "shopware", WebhookSecret: shopwareSecret,
		Settings: map[string]any{"url": "https://shop.example.com", "client_id": "SWIA", "client_secret": "x"},
	}}}
	cfg.ApplyDefaults()
	lines := &lineCounter{}
	log := slog.New(slog.NewJSONHandler(lines, &slog.HandlerOptions{Level: level}))
	points, err := shsync.Build(context.Background(), cfg, log, false)
	if err != nil {
		t.Fatal(err)
	}
	q := shsync.NewQueue(rdb)
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	(&webhooks.Receiver{Points: points, Queue: q, MaxBody: 64 << 20, MaxRetry: 3, Log: log}).Register(e)
	return e, lines, q
}

// bigDelivery is a customer.written webhook for n customers, as Shopware
// sends one for an import.
func bigDelivery(n int) (http.Header, []byte) {
	emu := shopwaretest.New(shopwaretest.Options{AppSecret: shopwareSecret})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = shopwaretest.NewID()
	}
	return emu.SignedDelivery("customer.written", ids)
}

func post(e http.Handler, h http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopware", bytes.NewReader(body))
	req.Header = h.Clone()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	return w
}

// A 10,000-item webhook is logged as one summary line, not a line per
// item, and every item is enqueued. The time it takes is printed (no
// assertion on it: the machine is shared).
func TestLargeWebhookLogsOneSummary(t *testing.T) {
	const n = 10000
	e, lines, _ := receiver(t, slog.LevelInfo)
	h, body := bigDelivery(n)
	start := time.Now()
	w := post(e, h, body)
	took := time.Since(start)
	if w.Code != http.StatusOK {
		t.Fatalf("webhook: %d %s", w.Code, w.Body)
	}
	var ans webhooks.Answer
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Accepted != n {
		t.Errorf("accepted %d of %d items", ans.Accepted, n)
	}
	if got := lines.count(); got != 1 || !strings.Contains(lines.lines[0], `"items":10000`) {
		t.Errorf("%d log lines for one webhook of %d items, want one summary at Info naming the item count: %v", got, n, lines.lines)
	}
	t.Logf("%d-item Shopware webhook (%d KB) accepted in %s, %d log lines", n, len(body)/1024, took.Round(time.Millisecond), lines.count())

	// A re-delivery of the same webhook is all duplicates, still one line.
	before := lines.count()
	w = post(e, h, body)
	_ = json.Unmarshal(w.Body.Bytes(), &ans)
	if ans.Duplicates != n || lines.count()-before > 1 {
		t.Errorf("re-delivery: %+v, %d log lines", ans, lines.count()-before)
	}
}

// The default body limit takes the delivery of a 10,000-customer import;
// Shopware would retry a refused one and deactivate the webhook after ten
// failures.
func TestDefaultBodyLimitTakesAnImport(t *testing.T) {
	_, body := bigDelivery(10000)
	if int64(len(body)) > config.DefaultMaxBodyBytes/4 {
		t.Errorf("a 10,000-item delivery is %d bytes; the default limit %d leaves less than 4x headroom", len(body), config.DefaultMaxBodyBytes)
	}
}

// BenchmarkLargeWebhook measures one 10,000-item delivery end to end on
// the request path (verify, decode, enqueue into Redis).
func BenchmarkLargeWebhook(b *testing.B) {
	e, _, q := receiver(b, slog.LevelInfo)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h, body := bigDelivery(10000)
		_ = q.Redis.FlushDB(context.Background()).Err()
		b.StartTimer()
		if w := post(e, h, body); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkShopifyWebhook is the request path of one signed Shopify
// customers/update delivery (~1.4 KB), as `shophub bench ingest-webhooks`
// sends it, beside a bare handler that only reads the body and enqueues
// it: the difference is what the receiver adds (verify, decode, payload,
// answer). Both enqueue into the same real Redis.
func BenchmarkShopifyWebhook(b *testing.B) {
	rdb, _ := redistest.Client(b)
	const secret = "bench-secret"
	cfg := &config.Config{File: "test", Connectors: []config.Connector{{
		Name: "shopify", Type: "shopify", WebhookSecret: secret,
		Settings: map[string]any{"shop_url": "https://bench.myshopify.com", "access_token": "x"},
	}}}
	cfg.ApplyDefaults()
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	points, err := shsync.Build(context.Background(), cfg, log, false)
	if err != nil {
		b.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(api.Recovery(log), api.RequestID)
	(&webhooks.Receiver{Points: points, Queue: shsync.NewQueue(rdb), MaxBody: 64 << 20, MaxRetry: 3, Log: log}).Register(e)
	client := asynq.NewClientFromRedisClient(rdb)
	e.POST("/bare", func(c *gin.Context) {
		body, _ := io.ReadAll(c.Request.Body)
		if _, err := client.EnqueueContext(c.Request.Context(), asynq.NewTask("bench:bare", body, asynq.Queue("bare"))); err != nil {
			c.Status(http.StatusServiceUnavailable)
			return
		}
		c.Status(http.StatusOK)
	})
	emu := shopifytest.New(shopifytest.Options{WebhookSecret: secret})
	defer emu.Close()
	h, body := emu.SignedDelivery("customers/update", map[string]any{
		"id": 1000001, "email": "kunde1@example.com", "first_name": "Bench", "last_name": "Kunde1",
		"updated_at": "2026-12-03T10:00:00+01:00", "tags": "vip, newsletter, bench", "note": strings.Repeat("x", 1200)})
	for _, path := range []string{"/webhooks/shopify", "/bare"} {
		b.Run(strings.TrimPrefix(path[1:], "webhooks/"), func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
				req.Header = h.Clone()
				req.Header.Set("X-Shopify-Webhook-Id", "bench-"+strconv.Itoa(i)+"-"+path)
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, w.Code, w.Body)
				}
			}
		})
	}
}

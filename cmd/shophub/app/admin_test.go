package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub/hubtest"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

const adminToken = "adm1n-t0ken"

// call sends one request and returns status, headers and body.
func call(t *testing.T, method, url string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var bearer = map[string]string{"Authorization": "Bearer " + adminToken}

// With server.admin_listen set, the public port answers only webhooks
// (and the Shopware app routes), /healthz and a bare /readyz; metrics,
// readiness detail, the dashboard and the admin API answer on the admin
// port, with security headers.
func TestAdminListenerApart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{lazy: true, tune: func(c *config.Config) {
		c.Server.AdminListen = "127.0.0.1:0"
		c.Server.AdminToken = adminToken
	}})
	pub, adm := e.app.URL(), e.app.AdminURL()
	if adm == "" || adm == pub {
		t.Fatalf("admin URL %q, public %q: want a listener apart", adm, pub)
	}
	for _, tc := range []struct {
		base, method, path string
		hdr                map[string]string
		want               int
		body               string // substring the body must hold
		notBody            string // substring it must not
	}{
		{pub, "GET", "/healthz", nil, 200, `"ok"`, ""},
		{pub, "GET", "/readyz", nil, 200, `{"status":"ok"}`, "database"},
		{pub, "POST", "/webhooks/shopify", nil, 401, "signature", ""},
		{pub, "GET", "/apps/shopware/register", nil, 0, "", ""}, // vendor-facing: mounted (any answer but 404)
		{pub, "GET", "/metrics", nil, 404, "", ""},
		{pub, "GET", "/api/customers", bearer, 404, "", ""},
		{pub, "GET", "/ui/queues", bearer, 404, "", ""},
		{adm, "GET", "/metrics", nil, 200, "shophub_", ""},
		{adm, "GET", "/readyz", nil, 200, `"database":"ok"`, ""},
		{adm, "GET", "/healthz", nil, 200, `"ok"`, ""},
		{adm, "GET", "/api/customers", bearer, 200, "", ""},
		{adm, "GET", "/api/customers", nil, 401, "", ""},
		{adm, "GET", "/ui/queues", bearer, 200, "", ""},
	} {
		status, h, body := call(t, tc.method, tc.base+tc.path, tc.hdr)
		where := "public"
		if tc.base == adm {
			where = "admin"
		}
		if tc.want == 0 {
			if status == http.StatusNotFound && !strings.Contains(body, "shopware") {
				t.Errorf("%s %s %s: 404 %s, want the route mounted", where, tc.method, tc.path, body)
			}
			continue
		}
		if status != tc.want || !strings.Contains(body, tc.body) || (tc.notBody != "" && strings.Contains(body, tc.notBody)) {
			t.Errorf("%s %s %s = %d %.200s; want %d with %q without %q", where, tc.method, tc.path, status, body, tc.want, tc.body, tc.notBody)
		}
		if where == "admin" && tc.path != "/healthz" && status == 200 {
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Content-Security-Policy": "frame-ancestors 'none'", "Referrer-Policy": "no-referrer"} {
				if h.Get(k) != v {
					t.Errorf("admin %s: %s = %q, want %q", tc.path, k, h.Get(k), v)
				}
			}
		}
	}
}

// The dashboard is read-only by default; with dashboard_actions its
// actions run only from its own origin: a cross-site POST is refused
// before it reaches asynqmon, even with the right credentials.
func TestDashboardActions(t *testing.T) {
	t.Parallel()
	pause := "/ui/queues/api/queues/" + shsync.QueuePoll + ":pause"
	for _, tc := range []struct {
		name    string
		actions bool
		hdr     map[string]string
		want    int
	}{
		{"read-only by default", false, map[string]string{"Origin": "SELF"}, http.StatusMethodNotAllowed},
		{"foreign origin", true, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", true, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"no origin at all", true, nil, http.StatusForbidden},
		{"null origin", true, map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"own origin", true, map[string]string{"Origin": "SELF", "Sec-Fetch-Site": "same-origin"}, http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t, true, false, nil, func(c *config.Config) {
				c.Server.AdminListen = "127.0.0.1:0"
				c.Server.AdminToken = adminToken
				c.Server.DashboardActions = tc.actions
			})
			// A waiting task makes the queue exist (no worker runs here).
			if _, err := a.Queue.Client.Enqueue(asynq.NewTask("test:wait", nil), asynq.Queue(shsync.QueuePoll), asynq.ProcessIn(time.Hour)); err != nil {
				t.Fatal(err)
			}
			hdr := map[string]string{"Authorization": bearer["Authorization"]}
			for k, v := range tc.hdr {
				hdr[k] = strings.ReplaceAll(v, "SELF", a.AdminURL())
			}
			status, _, body := call(t, "POST", a.AdminURL()+pause, hdr)
			if status != tc.want {
				t.Fatalf("POST %s = %d %s, want %d", pause, status, body, tc.want)
			}
			paused, err := a.DeadLetters.Inspector.GetQueueInfo(shsync.QueuePoll)
			if tc.want == http.StatusNoContent && (err != nil || !paused.Paused) {
				t.Fatalf("the allowed action did not pause the queue: %+v %v", paused, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != http.StatusNoContent && paused.Paused {
				t.Fatal("a refused action paused the queue")
			}
		})
	}
}

// `shophub worker` serves /metrics, /healthz and /readyz on worker.listen,
// its readiness including the queue server's health.
func TestWorkerListener(t *testing.T) {
	t.Parallel()
	a := newApp(t, false, true, nil, func(c *config.Config) { c.Worker.Listen = "127.0.0.1:0" })
	base := a.AdminURL()
	if base == "" {
		t.Fatal("the worker opened no listener")
	}
	if status, _, body := call(t, "GET", base+"/healthz", nil); status != 200 {
		t.Errorf("/healthz = %d %s", status, body)
	}
	status, _, body := call(t, "GET", base+"/readyz", nil)
	if status != 200 || !strings.Contains(body, `"worker":"ok"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("/readyz = %d %s, want ready with worker and database ok", status, body)
	}
	status, _, body = call(t, "GET", base+"/metrics", nil)
	if status != 200 || !strings.Contains(body, "shophub_") {
		t.Errorf("/metrics = %d %.300s", status, body)
	}
	// A worker has no admin API or dashboard to show.
	if status, _, _ := call(t, "GET", base+"/ui/queues", bearer); status != 404 {
		t.Errorf("/ui/queues on a worker = %d, want 404", status)
	}
	// Draining turns readiness red while metrics still answer.
	done := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
		close(done)
	}()
	<-done
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		t.Error("the worker's listener is still open after shutdown")
	}
}

// asynq's own Redis health check feeds the worker's readiness: with Redis
// gone, /readyz turns 503 and names the queue server, and it recovers
// once Redis is back.
func TestWorkerReadinessFollowsQueueHealth(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t)
	rdb := app.NewRedis(config.Redis{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	a := newAppOn(t, rdb, false, true, nil, func(c *config.Config) { c.Worker.Listen = "127.0.0.1:0" })
	readyWorker := func() (int, string) {
		status, _, body := call(t, "GET", a.AdminURL()+"/readyz", nil)
		return status, body
	}
	if status, body := readyWorker(); status != 200 || !strings.Contains(body, `"worker":"ok"`) {
		t.Fatalf("/readyz = %d %s, want ready", status, body)
	}
	srv.Stop()
	var body string
	eventually(t, 4*shsync.HealthInterval, "the worker's readiness never named the queue server's failed health check", func() bool {
		var status int
		status, body = readyWorker()
		return status == http.StatusServiceUnavailable && strings.Contains(body, `"worker":"queue server:`)
	})
	srv.Start()
	eventually(t, 4*shsync.HealthInterval, "the worker never became ready again: "+body, func() bool {
		status, b := readyWorker()
		return status == 200 && strings.Contains(b, `"worker":"ok"`)
	})
}

// A caller cannot forge the logged remote address with X-Forwarded-For
// unless it is a configured trusted proxy; and a panic is logged without
// the request's path (a webhook token) or Authorization header.
func TestForgedForwardedFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		trusted []string
		want    string
	}{
		{"no trusted proxies", nil, "remote=127.0.0.1"},
		{"loopback trusted", []string{"127.0.0.1"}, "remote=203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf lockedBuffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			a := newApp(t, false, false, log, func(c *config.Config) { c.Server.TrustedProxies = tc.trusted })
			req := httptest.NewRequest("POST", "/webhooks/shopify", strings.NewReader("{}"))
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			rec := httptest.NewRecorder()
			a.Engine.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("unsigned webhook = %d %s", rec.Code, rec.Body)
			}
			if !strings.Contains(buf.String(), tc.want) {
				t.Fatalf("log lacks %q:\n%s", tc.want, buf.String())
			}
		})
	}
	t.Run("panic", func(t *testing.T) {
		var buf lockedBuffer
		a := newApp(t, false, false, slog.New(slog.NewTextHandler(&buf, nil)), nil)
		a.Engine.GET("/boom/:token", func(*gin.Context) { panic("boom") })
		req := httptest.NewRequest("GET", "/boom/url-secret-123", nil)
		req.Header.Set("Authorization", "Bearer header-secret-456")
		rec := httptest.NewRecorder()
		a.Engine.ServeHTTP(rec, req)
		out := buf.String()
		if rec.Code != http.StatusInternalServerError || !strings.Contains(out, "panic serving request") || !strings.Contains(out, "/boom/:token") {
			t.Fatalf("panic answered %d, logged:\n%s", rec.Code, out)
		}
		if strings.Contains(out, "url-secret-123") || strings.Contains(out, "header-secret-456") {
			t.Fatalf("the panic log shows a secret:\n%s", out)
		}
	})
}

// newApp builds shophub on real MariaDB (when configured) and Redis with
// emulator-free connectors (they are never connected here) and starts the
// chosen roles.
func newApp(t *testing.T, serve, work bool, log *slog.Logger, tune func(*config.Config)) *app.App {
	t.Helper()
	rdb, _ := redistest.Client(t)
	return newAppOn(t, rdb, serve, work, log, tune)
}

// newAppOn is newApp on the given Redis.
func newAppOn(t *testing.T, rdb redis.UniversalClient, serve, work bool, log *slog.Logger, tune func(*config.Config)) *app.App {
	t.Helper()
	do := app.DemoOptions{Dir: t.TempDir()}
	if os.Getenv(hubtest.EnvMySQL) != "" {
		do.Driver, do.DSN = "mysql", hubtest.MySQLDSN(t)
	}
	cfg := app.DemoConfig(do, "http://127.0.0.1:1", "http://127.0.0.1:1")
	cfg.Server.Listen = "127.0.0.1:0"
	if tune != nil {
		tune(cfg)
	}
	if log == nil {
		log = testLogger()
	}
	a, err := app.New(context.Background(), app.Options{Config: cfg, Log: log, Serve: serve, Work: work, Redis: rdb, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

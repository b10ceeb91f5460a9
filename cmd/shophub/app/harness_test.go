package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/hub/hubtest"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

// env is shophub wired to both emulators, on real MariaDB and Redis when
// CI provides them (SHOPHUB_TEST_MYSQL_DSN, SHOPHUB_TEST_REDIS_ADDR), else
// on SQLite and an in-process Redis.
type env struct {
	t        *testing.T
	shopify  *shopifytest.Emulator
	shopware *shopwaretest.Emulator
	cfg      *config.Config
	rdb      redis.UniversalClient
	app      *app.App
	log      *slog.Logger
	lazy     bool
	now      func() time.Time
}

type envOptions struct {
	redis redis.UniversalClient
	tune  func(*config.Config)
	// shopifyOpts adjusts the Shopify emulator (page sizes, rate limits).
	shopifyOpts func(*shopifytest.Options)
	// shopwareOpts adjusts the Shopware emulator (e.g. Return Management).
	shopwareOpts func(*shopwaretest.Options)
	// log receives shophub's log; nil uses testLogger.
	log *slog.Logger
	// shopifyVia, when set, returns the URL shophub reaches the Shopify
	// emulator by (a proxy in front of it).
	shopifyVia func(url string) string
	// shopwareVia does the same for the Shopware emulator.
	shopwareVia func(url string) string
	// lazy skips waiting for every connector to connect at start (they
	// connect in the background; tests injecting vendor faults want them
	// connected first).
	lazy bool
	// now is the event engine's clock (nil: time.Now).
	now func() time.Time
}

func testLogger() *slog.Logger {
	if os.Getenv("SHOPHUB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t}
	if o.redis == nil {
		o.redis, _ = redistest.Client(t)
	}
	e.rdb = o.redis
	so := shopifytest.Options{AccessToken: app.DemoShopifyToken, WebhookSecret: app.DemoShopifySecret}
	if o.shopifyOpts != nil {
		o.shopifyOpts(&so)
	}
	e.shopify = shopifytest.New(so)
	shopifyURL := e.shopify.Start()
	if o.shopifyVia != nil {
		shopifyURL = o.shopifyVia(shopifyURL)
	}
	t.Cleanup(e.shopify.Close)
	swo := shopwaretest.Options{ClientID: app.DemoShopwareID, ClientSecret: app.DemoShopwareSecret, AppSecret: app.DemoShopwareAppHMAC}
	if o.shopwareOpts != nil {
		o.shopwareOpts(&swo)
	}
	e.shopware = shopwaretest.New(swo)
	shopwareURL := e.shopware.Start()
	t.Cleanup(e.shopware.Close)
	if o.shopwareVia != nil {
		shopwareURL = o.shopwareVia(shopwareURL)
	}

	do := app.DemoOptions{Dir: t.TempDir()}
	if os.Getenv(hubtest.EnvMySQL) != "" {
		do.Driver, do.DSN = "mysql", hubtest.MySQLDSN(t)
	}
	e.log = o.log
	if e.log == nil {
		e.log = testLogger()
	}
	e.lazy, e.now = o.lazy, o.now
	e.cfg = app.DemoConfig(do, shopifyURL, shopwareURL)
	e.cfg.Worker.OutboxInterval = config.Duration(time.Second)
	if o.tune != nil {
		o.tune(e.cfg)
	}
	e.start()
	return e
}

// start (re)starts shophub on the env's config, database and Redis.
func (e *env) start() {
	e.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{Config: e.cfg, Log: e.log, Serve: true, Work: true,
		Listener: l, Redis: e.rdb, Migrate: true, Now: e.now})
	if err != nil {
		e.t.Fatalf("start shophub: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		e.t.Fatalf("start shophub: %v", err)
	}
	e.app = a
	e.shopify.SetWebhookURL(a.URL() + "/webhooks/shopify")
	e.shopware.SetWebhookURL(a.URL() + "/webhooks/shopware")
	e.t.Cleanup(func() { e.stop() })
	if !e.lazy {
		eventually(e.t, 20*time.Second, "connectors never all connected", func() bool {
			for _, h := range a.Points.Health() {
				if h.State != shsync.StateUp {
					return false
				}
			}
			return true
		})
	}
}

// stop drains shophub; the emulators, database and Redis stay.
func (e *env) stop() {
	if e.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = e.app.Shutdown(ctx)
	e.app = nil
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("after %s: %s", timeout, what)
	}
}

// poll reports whether cond held within timeout.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// onlyShopify drops the Shopware connector, for tests about one side.
func onlyShopify(c *config.Config) {
	c.Connectors = c.Connectors[:1]
}

// proxyTo serves a reverse proxy to target on a test server and returns
// its URL; every request passes through front, which forwards it with
// next or answers it itself (the proxies tests put in front of vendors).
func proxyTo(t *testing.T, target string, front func(w http.ResponseWriter, r *http.Request, next http.Handler)) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { front(w, r, rp) }))
	t.Cleanup(ts.Close)
	return ts.URL
}

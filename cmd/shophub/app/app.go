// Package app assembles shophub's stages into a process: the HTTP side
// (webhooks, admin API) and the worker side (asynq server, poll scheduler,
// outbox relay), apart or together. The binary's roles, `shophub dev`, the
// end-to-end tests and the benchmarks all start shophub through here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/api"
	"github.com/shophub/shophub/api/console"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/forwarded"
	"github.com/shophub/shophub/metrics"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/webhooks"

	_ "github.com/shophub/shophub/connectors/all" // every connector registers itself
)

// Options choose which stages run.
type Options struct {
	Config *config.Config
	Log    *slog.Logger
	// Serve runs the HTTP side; Work runs the worker side.
	Serve, Work bool
	// Listener overrides server.listen (tests pass a loopback listener).
	Listener net.Listener
	// Redis overrides the client built from config (dev mode's in-process
	// server, fault tests).
	Redis redis.UniversalClient
	// Migrate runs schema migrations at start (dev mode and tests);
	// without it serve and worker refuse a schema older than the binary.
	Migrate bool
	// Now is the event engine's clock (nil: time.Now); tests move it.
	Now func() time.Time
}

// App is a running shophub process.
type App struct {
	Config   *config.Config
	Log      *slog.Logger
	Store    *hub.Store
	Redis    redis.UniversalClient
	Queue    *shsync.Queue
	Points   *shsync.Touchpoints
	Handlers *shsync.Handlers
	// Engine is the public HTTP side (server.listen): webhooks and health,
	// and the admin routes too unless server.admin_listen moves them.
	Engine *gin.Engine
	// AdminEngine serves the admin routes on server.admin_listen; nil when
	// that is unset.
	AdminEngine *gin.Engine
	// Metrics is this process's Prometheus registry, served at /metrics.
	Metrics *metrics.Metrics
	// DeadLetters reads and replays asynq's archive.
	DeadLetters *shsync.DeadLetters
	// Series keeps the per-minute counts the console charts, in Redis.
	Series *shsync.Series

	opts     Options
	listener net.Listener
	httpSrv  *http.Server
	adminL   net.Listener
	adminSrv *http.Server
	// workerErr is asynq's last Redis health check (nil: healthy).
	workerErr atomic.Pointer[error]
	worker    *shsync.Servers
	cancel    context.CancelFunc
	loops     chan struct{}
	draining  atomic.Bool
	ownRedis  bool
	loopCount int
}

// New connects to the database and Redis and builds every configured
// connector; vendors are connected by Start (worker side), lazily.
func New(ctx context.Context, opts Options) (*App, error) {
	cfg := opts.Config
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	a := &App{Config: cfg, Log: log, opts: opts}
	ok := false
	defer func() {
		if !ok {
			a.closeResources()
		}
	}()
	var err error
	if a.Store, err = hub.OpenPool(ctx, cfg.Database.Driver, cfg.Database.DSN, DBPool(cfg)); err != nil {
		return nil, err
	}
	a.Store.SetPrivacyOptions(PrivacyOptions(cfg))
	if opts.Migrate {
		if err := a.Store.Migrate(ctx); err != nil {
			return nil, err
		}
	} else if opts.Serve || opts.Work {
		// A schema older than the binary would fail query by query while
		// /readyz says ok; refuse at start, naming `shophub migrate`.
		if err := a.Store.CheckSchema(ctx); err != nil {
			return nil, err
		}
	}
	a.Redis = opts.Redis
	if a.Redis == nil {
		a.Redis = NewRedis(cfg.Redis)
		a.ownRedis = true
	}
	a.Queue = shsync.NewQueue(a.Redis)
	a.Metrics = metrics.New()
	a.DeadLetters = shsync.NewDeadLetters(a.Redis)
	a.Series = shsync.NewSeries(a.Redis)
	a.Metrics.SetSink(a.Series)
	a.Series.Start()
	a.Metrics.MustRegister(shsync.NewQueueCollector(a.DeadLetters.Inspector), shsync.NewSweepCollector(a.Store))
	if a.Points, err = shsync.Build(ctx, cfg, log, true, a.instanceHook); err != nil {
		return nil, err
	}
	a.Metrics.MustRegister(shsync.NewHealthCollector(a.Points))
	pol, err := policy(cfg, a.Points)
	if err != nil {
		return nil, err
	}
	insights, scoreEvery, scoreAt, err := InsightOptions(cfg.Insights) // insights.go
	if err != nil {
		return nil, err
	}
	a.Handlers = &shsync.Handlers{
		Insights: insights, ScoreEvery: scoreEvery, ScoreAt: scoreAt,
		Store: a.Store, Queue: a.Queue, Points: a.Points, Log: log, MaxRetry: cfg.Worker.MaxRetry, DedupeTTL: cfg.Worker.DedupeTTL.D(),
		// Two concurrent merge transactions, not four: the batches twice
		// as large halve the SQL statements per merged customer (bench
		// merge, BENCHMARKS.md #17 third pass).
		Policy: pol, Batcher: shsync.NewBatcher(a.Store, pol, mergeTransactions, mergeBatchMax), Marker: shsync.NewMarker(a.Store, log, 0),
		Recorder: shsync.NewRecorder(a.Store, log, 0), BatchItems: batchItems,
		Front: shsync.NewPushFront(a.Queue, a.Store, 2, 64), Metrics: a.Metrics,
		ReconcilePace: 2 * time.Second,
		PrivacyPolicy: shsync.PrivacyPolicy{EmailFallback: cfg.Hub.ErasureEmailFallback,
			EraseEverywhere: cfg.Hub.VendorErasureScope == config.ScopeAll},
	}
	events, err := shsync.EventPolicyOf(cfg)
	if err != nil {
		return nil, err
	}
	a.Handlers.Events, a.Handlers.Now = &events, opts.Now
	// A first sighting of a customer being pushed to its touchpoint waits
	// for that push: it may be the echo of the push's own create.
	a.Store.SetPushing(a.Handlers.PushesRunning)
	if a.Engine, a.AdminEngine, err = a.engines(); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

const (
	// mergeTransactions is how many ingest batches merge at once.
	mergeTransactions = 2
	// mergeBatchMax is the most records one merge transaction takes.
	mergeBatchMax = 200
	// batchItems is how many ingests of aggregated tasks run at once: as
	// many as fill both merge transactions, so while one pair of batches
	// commits the next pair is waiting whole. Bounded by the worker's
	// concurrency (100) instead, the ingests still claiming, decoding and
	// mapping left about 17 records per transaction and the merge bench
	// at 4,300-4,800 customers/s; at 400, 6,000-7,300/s with a fifth of
	// the SQL statements per customer (BENCHMARKS.md, session 13). Each
	// waiting ingest holds its decoded record (about 15 KB), no database
	// connection.
	batchItems = mergeTransactions * mergeBatchMax
)

// instanceHook gives each connector instance the metrics hook and, when
// config sets its rate, a limiter shared through Redis by every worker
// process. Without a configured rate the connector keeps its own
// per-process default.
func (a *App) instanceHook(cc config.Connector, inst *connectors.Instance) {
	inst.Observe = a.Metrics.VendorResponse(cc.Name)
	inst.Apps = appStore{a.Store}
	name := cc.Name
	if cc.RateLimit > 0 {
		l := shsync.NewRedisLimiter(a.Redis, cc.Name, cc.RateLimit, cc.RateBurst)
		l.OnWait = func(d time.Duration) { a.Metrics.RateLimitWait(name, d) }
		inst.Limiter = l
	}
	// A vendor's per-endpoint limits are the account's, not one
	// process's: every worker paces them through the same Redis bucket.
	inst.SharedLimiter = func(key string, rps float64, burst int) connectors.Limiter {
		l := shsync.NewRedisPacer(a.Redis, name+":"+key, rps, burst)
		l.OnWait = func(d time.Duration) { a.Metrics.RateLimitWait(name, d) }
		return l
	}
}

// DBPool is the database pool the config asks for.
func DBPool(cfg *config.Config) hub.Pool {
	return hub.Pool{MaxOpen: cfg.Database.MaxOpenConns, MaxIdle: cfg.Database.MaxIdleConns}
}

// PrivacyOptions are the hub's erasure settings from cfg.
func PrivacyOptions(cfg *config.Config) hub.PrivacyOptions {
	return hub.PrivacyOptions{TombstoneSecret: cfg.Hub.TombstoneSecret, Region: cfg.Hub.DefaultRegion}
}

// appStore keeps connectors' app registrations in the hub.
type appStore struct{ s *hub.Store }

func (a appStore) AppShop(ctx context.Context, instance string) (*connectors.AppShop, error) {
	row, err := a.s.AppShop(ctx, instance)
	if row == nil || err != nil {
		return nil, err
	}
	shop := connectors.AppShop(*row)
	return &shop, nil
}

func (a appStore) SaveAppShop(ctx context.Context, shop *connectors.AppShop) error {
	row := hub.AppShop(*shop)
	return a.s.SaveAppShop(ctx, &row)
}

// redisConn hands asynqmon the app's Redis client instead of a second pool.
type redisConn struct{ c redis.UniversalClient }

func (r redisConn) MakeRedisClient() any { return r.c }

// policy is the hub's merge policy: priorities and owners from config, plus
// the fields each connector's mapping declares it owns. An owner written in
// config wins; two mappings owning one field is an error.
func policy(cfg *config.Config, points *shsync.Touchpoints) (hub.Policy, error) {
	pol := hub.Policy{Priority: cfg.Hub.Priority, Owners: map[string]string{}, MatchKeys: cfg.Hub.MatchKeys}
	for f, o := range cfg.Hub.Owners {
		pol.Owners[f] = o
	}
	claimed := map[string]string{}
	for _, tp := range points.All() {
		for _, res := range tp.Mapping.Resources() {
			for _, f := range tp.Mapping.Owns(res) {
				if _, set := cfg.Hub.Owners[f]; set {
					continue
				}
				if other, dup := claimed[f]; dup && other != tp.Name {
					return hub.Policy{}, fmt.Errorf("field %s is owned by the mappings of both %s and %s; say which in hub.owners", f, other, tp.Name)
				}
				claimed[f], pol.Owners[f] = tp.Name, tp.Name
			}
		}
	}
	return pol, nil
}

// NewRedis builds a client with short timeouts: when Redis is down, a
// webhook must get its 503 quickly, not hang until the vendor gives up.
func NewRedis(c config.Redis) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: c.Addr, Password: c.Password, DB: c.DB,
		DialTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
		PoolSize: 64, MaxRetries: 1,
	})
}

// newEngine is a gin engine with shophub's middleware. Only the trusted
// proxies' X-Forwarded-For counts for the client address that is logged
// (none by default: the connection's own address).
func (a *App) newEngine() (*gin.Engine, error) {
	e := gin.New()
	if err := e.SetTrustedProxies(a.Config.Server.TrustedProxies); err != nil {
		return nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	e.Use(api.Recovery(a.Log.With("component", "http")), api.RequestID)
	return e, nil
}

// adminAPI is the admin side's handlers. The dashboard is read-only unless
// server.dashboard_actions allows actions; its payloads are redacted.
// proxies are server.trusted_proxies, whose X-Forwarded-Proto the console
// believes for its cookies.
func (a *App) adminAPI(proxies forwarded.Proxies) *api.API {
	cfg := a.Config
	adm := &api.API{Store: a.Store, Redis: a.Redis, Token: cfg.Server.AdminToken, Draining: a.draining.Load,
		DeadLetters: a.DeadLetters, Metrics: a.Metrics.Handler(), Eraser: a.Handlers,
		Queues: asynqmon.New(asynqmon.Options{RootPath: "/ui/queues", RedisConnOpt: redisConn{a.Redis},
			ReadOnly:         !cfg.Server.DashboardActions,
			PayloadFormatter: asynqmon.PayloadFormatterFunc(shsync.RedactPayload), ResultFormatter: asynqmon.ResultFormatterFunc(shsync.RedactResult)}),
	}
	if a.opts.Work {
		adm.Checks = map[string]func(context.Context) error{"worker": a.workerReady}
	}
	adm.Console = a.console(proxies)
	return adm
}

// console is the operator console at /ui/ on the admin side.
func (a *App) console(proxies forwarded.Proxies) *console.Console {
	cfg := a.Config
	conns := make([]console.Connector, 0, len(cfg.Connectors))
	for _, cc := range cfg.Connectors {
		conns = append(conns, console.Connector{Name: cc.Name, Type: cc.Type, Settings: cc.Settings, Polls: cc.PollInterval > 0})
	}
	return &console.Console{Store: a.Store, Redis: a.Redis, Token: cfg.Server.AdminToken, DeadLetters: a.DeadLetters,
		Eraser: a.Handlers, Quarantine: a.Handlers, Connectors: conns, QueuesURL: "/ui/queues", Region: cfg.Hub.DefaultRegion,
		Log: a.Log.With("component", "console"), TrustedProxies: proxies}
}

// engines builds the public engine and, with server.admin_listen, the
// admin engine; without it the public engine serves everything, as
// before admin_listen existed.
func (a *App) engines() (public, admin *gin.Engine, err error) {
	gin.SetMode(gin.ReleaseMode)
	cfg := a.Config
	if public, err = a.newEngine(); err != nil {
		return nil, nil, err
	}
	proxies, err := forwarded.Parse(cfg.Server.TrustedProxies)
	if err != nil {
		return nil, nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	(&webhooks.Receiver{
		Points: a.Points, Queue: a.Queue, MaxBody: cfg.Server.MaxBodyBytes,
		MaxRetry: cfg.Worker.MaxRetry, Log: a.Log.With("component", "webhooks"), Metrics: a.Metrics,
		TrustedProxies: proxies,
	}).Register(public)
	adm := a.adminAPI(proxies)
	if cfg.Server.AdminListen == "" {
		adm.Register(public)
		return public, nil, nil
	}
	adm.RegisterHealth(public, false)
	if admin, err = a.newEngine(); err != nil {
		return nil, nil, err
	}
	adm.Register(admin)
	return public, admin, nil
}

// workerEngine is a worker-only process's HTTP side: health, readiness
// (database, Redis, asynq's health check) and metrics.
func (a *App) workerEngine() (*gin.Engine, error) {
	e, err := a.newEngine()
	if err != nil {
		return nil, err
	}
	adm := &api.API{Store: a.Store, Redis: a.Redis, Draining: a.draining.Load, Metrics: a.Metrics.Handler(),
		Checks: map[string]func(context.Context) error{"worker": a.workerReady}}
	adm.RegisterHealth(e, true)
	e.Use(api.SecurityHeaders)
	adm.RegisterMetrics(e)
	return e, nil
}

// workerReady reports the queue server: started, and asynq's last Redis
// health check passed.
func (a *App) workerReady(context.Context) error {
	if a.worker == nil {
		return errors.New("not started")
	}
	if p := a.workerErr.Load(); p != nil && *p != nil {
		return fmt.Errorf("queue server: %w", *p)
	}
	return nil
}

// serveHTTP serves h on l (or a new listener on addr) in the background.
func (a *App) serveHTTP(l net.Listener, addr string, h http.Handler) (net.Listener, *http.Server, error) {
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", addr); err != nil {
			return nil, nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server stopped", "addr", l.Addr().String(), "err", err)
		}
	}()
	return l, srv, nil
}

// Start runs the chosen stages in the background.
func (a *App) Start(ctx context.Context) error {
	ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	a.loops = make(chan struct{})
	loops := 0
	var err error
	if a.opts.Serve {
		if a.listener, a.httpSrv, err = a.serveHTTP(a.opts.Listener, a.Config.Server.Listen, a.Engine); err != nil {
			return err
		}
		if a.AdminEngine != nil {
			if a.adminL, a.adminSrv, err = a.serveHTTP(nil, a.Config.Server.AdminListen, a.AdminEngine); err != nil {
				return err
			}
		}
	}
	if a.opts.Work {
		a.worker = shsync.NewServers(a.Redis, a.Config.Worker, a.Log, func(err error) { a.workerErr.Store(&err) },
			a.Points.PushSlots())
		mux := asynq.NewServeMux()
		mux.Use(shsync.Correlate, shsync.Observe(a.Metrics), shsync.KeepLastAttempt)
		a.Handlers.Register(mux)
		if err := a.worker.Start(mux); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		loops = 9
		if addr := a.workerListen(); addr != "" && !a.opts.Serve {
			e, err := a.workerEngine()
			if err != nil {
				return err
			}
			if a.adminL, a.adminSrv, err = a.serveHTTP(nil, addr, e); err != nil {
				return err
			}
		}
		// Connectors connect here, in the background: a vendor that is
		// down at start-up is retried while every other one works.
		changed := a.Points.HealthChanges()
		go func() { a.Points.PublishHealth(ctx, a.Redis, changed, a.Log); a.loops <- struct{}{} }()
		go func() { a.Points.RunConnect(ctx, a.Log); a.loops <- struct{}{} }()
		go func() { a.Handlers.Recorder.Run(ctx); a.loops <- struct{}{} }()
		go func() {
			a.Handlers.RunQuarantinePurge(ctx, a.Config.Hub.QuarantineRetention.D())
			a.loops <- struct{}{}
		}()
		go func() { a.Handlers.Batcher.Run(ctx); a.loops <- struct{}{} }()
		go func() { a.Handlers.Front.Run(ctx); a.loops <- struct{}{} }()
		go func() { a.Handlers.Marker.Run(ctx); a.loops <- struct{}{} }()
		go func() { a.Handlers.RunScheduler(ctx); a.loops <- struct{}{} }()
		go func() { a.Handlers.RunRelay(ctx, a.Config.Worker.OutboxInterval.D()); a.loops <- struct{}{} }()
	}
	a.loopCount = loops
	return nil
}

// URL is the base URL of the HTTP side.
func (a *App) URL() string {
	if a.listener == nil {
		return ""
	}
	return "http://" + a.listener.Addr().String()
}

// workerListen is where a worker-only process serves health and metrics.
func (a *App) workerListen() string {
	if a.Config.Worker.Listen != "" {
		return a.Config.Worker.Listen
	}
	return a.Config.Server.AdminListen
}

// AdminURL is the base URL of the admin listener (server.admin_listen, or
// a worker's health and metrics listener); "" when there is none.
func (a *App) AdminURL() string {
	if a.adminL == nil {
		return ""
	}
	return "http://" + a.adminL.Addr().String()
}

// Shutdown drains: /readyz turns red, webhooks stop being accepted, in-flight
// tasks finish up to the configured timeout, the rest stay in Redis.
func (a *App) Shutdown(ctx context.Context) error {
	if a.draining.Swap(true) {
		return nil // shut down already
	}
	var errs []error
	if a.httpSrv != nil {
		errs = append(errs, a.httpSrv.Shutdown(ctx))
	}
	if a.worker != nil {
		a.worker.Shutdown()
	}
	// The admin listener stays up through the drain: its /readyz says
	// draining and the last metrics can still be scraped.
	if a.adminSrv != nil {
		errs = append(errs, a.adminSrv.Shutdown(ctx))
	}
	if a.cancel != nil {
		a.cancel()
		for i := 0; i < a.loopCount; i++ {
			<-a.loops
		}
	}
	a.closeResources()
	return errors.Join(errs...)
}

func (a *App) closeResources() {
	if a.Series != nil {
		a.Series.Close()
	}
	if a.Points != nil {
		_ = a.Points.Close()
	}
	if a.Queue != nil {
		_ = a.Queue.Client.Close()
	}
	if a.Redis != nil && a.ownRedis {
		_ = a.Redis.Close()
	}
	if a.Store != nil {
		_ = a.Store.Close()
	}
}

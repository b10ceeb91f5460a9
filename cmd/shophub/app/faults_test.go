package app_test

// Fault tests of issue #6: a killed worker process, a Redis outage, a
// MariaDB outage and failing targets. Each test runs its own redis-server
// and mariadbd on spare loopback ports, so stopping them never disturbs
// the shared services other packages' tests use at the same time.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

// faultEnv is shophub between a Shopify source (webhooks) and Shopware
// targets, on a private Redis and MariaDB.
type faultEnv struct {
	t       *testing.T
	redis   *redistest.Server
	db      *hubtest.MariaDB
	dsn     string
	shopify *shopifytest.Emulator
	// targets by connector instance name, in config order.
	targets map[string]*shopwaretest.Emulator
	names   []string
	cfgPath string
	cfg     *config.Config
	// rdb and store are the test's own view of Redis and the hub.
	rdb   *redis.Client
	store *hub.Store
	app   *app.App
}

type faultOptions struct {
	targets []string
	// latency delays each target API request, as a remote shop would.
	latency  time.Duration
	maxRetry int
	// concurrency of the worker (0: the default).
	concurrency int
}

func newFaultEnv(t *testing.T, o faultOptions) *faultEnv {
	t.Helper()
	skipFaultsInShort(t)
	f := &faultEnv{t: t, targets: map[string]*shopwaretest.Emulator{}, names: o.targets}
	f.redis = redistest.StartServerWith(t, redistest.ServerOptions{Durable: true})
	f.db = hubtest.StartMariaDB(t)
	f.dsn = f.db.CreateDatabase("shophub")
	f.rdb = redis.NewClient(&redis.Options{Addr: f.redis.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = f.rdb.Close() })

	f.shopify = shopifytest.New(shopifytest.Options{AccessToken: app.DemoShopifyToken, WebhookSecret: app.DemoShopifySecret})
	shopifyURL := f.shopify.Start()
	t.Cleanup(f.shopify.Close)
	urls := map[string]string{}
	for _, name := range o.targets {
		e := shopwaretest.New(shopwaretest.Options{ClientID: app.DemoShopwareID, ClientSecret: app.DemoShopwareSecret, AppSecret: app.DemoShopwareAppHMAC})
		srv := httptest.NewServer(delayed(o.latency, e.Handler()))
		t.Cleanup(srv.Close)
		t.Cleanup(e.Close)
		f.targets[name], urls[name] = e, srv.URL
	}

	var b strings.Builder
	fmt.Fprintf(&b, "server: {listen: \"127.0.0.1:0\", admin_token: %q}\n", opsToken)
	fmt.Fprintf(&b, "database: {driver: mysql, dsn: %q}\n", f.dsn)
	fmt.Fprintf(&b, "redis: {addr: %q}\n", f.redis.Addr)
	b.WriteString("worker: {outbox_interval: 1s, shutdown_timeout: 5s")
	if o.maxRetry > 0 {
		fmt.Fprintf(&b, ", max_retry: %d", o.maxRetry)
	}
	if o.concurrency > 0 {
		fmt.Fprintf(&b, ", concurrency: %d", o.concurrency)
	}
	b.WriteString("}\nhub: {default_region: DE}\nconnectors:\n")
	fmt.Fprintf(&b, "  - {name: shopify, type: shopify, direction: in, webhook_secret: %q, settings: {shop_url: %q, access_token: %q}}\n",
		app.DemoShopifySecret, shopifyURL, app.DemoShopifyToken)
	for _, name := range o.targets {
		fmt.Fprintf(&b, "  - {name: %s, type: shopware, direction: out, settings: {url: %q, client_id: %q, client_secret: %q}}\n",
			name, urls[name], app.DemoShopwareID, app.DemoShopwareSecret)
	}
	f.cfgPath = filepath.Join(t.TempDir(), "shophub.yaml")
	if err := os.WriteFile(f.cfgPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.cfg, err = config.Load(f.cfgPath); err != nil {
		t.Fatalf("fault test config: %v\n%s", err, b.String())
	}
	if f.store, err = hub.Open(context.Background(), "mysql", f.dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.store.Close() })
	return f
}

func skipFaultsInShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests start their own Redis and MariaDB and take a minute or more; not in -short")
	}
}

// delayed answers each request after d.
func delayed(d time.Duration, h http.Handler) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		h.ServeHTTP(w, r)
	})
}

// startApp runs shophub in this process: the HTTP side, and the workers
// when work is set. The Shopify emulator's webhooks go to hookURL(app URL).
func (f *faultEnv) startApp(work bool, hookURL func(string) string) {
	f.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.t.Fatal(err)
	}
	// Redis is left nil: the app builds its client from config, as in
	// production, with its short timeouts.
	a, err := app.New(context.Background(), app.Options{Config: f.cfg, Log: testLogger(), Serve: true, Work: work,
		Listener: l, Migrate: true})
	if err != nil {
		f.t.Fatalf("start shophub: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		f.t.Fatalf("start shophub: %v", err)
	}
	f.app = a
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	url := a.URL() + "/webhooks/shopify"
	if hookURL != nil {
		url = hookURL(a.URL())
	}
	f.shopify.SetWebhookURL(url)
}

// waitIdle waits until nothing is left to do (no webhook delivery pending
// either) and returns how long it took.
func (f *faultEnv) waitIdle(timeout time.Duration) time.Duration {
	f.t.Helper()
	w := pipelineWatch{rdb: f.rdb, store: f.store, more: func() (bool, string) {
		n := f.shopify.Deliveries().Pending
		return n == 0, fmt.Sprintf("%d webhook deliveries pending", n)
	}}
	took, ok := w.wait(timeout)
	if !ok {
		f.t.Fatalf("after %s: pipeline never became idle; last seen: %s", timeout, w.busy)
	}
	return took
}

// deadLetterCount counts archived tasks in every queue.
func (f *faultEnv) deadLetterCount() int {
	insp := asynq.NewInspectorFromRedisClient(f.rdb)
	queues, _ := insp.Queues()
	n := 0
	for _, q := range queues {
		if info, err := insp.GetQueueInfo(q); err == nil {
			n += info.Archived
		}
	}
	return n
}

type hubRow struct {
	c    hub.Customer
	data map[string]any
}

// hubCustomers reads every hub customer with its doc.
func (f *faultEnv) hubCustomers() []hubRow {
	f.t.Helper()
	var cs []hub.Customer
	if err := f.store.DB().Order("id").Find(&cs).Error; err != nil {
		f.t.Fatalf("read hub customers: %v", err)
	}
	out := make([]hubRow, 0, len(cs))
	for _, c := range cs {
		_, data, err := f.store.Customer(context.Background(), c.ID)
		if err != nil {
			f.t.Fatalf("read hub customer %d: %v", c.ID, err)
		}
		out = append(out, hubRow{c, data})
	}
	return out
}

// checkTargets asserts that every target holds exactly the hub's
// customers: as many records as hub customers (a duplicate would be a
// second record of one email), each hub customer linked to a record of
// its target with its values.
func (f *faultEnv) checkTargets(rows []hubRow, names ...string) {
	f.t.Helper()
	if len(names) == 0 {
		names = f.names
	}
	for _, name := range names {
		e := f.targets[name]
		if n := e.Count(); n != len(rows) {
			f.t.Errorf("%s holds %d customers, the hub %d", name, n, len(rows))
		}
		bad := 0
		for _, r := range rows {
			l, err := f.store.Link(context.Background(), r.c.ID, name, "customer")
			if err != nil {
				if bad++; bad <= 5 {
					f.t.Errorf("%s: hub customer %d (%v) has no link: %v", name, r.c.ID, r.data["email"], err)
				}
				continue
			}
			rec, ok := e.Customer(l.ExternalID)
			if !ok {
				if bad++; bad <= 5 {
					f.t.Errorf("%s: hub customer %d links %s, which %s does not hold", name, r.c.ID, l.ExternalID, name)
				}
				continue
			}
			for hubField, vendorField := range map[string]string{"email": "email", "first_name": "firstName", "last_name": "lastName"} {
				if fmt.Sprint(rec[vendorField]) != fmt.Sprint(r.data[hubField]) {
					if bad++; bad <= 5 {
						f.t.Errorf("%s: customer %d %s = %v, hub has %v", name, r.c.ID, vendorField, rec[vendorField], r.data[hubField])
					}
				}
			}
		}
		if bad > 5 {
			f.t.Errorf("%s: %d mismatches in all", name, bad)
		}
	}
}

// checkHubMatchesShopify asserts the hub holds each Shopify customer
// exactly once, with the Shopify's current (newest) values.
func (f *faultEnv) checkHubMatchesShopify(rows []hubRow, shopifyIDs []string) {
	f.t.Helper()
	if len(rows) != len(shopifyIDs) {
		f.t.Errorf("hub holds %d customers, Shopify %d", len(rows), len(shopifyIDs))
	}
	byEmail := map[string]hubRow{}
	for _, r := range rows {
		byEmail[fmt.Sprint(r.data["email"])] = r
	}
	bad := 0
	for _, id := range shopifyIDs {
		sc, ok := f.shopify.Customer(id)
		if !ok {
			f.t.Fatalf("shopify lost customer %s", id)
		}
		r, ok := byEmail[fmt.Sprint(sc["email"])]
		switch {
		case !ok:
			bad++
			if bad <= 5 {
				f.t.Errorf("shopify customer %s (%v) is not in the hub", id, sc["email"])
			}
		case r.data["first_name"] != sc["first_name"] || r.data["last_name"] != sc["last_name"]:
			bad++
			if bad <= 5 {
				f.t.Errorf("shopify customer %s: hub has %v %v, shopify %v %v", id, r.data["first_name"], r.data["last_name"], sc["first_name"], sc["last_name"])
			}
		}
	}
	if bad > 5 {
		f.t.Errorf("%d Shopify customers missing or stale in the hub", bad)
	}
}

// landed counts the records all targets hold.
func (f *faultEnv) landed() int {
	n := 0
	for _, e := range f.targets {
		n += e.Count()
	}
	return n
}

// percentile of ds (sorted in place), p in [0,1].
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p)
	return ds[i]
}

// pushLatencies is, for customers created in the hub within [from, to),
// how long after the hub created them their link to target appeared (the
// first push landed).
func (f *faultEnv) pushLatencies(target string, from, to time.Time) []time.Duration {
	f.t.Helper()
	type row struct {
		Created time.Time
		Linked  time.Time
	}
	var rows []row
	err := f.store.DB().Raw(`SELECT c.created_at AS created, l.created_at AS linked FROM customers c
		JOIN links l ON l.customer_id = c.id AND l.instance = ? AND l.resource = 'customer'
		WHERE c.created_at >= ? AND c.created_at < ?`, target, from.UTC(), to.UTC()).Scan(&rows).Error
	if err != nil {
		f.t.Fatalf("push latencies: %v", err)
	}
	out := make([]time.Duration, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Linked.Sub(r.Created))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// The drivers' own loggers would print every refused connection of the
// outages; the tests' assertions and figures say what matters.
func init() {
	if os.Getenv("SHOPHUB_TEST_LOG") == "" {
		redis.SetLogger(quietLog{})
		_ = mysqldrv.SetLogger(quietLog{})
	}
}

type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}
func (quietLog) Print(...any)                           {}

// raceBuild is set when the tests run with -race (faults_race_test.go).
var raceBuild bool

// buildShophub starts building the shophub binary into a temporary
// directory and returns a function that waits for the build and returns
// the binary's path. The build (a minute under -race on a loaded 2-core
// machine, mostly the link) runs while the test waits for a heavy slot,
// not in it.
func buildShophub(t *testing.T) func() string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to build the shophub binary for the worker process")
	}
	out := filepath.Join(t.TempDir(), "shophub")
	args := []string{"build", "-o", out}
	if raceBuild {
		args = append(args, "-race")
	}
	args = append(args, "github.com/shophub/shophub/cmd/shophub")
	var (
		b    []byte
		took time.Duration
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		b, err = exec.Command(goBin, args...).CombinedOutput()
		took = time.Since(start)
	}()
	// Before t.TempDir's removal, should the test end first.
	t.Cleanup(func() { <-done })
	return func() string {
		t.Helper()
		<-done
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		t.Logf("built the shophub binary in %s (race: %v)", took.Round(100*time.Millisecond), raceBuild)
		return out
	}
}

// workerProc is a `shophub worker` child process.
type workerProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startWorker runs `shophub worker` on the env's config file.
func (f *faultEnv) startWorker(bin string, n int) *workerProc {
	f.t.Helper()
	w := &workerProc{t: f.t, log: filepath.Join(filepath.Dir(f.cfgPath), fmt.Sprintf("worker-%d.log", n)), done: make(chan struct{})}
	logf, err := os.Create(w.log)
	if err != nil {
		f.t.Fatal(err)
	}
	w.cmd = exec.Command(bin, "worker", "--config", f.cfgPath, "--log-level", "warn")
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	if err := w.cmd.Start(); err != nil {
		_ = logf.Close()
		f.t.Fatalf("start worker: %v", err)
	}
	go func() { _ = w.cmd.Wait(); _ = logf.Close(); close(w.done) }()
	f.t.Cleanup(func() {
		w.stop()
		b, _ := os.ReadFile(w.log)
		if strings.Contains(string(b), "DATA RACE") {
			f.t.Errorf("worker %d reported a data race:\n%s", n, b)
		}
		if f.t.Failed() {
			f.t.Logf("worker %d log (tail):\n%s", n, lastLines(string(b), 30))
		}
	})
	return w
}

// kill ends the worker with SIGKILL: no drain, no deferred cleanup.
func (w *workerProc) kill() {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
}

// stop drains the worker with SIGTERM, killing it if it takes too long.
func (w *workerProc) stop() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		w.kill()
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// queueStates sums task states over every queue.
func (f *faultEnv) queueStates() (pending, active, retry, archived int) {
	insp := asynq.NewInspectorFromRedisClient(f.rdb)
	queues, _ := insp.Queues()
	for _, q := range queues {
		if info, err := insp.GetQueueInfo(q); err == nil {
			pending += info.Pending + info.Scheduled + info.Aggregating // grouped ingests (sync/ingestgroup.go)
			active += info.Active
			retry += info.Retry
			archived += info.Archived
		}
	}
	return
}

// waitDeadLetterOf waits until a push of one of the Shopify customers ids
// is a dead letter and returns when it saw one; it fails the test as what
// after timeout.
func (f *faultEnv) waitDeadLetterOf(ids []string, timeout time.Duration, what string) time.Time {
	f.t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.Now().Add(timeout)
	for {
		for _, dl := range f.deadLetters() {
			if l, err := f.store.Link(context.Background(), dl.CustomerID, "shopify", "customer"); err == nil && want[l.ExternalID] {
				return time.Now()
			}
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Must-show 1: SIGKILL the worker process while 1,000 customers are being
// pushed to two targets; after a restart every target holds exactly the
// hub's customers, none lost, none twice.
func TestFaultWorkerKilledDuringPushes(t *testing.T) {
	t.Parallel()
	skipFaultsInShort(t)
	built := buildShophub(t)
	heavy(t)
	const n = 1000
	// 30 ms per vendor request keeps many pushes in flight at the kill.
	f := newFaultEnv(t, faultOptions{targets: []string{"shopware-a", "shopware-b"}, latency: 30 * time.Millisecond})
	bin := built()
	f.startApp(false, nil) // the HTTP side stays up; only the worker dies
	w1 := f.startWorker(bin, 1)

	ids := make([]string, n)
	for i := range n {
		ids[i] = f.shopify.CreateCustomer(app.DemoCustomer(i))
	}
	total := n * len(f.names)
	var atKill int
	eventually(t, 3*time.Minute, "pushes never got under way", func() bool {
		atKill = f.landed()
		return atKill >= total/4
	})
	w1.kill()
	killedAt := time.Now()
	if atKill >= total {
		t.Fatalf("all %d pushes had landed before the kill; slow the targets down", total)
	}
	pending, active, retry, _ := f.queueStates()
	t.Logf("SIGKILL with %d of %d pushes landed; %d tasks were running (orphaned), %d pending, %d waiting to retry",
		atKill, total, active, pending, retry)

	f.startWorker(bin, 2)
	drain := f.waitIdle(4 * time.Minute)
	t.Logf("restarted worker drained everything %s after the kill (asynq recovers orphaned tasks after their 30 s lease plus its 30 s margin, checked every minute)",
		time.Since(killedAt).Round(100*time.Millisecond))
	_ = drain

	rows := f.hubCustomers()
	f.checkHubMatchesShopify(rows, ids)
	f.checkTargets(rows)
	if dl := f.deadLetterCount(); dl != 0 {
		t.Errorf("%d dead letters after recovery, want 0", dl)
	}
}

// admin calls the admin API of the in-process app.
func (f *faultEnv) admin(method, path string) (int, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.app.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+opsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (f *faultEnv) deadLetters() []shsync.DeadLetter {
	f.t.Helper()
	code, b := f.admin(http.MethodGet, "/api/deadletters")
	if code != http.StatusOK {
		f.t.Fatalf("GET /api/deadletters: %d %s", code, b)
	}
	var body struct {
		DeadLetters []shsync.DeadLetter `json:"dead_letters"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		f.t.Fatal(err)
	}
	return body.DeadLetters
}

// statusCounter counts the answers shophub gives the vendor's webhooks.
type statusCounter struct {
	ok, unavailable, other atomic.Int64
}

// proxy forwards to target and counts the status codes.
func (s *statusCounter) proxy(target string) http.Handler {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		switch {
		case r.StatusCode >= 200 && r.StatusCode < 300:
			s.ok.Add(1)
		case r.StatusCode == http.StatusServiceUnavailable:
			s.unavailable.Add(1)
		default:
			s.other.Add(1)
		}
		return nil
	}
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		s.other.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}
	return rp
}

// paced calls fn(i) for i in [0, n) every interval, in the background; the
// returned channel closes when done.
func paced(n int, every time.Duration, fn func(i int)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := range n {
			fn(i)
			<-tick.C
		}
	}()
	return done
}

// Must-show 2: Redis stops for 10 s during a webhook burst. Every webhook
// is answered 2xx (and applied) or 503; after Shopify's retries the hub
// holds every customer once, with its newest values.
func TestFaultRedisDownDuringWebhookBurst(t *testing.T) {
	t.Parallel()
	heavy(t)
	const n, lag = 300, 100 // 300 creations; each customer updated 100 ticks (2.5 s) after its creation
	f := newFaultEnv(t, faultOptions{targets: []string{"shopware"}})
	var sc statusCounter
	f.startApp(true, func(appURL string) string {
		p := httptest.NewServer(sc.proxy(appURL))
		t.Cleanup(p.Close)
		return p.URL + "/webhooks/shopify"
	})

	ids := make([]string, n)
	var updateErrs atomic.Int64
	burst := paced(n+lag, 25*time.Millisecond, func(i int) {
		if i < n {
			ids[i] = f.shopify.CreateCustomer(app.DemoCustomer(i))
		}
		if j := i - lag; j >= 0 {
			// Over a second after the creation: Shopify's updated_at has
			// whole seconds, and the update must be the newer one.
			if err := f.shopify.UpdateCustomer(ids[j], map[string]any{"first_name": fmt.Sprintf("Neu%d", j)}); err != nil {
				updateErrs.Add(1)
			}
		}
	})
	time.Sleep(2 * time.Second)
	f.redis.Stop()
	down := time.Now()
	okAtStop := sc.ok.Load()
	time.Sleep(10 * time.Second)
	f.redis.Start()
	up := time.Now()
	<-burst
	time.Sleep(5 * time.Second)
	// Tasks that finished while Redis was down could not be acknowledged:
	// they stay active until asynq's recoverer re-runs them.
	_, stuck, _, _ := f.queueStates()
	if updateErrs.Load() > 0 {
		t.Fatalf("%d updates failed at the emulator", updateErrs.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.shopify.WaitDeliveries(ctx); err != nil {
		t.Fatalf("webhook deliveries still pending: %v", err)
	}
	drain := f.waitIdle(2 * time.Minute)
	st := f.shopify.Deliveries()
	t.Logf("Redis down %s: %d webhooks sent, answered %d× 2xx (%d before the stop), %d× 503, %d× other; Shopify retried %d, gave up on %d; %d tasks left active by lost acknowledgements; idle %s after the last delivery, %s after Redis returned",
		up.Sub(down).Round(100*time.Millisecond), n+n, sc.ok.Load(), okAtStop, sc.unavailable.Load(), sc.other.Load(),
		st.Retried, st.Failed, stuck, drain.Round(100*time.Millisecond), time.Since(up).Round(100*time.Millisecond))
	if sc.unavailable.Load() == 0 {
		t.Error("no webhook was answered 503: the outage missed the burst")
	}
	if sc.other.Load() != 0 {
		t.Errorf("%d webhooks answered neither 2xx nor 503", sc.other.Load())
	}
	if st.Failed != 0 {
		t.Errorf("Shopify gave up on %d deliveries", st.Failed)
	}
	if sc.ok.Load() != int64(n+n) {
		t.Errorf("%d deliveries accepted, want each of the %d once", sc.ok.Load(), n+n)
	}
	rows := f.hubCustomers()
	f.checkHubMatchesShopify(rows, ids)
	f.checkTargets(rows)
	if dl := f.deadLetterCount(); dl != 0 {
		t.Errorf("%d dead letters, want 0", dl)
	}
}

// Must-show 3: MariaDB stops (crashes) for 10 s during ingest. Tasks
// retry and complete after it returns; nothing is lost.
func TestFaultMariaDBDownDuringIngest(t *testing.T) {
	t.Parallel()
	heavy(t)
	const n = 400
	f := newFaultEnv(t, faultOptions{targets: []string{"shopware"}})
	f.startApp(true, nil)

	ids := make([]string, n)
	burst := paced(n, 20*time.Millisecond, func(i int) { ids[i] = f.shopify.CreateCustomer(app.DemoCustomer(i)) })
	var atKill int64
	eventually(t, time.Minute, "ingest never got under way", func() bool {
		f.store.DB().Model(&hub.Customer{}).Count(&atKill)
		return atKill >= 50
	})
	f.db.Kill()
	down := time.Now()
	time.Sleep(10 * time.Second)
	_, _, retrying, _ := f.queueStates()
	f.db.Start()
	up := time.Now()
	<-burst
	drain := f.waitIdle(3 * time.Minute)
	t.Logf("MariaDB killed with %d of %d customers merged, down %s; %d tasks waiting to retry when it returned; idle %s after it returned",
		atKill, n, up.Sub(down).Round(100*time.Millisecond), retrying, time.Since(up).Round(100*time.Millisecond))
	_ = drain
	if st := f.shopify.Deliveries(); st.Failed != 0 || st.Retried != 0 {
		t.Errorf("webhooks failed while only the database was down: %+v", st)
	}
	rows := f.hubCustomers()
	f.checkHubMatchesShopify(rows, ids)
	f.checkTargets(rows)
	if dl := f.deadLetterCount(); dl != 0 {
		t.Errorf("%d dead letters, want 0", dl)
	}
	var quarantined int64
	f.store.DB().Model(&hub.Quarantined{}).Count(&quarantined)
	if quarantined != 0 {
		t.Errorf("%d records quarantined, want 0", quarantined)
	}
}

// Must-show 4: one target answers 500 for a minute or more, another 429
// with Retry-After. Pushes to the healthy target keep flowing; the failing
// ones drain after recovery; only pushes that used up their retries become
// dead letters, and replaying them empties the list and delivers.
func TestFaultTargetsFailingAndThrottling(t *testing.T) {
	t.Parallel()
	heavy(t)
	// Retry delays 0.5–1, 1–2, 2–4, 4–8 s: 5 attempts within 7.5–15 s,
	// when a worker is free to make them.
	const maxRetry = 4
	f := newFaultEnv(t, faultOptions{targets: []string{"healthy", "failing", "limited"}, maxRetry: maxRetry})
	f.startApp(true, nil)
	healthy, failing, limited := f.targets["healthy"], f.targets["failing"], f.targets["limited"]
	var ids []string
	create := func(k int) {
		for range k {
			ids = append(ids, f.shopify.CreateCustomer(app.DemoCustomer(len(ids))))
		}
	}

	// Baseline: 50 customers at 10/s with every target healthy.
	t0 := time.Now()
	<-paced(50, 100*time.Millisecond, func(int) { create(1) })
	f.waitIdle(time.Minute)
	baseline := f.pushLatencies("healthy", t0, time.Now())

	// Outage: failing answers 500, limited 429 with Retry-After 2 s.
	failing.FailNext(1<<30, http.StatusInternalServerError)
	limited.Throttle(1<<30, 2*time.Second)
	outage := time.Now()
	create(100) // wave 1: fails until one of its pushes used up its retries
	wave1 := slices.Clone(ids[50:])
	<-paced(200, 200*time.Millisecond, func(int) { create(1) }) // 5/s for 40 s
	eventually(t, 45*time.Second, "the healthy target never caught up while the others failed", func() bool {
		return healthy.Count() == len(ids)
	})
	caughtUp := time.Since(outage)
	during := f.pushLatencies("healthy", outage, time.Now())
	if failing.Count() != 50 || limited.Count() != 50 {
		t.Fatalf("faulty targets took records during the outage: failing %d, limited %d, want the 50 from before", failing.Count(), limited.Count())
	}
	_, _, retrying, archived := f.queueStates()
	// The outage lasts a minute and then until one of wave 1's pushes has
	// used up its retries. Five attempts are only 7.5–15 s of retry delays,
	// but the failing target's push workers (25) are shared by the 300
	// pushes failing at once, and each attempt holds its worker through
	// the HTTP client's two in-place retries (0.3–0.6 s of backoff): the
	// 1,500 attempts take most of a minute on an idle machine, and took
	// up to 3 minutes at load 30–40 under -race.
	time.Sleep(time.Until(outage.Add(58 * time.Second)))
	wave1Died := f.waitDeadLetterOf(wave1, 8*time.Minute, fmt.Sprintf("none of wave 1's pushes used up %d retries while the target failed", maxRetry))
	create(30) // wave 2: fails for 2 s, well inside its retries
	wave2 := slices.Clone(ids[len(ids)-30:])
	time.Sleep(2 * time.Second)
	failing.FailNext(0, 0)
	limited.Throttle(0, 0)
	recovered := time.Now()
	drain := f.waitIdle(3 * time.Minute)
	t.Logf("healthy target push latency p50/p95: %s/%s before, %s/%s during the outage (%d pushes); all %d customers at the healthy target %s into the outage; %d tasks waiting to retry, %d dead letters then",
		percentile(baseline, .5).Round(time.Millisecond), percentile(baseline, .95).Round(time.Millisecond),
		percentile(during, .5).Round(time.Millisecond), percentile(during, .95).Round(time.Millisecond), len(during),
		len(ids), caughtUp.Round(100*time.Millisecond), retrying, archived)

	rows := f.hubCustomers()
	if len(rows) != len(ids) {
		t.Fatalf("hub holds %d customers, Shopify %d", len(rows), len(ids))
	}
	f.checkTargets(rows, "healthy", "limited")
	dls := f.deadLetters()
	t.Logf("outage lasted %s (wave 1's first dead letter %s into it); idle %s after recovery; limited target complete; failing target holds %d of %d, %d dead letters",
		recovered.Sub(outage).Round(100*time.Millisecond), wave1Died.Sub(outage).Round(100*time.Millisecond), drain.Round(100*time.Millisecond), failing.Count(), len(rows), len(dls))
	dead := map[uint64]bool{}
	for _, dl := range dls {
		if dl.Type != shsync.TypePush || dl.Connector != "failing" || dl.Attempts != maxRetry+1 || !strings.Contains(dl.LastError, "500") {
			t.Errorf("dead letter that did not use up its retries against the failing target: %+v", dl)
		}
		dead[dl.CustomerID] = true
	}
	byShopify := map[string]uint64{}
	for _, r := range rows {
		if l, err := f.store.Link(context.Background(), r.c.ID, "shopify", "customer"); err == nil {
			byShopify[l.ExternalID] = r.c.ID
		}
	}
	wave1Dead := 0
	for _, id := range wave1 {
		if dead[byShopify[id]] {
			wave1Dead++
		}
	}
	// How many of wave 1 used up their retries during the outage depends
	// on how busy the workers were; none would mean the retries never ran.
	t.Logf("%d of wave 1's %d pushes to the failing target used up their retries", wave1Dead, len(wave1))
	if wave1Dead == 0 {
		t.Errorf("none of wave 1's pushes used up %d retries in %s of failures", maxRetry, recovered.Sub(outage).Round(time.Second))
	}
	for _, id := range wave2 {
		cid := byShopify[id]
		if _, err := f.store.Link(context.Background(), cid, "failing", "customer"); err != nil || dead[cid] {
			t.Errorf("shopify customer %s failed for 2 s, inside its retries, but did not drain to the failing target (dead letter: %v)", id, dead[cid])
		}
	}
	if got, want := failing.Count(), len(rows)-len(dls); got != want {
		t.Errorf("failing target holds %d customers after recovery, want %d (all but the dead letters)", got, want)
	}

	code, b := f.admin(http.MethodPost, "/api/deadletters/replay?connector=failing")
	if code != http.StatusAccepted || !strings.Contains(string(b), fmt.Sprintf(`"replayed":%d`, len(dls))) {
		t.Fatalf("replay: %d %s, want %d replayed", code, b, len(dls))
	}
	replayed := f.waitIdle(2 * time.Minute)
	t.Logf("replay of %d dead letters delivered in %s", len(dls), replayed.Round(100*time.Millisecond))
	if left := f.deadLetters(); len(left) != 0 {
		t.Errorf("%d dead letters after the replay", len(left))
	}
	f.checkTargets(rows)
}

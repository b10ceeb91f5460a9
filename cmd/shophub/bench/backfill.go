package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/trace"
)

// EmulatorCommand is the hidden subcommand that serves a seeded Shopify
// emulator in its own process, so the backfill's peak RSS is shophub's
// alone and not the in-memory shop's.
const EmulatorCommand = "bench-emulator"

// ServeEmulator seeds a Shopify emulator with n customers, prints its URL
// as the first line of w, and serves until ctx ends or stdin closes.
func ServeEmulator(ctx context.Context, n int, w io.Writer) error {
	em := shopifytest.New(shopifytest.Options{AccessToken: "bench-token", WebhookSecret: benchSecret})
	defer em.Close()
	em.Seed(n)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: em.Handler()}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	fmt.Fprintf(w, "http://%s\n", l.Addr())
	stdin := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdin) }()
	select {
	case <-ctx.Done():
	case <-stdin:
	}
	return nil
}

// startEmulator runs ServeEmulator in a child process of this binary.
func startEmulator(ctx context.Context, n int) (url string, pid int, stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.CommandContext(ctx, exe, EmulatorCommand, "--customers", strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", 0, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop = func() { _ = stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		stop()
		return "", 0, nil, fmt.Errorf("emulator process (%s %s) did not start: %q %v", exe, EmulatorCommand, line, err)
	}
	return strings.TrimSpace(line), cmd.Process.Pid, stop, nil
}

func runBackfill(ctx context.Context, r *Runner) (*Result, error) {
	n := r.scale(1000000, 20000)
	if r.Opts.Customers > 0 {
		n = r.Opts.Customers
	}
	dsn, rdb, done, err := r.stores(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	seedStart := time.Now()
	url, emuPID, stopEmu, err := startEmulator(ctx, n)
	if err != nil {
		return nil, err
	}
	defer stopEmu()
	seeded := time.Since(seedStart)

	cfg := benchConfig(dsn)
	cfg.Connectors[0].Direction = config.DirectionIn
	cfg.Connectors[0].RateLimit = -1 // the emulator has no bucket; pace nothing
	cfg.Connectors[0].Settings = map[string]any{"shop_url": url, "access_token": "bench-token", "page_size": 250}

	// Ceiling: listing the same shop page by page with no merging.
	ceil, err := listOnly(ctx, cfg.Connectors[0], n)
	if err != nil {
		return nil, err
	}

	// shophub's own Redis client counts its round trips.
	calls := &redisCalls{}
	appRedis := redis.NewClient(rdb.Options())
	defer appRedis.Close()
	appRedis.AddHook(calls)
	a, err := app.New(ctx, app.Options{Config: cfg, Log: r.Opts.Log, Work: true, Redis: appRedis, Migrate: true})
	if err != nil {
		return nil, err
	}
	defer a.Shutdown(context.Background())
	// SHOPHUB_BENCH_POLL_MERGERS=N: pages merged at once (default 2), to
	// measure the choice.
	if v, err := strconv.Atoi(os.Getenv("SHOPHUB_BENCH_POLL_MERGERS")); err == nil && v > 0 {
		a.Handlers.PollMergers = v
	}
	// SHOPHUB_BENCH_POLL_AHEAD=N: pages listed beyond those merging (-1: none).
	if v, err := strconv.Atoi(os.Getenv("SHOPHUB_BENCH_POLL_AHEAD")); err == nil {
		a.Handlers.PollListAhead = v
	}
	stmts, err := countStatements(a.Store.DB())
	if err != nil {
		return nil, err
	}
	stages := newPageStages()
	defer trace.Set(stages.mark)()
	dbPID := dbServerPID()
	resetPeakRSS()
	rssBefore := peakRSS()
	if err := a.Start(ctx); err != nil {
		return nil, err
	}
	start, cpuStart, emuStart, dbStart := time.Now(), cpuTime(), procCPU(emuPID), procCPU(dbPID)
	redisBefore, redisBy, sqlBefore, sqlBy := calls.n.Load(), calls.snapshot(), stmts.Load(), stmts.snapshot()
	if err := a.Handlers.Backfill(ctx, "shopify", "customer"); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Minute)
	for {
		c, err := a.Store.Cursor(ctx, "shopify", "customer")
		if err != nil {
			return nil, err
		}
		if c.Done {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("backfill of %d not done after 30 minutes", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed, cpu, emuCPU, dbCPU := time.Since(start), cpuTime()-cpuStart, procCPU(emuPID)-emuStart, procCPU(dbPID)-dbStart
	stages.stop()
	peak := peakRSS()
	redisPer := float64(calls.n.Load()-redisBefore) / float64(n)
	sqlPer := float64(stmts.Load()-sqlBefore) / float64(n)
	redisTop, sqlTop := perChange(redisBy, calls.snapshot(), n), perChange(sqlBy, stmts.snapshot(), n)
	var customers int64
	a.Store.DB().Model(&hub.Customer{}).Count(&customers)
	if customers != int64(n) {
		return nil, fmt.Errorf("%d customers in the hub after a backfill of %d", customers, n)
	}
	stored, err := storedBytes(ctx, a.Store.DB(), n)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Figure:  Figure{Name: "customers backfilled", Value: float64(n) / elapsed.Seconds(), Unit: "/s"},
		Ceiling: Figure{Name: "listing only, no merge", Value: ceil, Unit: "/s"},
		Target:  "1,000,000 in ≤ 90 s (≥ 11,000/s), peak RSS ≤ 256 MB",
		Details: map[string]any{"customers": n, "page_size": 250, "total": elapsed.Round(time.Millisecond).String(),
			"peak_rss_mb": peak / (1 << 20), "rss_at_start_mb": rssBefore / (1 << 20), "emulator_seed": seeded.Round(time.Millisecond).String(),
			"emulator": "separate process", "pages_merged_together": a.Handlers.PagesMergedAtOnce("customer"), "pages_listed_ahead": a.Handlers.PagesListedAhead("customer"), "cpu_ms_per_customer": msPer(cpu, n),
			"sql_statements_per_customer": sqlPer, "redis_calls_per_customer": redisPer,
			"redis_commands_per_customer": redisTop, "sql_per_customer": sqlTop,
			// Where the pages' time went, summed over pages (merges overlap).
			"page_stages": stages.report(elapsed),
			// The emulator's process, and the database server's (everybody's
			// statements on a shared server, not only this run's).
			"emulator_cpu_ms_per_customer": msPer(emuCPU, n), "db_server_cpu_ms_per_customer": msPer(dbCPU, n),
			"stored_bytes_per_customer": stored},
	}
	res.Ratio = ratio(res.Figure.Value, res.Ceiling.Value)
	return res, nil
}

// listOnly pages through the whole shop with the connector alone.
func listOnly(ctx context.Context, cc config.Connector, n int) (float64, error) {
	conn, err := connectors.New(connectors.Instance{Name: cc.Name, Type: cc.Type, RateLimit: cc.RateLimit}, cc.Settings)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := conn.Connect(ctx); err != nil {
		return 0, err
	}
	l := conn.(connectors.Lister)
	start := time.Now()
	cursor, got := "", 0
	for {
		page, err := l.List(ctx, "customer", cursor)
		if err != nil {
			return 0, err
		}
		got += len(page.Records)
		cursor = page.Next
		if page.Done {
			break
		}
	}
	if got < n {
		return 0, fmt.Errorf("listing returned %d of %d customers", got, n)
	}
	return float64(got) / time.Since(start).Seconds(), nil
}

// peakRSS reads the process's peak resident set (VmHWM) in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// resetPeakRSS restarts VmHWM from the current RSS (Linux ≥ 4.0), so the
// scenario's peak is not an earlier scenario's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

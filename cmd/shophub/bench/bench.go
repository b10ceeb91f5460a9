// Package bench measures shophub on the machine it runs on. Every figure is
// reported beside a ceiling measured in the same run on the same machine —
// the most that machine does for comparable work — because on a noisy,
// shared 2-core machine an absolute number means little and a ratio a lot.
package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// Options configure a run.
type Options struct {
	// MySQLDSN is a server the benchmark creates a scratch database on.
	MySQLDSN string
	// RedisAddr is a Redis server; the benchmark uses database RedisDB,
	// flushing it before and after.
	RedisAddr string
	RedisDB   int
	Short     bool
	Duration  time.Duration
	Rate      int
	Customers int
	// Workers > 0 runs merge's and propagate's tasks in that many `shophub worker`
	// processes of this binary instead of in the bench's process.
	Workers int
	// StepProfiles, when set, is a directory each timed step's own CPU
	// profile is written to (propagate-<rate>.prof): the run's setup
	// left out, which a --cpuprofile of the whole run cannot.
	StepProfiles string
	Log          *slog.Logger
	Out          io.Writer
}

// Figure is one measured number.
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// Result is what a scenario prints.
type Result struct {
	Scenario string `json:"scenario"`
	Figure   Figure `json:"figure"`
	Ceiling  Figure `json:"ceiling"`
	// Ratio is figure/ceiling for rates, ceiling/figure for latencies: 1
	// means shophub does as well as the machine's bare path.
	Ratio   float64        `json:"ratio"`
	Target  string         `json:"target"`
	Details map[string]any `json:"details,omitempty"`
	Env     *Env           `json:"env"`
	Elapsed string         `json:"elapsed"`
}

// Env describes the machine a result was measured on.
type Env struct {
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	DB        string `json:"db"`
	Redis     string `json:"redis"`
	Time      string `json:"time"`
}

// Scenario is one benchmark.
type Scenario struct {
	Name string
	Doc  string
	Run  func(ctx context.Context, r *Runner) (*Result, error)
}

// Scenarios lists every scenario in run order.
var Scenarios = []Scenario{
	{"ingest-webhooks", "signed Shopify webhooks over loopback HTTP: accepted/s and ack latency, against a bare read+enqueue handler", runIngest},
	{"merge", "customers through ingest → mapping → merge → outbox on the workers, against raw multi-row upserts", runMerge},
	{"backfill", "a full listing of the Shopify emulator (in its own process) merged page by page: customers/s and peak RSS", runBackfill},
	{"propagate", "a steady rate of changes at one shop, time until visible at five other touchpoints", runPropagate},
	{"mapping", "every connector's default mapping on one core, against a bare walk of the same record", runMapping},
	{"score", "the nightly RFM scoring over N customers (first run, then a steady night): customers/s and pushes, against a raw upsert of the same rows", runScore},
}

// Runner holds what scenarios share.
type Runner struct {
	Opts Options
	Env  *Env
}

// Run runs the named scenarios ("all" for every one) and prints each
// result as one JSON line, then a table.
func Run(ctx context.Context, opts Options, names []string) ([]*Result, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	r := &Runner{Opts: opts}
	var err error
	if r.Env, err = r.env(ctx); err != nil {
		return nil, err
	}
	var todo []Scenario
	for _, n := range names {
		if n == "all" {
			todo = Scenarios
			break
		}
		found := false
		for _, s := range Scenarios {
			if s.Name == n {
				todo, found = append(todo, s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q", n)
		}
	}
	var results []*Result
	for _, s := range todo {
		start := time.Now()
		res, err := s.Run(ctx, r)
		if err != nil {
			return results, fmt.Errorf("%s: %w", s.Name, err)
		}
		res.Scenario, res.Env, res.Elapsed = s.Name, r.Env, time.Since(start).Round(time.Millisecond).String()
		b, _ := json.Marshal(res)
		fmt.Fprintln(opts.Out, string(b))
		results = append(results, res)
	}
	PrintTable(opts.Out, results)
	return results, nil
}

// PrintTable prints results for people.
func PrintTable(w io.Writer, results []*Result) {
	if len(results) == 0 {
		return
	}
	e := results[0].Env
	fmt.Fprintf(w, "\n%d cores · %s · %s · DB %s · Redis %s\n", e.Cores, e.GoVersion, e.OS, e.DB, e.Redis)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tfigure\tceiling\tratio\ttarget")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\n", r.Scenario, fmtFig(r.Figure), fmtFig(r.Ceiling), r.Ratio, r.Target)
	}
	_ = tw.Flush()
}

func fmtFig(f Figure) string {
	v := fmt.Sprintf("%.0f", f.Value)
	if f.Value < 100 {
		v = fmt.Sprintf("%.1f", f.Value)
	}
	return fmt.Sprintf("%s %s (%s)", v, f.Unit, f.Name)
}

func (r *Runner) env(ctx context.Context) (*Env, error) {
	e := &Env{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Time: time.Now().UTC().Format(time.RFC3339), DB: "none", Redis: "none"}
	if r.Opts.MySQLDSN != "" {
		db, err := sql.Open("mysql", r.Opts.MySQLDSN)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&e.DB); err != nil {
			return nil, fmt.Errorf("mysql at %s: %w", r.Opts.MySQLDSN, err)
		}
	}
	if r.Opts.RedisAddr != "" {
		c := redis.NewClient(&redis.Options{Addr: r.Opts.RedisAddr})
		defer c.Close()
		info, err := c.Info(ctx, "server").Result()
		if err != nil {
			return nil, fmt.Errorf("redis at %s: %w", r.Opts.RedisAddr, err)
		}
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				e.Redis = v
			}
		}
	}
	return e, nil
}

// scratchDB creates a database for one scenario and returns its DSN and a
// function dropping it.
func (r *Runner) scratchDB(ctx context.Context) (string, func(), error) {
	if r.Opts.MySQLDSN == "" {
		return "", nil, fmt.Errorf("needs MySQL/MariaDB: pass --mysql-dsn or set SHOPHUB_BENCH_MYSQL_DSN")
	}
	cfg, err := mysqldrv.ParseDSN(r.Opts.MySQLDSN)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "shophub_bench_" + hex.EncodeToString(b)
	admin := cfg.Clone()
	admin.DBName = ""
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err != nil {
		return "", nil, err
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		db.Close()
		return "", nil, err
	}
	cfg.DBName = name
	return cfg.FormatDSN(), func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		db.Close()
	}, nil
}

// redis returns a client on the benchmark's flushed database.
func (r *Runner) redis(ctx context.Context) (*redis.Client, func(), error) {
	if r.Opts.RedisAddr == "" {
		return nil, nil, fmt.Errorf("needs Redis: pass --redis-addr or set SHOPHUB_BENCH_REDIS_ADDR")
	}
	c := redis.NewClient(&redis.Options{Addr: r.Opts.RedisAddr, DB: r.Opts.RedisDB, PoolSize: 128})
	if err := c.FlushDB(ctx).Err(); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, func() {
		_ = c.FlushDB(context.Background()).Err()
		c.Close()
	}, nil
}

// stores gives a scenario its scratch database and the flushed Redis;
// done flushes the one and drops the other.
func (r *Runner) stores(ctx context.Context) (dsn string, rdb *redis.Client, done func(), err error) {
	dsn, drop, err := r.scratchDB(ctx)
	if err != nil {
		return "", nil, nil, err
	}
	rdb, closeRedis, err := r.redis(ctx)
	if err != nil {
		drop()
		return "", nil, nil, err
	}
	return dsn, rdb, func() { closeRedis(); drop() }, nil
}

// scale picks the full or the --short size.
func (r *Runner) scale(full, short int) int {
	if r.Opts.Short {
		return short
	}
	return full
}

func (r *Runner) duration(full, short time.Duration) time.Duration {
	if r.Opts.Duration > 0 {
		return r.Opts.Duration
	}
	if r.Opts.Short {
		return short
	}
	return full
}

// percentiles of durations in milliseconds.
func percentiles(d []time.Duration) map[string]float64 {
	if len(d) == 0 {
		return map[string]float64{"p50_ms": 0, "p95_ms": 0, "p99_ms": 0}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p float64) float64 {
		i := int(p * float64(len(d)-1))
		return float64(d[i].Microseconds()) / 1000
	}
	return map[string]float64{"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1)}
}

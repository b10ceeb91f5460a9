package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	shsync "github.com/shophub/shophub/sync"
	"gorm.io/gorm"
)

// timings records handler durations.
type timings struct {
	mu gosync.Mutex
	d  []time.Duration
	// batches counts aggregated ingest tasks (sync/ingestgroup.go); their
	// customers are not in d.
	batches atomic.Int64
}

func (t *timings) middleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, task)
		if task.Type() == shsync.TypeIngestBatch {
			t.batches.Add(1)
		}
		if task.Type() == shsync.TypeIngest {
			t.mu.Lock()
			t.d = append(t.d, time.Since(start))
			t.mu.Unlock()
		}
		return err
	})
}

func benchConfig(dsn string) *config.Config {
	cfg := &config.Config{File: "(bench)", Database: config.Database{Driver: "mysql", DSN: dsn},
		Connectors: []config.Connector{{Name: "shopify", Type: "shopify", WebhookSecret: benchSecret,
			Settings: map[string]any{"shop_url": "http://127.0.0.1:1", "access_token": "x"}}}}
	cfg.ApplyDefaults()
	return cfg
}

func runMerge(ctx context.Context, r *Runner) (*Result, error) {
	dsn, rdb, done, err := r.stores(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	cfg := benchConfig(dsn)
	if os.Getenv("SHOPHUB_BENCH_NO_DEDUPE") != "" {
		cfg.Worker.DedupeTTL = 0
	}
	// shophub's own Redis client counts its round trips.
	calls := &redisCalls{}
	appRedis := redis.NewClient(rdb.Options())
	defer appRedis.Close()
	appRedis.AddHook(calls)
	a, err := app.New(ctx, app.Options{Config: cfg, Log: r.Opts.Log, Redis: appRedis, Migrate: true})
	if err != nil {
		return nil, err
	}
	defer a.Shutdown(context.Background())

	n := r.scale(100000, 5000)
	if r.Opts.Customers > 0 {
		n = r.Opts.Customers
	}
	existing := n * 4 / 10
	t0 := time.Now().Add(-time.Hour)
	tp, _ := a.Points.Get("shopify")
	// Setup (not timed): the customers that already exist.
	for i := 0; i < existing; i += 500 {
		var ins []hub.Inbound
		for j := i; j < min(i+500, existing); j++ {
			doc, err := tp.Mapping.Inbound("customer", jsonRoundTrip(benchCustomer(j, "Before", t0)))
			if err != nil {
				return nil, err
			}
			ins = append(ins, hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: strconv.Itoa(1000000 + j), SourceAt: t0, Doc: doc})
		}
		if _, err := a.Store.MergeBatch(ctx, ins, hub.Policy{}); err != nil {
			return nil, err
		}
	}
	// Scale-out (--workers N): N `shophub worker` processes take the
	// tasks instead of this one; they start on a paused ingest queue, so
	// the measured window begins when every one of them is ready.
	var procs *workerProcs
	insp := asynq.NewInspectorFromRedisClient(rdb)
	if r.Opts.Workers > 0 {
		if err := insp.PauseQueue(shsync.QueueIngest); err != nil {
			return nil, err
		}
		if procs, err = startWorkers(ctx, r, rdb, dsn, r.Opts.Workers); err != nil {
			return nil, err
		}
		defer procs.stop()
	}
	// The measured mix: 60% new customers, 20% changed, 20% unchanged.
	enqStart := time.Now()
	at := time.Now()
	for i := 0; i < n; i++ {
		var rec map[string]any
		switch {
		case i < existing/2:
			rec = benchCustomer(i, "After", at) // changed
		case i < existing:
			rec = benchCustomer(i, "Before", at) // unchanged
		default:
			rec = benchCustomer(i, "New", at)
		}
		body, _ := json.Marshal(rec)
		p := shsync.IngestPayload{Instance: "shopify", Resource: "customer",
			ExternalID: strconv.Itoa(1000000 + i), EventID: "m" + strconv.Itoa(i), SourceAt: at, Body: body}
		task, err := shsync.NewIngestTask(p, 3)
		if err != nil {
			return nil, err
		}
		// As the webhook receiver does: grouped behind a backlog.
		if _, err := a.Queue.EnqueueIngest(ctx, task, p); err != nil {
			return nil, err
		}
	}
	enqueued := time.Since(enqStart)

	tm := &timings{}
	srv := shsync.NewServers(appRedis, cfg.Worker, r.Opts.Log, nil, a.Points.PushSlots())
	stmts, err := countStatements(a.Store.DB())
	if err != nil {
		return nil, err
	}
	redisBefore, redisBy := calls.n.Load(), calls.snapshot()
	mux := asynq.NewServeMux()
	mux.Use(tm.middleware)
	a.Handlers.Register(mux)
	bctx, stopBatcher := context.WithCancel(ctx)
	go a.Handlers.Batcher.Run(bctx)
	go a.Handlers.Marker.Run(bctx)
	var procStart []time.Duration
	if procs != nil {
		procStart = procs.cpu()
	}
	sqlDB, err := a.Store.DB().DB()
	if err != nil {
		stopBatcher()
		return nil, err
	}
	mc, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		stopBatcher()
		return nil, err
	}
	dbw, err := startDBWindow(ctx, sqlDB, mc.DBName)
	if err != nil {
		stopBatcher()
		return nil, err
	}
	start, cpuStart, srvStart := time.Now(), cpuTime(), serverCPUNow()
	if procs != nil {
		err = insp.UnpauseQueue(shsync.QueueIngest)
	} else {
		err = srv.Start(mux)
	}
	if err != nil {
		stopBatcher()
		return nil, err
	}
	err = waitDrained(ctx, rdb, 10*time.Minute)
	elapsed, cpu := time.Since(start), cpuTime()-cpuStart
	var procCPU []float64
	if procs != nil {
		cpu = 0
		for i, c := range procs.cpu() {
			procCPU = append(procCPU, msPer(c-procStart[i], n))
			cpu += c - procStart[i]
		}
	}
	redisCPU, dbCPU := serverCPUNow().perItem(srvStart, n)
	dbServerCPU := dbw.serverCPU(n)
	dbStatus, dbDigests, dbErr := dbw.end(ctx, n)
	sqlPer := float64(stmts.Load()) / float64(n)
	redisPer := float64(calls.n.Load()-redisBefore) / float64(n)
	redisTop := perChange(redisBy, calls.snapshot(), n)
	sqlTop := perChange(map[string]int64{}, stmts.snapshot(), n)
	if procs == nil {
		srv.Shutdown()
	}
	stopBatcher()
	if err != nil {
		return nil, err
	}
	if dbErr != nil {
		return nil, dbErr
	}
	var customers, changed int64
	a.Store.DB().Model(&hub.Customer{}).Count(&customers)
	a.Store.DB().Model(&hub.Customer{}).Where("version > 1").Count(&changed)
	if customers != int64(n) {
		return nil, fmt.Errorf("%d customers in the hub after merging %d", customers, n)
	}

	stored, err := storedBytes(ctx, a.Store.DB(), n)
	if err != nil {
		return nil, err
	}
	ceil, err := rawUpsert(ctx, dsn, n, existing)
	if err != nil {
		return nil, err
	}
	p := percentiles(tm.d)
	res := &Result{
		Figure:  Figure{Name: "customers merged", Value: float64(n) / elapsed.Seconds(), Unit: "/s"},
		Ceiling: Figure{Name: "raw multi-row upsert", Value: ceil, Unit: "/s"},
		Target:  "≥ 5,000 customers/s",
		Details: map[string]any{"customers": n, "new": n - existing, "changed": existing / 2, "unchanged": existing - existing/2,
			"versions_bumped": changed, "concurrency": cfg.Worker.Concurrency, "elapsed": elapsed.Round(time.Millisecond).String(),
			"enqueue": enqueued.Round(time.Millisecond).String(), "task_p50_ms": p["p50_ms"], "task_p99_ms": p["p99_ms"],
			"single_tasks": len(tm.d), "aggregated_tasks": tm.batches.Load(),
			"sql_statements_per_customer": sqlPer, "redis_calls_per_customer": redisPer, "redis_commands_per_customer": redisTop,
			"sql_per_customer": sqlTop, "cpu_ms_per_customer": msPer(cpu, n),
			"redis_cpu_ms_per_customer": redisCPU, "db_cpu_ms_per_customer": dbCPU, "stored_bytes_per_customer": stored,
			"db_status_per_customer": dbStatus, "db_server_cpu_ms_per_customer": dbServerCPU},
	}
	if dbDigests != nil {
		res.Details["db_statements_per_customer"] = dbDigests
	}
	if procs != nil {
		// shophub's CPU is the worker processes' (this one only enqueued
		// and waited); per process, each one's share of every customer.
		res.Details["worker_processes"] = len(procs.cmds)
		res.Details["cpu_ms_per_customer_by_process"] = procCPU
		res.Details["customers_per_second_per_process"] = res.Figure.Value / float64(len(procs.cmds))
	}
	res.Ratio = ratio(res.Figure.Value, res.Ceiling.Value)
	return res, nil
}

// waitDrained waits until no asynq queue holds pending, active, scheduled
// or retrying tasks.
func waitDrained(ctx context.Context, rdb redis.UniversalClient, limit time.Duration) error {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		busy := 0
		qs, err := insp.Queues()
		if err != nil {
			return err
		}
		for _, q := range qs {
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				return err
			}
			busy += info.Pending + info.Active + info.Scheduled + info.Retry + info.Aggregating
		}
		if busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("queues not drained after %s", limit)
}

// rawUpsert is the merge ceiling: the same number of rows, the existing
// share already present, written by multi-row INSERT … ON DUPLICATE KEY
// UPDATE through database/sql in one transaction, batches of 1,000.
func rawUpsert(ctx context.Context, dsn string, n, existing int) (float64, error) {
	mc, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return 0, err
	}
	mc.InterpolateParams = true
	db, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE raw_ceiling (id BIGINT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(254) NOT NULL UNIQUE, data TEXT, version BIGINT) COLLATE utf8mb4_bin"); err != nil {
		return 0, err
	}
	write := func(from, to int, first string) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := from; i < to; i += 1000 {
			end := min(i+1000, to)
			var sb strings.Builder
			sb.WriteString("INSERT INTO raw_ceiling (email, data, version) VALUES ")
			args := make([]any, 0, 3*(end-i))
			for j := i; j < end; j++ {
				if j > i {
					sb.WriteString(",")
				}
				sb.WriteString("(?,?,1)")
				data, _ := json.Marshal(benchCustomer(j, first, time.Now()))
				args = append(args, fmt.Sprintf("kunde%d@example.com", j), string(data))
			}
			sb.WriteString(" ON DUPLICATE KEY UPDATE data = VALUES(data), version = version + 1")
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}
	if err := write(0, existing, "Before"); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := write(0, n, "After"); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func jsonRoundTrip(v map[string]any) map[string]any {
	b, _ := json.Marshal(v)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// countStatements counts the SQL statements gorm runs on db from now on
// (transaction BEGIN and COMMIT are not counted), in all and by operation
// and table.
type statements struct {
	n  atomic.Int64
	mu gosync.Mutex
	by map[string]int64
}

func (s *statements) Load() int64 { return s.n.Load() }

func (s *statements) snapshot() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.by))
	for k, v := range s.by {
		out[k] = v
	}
	return out
}

// Name, Initialize and BulkStatement make statements a hub.BulkObserver:
// the hub's bulk statements bypass gorm's callbacks.
func (s *statements) Name() string              { return hub.BulkObserverName }
func (s *statements) Initialize(*gorm.DB) error { return nil }
func (s *statements) BulkStatement(op, table string) {
	s.n.Add(1)
	s.mu.Lock()
	s.by[op+" "+table]++
	s.mu.Unlock()
}

func countStatements(db *gorm.DB) (*statements, error) {
	st := &statements{by: map[string]int64{}}
	if err := db.Use(st); err != nil {
		return nil, err
	}
	inc := func(op string) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			st.n.Add(1)
			st.mu.Lock()
			st.by[op+" "+tx.Statement.Table]++
			st.mu.Unlock()
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("bench:count_create", inc("insert")),
		cb.Query().After("gorm:query").Register("bench:count_query", inc("select")),
		cb.Update().After("gorm:update").Register("bench:count_update", inc("update")),
		cb.Delete().After("gorm:delete").Register("bench:count_delete", inc("delete")),
		cb.Row().After("gorm:row").Register("bench:count_row", inc("row")),
		cb.Raw().After("gorm:raw").Register("bench:count_raw", inc("raw")),
	} {
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/internal/trace"
)

var markerRe = regexp.MustCompile(`mk(\d+)x(\d+)`)

// arrival is a marker written to a target.
type arrival struct {
	cust, seq int
	at        time.Time
}

// observer records the markers pushes write to one emulator.
type observer struct {
	mu       gosync.Mutex
	arrivals []arrival
	next     http.Handler
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Body == nil {
		o.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	o.next.ServeHTTP(w, r)
	now := time.Now()
	for _, m := range markerRe.FindAllSubmatch(body, -1) {
		c, _ := strconv.Atoi(string(m[1]))
		s, _ := strconv.Atoi(string(m[2]))
		o.mu.Lock()
		o.arrivals = append(o.arrivals, arrival{c, s, now})
		o.mu.Unlock()
	}
}

// seen reports whether marker seq (or a later one) of cust reached it.
func (o *observer) seen(cust, seq int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range o.arrivals {
		if a.cust == cust && a.seq >= seq {
			return true
		}
	}
	return false
}

// serveOn serves an emulator; its work (and the webhooks it sends from
// its handlers) is labelled partEmulator in the bench's profile.
func serveOn(h http.Handler) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	withPart(context.Background(), partEmulator, func(context.Context) { go func() { _ = srv.Serve(l) }() })
	return "http://" + l.Addr().String(), func() { _ = srv.Close() }, nil
}

func runPropagate(ctx context.Context, r *Runner) (*Result, error) {
	// The bench's own goroutines (setup, samplers) are partBench; the
	// app, the emulators and the load generator are labelled where they
	// start (cpusplit.go).
	defer pprof.SetGoroutineLabels(ctx)
	ctx = pprof.WithLabels(ctx, pprof.Labels(partLabel, partBench))
	pprof.SetGoroutineLabels(ctx)
	dsn, rdb, done, err := r.stores(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	rate := r.Opts.Rate
	if rate <= 0 {
		rate = 100 // the target's rate; the sustainable-rate search goes higher
	}
	d := r.duration(10*time.Second, 3*time.Second)
	k := r.scale(1000, 200)

	cfg := benchConfig(dsn)
	cfg.Connectors = nil
	src := shopifytest.New(shopifytest.Options{AccessToken: "t", WebhookSecret: benchSecret})
	defer src.Close()
	srcURL, stop, err := serveOn(src.Handler())
	if err != nil {
		return nil, err
	}
	defer stop()
	cfg.Connectors = append(cfg.Connectors, config.Connector{Name: "src", Type: "shopify", WebhookSecret: benchSecret,
		RateLimit: -1, Settings: map[string]any{"shop_url": srcURL, "access_token": "t"}})

	type target struct {
		name string
		obs  *observer
		hook func(string)
	}
	var targets []target
	for i := 1; i <= 2; i++ {
		em := shopifytest.New(shopifytest.Options{AccessToken: "t", WebhookSecret: benchSecret})
		defer em.Close()
		obs := &observer{next: em.Handler()}
		u, stop, err := serveOn(obs)
		if err != nil {
			return nil, err
		}
		defer stop()
		name := fmt.Sprintf("shopify%d", i)
		cfg.Connectors = append(cfg.Connectors, config.Connector{Name: name, Type: "shopify", WebhookSecret: benchSecret,
			RateLimit: -1, Settings: map[string]any{"shop_url": u, "access_token": "t"}})
		targets = append(targets, target{name, obs, em.SetWebhookURL})
	}
	for i := 1; i <= 3; i++ {
		em := shopwaretest.New(shopwaretest.Options{ClientID: "c", ClientSecret: "s", AppSecret: benchSecret})
		defer em.Close()
		obs := &observer{next: em.Handler()}
		u, stop, err := serveOn(obs)
		if err != nil {
			return nil, err
		}
		defer stop()
		name := fmt.Sprintf("shopware%d", i)
		cfg.Connectors = append(cfg.Connectors, config.Connector{Name: name, Type: "shopware", WebhookSecret: benchSecret,
			Settings: map[string]any{"url": u, "client_id": "c", "client_secret": "s"}})
		targets = append(targets, target{name, obs, em.SetWebhookURL})
	}
	cfg.ApplyDefaults()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// shophub's own Redis client counts its round trips.
	calls := &redisCalls{}
	appRedis := redis.NewClient(rdb.Options())
	defer appRedis.Close()
	appRedis.AddHook(calls)
	// The pipeline's trace marks, collected during each measured step,
	// cut every change's path into hops.
	tr := &tracer{}
	defer trace.Set(tr.mark)()
	var a *app.App
	withPart(ctx, partShophub, func(ctx context.Context) {
		// Scale-out (--workers N): this process serves the webhooks, N
		// `shophub worker` processes do the work.
		work := r.Opts.Workers <= 0
		if a, err = app.New(ctx, app.Options{Config: cfg, Log: r.Opts.Log, Serve: true, Work: work, Listener: l, Redis: appRedis, Migrate: true}); err == nil {
			err = a.Start(ctx)
		}
	})
	if err != nil {
		return nil, err
	}
	defer a.Shutdown(context.Background())
	var procs *workerProcs
	if r.Opts.Workers > 0 {
		if procs, err = startWorkerProcs(ctx, r, rdb, dsn, cfg.Connectors, r.Opts.Workers, func() {}); err != nil {
			return nil, err
		}
		defer procs.stop()
	}
	src.SetWebhookURL(a.URL() + "/webhooks/src")
	for _, t := range targets {
		t.hook(a.URL() + "/webhooks/" + t.name)
	}

	// Link k customers everywhere first (not timed).
	ids := make([]string, k)
	for c := range ids {
		ids[c] = src.CreateCustomer(map[string]any{"email": fmt.Sprintf("prop%d@example.com", c), "first_name": fmt.Sprintf("mk%dx0", c), "last_name": "Propagate",
			"addresses": []any{map[string]any{"address1": fmt.Sprintf("Hauptstraße %d", c+1), "city": "Berlin", "zip": "10115", "country_code": "DE", "default": true}}})
	}
	setup := time.Now()
	for c := 0; c < k; c++ {
		for _, t := range targets {
			for !t.obs.seen(c, 0) {
				if time.Since(setup) > 5*time.Minute {
					return nil, fmt.Errorf("setup: customer %d never reached %s", c, t.name)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	if err := waitDrained(ctx, rdb, 5*time.Minute); err != nil {
		return nil, err
	}

	obs := make([]*observer, len(targets))
	names := make([]string, len(targets))
	for i, t := range targets {
		obs[i], names[i] = t.obs, t.name
	}
	stmts, err := countStatements(a.Store.DB())
	if err != nil {
		return nil, err
	}
	seq := 0
	step := func(rate int, d time.Duration) (propStep, error) {
		s, err := measureStep(ctx, rdb, src, ids, obs, &seq, rate, d, calls, stmts, tr, names, procs)
		if err == nil {
			if procs != nil {
				fmt.Fprintf(r.Opts.Out, "propagate %d/s: CPU per change %.1f ms in the bench's process (serve, emulators), %s ms in the worker processes; target writes per change %.2f, %d written again\n",
					rate, s.cpuPerChange, joinMs(s.workerCPUPerChange), s.writesPerTarget, s.repeatedWrites)
			}
			if err := r.saveStepProfile(fmt.Sprintf("propagate-%d.prof", rate), s.profile); err != nil {
				return s, err
			}
			if s.cpuByPart != nil {
				fmt.Fprintf(r.Opts.Out, "propagate %d/s: CPU per change %.1f ms: %s; besides, Redis %.1f ms, MariaDB %.1f ms\n",
					rate, s.cpuPerChange, describeSplit(s.cpuByPart), s.redisCPUPerChange, s.dbCPUPerChange)
			}
			head := fmt.Sprintf("propagate %d/s (reached %.0f/s, p50 %d ms, p99 %d ms, %s)", rate, s.achieved,
				median(s.lat).Milliseconds(), s.p99.Milliseconds(), loadAvg())
			if procs != nil {
				// The trace marks are taken in this process: the workers'
				// steps (ingest, merge, push) leave none to cut hops by.
				fmt.Fprintln(r.Opts.Out, head+": no per-hop breakdown with --workers")
			} else {
				s.hops.print(r.Opts.Out, head)
			}
		}
		return s, err
	}
	main, err := step(rate, d)
	if err != nil {
		return nil, err
	}
	lat, lost := main.lat, main.lost
	sustained, tried, err := sustainable(rate, main, func(rate int) (propStep, error) { return step(rate, r.duration(5*time.Second, 2*time.Second)) })
	if err != nil {
		return nil, err
	}
	hop, err := asynqHop(ctx, rdb, cfg.Worker, rate, d)
	if err != nil {
		return nil, err
	}
	p, ph := percentiles(lat), percentiles(hop)
	res := &Result{
		Figure:  Figure{Name: "p50 change → visible at all 5 others", Value: p["p50_ms"], Unit: "ms"},
		Ceiling: Figure{Name: "p50 one bare asynq hop", Value: ph["p50_ms"], Unit: "ms"},
		Target:  "p50 ≤ 100 ms, p99 ≤ 1 s at 100 changes/s; sustainable rate (p99 ≤ 1 s) ≥ 500/s",
		Details: map[string]any{"rate": rate, "achieved_rate": main.achieved, "changes": main.changes,
			"customers": k, "targets": len(targets), "p95_ms": p["p95_ms"], "p99_ms": p["p99_ms"], "max_ms": p["max_ms"],
			"not_visible": lost, "hop_p99_ms": ph["p99_ms"], "redis_calls_per_change": main.redisPerChange, "redis_commands_per_change": main.redisTop,
			"sql_statements_per_change": main.sqlPerChange, "sql_per_change": main.sqlTop,
			"cpu_ms_per_change": main.cpuPerChange, "cpu_ms_per_change_by_part": main.cpuByPart, "cpu_ms_per_change_shophub": main.cpuByPart[partShophub],
			"redis_cpu_ms_per_change": main.redisCPUPerChange, "db_cpu_ms_per_change": main.dbCPUPerChange,
			"tasks_per_change": main.tasksPerChange, "target_writes_per_change": main.writesPerTarget, "target_writes_repeated": main.repeatedWrites,
			"worker_processes": r.Opts.Workers, "worker_cpu_ms_per_change": main.workerCPUPerChange, "idle_probes_per_second": main.idlePerSecond,
			"sustainable_rate": sustained, "sustainable_tried": tried, "hops": main.hops.table(), "queue_lengths": main.hops.queues, "load_average": main.load},
	}
	if res.Figure.Value > 0 {
		res.Ratio = res.Ceiling.Value / res.Figure.Value
	}
	return res, nil
}

// asynqHop measures the machine's floor for one queue hop: enqueue → a
// no-op handler starts, at the same rate and task check interval.
func asynqHop(ctx context.Context, rdb redis.UniversalClient, wc config.Worker, rate int, d time.Duration) ([]time.Duration, error) {
	var mu gosync.Mutex
	var lat []time.Duration
	// Its own queue: the app's servers still run and would take (and
	// fail) tasks put in one of theirs.
	const queue = "bench-hop"
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: wc.Concurrency, Queues: map[string]int{queue: 1},
		TaskCheckInterval: wc.TaskCheckInterval.D(), LogLevel: asynq.ErrorLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc("bench:hop", func(_ context.Context, t *asynq.Task) error {
		var sentAt time.Time
		_ = json.Unmarshal(t.Payload(), &sentAt)
		mu.Lock()
		lat = append(lat, time.Since(sentAt))
		mu.Unlock()
		return nil
	})
	if err := srv.Start(mux); err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	client := asynq.NewClientFromRedisClient(rdb)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		<-tick.C
		b, _ := json.Marshal(time.Now())
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("bench:hop", b, asynq.Queue(queue))); err != nil {
			return nil, err
		}
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return append([]time.Duration(nil), lat...), nil
}

// propStep is one steady-rate run of changes.
type propStep struct {
	rate, changes, lost int
	achieved            float64
	lat                 []time.Duration
	p99                 time.Duration
	// redisPerChange is the Redis round trips shophub made per change,
	// leaving out the probes of empty queues (idlePerSecond): a figure
	// that depends neither on how busy the machine is nor on the rate.
	redisPerChange float64
	redisTop       map[string]float64
	sqlPerChange   float64
	// cpuPerChange is the CPU time (user + system, ms) of this process
	// — shophub, the emulators and the load generator — per change.
	cpuPerChange float64
	// cpuByPart shares cpuPerChange out among shophub, the emulators,
	// the load generator, the bench and the unlabelled runtime, in the
	// proportions a CPU profile of the step sampled (cpusplit.go); nil
	// under --cpuprofile.
	cpuByPart map[string]float64
	// redisCPUPerChange and dbCPUPerChange are what the local Redis and
	// MariaDB servers spent per change (ms; 0 for remote ones): on one
	// machine they share the cores with the bench's process, and a rate
	// the cores can carry pays for all three.
	redisCPUPerChange, dbCPUPerChange float64
	// tasksPerChange is the tasks shophub enqueued per change.
	tasksPerChange float64
	// idlePerSecond is the dequeue probes of empty queues per second
	// (left out of redisPerChange).
	idlePerSecond float64
	sqlTop        map[string]float64
	// hops is the per-hop breakdown of the changes' paths (hops.go).
	hops hopReport
	// workerCPUPerChange is each worker process's CPU ms per change
	// (--workers); cpuPerChange is then the bench's process only.
	workerCPUPerChange []float64
	// writesPerTarget is the marker-carrying writes the targets received
	// per change and target: at most 1 (a customer's later change can
	// overtake an earlier one's push); more means a change was written
	// twice.
	writesPerTarget float64
	// repeatedWrites is the writes in the step that carried a marker its
	// target had received before: the same change written twice.
	repeatedWrites int
	// profile is the step's CPU profile (pprof format, labelled by
	// part), empty under --cpuprofile.
	profile []byte
	// load is the machine's load average at the step's end.
	load string
}

// sentChange is one change made at the source.
type sentChange struct {
	cust, seq int
	at        time.Time
}

// ok: every change became visible everywhere, the rate was kept, and p99
// stayed within a second.
func (s propStep) ok() bool {
	return s.lost == 0 && s.changes > 0 && s.achieved >= 0.95*float64(s.rate) && s.p99 <= time.Second
}

// sustainable searches the highest rate whose step is ok: up by half
// again from a passing rate, down by half from a failing one, until a
// passing and a failing rate bracket it; then the bracket is halved
// (at most refineSteps times, while wider than a tenth of the passing
// rate), so a figure between two of the coarse steps is found too.
// tried lists "rate:p99_ms" of each step.
func sustainable(rate int, first propStep, run func(rate int) (propStep, error)) (int, []string, error) {
	const refineSteps = 2
	var tried []string
	note := func(s propStep) bool {
		tried = append(tried, fmt.Sprintf("%d/s:p99=%dms,lost=%d", s.rate, s.p99.Milliseconds(), s.lost))
		return s.ok()
	}
	try := func(r int) (bool, error) {
		s, err := run(r)
		if err != nil {
			return false, err
		}
		return note(s), nil
	}
	note(first)
	pass, fail := 0, 0 // the highest passing and the lowest failing rate tried
	if first.ok() {
		pass = rate
		for r := rate * 3 / 2; r <= 4000; r = r * 3 / 2 {
			ok, err := try(r)
			if err != nil {
				return 0, tried, err
			}
			if !ok {
				fail = r
				break
			}
			pass = r
		}
	} else {
		fail = rate
		for r := rate / 2; r >= 10; r /= 2 {
			ok, err := try(r)
			if err != nil {
				return 0, tried, err
			}
			if ok {
				pass = r
				break
			}
			fail = r
		}
	}
	for i := 0; i < refineSteps && pass > 0 && fail > 0 && fail-pass > max(pass/10, 5); i++ {
		mid := (pass + fail) / 2
		ok, err := try(mid)
		if err != nil {
			return 0, tried, err
		}
		if ok {
			pass = mid
		} else {
			fail = mid
		}
	}
	return pass, tried, nil
}

// measureStep changes customers at rate for d and waits until the queues
// drain; a change's latency is until it (or a later change of the same
// customer) reached every target.
func measureStep(ctx context.Context, rdb *redis.Client, src *shopifytest.Emulator, ids []string, obs []*observer, seq *int, rate int, d time.Duration, calls *redisCalls, stmts *statements, tr *tracer, targets []string, procs *workerProcs) (propStep, error) {
	k := len(ids)
	var changes []sentChange
	tr.start()
	queues := []string{"ingest"}
	for _, t := range targets {
		queues = append(queues, "push:"+t)
	}
	qs := sampleQueues(ctx, rdb, queues)
	before, beforeBy, sqlBefore, sqlBy := calls.n.Load()-calls.idle.Load(), calls.snapshot(), stmts.Load(), stmts.snapshot()
	idleBefore := calls.idle.Load()
	split := startCPUSplit()
	cpuBefore, workersBefore, countsBefore, srvBefore := cpuTime(), procs.cpu(), arrivalCounts(obs), serverCPUNow()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	end := time.Now().Add(d)
	var err error
	// The source's edits and the webhooks it sends of them: partLoad.
	withPart(ctx, partLoad, func(context.Context) {
		for time.Now().Before(end) {
			<-tick.C
			*seq++
			c := *seq % k
			at := time.Now()
			if err = src.UpdateCustomer(ids[c], map[string]any{"first_name": fmt.Sprintf("mk%dx%d", c, *seq)}); err != nil {
				return
			}
			changes = append(changes, sentChange{c, *seq, at})
		}
	})
	tick.Stop()
	if err != nil {
		split.finish()
		return propStep{}, err
	}
	sentFor := time.Since(end.Add(-d))
	_ = waitDrained(ctx, rdb, 2*time.Minute)
	time.Sleep(500 * time.Millisecond)
	redisCalls, afterBy, sqlStmts := calls.n.Load()-calls.idle.Load()-before, calls.snapshot(), stmts.Load()-sqlBefore
	idle := calls.idle.Load() - idleBefore
	elapsed := time.Since(end.Add(-d))
	cpu := cpuTime() - cpuBefore
	workersCPU := procs.cpu()
	srv := serverCPUNow()
	writes, repeated := writesSince(obs, countsBefore)
	byPart := split.finish()
	marks := tr.stop()
	qlen := qs.finish()

	first := make([]map[[2]int]time.Time, len(obs))
	for i, o := range obs {
		o.mu.Lock()
		arr := append([]arrival(nil), o.arrivals...)
		o.mu.Unlock()
		sort.Slice(arr, func(a, b int) bool { return arr[a].at.Before(arr[b].at) })
		first[i] = map[[2]int]time.Time{}
		byCust := map[int][]arrival{}
		for _, a := range arr {
			byCust[a.cust] = append(byCust[a.cust], a)
		}
		for _, ch := range changes {
			for _, a := range byCust[ch.cust] {
				if a.seq >= ch.seq && !a.at.Before(ch.at) {
					first[i][[2]int{ch.cust, ch.seq}] = a.at
					break
				}
			}
		}
	}
	st := propStep{rate: rate, changes: len(changes), achieved: float64(len(changes)) / sentFor.Seconds(),
		hops: cutHops(marks, "src", ids, changes, targets), load: loadAvg()}
	st.hops.queues = qlen
	st.profile = split.buf.Bytes()
	for _, ch := range changes {
		var worst time.Duration
		ok := true
		for i := range obs {
			at, found := first[i][[2]int{ch.cust, ch.seq}]
			if !found {
				ok = false
				break
			}
			worst = max(worst, at.Sub(ch.at))
		}
		if !ok {
			st.lost++
			continue
		}
		st.lat = append(st.lat, worst)
	}
	if len(st.lat) > 0 {
		sorted := append([]time.Duration(nil), st.lat...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		st.p99 = sorted[int(0.99*float64(len(sorted)-1))]
	}
	if len(changes) > 0 {
		st.redisPerChange = float64(redisCalls) / float64(len(changes))
		st.redisTop = perChange(beforeBy, afterBy, len(changes))
		st.sqlPerChange = float64(sqlStmts) / float64(len(changes))
		st.sqlTop = perChange(sqlBy, stmts.snapshot(), len(changes))
		st.cpuPerChange = msPer(cpu, len(changes))
		st.cpuByPart = splitPerChange(byPart, st.cpuPerChange)
		st.redisCPUPerChange, st.dbCPUPerChange = srv.perItem(srvBefore, len(changes))
		for i := range workersCPU {
			st.workerCPUPerChange = append(st.workerCPUPerChange, msPer(workersCPU[i]-workersBefore[i], len(changes)))
		}
		st.writesPerTarget = float64(writes) / float64(len(changes)*len(obs))
		st.repeatedWrites = repeated
		st.tasksPerChange = float64(taskScripts(afterBy)-taskScripts(beforeBy)) / float64(len(changes))
		st.idlePerSecond = float64(idle) / elapsed.Seconds()
	}
	return st, nil
}

// scriptKey names a script by its first key: an asynq key by its queue
// and kind (asynq:{push:shopware1}:pending), ours by two parts more
// than the prefix (shophub:lock:record).
func scriptKey(key string) string {
	if q, rest, ok := strings.Cut(key, "}:"); ok && strings.HasPrefix(key, "asynq:{") {
		kind, _, _ := strings.Cut(rest, ":")
		return q + "}:" + kind
	}
	parts := strings.SplitN(key, ":", 4)
	return strings.Join(parts[:min(3, len(parts))], ":")
}

// taskScripts is the asynq scripts counted whose first key is a task's
// hash: an enqueue, or a retry's reschedule.
func taskScripts(by map[string]int64) int64 {
	var n int64
	for k, v := range by {
		if strings.HasPrefix(k, "evalsha asynq:{") && strings.HasSuffix(k, "}:t") {
			n += v
		}
	}
	return n
}

// redisCalls counts round trips to Redis (a pipeline counts once), and
// commands by name (a script by its first key's last part).
type redisCalls struct {
	n atomic.Int64
	// idle counts dequeue probes that found their queue empty: a
	// server's polling while idle, paid per second rather than per change.
	idle   atomic.Int64
	mu     gosync.Mutex
	byName map[string]int64
}

func (c *redisCalls) count(cmd redis.Cmder) {
	name := cmd.Name()
	if args := cmd.Args(); (name == "set" || name == "exists" || name == "del") && len(args) > 1 {
		parts := strings.SplitN(fmt.Sprint(args[1]), ":", 3)
		name += " " + strings.Join(parts[:min(2, len(parts))], ":")
	}
	if name == "evalsha" || name == "eval" {
		if args := cmd.Args(); len(args) > 3 {
			name += " " + scriptKey(fmt.Sprint(args[3]))
		}
	}
	c.mu.Lock()
	if c.byName == nil {
		c.byName = map[string]int64{}
	}
	c.byName[name]++
	c.mu.Unlock()
}

// top is the most frequent commands since before, per change.
func (c *redisCalls) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.byName))
	for k, v := range c.byName {
		out[k] = v
	}
	return out
}

func (c *redisCalls) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *redisCalls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		c.count(cmd)
		err := next(ctx, cmd)
		if err == redis.Nil && (cmd.Name() == "evalsha" || cmd.Name() == "eval") && strings.HasSuffix(scriptKeyOf(cmd), "}:pending") {
			c.idle.Add(1)
		}
		return err
	}
}

// scriptKeyOf is scriptKey of a script call's first key.
func scriptKeyOf(cmd redis.Cmder) string {
	if args := cmd.Args(); len(args) > 3 {
		return scriptKey(fmt.Sprint(args[3]))
	}
	return ""
}
func (c *redisCalls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

// perChange is the commands counted between two snapshots per change,
// the twelve most frequent.
func perChange(before, after map[string]int64, changes int) map[string]float64 {
	type kv struct {
		k string
		v int64
	}
	var all []kv
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			all = append(all, kv{k, d})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v })
	out := map[string]float64{}
	for i, e := range all {
		if i == 12 || changes == 0 {
			break
		}
		out[e.k] = float64(e.v) / float64(changes)
	}
	return out
}

// writesSince counts each observer's arrivals from its index in from
// on, and of those the ones whose marker it had received before: the
// same change written twice to one target.
func writesSince(obs []*observer, from []int) (writes, repeated int) {
	for i, o := range obs {
		o.mu.Lock()
		got := map[[2]int]bool{}
		for j, a := range o.arrivals {
			k := [2]int{a.cust, a.seq}
			if j >= from[i] {
				writes++
				if got[k] {
					repeated++
				}
			}
			got[k] = true
		}
		o.mu.Unlock()
	}
	return writes, repeated
}

// arrivalCounts is each observer's arrivals so far.
func arrivalCounts(obs []*observer) []int {
	out := make([]int, len(obs))
	for i, o := range obs {
		o.mu.Lock()
		out[i] = len(o.arrivals)
		o.mu.Unlock()
	}
	return out
}

// joinMs lists figures as "1.2 + 3.4".
func joinMs(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.1f", x)
	}
	return strings.Join(parts, " + ")
}

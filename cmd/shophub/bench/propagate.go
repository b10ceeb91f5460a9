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
	"sort"
	"strconv"
	gosync "sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	shsync "github.com/shophub/shophub/sync"
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

func serveOn(h http.Handler) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), func() { _ = srv.Close() }, nil
}

func runPropagate(ctx context.Context, r *Runner) (*Result, error) {
	dsn, rdb, done, err := r.stores(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	rate := r.Opts.Rate
	if rate <= 0 {
		rate = r.scale(500, 100)
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
	a, err := app.New(ctx, app.Options{Config: cfg, Log: r.Opts.Log, Serve: true, Work: true, Listener: l, Redis: rdb, Migrate: true})
	if err != nil {
		return nil, err
	}
	if err := a.Start(ctx); err != nil {
		return nil, err
	}
	defer a.Shutdown(context.Background())
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

	type sent struct {
		cust, seq int
		at        time.Time
	}
	var changes []sent
	tick := time.NewTicker(time.Second / time.Duration(rate))
	end := time.Now().Add(d)
	for seq := 1; time.Now().Before(end); seq++ {
		<-tick.C
		c := seq % k
		at := time.Now()
		if err := src.UpdateCustomer(ids[c], map[string]any{"first_name": fmt.Sprintf("mk%dx%d", c, seq)}); err != nil {
			return nil, err
		}
		changes = append(changes, sent{c, seq, at})
	}
	tick.Stop()
	sentFor := time.Since(end.Add(-d))
	_ = waitDrained(ctx, rdb, 2*time.Minute)
	time.Sleep(500 * time.Millisecond)

	// A marker counts as visible at a target when it, or a later change of
	// the same customer (the hub pushes its current state), was written.
	first := make([]map[[2]int]time.Time, len(targets))
	for i, t := range targets {
		t.obs.mu.Lock()
		arr := append([]arrival(nil), t.obs.arrivals...)
		t.obs.mu.Unlock()
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
	var lat []time.Duration
	lost := 0
	for _, ch := range changes {
		var worst time.Duration
		ok := true
		for i := range targets {
			at, found := first[i][[2]int{ch.cust, ch.seq}]
			if !found {
				ok = false
				break
			}
			worst = max(worst, at.Sub(ch.at))
		}
		if !ok {
			lost++
			continue
		}
		lat = append(lat, worst)
	}
	hop, err := asynqHop(ctx, rdb, cfg.Worker, rate, d)
	if err != nil {
		return nil, err
	}
	p, ph := percentiles(lat), percentiles(hop)
	res := &Result{
		Figure:  Figure{Name: "p50 change → visible at all 5 others", Value: p["p50_ms"], Unit: "ms"},
		Ceiling: Figure{Name: "p50 one bare asynq hop", Value: ph["p50_ms"], Unit: "ms"},
		Target:  "p50 ≤ 100 ms, p99 ≤ 1 s at 500 changes/s",
		Details: map[string]any{"rate": rate, "achieved_rate": float64(len(changes)) / sentFor.Seconds(), "changes": len(changes),
			"customers": k, "targets": len(targets), "p95_ms": p["p95_ms"], "p99_ms": p["p99_ms"], "max_ms": p["max_ms"],
			"not_visible": lost, "hop_p99_ms": ph["p99_ms"]},
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
	srv := shsync.NewServer(rdb, wc, slogDiscard())
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
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("bench:hop", b, asynq.Queue(shsync.QueuePush))); err != nil {
			return nil, err
		}
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return append([]time.Duration(nil), lat...), nil
}

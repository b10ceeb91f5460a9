package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

// workerProcs are `shophub worker` processes of this binary, for the
// scale-out measurement (--workers): the same Redis database and hub as
// the scenario, the scenario's one Shopify instance (an emulator served by
// the bench, so the workers' connector connects).
type workerProcs struct {
	cmds []*exec.Cmd
	dir  string
	stop func()
}

// startWorkers starts n worker processes for the merge scenario and
// waits until each has registered its asynq servers in Redis.
func startWorkers(ctx context.Context, r *Runner, rdb redis.UniversalClient, dsn string, n int) (*workerProcs, error) {
	em := shopifytest.New(shopifytest.Options{AccessToken: "t", WebhookSecret: benchSecret})
	url, stopEm, err := serveOn(em.Handler())
	if err != nil {
		em.Close()
		return nil, err
	}
	connectors := []config.Connector{{Name: "shopify", Type: "shopify", WebhookSecret: benchSecret,
		Settings: map[string]any{"shop_url": url, "access_token": "t"}}}
	return startWorkerProcs(ctx, r, rdb, dsn, connectors, n, func() { stopEm(); em.Close() })
}

// startWorkerProcs starts n `shophub worker` processes on the scenario's
// hub and Redis database with connectors, and waits until each has
// registered its asynq servers in Redis; stopped (when the processes have
// exited) runs last in stop.
func startWorkerProcs(ctx context.Context, r *Runner, rdb redis.UniversalClient, dsn string, connectors []config.Connector, n int, stopped func()) (*workerProcs, error) {
	exe, err := os.Executable()
	if err != nil {
		stopped()
		return nil, err
	}
	dir, err := os.MkdirTemp("", "shophub-bench-workers")
	if err != nil {
		stopped()
		return nil, err
	}
	w := &workerProcs{dir: dir}
	w.stop = func() {
		for _, c := range w.cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range w.cmds {
			_ = c.Wait()
		}
		stopped()
		_ = os.RemoveAll(dir)
	}
	cfg := fmt.Sprintf("database: {driver: mysql, dsn: %q}\nredis: {addr: %q, db: %d}\nconnectors:\n", dsn, r.Opts.RedisAddr, r.Opts.RedisDB)
	for _, c := range connectors {
		// JSON is YAML: the settings map is written as a flow mapping.
		settings, err := json.Marshal(c.Settings)
		if err != nil {
			w.stop()
			return nil, err
		}
		cfg += fmt.Sprintf("  - {name: %q, type: %q, webhook_secret: %q, rate_limit: %g, settings: %s}\n",
			c.Name, c.Type, c.WebhookSecret, c.RateLimit, settings)
	}
	path := filepath.Join(dir, "shophub.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		w.stop()
		return nil, err
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	before := map[string]bool{}
	if srvs, err := insp.Servers(); err == nil {
		for _, s := range srvs {
			before[s.ID] = true
		}
	}
	for range n {
		cmd := exec.CommandContext(ctx, exe, "worker", "--config", path, "--log-level", "warn")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			w.stop()
			return nil, err
		}
		w.cmds = append(w.cmds, cmd)
	}
	// Every process has registered its servers when n distinct pids show.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		pids := map[int]bool{}
		if srvs, err := insp.Servers(); err == nil {
			for _, s := range srvs {
				if !before[s.ID] {
					pids[s.PID] = true
				}
			}
		}
		if len(pids) >= n {
			return w, nil
		}
		if time.Now().After(deadline) {
			w.stop()
			return nil, fmt.Errorf("%d of %d worker processes started within a minute", len(pids), n)
		}
	}
}

// cpu is each process's CPU time so far (user + system, from /proc).
func (w *workerProcs) cpu() []time.Duration {
	if w == nil {
		return nil
	}
	out := make([]time.Duration, len(w.cmds))
	for i, c := range w.cmds {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(c.Process.Pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[i] = time.Duration(ut+st) * (time.Second / 100)
	}
	return out
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// proc is one shophub process started from a compose service.
type proc struct {
	name  string
	cmd   *exec.Cmd
	admin string // base URL of its admin listener
	mu    sync.Mutex
	out   bytes.Buffer
	done  chan struct{}
	err   error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// interpolate resolves compose's ${NAME}, ${NAME:-default} and
// ${NAME:?message} against env, as docker compose does with .env.
func interpolate(t *testing.T, s string, env map[string]string) string {
	t.Helper()
	return composeRef.ReplaceAllStringFunc(s, func(ref string) string {
		body := ref[2 : len(ref)-1]
		name, rest := body, ""
		if i := strings.IndexAny(body, ":?-"); i >= 0 {
			name, rest = body[:i], body[i:]
		}
		v := env[name]
		switch {
		case strings.HasPrefix(rest, ":-") && v == "":
			return rest[2:]
		case strings.HasPrefix(rest, ":?") && v == "":
			t.Fatalf("compose needs %s: %s", name, rest[2:])
		}
		return v
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestComposeProcesses runs the compose layout as separate processes of
// the real binary: the services' own commands and environment, parsed from
// docker-compose.yml and resolved against a .env the test writes, with the
// container's config path pointing at a copy of config/example.yaml (what
// the README has operators copy to shophub.yaml).
//
// What differs from compose, because the processes share one host instead
// of having a container each: SHOPHUB_MYSQL_DSN (compose builds it for its
// mysql service) names this test's scratch database; SHOPHUB_ADMIN_LISTEN,
// ":9090" for every role in compose, gets a port of its own per process;
// in the config copy, server.listen (":8080") takes a free port and
// redis.db (0) this test's database index; dashboard_actions is turned on
// so that the Origin check, not the read-only default, is what refuses a
// foreign action. The vendors are the repository's emulators.
func TestComposeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four processes")
	}
	started := time.Now()
	dsn := hubtest.MySQLDSN(t)
	rdb, ropts := redistest.Client(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "shophub")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("binary built in %s", time.Since(started).Round(time.Millisecond))

	shopify := shopifytest.New(shopifytest.Options{AccessToken: "shpat_process_test", WebhookSecret: "shopify-whsec"})
	shopifyURL := shopify.Start()
	t.Cleanup(shopify.Close)
	shopware := shopwaretest.New(shopwaretest.Options{ClientID: "SWIA-process", ClientSecret: "sw-secret", AppSecret: "sw-whsec"})
	shopwareURL := shopware.Start()
	t.Cleanup(shopware.Close)

	// The config: example.yaml as the README has it copied.
	example, err := os.ReadFile("../../config/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	public := freeAddr(t)
	cfgText := string(example)
	for old, repl := range map[string]string{
		"  listen: \":8080\"\n":        fmt.Sprintf("  listen: %q\n", public),
		"  db: 0\n":                    fmt.Sprintf("  db: %d\n", ropts.DB),
		"  dashboard_actions: false\n": "  dashboard_actions: true\n",
	} {
		if strings.Count(cfgText, old) != 1 {
			t.Fatalf("example.yaml: want one line %q to adapt", old)
		}
		cfgText = strings.Replace(cfgText, old, repl, 1)
	}
	cfgPath := filepath.Join(dir, "shophub.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}

	// The .env an operator writes from .env.example.
	const adminToken = "process-test-admin-token"
	dotenv := map[string]string{
		"SHOPHUB_ADMIN_TOKEN":      adminToken,
		"SHOPHUB_PUBLIC_URL":       "http://" + public,
		"SHOPHUB_TOMBSTONE_SECRET": "process-test-tombstones",
		"SHOPHUB_REDIS_ADDR":       ropts.Addr,
		"SHOPIFY_SHOP_URL":         shopifyURL,
		"SHOPIFY_ACCESS_TOKEN":     "shpat_process_test",
		"SHOPIFY_WEBHOOK_SECRET":   "shopify-whsec",
		"SHOPWARE_URL":             shopwareURL,
		"SHOPWARE_CLIENT_ID":       "SWIA-process",
		"SHOPWARE_CLIENT_SECRET":   "sw-secret",
		"SHOPWARE_WEBHOOK_SECRET":  "sw-whsec",
	}
	compose := readCompose(t)
	grace, err := time.ParseDuration(compose.Services["worker"].StopGracePeriod)
	if err != nil {
		t.Fatalf("worker stop_grace_period: %v", err)
	}

	var procs []*proc
	start := func(service, name string) *proc {
		t.Helper()
		svc, ok := compose.Services[service]
		if !ok {
			t.Fatalf("docker-compose.yml has no service %s", service)
		}
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
		admin := freeAddr(t)
		for k, v := range svc.Environment {
			v = interpolate(t, v, dotenv)
			switch k {
			case "SHOPHUB_MYSQL_DSN":
				v = dsn
			case "SHOPHUB_ADMIN_LISTEN":
				v = admin
			}
			env = append(env, k+"="+v)
		}
		var args []string
		for _, a := range svc.Command {
			args = append(args, strings.ReplaceAll(a, "/etc/shophub/shophub.yaml", cfgPath))
		}
		p := &proc{name: name, admin: "http://" + admin, done: make(chan struct{})}
		p.cmd = exec.Command(bin, args...)
		p.cmd.Env = env
		p.cmd.Stdout, p.cmd.Stderr = p, p
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		go func() { p.err = p.cmd.Wait(); close(p.done) }()
		procs = append(procs, p)
		return p
	}
	t.Cleanup(func() {
		for _, p := range procs {
			select {
			case <-p.done:
			default:
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
	})
	dump := func() {
		for _, p := range procs {
			t.Logf("--- %s:\n%s", p.name, p.log())
		}
	}
	wait := func(p *proc, d time.Duration) {
		t.Helper()
		select {
		case <-p.done:
		case <-time.After(d):
			dump()
			t.Fatalf("%s did not exit within %s", p.name, d)
		}
	}

	// serve on the empty database refuses to start, naming the command.
	early := start("serve", "serve (before migrate)")
	wait(early, 2*time.Minute)
	if early.err == nil || !strings.Contains(early.log(), "shophub migrate") {
		dump()
		t.Fatalf("serve on an empty database: %v, want a non-zero exit naming shophub migrate", early.err)
	}
	t.Logf("serve before migrate: %v: %s", early.err, strings.TrimSpace(early.log()))

	// compose's order: check --strict, migrate, then serve and the workers.
	for _, svc := range []string{"check", "migrate"} {
		p := start(svc, svc)
		wait(p, 2*time.Minute)
		if p.err != nil {
			dump()
			t.Fatalf("%s: %v", svc, p.err)
		}
	}
	serve := start("serve", "serve")
	replicas := max(1, compose.Services["worker"].Deploy.Replicas)
	var workers []*proc
	for i := 1; i <= replicas; i++ {
		workers = append(workers, start("worker", "worker-"+strconv.Itoa(i)))
	}
	roles := append([]*proc{serve}, workers...)

	hc := &http.Client{Timeout: 10 * time.Second}
	get := func(url string, hdr map[string]string, method string) (int, string) {
		req, _ := http.NewRequest(method, url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !ok() {
			if time.Now().After(deadline) {
				dump()
				t.Fatalf("%s: not within 2 minutes", what)
			}
			for _, p := range roles {
				select {
				case <-p.done:
					dump()
					t.Fatalf("%s exited early: %v", p.name, p.err)
				default:
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	eventually("serve's public /healthz", func() bool { s, _ := get("http://"+public+"/healthz", nil, "GET"); return s == 200 })
	for _, p := range roles {
		eventually(p.name+" /readyz on its admin port", func() bool { s, _ := get(p.admin+"/readyz", nil, "GET"); return s == 200 })
	}
	t.Logf("serve and %d workers ready %s after the test began", len(workers), time.Since(started).Round(time.Millisecond))

	// The public port answers webhooks and health only.
	bearer := map[string]string{"Authorization": "Bearer " + adminToken}
	for _, c := range []struct {
		path string
		want int
	}{{"/healthz", 200}, {"/metrics", 404}, {"/ui/queues", 404}, {"/api/customers", 404}} {
		if s, body := get("http://"+public+c.path, bearer, "GET"); s != c.want {
			t.Errorf("public %s = %d %.100s, want %d", c.path, s, body, c.want)
		}
	}
	if s, _ := get(serve.admin+"/ui/queues", bearer, "GET"); s != 200 {
		t.Errorf("admin /ui/queues = %d, want 200", s)
	}
	// A dashboard action from another origin is refused, credentials or not.
	pause := serve.admin + "/ui/queues/api/queues/default:pause"
	if s, body := get(pause, map[string]string{"Authorization": bearer["Authorization"], "Origin": "https://evil.example"}, "POST"); s != http.StatusForbidden {
		t.Errorf("dashboard action from a foreign origin = %d %.100s, want 403", s, body)
	}

	// A signed Shopify webhook to serve's public port ...
	email := "process.test@example.org"
	id := shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Pro", "last_name": "Cess",
		"addresses": []any{map[string]any{"first_name": "Pro", "last_name": "Cess", "address1": "Jungfernstieg 1",
			"city": "Hamburg", "zip": "20354", "country_code": "DE", "default": true}}}) // Shopware needs a billing address
	cust, _ := shopify.Customer(id)
	hdr, body := shopify.SignedDelivery("customers/create", cust)
	req, _ := http.NewRequest("POST", "http://"+public+"/webhooks/shopify", bytes.NewReader(body))
	req.Header = hdr
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
	sent := time.Now()
	// ... is pushed to Shopware by a worker.
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eventually("the customer pushed to Shopware", func() bool {
		var ext string
		if db.QueryRow("SELECT external_id FROM links WHERE instance = 'shopware'").Scan(&ext) != nil {
			return false
		}
		c, ok := shopware.Customer(ext)
		return ok && c["email"] == email
	})
	t.Logf("webhook to Shopware in %s", time.Since(sent).Round(time.Millisecond))

	// Every role's metrics on its admin port; the workers' show the tasks.
	var tasksSeen bool
	for _, p := range roles {
		s, m := get(p.admin+"/metrics", nil, "GET")
		if s != 200 || !strings.Contains(m, "shophub_build_info") {
			t.Errorf("%s /metrics = %d, want 200 with shophub_build_info", p.name, s)
		}
		if p != serve && strings.Contains(m, "shophub_task_duration_seconds_count") {
			tasksSeen = true
		}
		if p == serve && !strings.Contains(m, `shophub_webhooks_received_total{connector="shopify"} 1`) {
			t.Errorf("serve's metrics do not count the webhook")
		}
	}
	if !tasksSeen {
		t.Errorf("no worker's metrics show a task run")
	}

	// Nothing waits in the queues before the stop: the outbox dispatched,
	// no task pending, running, retrying or dead.
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: ropts.Addr, DB: ropts.DB})
	defer insp.Close()
	drained := func() (bool, string) {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL").Scan(&n); err != nil || n > 0 {
			return false, fmt.Sprintf("outbox undispatched %d (%v)", n, err)
		}
		qs, err := insp.Queues()
		if err != nil {
			return false, err.Error()
		}
		for _, q := range qs {
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				return false, err.Error()
			}
			if info.Pending+info.Active+info.Retry+info.Archived > 0 {
				return false, fmt.Sprintf("queue %s: pending %d active %d retry %d dead %d", q, info.Pending, info.Active, info.Retry, info.Archived)
			}
		}
		return true, ""
	}
	eventually("queues drained", func() bool { ok, _ := drained(); return ok })

	// SIGTERM: each role exits, cleanly, within compose's grace period.
	for _, p := range roles {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	stopAt := time.Now()
	for _, p := range roles {
		wait(p, grace)
		if p.err != nil {
			dump()
			t.Fatalf("%s exited with %v after SIGTERM", p.name, p.err)
		}
		t.Logf("%s stopped %s after SIGTERM (grace %s)", p.name, time.Since(stopAt).Round(time.Millisecond), grace)
	}
	if ok, why := drained(); !ok {
		t.Fatalf("after the stop: %s", why)
	}
	if n := rdb.DBSize(context.Background()).Val(); n == 0 {
		t.Fatalf("redis db %d is empty: the processes used another", ropts.DB)
	}
	t.Logf("whole run %s", time.Since(started).Round(time.Millisecond))
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// opsEnv is a config file on disk for the CLI commands under test, with the
// hub and Redis it names and a Shopify emulator behind its connector.
type opsEnv struct {
	dir, config, mapping string
	shopify              *shopifytest.Emulator
}

func newOpsEnv(t *testing.T) *opsEnv {
	t.Helper()
	o := &opsEnv{dir: t.TempDir()}
	o.shopify = shopifytest.New(shopifytest.Options{AccessToken: "tok", WebhookSecret: "whsec"})
	url := o.shopify.Start()
	t.Cleanup(o.shopify.Close)
	driver, dsn := "sqlite", filepath.Join(o.dir, "hub.db")
	if os.Getenv(hubtest.EnvMySQL) != "" {
		driver, dsn = "mysql", hubtest.MySQLDSN(t)
	}
	_, ropts := redistest.Client(t)
	o.mapping = filepath.Join(o.dir, "shopify.yaml")
	o.config = filepath.Join(o.dir, "shophub.yaml")
	cfg := fmt.Sprintf(`database:
  driver: %s
  dsn: %q
redis:
  addr: %q
  db: %d
connectors:
  - name: shopify
    type: shopify
    poll_interval: 1h
    mapping: %q
    webhook_secret: whsec
    erasure: delete
    settings:
      shop_url: %q
      access_token: tok
`, driver, dsn, ropts.Addr, ropts.DB, o.mapping, url)
	if err := os.WriteFile(o.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return o
}

// writeMapping writes the Shopify default mapping, edited by edit.
func (o *opsEnv) writeMapping(t *testing.T, edit func(string) string) {
	t.Helper()
	reg, _ := connectors.Lookup("shopify")
	src := edit(string(reg.Mapping))
	if err := os.WriteFile(o.mapping, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runApp runs shophub (serve and work) on the config until the returned
// stop is called.
func (o *opsEnv) runApp(t *testing.T) (*app.App, func()) {
	t.Helper()
	cfg, err := config.Load(o.config)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Serve: true, Work: true, Migrate: true, Listener: l})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	o.shopify.SetWebhookURL(a.URL() + "/webhooks/shopify")
	return a, func() {
		o.shopify.SetWebhookURL("")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	}
}

// A mapping mistake quarantines records instead of losing them; `status`
// shows them waiting, and once the mapping file is fixed, `replay
// --quarantine` merges every one of them — exactly once, however often it
// is run.
func TestQuarantineReplayAfterMappingFixAndStatus(t *testing.T) {
	o := newOpsEnv(t)
	// The mistake: email read from a field Shopify does not send, and
	// required, so every record fails to map.
	o.writeMapping(t, func(s string) string {
		return strings.Replace(s, "        email:\n          from: email\n", "        email:\n          from: email_address\n          required: true\n", 1)
	})
	a, stop := o.runApp(t)
	ctx := context.Background()
	waitFor(t, "first poll", func() bool {
		c, err := a.Store.Cursor(ctx, "shopify", "customer")
		return err == nil && c.LastSuccessAt != nil
	})
	emails := []string{"q.one@example.com", "q.two@example.com", "q.three@example.com"}
	for i, em := range emails {
		o.shopify.CreateCustomer(map[string]any{"email": em, "first_name": fmt.Sprint("Q", i), "last_name": "Replay"})
	}
	waitFor(t, "webhooks quarantined", func() bool {
		n, err := a.Store.QuarantineCount(ctx, "shopify")
		return err == nil && n == int64(len(emails))
	})
	// While the worker runs, status shows its connection state of each
	// connector; once it stopped, none.
	if out, err := run(t, "--config", o.config, "status"); err != nil || !regexp.MustCompile(`(?m)^shopify\s+up\s+\S+\s+0\s+-\s+\S+:\d+\s*$`).MatchString(out) {
		t.Errorf("status while the worker runs: %v\n%s", err, out)
	}
	// A finished reconciliation sweep, as the sweep stores it.
	sweep := `{"id":"s1","started":"2026-01-02T03:00:00Z","finished":"2026-01-02T04:00:00Z","pages":2,"listed":3,"changed":1,"quarantined":0,"deleted":1}`
	if err := a.Store.SaveCursor(ctx, "shopify", "reconcile:customer", sweep, true); err != nil {
		t.Fatal(err)
	}
	stop()

	out, err := run(t, "--config", o.config, "status")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	t.Logf("status:\n%s", out)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^QUEUE\s+PENDING\s+ACTIVE\s+SCHEDULED\s+RETRY\s+ARCHIVED$`),
		regexp.MustCompile(`(?m)^ingest\s+0\s+0\s+0\s+0\s+0$`),
		regexp.MustCompile(`(?m)^CONNECTORS: no worker running$`),
		regexp.MustCompile(`(?m)^DEAD LETTERS: none$`),
		regexp.MustCompile(`(?m)^WAITING FOR DATA THE TARGET NEEDS: none$`),
		regexp.MustCompile(`(?m)^shopify\s+customer\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`),
		regexp.MustCompile(`(?m)^quarantined records awaiting replay: 3$`),
		regexp.MustCompile(`(?m)^CONNECTOR\s+RESOURCE\s+RECONCILIATION\s+STARTED\s+LISTED\s+CHANGED\s+QUARANTINED\s+DELETED\s+NOTE$`),
		regexp.MustCompile(`(?m)^shopify\s+customer\s+finished 2026-01-02T04:00:00Z\s+2026-01-02T03:00:00Z\s+3\s+1\s+0\s+1\s*$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("status output lacks %s", want)
		}
	}

	// Still broken: replay keeps them, with the reason.
	if out, err := run(t, "--config", o.config, "replay", "--quarantine"); err != nil || !strings.Contains(out, "0 replayed, 3 still failing") {
		t.Fatalf("replay before the fix: %v\n%s", err, out)
	}
	o.writeMapping(t, func(s string) string { return s })
	if out, err := run(t, "--config", o.config, "replay", "--quarantine"); err != nil || !strings.Contains(out, "3 replayed, 0 still failing") {
		t.Fatalf("replay after the fix: %v\n%s", err, out)
	}
	if out, err := run(t, "--config", o.config, "replay", "--quarantine"); err != nil || !strings.Contains(out, "0 replayed, 0 still failing") {
		t.Fatalf("a second replay must find nothing left: %v\n%s", err, out)
	}

	cfg, _ := config.Load(o.config)
	st, err := hub.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, em := range emails {
		var cs []hub.Customer
		if err := st.DB().Where("email = ?", em).Find(&cs).Error; err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].LastName != "Replay" {
			t.Errorf("%s: %d hub customers after replay (%+v), want 1", em, len(cs), cs)
		}
	}
	out, _ = run(t, "--config", o.config, "status")
	if !strings.Contains(out, "quarantined records awaiting replay: 0") {
		t.Errorf("status after replay:\n%s", out)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s still waiting for: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// `export` prints what the hub holds about a person; `erase` removes them
// from the hub and queues the touchpoints' deletions for the workers.
func TestExportAndEraseCommands(t *testing.T) {
	o := newOpsEnv(t)
	o.writeMapping(t, func(s string) string { return s })
	a, stop := o.runApp(t)
	const email = "cli.person@example.com"
	o.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Cli", "last_name": "Person"})
	waitFor(t, "customer merged", func() bool {
		var n int64
		a.Store.DB().Model(&hub.Customer{}).Where("email = ?", email).Count(&n)
		return n == 1
	})
	stop()

	out, err := run(t, "--config", o.config, "export", "--email", "CLI.Person@example.com")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	var x map[string]any
	if err := json.Unmarshal([]byte(out), &x); err != nil || !strings.Contains(out, email) || !strings.Contains(out, `"shopify"`) {
		t.Fatalf("export is not the person's JSON (%v):\n%s", err, out)
	}
	if _, err := run(t, "--config", o.config, "export", "x"); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("export of a non-number: %v", err)
	}

	out, err = run(t, "--config", o.config, "erase", "--email", email)
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`customer \d+ erased from the hub: privacy request \d+\n  shopify: delete \(\w+\)`).MatchString(out) {
		t.Errorf("erase output:\n%s", out)
	}
	// status counts the audit rows: the export (done) and the erasure.
	if out, err := run(t, "--config", o.config, "status"); err != nil ||
		!regexp.MustCompile(`(?m)^PRIVACY REQUESTS\s+DONE\s+PENDING\s+FAILED\s+NOT FOUND\s+REJECTED\n(erase\s+\d\s+\d\s+0\s+0\s+0\n)export\s+1\s+0\s+0\s+0\s+0\s*$`).MatchString(out) {
		t.Errorf("status privacy requests (%v):\n%s", err, out)
	}
	if _, err := run(t, "--config", o.config, "export", "--email", email); err == nil {
		t.Error("export after erasure still finds the person")
	}
	if _, err := run(t, "--config", o.config, "erase", "999999"); err == nil || !strings.Contains(err.Error(), "no customer 999999") {
		t.Errorf("erase of an unknown id: %v", err)
	}
}

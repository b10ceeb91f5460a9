package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
)

// TestDevLandscape runs what `shophub dev` runs: five emulated systems,
// seeded so that one person is linked in all five, with an order and a
// Help Scout ticket; dev's config file loads and names the same hub,
// Redis and connectors, for the CLI.
func TestDevLandscape(t *testing.T) {
	t.Parallel()
	checkLandscape(t, app.DemoOptions{Dir: t.TempDir(), Seed: 2, Landscape: true, Log: testLogger()}, 5)
}

// TestDevLandscapeWithOXID is `shophub dev --oxid-server`: OXID is
// database-based, so dev creates its shop database on the server given
// and the person is linked in six systems.
func TestDevLandscapeWithOXID(t *testing.T) {
	t.Parallel()
	server := os.Getenv(oxidtest.EnvMySQL)
	if server == "" {
		t.Skipf("needs a MySQL/MariaDB server for the OXID shop: set %s (CI sets it)", oxidtest.EnvMySQL)
	}
	// No OXIDDatabase: the default is named after the hub, here the
	// test's own directory, so parallel runs on one server do not collide.
	dir := t.TempDir()
	name := app.DevOXIDDatabase(config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "dev.db")})
	d := checkLandscape(t, app.DemoOptions{Dir: dir, Seed: 2, Landscape: true, Log: testLogger(),
		PollInterval: time.Second, OXIDServer: server}, 6)
	t.Cleanup(func() { _, _ = d.OXID.DB.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
	if c, err := mysql.ParseDSN(d.OXID.DSN); err != nil || c.DBName != name {
		t.Errorf("OXID shop database %v (%v), want %s", c, err, name)
	}
	// OXID's own customer travels to the shops.
	eventually(t, 60*time.Second, "OXID's own customer never reached Shopify", func() bool {
		_, ok := d.Shopify.FindByEmail("lukas.gruber@example.at")
		return ok
	})
}

// Dev's OXID shop database is named after the hub: the same hub (its
// SQLite file by any path, or its DSN) gives the same name, another hub
// another, within MySQL's 64 characters.
func TestDevOXIDDatabase(t *testing.T) {
	t.Chdir(t.TempDir())
	abs, err := filepath.Abs(filepath.Join(".shophub", "dev.db"))
	if err != nil {
		t.Fatal(err)
	}
	rel := app.DevOXIDDatabase(config.Database{Driver: "sqlite", DSN: filepath.Join(".shophub", "dev.db")})
	same := app.DevOXIDDatabase(config.Database{Driver: "sqlite", DSN: abs})
	other := app.DevOXIDDatabase(config.Database{Driver: "sqlite", DSN: filepath.Join("elsewhere", "dev.db")})
	mysqlHub := app.DevOXIDDatabase(config.Database{Driver: "mysql", DSN: "root@tcp(127.0.0.1:3306)/hub_a"})
	otherMySQL := app.DevOXIDDatabase(config.Database{Driver: "mysql", DSN: "root@tcp(127.0.0.1:3306)/hub_b"})
	if rel != same {
		t.Errorf("one hub file, two names: %s, %s", rel, same)
	}
	seen := map[string]bool{}
	for _, n := range []string{rel, other, mysqlHub, otherMySQL} {
		if seen[n] || !strings.HasPrefix(n, "shophub_dev_oxid_") || len(n) > 64 {
			t.Errorf("name %q: repeated, or not a dev OXID database name", n)
		}
		seen[n] = true
	}
}

func checkLandscape(t *testing.T, o app.DemoOptions, systems int) *app.Demo {
	t.Helper()
	d, err := app.StartDemo(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx := context.Background()
	// last says what the hub held at the deadline, so a failure names the
	// system that never linked.
	last := "no customer"
	ok := poll(60*time.Second, func() bool {
		c, err := d.Store.CustomerByEmail(ctx, app.LandscapeEmail())
		if err != nil || c == nil {
			return false
		}
		v, err := d.Store.View(ctx, c.ID, 10)
		if err != nil {
			last = err.Error()
			return false
		}
		seen := map[string]bool{}
		var names []string
		for _, l := range v.Links {
			if !seen[l.Instance] {
				names = append(names, l.Instance)
			}
			seen[l.Instance] = true
		}
		last = fmt.Sprintf("linked in %v, %d orders, %d tickets", names, len(v.Orders), len(v.Tickets))
		return len(seen) == systems && len(v.Tickets) > 0 && len(v.Orders) > 0
	})
	if !ok {
		t.Fatalf("after 1m: the landscape's person never linked in %d systems with her order and ticket: %s", systems, last)
	}
	path := filepath.Join(t.TempDir(), "dev.yaml")
	if err := d.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("dev's config does not load: %v", err)
	}
	if len(cfg.Connectors) != systems || cfg.Redis.Addr == "" || cfg.Database.DSN == "" || cfg.Server.AdminToken != "dev-token" {
		t.Errorf("dev's config: %d connectors, redis %q, dsn %q", len(cfg.Connectors), cfg.Redis.Addr, cfg.Database.DSN)
	}
	return d
}

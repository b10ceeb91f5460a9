package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
)

// TestDevLandscape runs what `shophub dev` runs: five emulated systems,
// seeded so that one person is linked in all five, with an order and a
// Help Scout ticket; dev's config file loads and names the same hub,
// Redis and connectors, for the CLI.
func TestDevLandscape(t *testing.T) {
	checkLandscape(t, app.DemoOptions{Dir: t.TempDir(), Seed: 2, Landscape: true, Log: testLogger()}, 5)
}

// TestDevLandscapeWithOXID is `shophub dev --oxid-server`: OXID is
// database-based, so dev creates its shop database on the server given
// and the person is linked in six systems.
func TestDevLandscapeWithOXID(t *testing.T) {
	server := os.Getenv(oxidtest.EnvMySQL)
	if server == "" {
		t.Skipf("needs a MySQL/MariaDB server for the OXID shop: set %s (CI sets it)", oxidtest.EnvMySQL)
	}
	name := fmt.Sprintf("shophub_dev_oxid_t%d", time.Now().UnixNano()%1_000_000)
	d := checkLandscape(t, app.DemoOptions{Dir: t.TempDir(), Seed: 2, Landscape: true, Log: testLogger(),
		PollInterval: time.Second, OXIDServer: server, OXIDDatabase: name}, 6)
	t.Cleanup(func() { _, _ = d.OXID.DB.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
	// OXID's own customer travels to the shops.
	eventually(t, 60*time.Second, "OXID's own customer never reached Shopify", func() bool {
		_, ok := d.Shopify.FindByEmail("lukas.gruber@example.at")
		return ok
	})
}

func checkLandscape(t *testing.T, o app.DemoOptions, systems int) *app.Demo {
	t.Helper()
	d, err := app.StartDemo(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx := context.Background()
	eventually(t, 60*time.Second, fmt.Sprintf("the landscape's person never linked in %d systems with her order and ticket", systems), func() bool {
		c, err := d.Store.CustomerByEmail(ctx, app.LandscapeEmail())
		if err != nil || c == nil {
			return false
		}
		v, err := d.Store.View(ctx, c.ID, 10)
		if err != nil {
			return false
		}
		seen := map[string]bool{}
		for _, l := range v.Links {
			seen[l.Instance] = true
		}
		return len(seen) == systems && len(v.Tickets) > 0 && len(v.Orders) > 0
	})
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

package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
)

// TestDevLandscape runs what `shophub dev` runs: five emulated systems,
// seeded so that one person is linked in all five, with an order and a
// Help Scout ticket; dev's config file loads and names the same hub,
// Redis and connectors, for the CLI.
func TestDevLandscape(t *testing.T) {
	d, err := app.StartDemo(context.Background(), app.DemoOptions{Dir: t.TempDir(), Seed: 2, Landscape: true, Log: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	eventually(t, 60*time.Second, "the landscape's person never linked in five systems with her order and ticket", func() bool {
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
		return len(seen) == 5 && len(v.Tickets) > 0 && len(v.Orders) > 0
	})
	path := filepath.Join(t.TempDir(), "dev.yaml")
	if err := d.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("dev's config does not load: %v", err)
	}
	if len(cfg.Connectors) != 5 || cfg.Redis.Addr == "" || cfg.Database.DSN == "" || cfg.Server.AdminToken != "dev-token" {
		t.Errorf("dev's config: %d connectors, redis %q, dsn %q", len(cfg.Connectors), cfg.Redis.Addr, cfg.Database.DSN)
	}
}

package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// WriteConfig writes the running demo's configuration as a shophub.yaml,
// so the CLI commands (status, replay, export, erase, backfill) reach
// the same hub database and the same in-process Redis while dev runs:
//
//	shophub --config .shophub/dev.yaml status
func (d *Demo) WriteConfig(path string) error {
	if d.mr == nil {
		return errors.New("the demo runs on a Redis of the caller's; no config to write")
	}
	cfg := d.Config
	conns := make([]map[string]any, 0, len(cfg.Connectors))
	for _, c := range cfg.Connectors {
		m := map[string]any{"name": c.Name, "type": c.Type, "settings": c.Settings}
		if len(c.Resources) > 0 {
			m["resources"] = c.Resources
		}
		if c.PollInterval > 0 {
			m["poll_interval"] = c.PollInterval.D().String()
		}
		if c.Erasure != "" {
			m["erasure"] = c.Erasure
		}
		if c.WebhookSecret != "" {
			m["webhook_secret"] = c.WebhookSecret
		}
		conns = append(conns, m)
	}
	dsn := cfg.Database.DSN
	if cfg.Database.Driver == "sqlite" {
		if abs, err := filepath.Abs(dsn); err == nil {
			dsn = abs
		}
	}
	doc := map[string]any{
		"server":     map[string]any{"listen": cfg.Server.Listen, "admin_token": cfg.Server.AdminToken},
		"database":   map[string]any{"driver": cfg.Database.Driver, "dsn": dsn},
		"redis":      map[string]any{"addr": d.mr.Addr()},
		"hub":        map[string]any{"default_region": cfg.Hub.DefaultRegion},
		"connectors": conns,
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("# Written by `shophub dev` for the CLI while it runs (its Redis is in-process\n# at %s and goes away with it). Example: shophub --config %s status\n", d.mr.Addr(), path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(head), b...), 0o600)
}

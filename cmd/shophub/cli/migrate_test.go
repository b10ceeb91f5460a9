package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// TestMigrateCommand: on an empty MariaDB database serve and worker refuse
// to start, naming shophub migrate; migrate status and --dry-run change
// nothing; migrate applies every version.
func TestMigrateCommand(t *testing.T) {
	dsn := hubtest.MySQLDSN(t)
	p := filepath.Join(t.TempDir(), "shophub.yaml")
	// Redis is never reached: the schema check comes first.
	cfg := fmt.Sprintf("database:\n  driver: mysql\n  dsn: %q\nredis:\n  addr: 127.0.0.1:1\n", dsn)
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"serve", "worker"} {
		out, err := run(t, role, "--config", p)
		if err == nil || !strings.Contains(err.Error(), "run `shophub migrate`") {
			t.Fatalf("%s on an empty database: %v\n%s, want a refusal naming shophub migrate", role, err, out)
		}
	}
	out, err := run(t, "migrate", "status", "--config", p)
	if err != nil || !strings.Contains(out, "version: none (empty database)") || !strings.Contains(out, "pending: 000001_init.up.sql") {
		t.Fatalf("migrate status on an empty database: %v\n%s", err, out)
	}
	out, err = run(t, "migrate", "--dry-run", "--config", p)
	if err != nil || !strings.Contains(out, "-- 000001_init.up.sql (version 1)") || !strings.Contains(out, "CREATE TABLE `customers`") {
		t.Fatalf("migrate --dry-run: %v\n%s", err, out)
	}
	if out, err := run(t, "serve", "--config", p); err == nil || !strings.Contains(err.Error(), "shophub migrate") {
		t.Fatalf("serve after a dry run: %v\n%s, want still refused", err, out)
	}
	out, err = run(t, "migrate", "--config", p)
	want := fmt.Sprintf("schema at version %d (mysql)", hub.LatestVersion())
	if err != nil || !strings.Contains(out, "applied 000001_init.up.sql") || !strings.Contains(out, want) {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err = run(t, "migrate", "status", "--config", p)
	if err != nil || !strings.Contains(out, fmt.Sprintf("version: %d\n", hub.LatestVersion())) || !strings.Contains(out, "pending: none") {
		t.Fatalf("migrate status after migrate: %v\n%s", err, out)
	}
	out, err = run(t, "migrate", "--dry-run", "--config", p)
	if err != nil || !strings.Contains(out, "nothing to run") {
		t.Fatalf("migrate --dry-run when up to date: %v\n%s", err, out)
	}
}

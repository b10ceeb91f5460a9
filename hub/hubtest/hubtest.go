// Package hubtest opens hub stores for tests: a SQLite file always, and a
// throwaway database on the MySQL/MariaDB server named by
// SHOPHUB_TEST_MYSQL_DSN when it is set (CI always sets it).
package hubtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/shophub/shophub/hub"
)

// EnvMySQL names the variable holding a DSN of a MySQL/MariaDB server the
// tests may create databases on.
const EnvMySQL = "SHOPHUB_TEST_MYSQL_DSN"

// Store is a named store for table-driven tests over both databases.
type Store struct {
	Name string
	*hub.Store
}

// Stores returns a migrated SQLite store and, when configured, a migrated
// MySQL store, each fresh and cleaned up after the test.
func Stores(t testing.TB) []Store {
	t.Helper()
	out := []Store{{Name: "sqlite", Store: SQLite(t)}}
	if os.Getenv(EnvMySQL) != "" {
		out = append(out, Store{Name: "mysql", Store: MySQL(t)})
	}
	return out
}

// privacyOptions are what a default configuration gives the store: the
// dev tombstone secret and the default phone region.
var privacyOptions = hub.PrivacyOptions{Region: "DE"}

// SQLite opens a migrated store in a temporary SQLite file: a copy of
// one migrated once per test binary, since migrating (gorm's AutoMigrate,
// pure-Go SQLite under -race) took 0.5–1 s a store, a test's whole setup.
func SQLite(t testing.TB) *hub.Store {
	t.Helper()
	b, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	path := filepath.Join(t.TempDir(), "hub.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("sqlite file: %v", err)
	}
	s, err := hub.Open(context.Background(), "sqlite", path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.SetPrivacyOptions(privacyOptions)
	return s
}

// sqliteTemplate is the file of a freshly migrated SQLite store, made on
// first use: migrated in a temporary directory, closed (which checkpoints
// the write-ahead log into the file) and read back.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "shophub-hubtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hub.db")
	s, err := hub.Open(context.Background(), "sqlite", path)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(context.Background()); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

// MySQLDSN creates a fresh database on the test server and returns its DSN;
// the database is dropped after the test. Tests that need the real server
// skip, saying why, when SHOPHUB_TEST_MYSQL_DSN is not set.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvMySQL)
	if base == "" {
		t.Skipf("needs a MySQL/MariaDB server: set %s (CI sets it; see README)", EnvMySQL)
	}
	cfg, err := mysqldrv.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "shophub_t_" + hex.EncodeToString(b)
	admin := cfg.Clone()
	admin.DBName = ""
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err != nil {
		t.Fatalf("connect to test server: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", admin.FormatDSN())
		if err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
			_ = db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// MySQL opens a migrated store in a fresh database on the test server.
func MySQL(t testing.TB) *hub.Store {
	t.Helper()
	s, err := hub.Open(context.Background(), "mysql", MySQLDSN(t))
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate mysql: %v", err)
	}
	s.SetPrivacyOptions(privacyOptions)
	return s
}

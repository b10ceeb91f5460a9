package hub

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is the hub's database.
type Store struct {
	db     *gorm.DB
	driver string
	// dsn opens the migration connection (MySQL).
	dsn string
	// privacy keys tombstones and reads phones for erasure and export
	// (privacy.go); set once at startup by SetPrivacyOptions.
	privacy PrivacyOptions
	// beforeInsightWrite, set by tests only (export_test.go), runs
	// between a recompute's reads and its write.
	beforeInsightWrite func(customerIDs []uint64)
	// beforeScoreWrite, set by tests only, runs between a scoring run's
	// read and its write.
	beforeScoreWrite func()
	// pushing says which customers are being pushed to which touchpoints
	// right now (set once at startup by SetPushing; nil: none).
	pushing Pushing
}

// Open connects to MySQL/MariaDB (driver "mysql") or a SQLite file (driver
// "sqlite", for `shophub dev` and tests without a server).
func Open(ctx context.Context, driver, dsn string) (*Store, error) {
	return OpenPool(ctx, driver, dsn, Pool{})
}

// Pool sizes a MySQL connection pool; zero values mean 64 each. Every
// process has its own, and their sum must stay under the server's
// max_connections.
type Pool struct {
	MaxOpen, MaxIdle int
}

// OpenPool is Open with the MySQL pool sized by p (database.max_open_conns
// and max_idle_conns); SQLite always uses one connection.
func OpenPool(ctx context.Context, driver, dsn string, p Pool) (*Store, error) {
	if p.MaxOpen <= 0 {
		p.MaxOpen = 64
	}
	if p.MaxIdle <= 0 || p.MaxIdle > p.MaxOpen {
		p.MaxIdle = p.MaxOpen
	}
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	var (
		db  *gorm.DB
		err error
	)
	switch driver {
	case "mysql":
		var conn *sql.DB
		if conn, err = openMySQL(dsn); err != nil {
			return nil, err
		}
		db, err = gorm.Open(mysql.New(mysql.Config{Conn: conn}), gcfg)
	case "sqlite":
		if dir := filepath.Dir(dsn); dir != "." && !strings.HasPrefix(dsn, "file:") {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("sqlite directory: %w", err)
			}
		}
		// WAL and a busy timeout let readers work beside the one writer;
		// one open connection serialises writers, which SQLite needs.
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		db, err = gorm.Open(sqlite.Open(dsn+sep+"_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"), gcfg)
	default:
		return nil, fmt.Errorf("database driver %q: want mysql or sqlite", driver)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if driver == "sqlite" {
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(p.MaxOpen)
		sqlDB.SetMaxIdleConns(p.MaxIdle)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("ping %s database: %w", driver, err)
	}
	return &Store{db: db, driver: driver, dsn: dsn}, nil
}

// openMySQL opens a pool whose every connection runs READ COMMITTED.
// Under the default REPEATABLE READ, locking reads of keys that do not exist
// yet (a new email) take gap locks, and concurrent first sightings of
// different customers deadlock on neighbouring gaps. Correctness does not
// rest on gap locks: customer rows are locked by id, and a racing insert of
// the same email or link fails on its unique key and retries into the
// winner's row. Set per connection, not per transaction, to save a round
// trip per merge; the statement works on MySQL and MariaDB alike (their
// variable names differ).
func openMySQL(dsn string) (*sql.DB, error) {
	cfg, err := mysqlConfig(dsn)
	if err != nil {
		return nil, err
	}
	inner, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(readCommitted{inner}), nil
}

type readCommitted struct{ driver.Connector }

func (c readCommitted) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("mysql connection cannot execute statements")
	}
	if _, err := ex.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("set isolation level: %w", err)
	}
	// Values travel inline (interpolateParams), and the driver escapes
	// them by the session's mode, which the server's answer carries. With
	// backslash escapes every '"' of a JSON text goes as '\"', and the
	// server undoes them character by character; under
	// NO_BACKSLASH_ESCAPES only a quote is doubled, which JSON docs rarely
	// hold, and a literal without one is copied as it is. The
	// merge's statements are mostly JSON texts (docs, provenance,
	// baselines, change-log values). The mode also means LIKE has no
	// escape character unless a query names one (none here does).
	if _, err := ex.ExecContext(ctx, "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@sql_mode, ''), 'NO_BACKSLASH_ESCAPES')", nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("set sql_mode: %w", err)
	}
	return conn, nil
}

// mysqlConfig enforces the options merges depend on: parsed UTC times and
// utf8mb4. It keeps what the operator set otherwise.
func mysqlConfig(dsn string) (*mysqldrv.Config, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql dsn: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["charset"]; !ok {
		cfg.Params["charset"] = "utf8mb4"
	}
	cfg.InterpolateParams = true
	// Round-trip through the DSN form: the driver treats charset specially
	// only when parsing, and would send it as a system variable otherwise.
	return mysqldrv.ParseDSN(cfg.FormatDSN())
}

// Driver reports "mysql" or "sqlite".
func (s *Store) Driver() string { return s.driver }

// DB exposes the gorm handle for packages that report on the hub (api).
func (s *Store) DB() *gorm.DB { return s.db }

// Migrate brings the schema up to this binary's version: on MySQL/MariaDB
// by applying the numbered files in migrations/ (schema.go), on SQLite
// (dev, tests) by AutoMigrate.
func (s *Store) Migrate(ctx context.Context) error {
	if s.driver == "mysql" {
		return s.migrateMySQL(ctx)
	}
	return s.AutoMigrate(ctx)
}

// AutoMigrate creates or updates the tables from the gorm models. It is the
// schema for SQLite; on MySQL only TestMigrationsMatchModels uses it, to
// prove the migrations produce what the models need. Tables use a binary
// collation on MySQL: keys are normalized in Go, and a case-insensitive
// collation would make MariaDB and SQLite disagree on which keys are equal.
func (s *Store) AutoMigrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if s.driver == "mysql" {
		db = db.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	if err := db.AutoMigrate(allModels()...); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// isRetryable reports errors a fresh transaction can succeed after: a
// concurrent insert of the same unique key (the other writer won; re-read
// finds its row), deadlocks and lock waits.
func isRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062, 1213, 1205: // duplicate entry, deadlock, lock wait timeout
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") ||
		strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "SQLITE_BUSY")
}

package hub

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migmysql "github.com/golang-migrate/migrate/v4/database/mysql"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// The MySQL/MariaDB schema is versioned: one numbered file per version in
// migrations/, applied in order by golang-migrate, which records the version
// in schema_migrations. SQLite (shophub dev and tests without a server)
// keeps gorm's AutoMigrate of the models; TestMigrationsMatchModels proves
// the files produce on MariaDB exactly what AutoMigrate would.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationsTable is where golang-migrate records the schema's version.
const MigrationsTable = "schema_migrations"

// Migration is one numbered schema version.
type Migration struct {
	Version uint
	Name    string // the file name, e.g. 000001_init.up.sql
	SQL     string
}

// Migrations lists every version this binary carries, in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".up.sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: the name must start with a version number and _", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: uint(v), Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// LatestVersion is the schema version this binary needs.
func LatestVersion() uint {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// SchemaStatus says where a database's schema stands.
type SchemaStatus struct {
	Driver string
	// Version is the applied version (0: none); Dirty is golang-migrate's
	// mark of a version that failed halfway.
	Version uint
	Dirty   bool
	// Latest is the version this binary needs.
	Latest uint
	// Legacy: hub tables exist without a recorded version, as an earlier
	// release's AutoMigrate left them; `shophub migrate` adopts them
	// (migrateMySQL).
	Legacy bool
	// Empty: no hub table at all.
	Empty bool
}

// Pending are the versions `shophub migrate` would apply (none when it
// adopts a legacy database: that records the latest without running them).
func (st SchemaStatus) Pending() []Migration {
	if st.Legacy {
		return nil
	}
	ms, _ := Migrations()
	var out []Migration
	for _, m := range ms {
		if m.Version > st.Version {
			out = append(out, m)
		}
	}
	return out
}

// SchemaStatus reads the schema's version without changing anything.
func (s *Store) SchemaStatus(ctx context.Context) (SchemaStatus, error) {
	st := SchemaStatus{Driver: s.driver, Latest: LatestVersion()}
	if s.driver != "mysql" {
		// SQLite follows the models through AutoMigrate; it has no versions.
		if s.db.WithContext(ctx).Migrator().HasTable(&Customer{}) {
			st.Version = st.Latest
		} else {
			st.Empty = true
		}
		return st, nil
	}
	tables, err := s.tableNames(ctx)
	if err != nil {
		return st, err
	}
	if !tables[MigrationsTable] {
		st.Empty = !tables["customers"]
		st.Legacy = !st.Empty
		return st, nil
	}
	var dirty bool
	var v sql.NullInt64
	err = s.db.WithContext(ctx).Raw("SELECT version, dirty FROM `"+MigrationsTable+"` LIMIT 1").Row().Scan(&v, &dirty)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("read schema version: %w", err)
	}
	if v.Valid && v.Int64 > 0 {
		st.Version, st.Dirty = uint(v.Int64), dirty
	}
	st.Empty = st.Version == 0 && !tables["customers"]
	return st, nil
}

// ErrSchema is wrapped by CheckSchema's refusals.
var ErrSchema = errors.New("database schema not ready")

// CheckSchema refuses a database whose schema is older than this binary
// (or absent, or left dirty by a failed migration): serve and worker must
// not start on it, where every query would fail later and one by one.
func (s *Store) CheckSchema(ctx context.Context) error {
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Empty:
		return fmt.Errorf("%w: the database has no shophub tables; run `shophub migrate` first (with the same --config)", ErrSchema)
	case st.Legacy:
		return fmt.Errorf("%w: the database was created before versioned migrations; run `shophub migrate` to adopt it", ErrSchema)
	case st.Dirty:
		return fmt.Errorf("%w: migration %d failed halfway (schema_migrations is dirty); repair the schema by hand from hub/migrations, then run `shophub migrate --force %d` and `shophub migrate`", ErrSchema, st.Version, st.Version)
	case st.Version < st.Latest:
		return fmt.Errorf("%w: the schema is at version %d, this shophub needs %d; run `shophub migrate`", ErrSchema, st.Version, st.Latest)
	}
	return nil
}

func (s *Store) tableNames(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.WithContext(ctx).Raw("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()").Rows()
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// migrateMySQL applies every pending version.
//
// A database an earlier release created (hub tables, no schema_migrations)
// is adopted instead: that release ran AutoMigrate at every `shophub
// migrate`, and AutoMigrate is what brings any schema it left (an older
// release's has narrower columns and lacks later ones) to the models'
// shape, which TestMigrationsMatchModels proves is the latest version's.
// On a database of the last AutoMigrate release it changes nothing. The
// latest version is then recorded; no file runs.
func (s *Store) migrateMySQL(ctx context.Context) error {
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	if st.Legacy {
		if err := s.AutoMigrate(ctx); err != nil {
			return fmt.Errorf("adopt the tables of an earlier release: %w", err)
		}
	}
	if st.Version > st.Latest {
		return fmt.Errorf("the schema is at version %d, newer than this shophub knows (%d): run a newer shophub", st.Version, st.Latest)
	}
	drv, err := s.migrationDriver()
	if err != nil {
		return err
	}
	defer drv.Close() // m.Close closes it too; this is for a failure before m
	src, err := iofs.New(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	m, err := migrate.NewWithInstance("iofs", src, "mysql", drv)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer m.Close()
	if st.Legacy {
		if err := m.Force(int(st.Latest)); err != nil {
			return fmt.Errorf("record the adopted schema as version %d: %w", st.Latest, err)
		}
		return nil
	}
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// ForceVersion records version v without running anything: the way out
// after a failed migration was repaired by hand.
func (s *Store) ForceVersion(ctx context.Context, v int) error {
	if s.driver != "mysql" {
		return fmt.Errorf("the %s schema has no versions", s.driver)
	}
	drv, err := s.migrationDriver()
	if err != nil {
		return err
	}
	defer drv.Close()
	return drv.SetVersion(v, false)
}

// migrationDriver is golang-migrate's MySQL driver on a pool of its own:
// migrate runs a file as one statement batch, which needs multiStatements,
// and the hub's pool keeps that off. Closing the driver closes the pool.
func (s *Store) migrationDriver() (database.Driver, error) {
	cfg, err := mysqlConfig(s.dsn)
	if err != nil {
		return nil, err
	}
	cfg.MultiStatements = true
	conn, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	drv, err := migmysql.WithInstance(db, &migmysql.Config{MigrationsTable: MigrationsTable})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return drv, nil
}

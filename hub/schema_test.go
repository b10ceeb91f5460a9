package hub_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// column and index are what information_schema says of one table's parts.
type column struct {
	Type, Nullable, Default, Extra, Collation string
}

type index struct {
	Unique  bool
	Columns []string
}

type table struct {
	Engine, Collation string
	Columns           map[string]column
	Indexes           map[string]index
	Create            string // SHOW CREATE TABLE, for the failure message
}

// describe reads a database's schema (every table but schema_migrations).
func describe(t *testing.T, s *hub.Store) map[string]*table {
	t.Helper()
	db, err := s.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*table{}
	q := func(query string, scan func(*sql.Rows) error) {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	q(`SELECT table_name, engine, table_collation FROM information_schema.tables WHERE table_schema = DATABASE()`, func(r *sql.Rows) error {
		var n string
		tb := &table{Columns: map[string]column{}, Indexes: map[string]index{}}
		if err := r.Scan(&n, &tb.Engine, &tb.Collation); err != nil {
			return err
		}
		if n != hub.MigrationsTable {
			out[n] = tb
		}
		return nil
	})
	q(`SELECT table_name, column_name, column_type, is_nullable, COALESCE(column_default, '(none)'), extra, COALESCE(collation_name, '')
		FROM information_schema.columns WHERE table_schema = DATABASE()`, func(r *sql.Rows) error {
		var tn, cn string
		var c column
		if err := r.Scan(&tn, &cn, &c.Type, &c.Nullable, &c.Default, &c.Extra, &c.Collation); err != nil {
			return err
		}
		if tb := out[tn]; tb != nil {
			tb.Columns[cn] = c
		}
		return nil
	})
	q(`SELECT table_name, index_name, non_unique, column_name FROM information_schema.statistics
		WHERE table_schema = DATABASE() ORDER BY table_name, index_name, seq_in_index`, func(r *sql.Rows) error {
		var tn, in, cn string
		var nonUnique int
		if err := r.Scan(&tn, &in, &nonUnique, &cn); err != nil {
			return err
		}
		if tb := out[tn]; tb != nil {
			ix := tb.Indexes[in]
			ix.Unique = nonUnique == 0
			ix.Columns = append(ix.Columns, cn)
			tb.Indexes[in] = ix
		}
		return nil
	})
	for n, tb := range out {
		var name string
		if err := db.QueryRow("SHOW CREATE TABLE `"+n+"`").Scan(&name, &tb.Create); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (c column) ddl() string {
	s := c.Type
	if c.Collation != "" {
		s += " COLLATE " + c.Collation
	}
	if c.Nullable == "NO" {
		s += " NOT NULL"
	}
	if c.Default != "(none)" && c.Default != "NULL" {
		s += " DEFAULT " + c.Default
	} else if c.Nullable == "YES" {
		s += " DEFAULT NULL"
	}
	if c.Extra != "" {
		s += " " + strings.ToUpper(c.Extra)
	}
	return s
}

func (ix index) ddl(tableName, name string) string {
	kind := "INDEX"
	if ix.Unique {
		kind = "UNIQUE INDEX"
	}
	return fmt.Sprintf("CREATE %s `%s` ON `%s` (`%s`);", kind, name, tableName, strings.Join(ix.Columns, "`,`"))
}

// schemaDiff lists, with the DDL a new migration needs, every way the
// migrated schema differs from what AutoMigrate makes of the models.
func schemaDiff(migrated, models map[string]*table) []string {
	var out []string
	names := func(m map[string]*table) []string {
		var ns []string
		for n := range m {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		return ns
	}
	for _, tn := range names(models) {
		want, got := models[tn], migrated[tn]
		if got == nil {
			out = append(out, fmt.Sprintf("table %s is in the models but no migration creates it; the new migration needs:\n%s;", tn, want.Create))
			continue
		}
		if want.Engine != got.Engine || want.Collation != got.Collation {
			out = append(out, fmt.Sprintf("table %s: the models make ENGINE=%s COLLATE=%s, the migrations ENGINE=%s COLLATE=%s", tn, want.Engine, want.Collation, got.Engine, got.Collation))
		}
		var cols []string
		for cn := range want.Columns {
			cols = append(cols, cn)
		}
		for cn := range got.Columns {
			if _, ok := want.Columns[cn]; !ok {
				cols = append(cols, cn)
			}
		}
		sort.Strings(cols)
		for _, cn := range cols {
			w, inModels := want.Columns[cn]
			g, inMigrations := got.Columns[cn]
			switch {
			case !inMigrations:
				out = append(out, fmt.Sprintf("table %s: column %s is in the models but no migration adds it; the new migration needs:\nALTER TABLE `%s` ADD COLUMN `%s` %s;", tn, cn, tn, cn, w.ddl()))
			case !inModels:
				out = append(out, fmt.Sprintf("table %s: column %s is made by the migrations but is in no model; the new migration needs:\nALTER TABLE `%s` DROP COLUMN `%s`;", tn, cn, tn, cn))
			case w != g:
				out = append(out, fmt.Sprintf("table %s: column %s is %s in the models but %s after the migrations; the new migration needs:\nALTER TABLE `%s` MODIFY COLUMN `%s` %s;", tn, cn, w.ddl(), g.ddl(), tn, cn, w.ddl()))
			}
		}
		var ixs []string
		for in := range want.Indexes {
			ixs = append(ixs, in)
		}
		for in := range got.Indexes {
			if _, ok := want.Indexes[in]; !ok {
				ixs = append(ixs, in)
			}
		}
		sort.Strings(ixs)
		for _, in := range ixs {
			w, inModels := want.Indexes[in]
			g, inMigrations := got.Indexes[in]
			switch {
			case !inMigrations:
				out = append(out, fmt.Sprintf("table %s: index %s is in the models but no migration creates it; the new migration needs:\n%s", tn, in, w.ddl(tn, in)))
			case !inModels:
				out = append(out, fmt.Sprintf("table %s: index %s is made by the migrations but by no model; the new migration needs:\nDROP INDEX `%s` ON `%s`;", tn, in, in, tn))
			case w.Unique != g.Unique || strings.Join(w.Columns, ",") != strings.Join(g.Columns, ","):
				out = append(out, fmt.Sprintf("table %s: index %s is %v in the models but %v after the migrations; the new migration needs:\nDROP INDEX `%s` ON `%s`;\n%s", tn, in, w, g, in, tn, w.ddl(tn, in)))
			}
		}
	}
	for _, tn := range names(migrated) {
		if models[tn] == nil {
			out = append(out, fmt.Sprintf("table %s is made by the migrations but is in no model; the new migration needs:\nDROP TABLE `%s`;", tn, tn))
		}
	}
	return out
}

func mysqlStore(t *testing.T) *hub.Store {
	t.Helper()
	s, err := hub.Open(context.Background(), "mysql", hubtest.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestMigrationsMatchModels: the numbered files in hub/migrations produce,
// table by table, column by column and index by index, the schema gorm's
// AutoMigrate makes of the models on MariaDB. A model change without a
// migration fails here, naming what is missing and the DDL to write.
func TestMigrationsMatchModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	migrated, models := mysqlStore(t), mysqlStore(t)
	if err := migrated.Migrate(ctx); err != nil {
		t.Fatalf("shophub migrate: %v", err)
	}
	if err := models.AutoMigrate(ctx); err != nil {
		t.Fatal(err)
	}
	diff := schemaDiff(describe(t, migrated), describe(t, models))
	if len(diff) > 0 {
		t.Fatalf("the migrations in hub/migrations do not produce the schema the models in hub need.\n"+
			"Add one file, hub/migrations/%06d_<what>.up.sql (the next number), holding the statements below,\n"+
			"then run go test ./hub -run TestMigrationsMatchModels again (see hub/migrations/README.md):\n\n%s",
			hub.LatestVersion()+1, strings.Join(diff, "\n\n"))
	}
	st, err := migrated.SchemaStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != hub.LatestVersion() || st.Dirty || st.Legacy || st.Empty {
		t.Fatalf("after migrate: %+v, want version %d", st, hub.LatestVersion())
	}
	if err := migrated.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after migrate: %v", err)
	}
	if err := migrated.Migrate(ctx); err != nil {
		t.Fatalf("a second migrate changes nothing, got %v", err)
	}
}

// TestSchemaDiffNamesTheMissingMigration: the message a model change
// without a migration gets names the table, the column and the DDL.
func TestSchemaDiffNamesTheMissingMigration(t *testing.T) {
	t.Parallel()
	migrated := map[string]*table{"customers": {Engine: "InnoDB", Columns: map[string]column{
		"id": {Type: "bigint(20) unsigned", Nullable: "NO", Default: "(none)", Extra: "auto_increment"}}, Indexes: map[string]index{}}}
	models := map[string]*table{
		"customers": {Engine: "InnoDB", Columns: map[string]column{
			"id":    {Type: "bigint(20) unsigned", Nullable: "NO", Default: "(none)", Extra: "auto_increment"},
			"score": {Type: "bigint(20)", Nullable: "NO", Default: "0"}},
			Indexes: map[string]index{"idx_customers_score": {Columns: []string{"score"}}}},
		"carts": {Engine: "InnoDB", Create: "CREATE TABLE `carts` (...)"},
	}
	got := strings.Join(schemaDiff(migrated, models), "\n")
	for _, want := range []string{
		"table carts is in the models but no migration creates it",
		"CREATE TABLE `carts` (...);",
		"table customers: column score is in the models but no migration adds it",
		"ALTER TABLE `customers` ADD COLUMN `score` bigint(20) NOT NULL DEFAULT 0;",
		"CREATE INDEX `idx_customers_score` ON `customers` (`score`);",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
}

// TestAdoptAutoMigratedDatabase: a database an earlier release created
// with AutoMigrate (hub tables, no schema_migrations) is adopted at the
// latest version without a file running, and keeps its rows.
func TestAdoptAutoMigratedDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mysqlStore(t)
	if err := s.AutoMigrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Exec("INSERT INTO customers (email, version) VALUES ('kept@example.org', 3)").Error; err != nil {
		t.Fatal(err)
	}
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Legacy || st.Version != 0 {
		t.Fatalf("an AutoMigrate database: %+v, want legacy", st)
	}
	if err := s.CheckSchema(ctx); !errors.Is(err, hub.ErrSchema) || !strings.Contains(err.Error(), "shophub migrate") {
		t.Fatalf("CheckSchema on a legacy database: %v, want a refusal naming shophub migrate", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if st, _ := s.SchemaStatus(ctx); st.Version != hub.LatestVersion() || st.Legacy || st.Dirty {
		t.Fatalf("after adoption: %+v", st)
	}
	var n int64
	s.DB().Raw("SELECT COUNT(*) FROM customers WHERE email = 'kept@example.org'").Scan(&n)
	if n != 1 {
		t.Fatalf("adoption lost the customer (count %d)", n)
	}
}

// TestAdoptOlderDatabase: a database of a release older than version 1
// (a column missing) is adopted too, the column added.
func TestAdoptOlderDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mysqlStore(t)
	if err := s.AutoMigrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Exec("ALTER TABLE customers DROP COLUMN customer_number").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if !s.DB().Migrator().HasColumn(&hub.Customer{}, "CustomerNumber") {
		t.Fatal("adoption left customers.customer_number out")
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("after adoption: %v", err)
	}
}

// TestCheckSchemaEmpty: an empty database is refused, naming the command.
func TestCheckSchemaEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, s := range []*hub.Store{mysqlStore(t), sqliteStore(t)} {
		err := s.CheckSchema(ctx)
		if !errors.Is(err, hub.ErrSchema) || !strings.Contains(err.Error(), "shophub migrate") {
			t.Fatalf("%s: CheckSchema on an empty database: %v", s.Driver(), err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckSchema(ctx); err != nil {
			t.Fatalf("%s: after migrate: %v", s.Driver(), err)
		}
	}
}

func sqliteStore(t *testing.T) *hub.Store {
	t.Helper()
	s, err := hub.Open(context.Background(), "sqlite", t.TempDir()+"/hub.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestForceVersion: the version is recorded as given, clean, and nothing
// runs (migrationDriver serves it and Migrate); Migrate then has nothing
// to do at the latest version.
func TestForceVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mysqlStore(t)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.ForceVersion(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if st, err := s.SchemaStatus(ctx); err != nil || st.Version != 1 || st.Dirty {
		t.Fatalf("after forcing version 1: %+v, %v", st, err)
	}
	if err := s.ForceVersion(ctx, int(hub.LatestVersion())); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("after forcing the latest version: %v", err)
	}
	if err := sqliteStore(t).ForceVersion(ctx, 1); err == nil {
		t.Error("ForceVersion on SQLite: no error")
	}
}

// TestScoredChangedUsesItsIndex: the page query of the push after a
// scoring run (ScoredChanged, as the store sends it) is a range of the
// scored_at index on MariaDB, not a walk of the primary key that reads
// every row after the cursor to find the few the run changed.
func TestScoredChangedUsesItsIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mysqlStore(t)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// 5,000 customers' rows: every tenth changed by the run at 03:00, half
	// scored by an earlier run, the rest never scored.
	if err := s.DB().Exec(`INSERT INTO customer_insights (customer_id, scored_at, data)
		SELECT seq, CASE WHEN seq % 10 = 0 THEN '2026-12-01 03:00:00' WHEN seq % 10 < 6 THEN '2026-11-30 03:00:00' END, '{}'
		FROM seq_1_to_5000`).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Exec("ANALYZE TABLE customer_insights").Error; err != nil {
		t.Fatal(err)
	}
	var query string
	var vars []any
	db := s.DB()
	if err := db.Callback().Query().After("gorm:query").Register("test:capture", func(tx *gorm.DB) {
		if tx.Statement.Table == "customer_insights" {
			query, vars = tx.Statement.SQL.String(), slices.Clone(tx.Statement.Vars)
		}
	}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	ids, err := s.ScoredChanged(ctx, at, 1000, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 100 || ids[0] != 1010 || ids[99] != 2000 {
		t.Fatalf("page after 1000: %d ids %v…, want 1010 to 2000 by tens", len(ids), ids[:min(3, len(ids))])
	}
	if query == "" {
		t.Fatal("the page query was not captured")
	}
	var plan []struct {
		Table string         `gorm:"column:table"`
		Type  string         `gorm:"column:type"`
		Key   sql.NullString `gorm:"column:key"`
		Rows  int64          `gorm:"column:rows"`
	}
	if err := db.Raw("EXPLAIN "+query, vars...).Scan(&plan).Error; err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || plan[0].Key.String != "idx_customer_insights_scored_at" || plan[0].Type != "range" {
		t.Errorf("EXPLAIN %s: %+v, want a range of idx_customer_insights_scored_at", query, plan)
	} else {
		t.Logf("EXPLAIN %s: %+v", query, plan)
	}
}

// TestTicketAdoptionMigration: migration 4 gives the tickets that wait for
// their customer the ref and email they are adopted by, from their docs
// (strings only; a number or null is no ref), and leaves linked ones.
func TestTicketAdoptionMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mysqlStore(t)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Back to version 3: the columns and indexes gone (versions 5 and
	// 6's too), rows from then.
	for _, q := range []string{
		"DROP INDEX `ix_tickets_ref` ON `tickets`", "DROP INDEX `idx_tickets_customer_email` ON `tickets`",
		"ALTER TABLE `tickets` DROP COLUMN `customer_ref`, DROP COLUMN `customer_email`",
		"DROP INDEX `ux_quarantine_waiting` ON `quarantine`", "ALTER TABLE `quarantine` DROP COLUMN `waiting_key`",
		"ALTER TABLE `links` DROP COLUMN `last_inbound_read_at`",
		"INSERT INTO `tickets` (instance, external_id, customer_id, data, version) VALUES " +
			`('hs', '1', NULL, '{"customer_ref":"55","customer_email":"a@example.com"}', 1), ` +
			`('hs', '2', NULL, '{"customer_ref":55,"customer_email":null}', 1), ` +
			`('hs', '3', 7, '{"customer_ref":"9","customer_email":"b@example.com"}', 1)`,
	} {
		if err := s.DB().Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.ForceVersion(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ExternalID                 string
		CustomerRef, CustomerEmail *string
	}
	if err := s.DB().Raw("SELECT external_id, customer_ref, customer_email FROM tickets ORDER BY external_id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s:%v/%v", r.ExternalID, deref(r.CustomerRef), deref(r.CustomerEmail)))
	}
	if want := "[1:55/a@example.com 2:-/- 3:-/-]"; fmt.Sprint(got) != want {
		t.Errorf("tickets after migration 4: %v, want %s", got, want)
	}
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

package hub

import (
	"strings"
	"time"

	"gorm.io/gorm"
)

// Bulk writes for whole-table runs (the nightly RFM scoring): one
// multi-row statement per chunk, built here rather than by gorm, whose
// per-row reflection and per-chunk statement building cost more CPU than
// the database's work on a 100,000-row run. MySQL/MariaDB upserts with
// ON DUPLICATE KEY UPDATE, SQLite with ON CONFLICT … DO UPDATE: the two
// differ only in the tail. The DSN interpolates parameters (mysqlConfig),
// so a chunk is one round trip.

// bulkRows is the most rows one statement carries: under MySQL's 65,535
// placeholders and SQLite's 32,766 with the widest row written here.
func bulkRows(cols int) int { return max(1, min(2000, 30000/max(1, cols))) }

// bulkUpsert inserts rows (values in cols' order) into table, setting
// the update columns of rows whose key already exists to the new values
// and counting the increment columns up by one.
func bulkUpsert(tx *gorm.DB, table, key string, cols, update, increment []string, rows [][]any) error {
	var set []string
	sqlite := tx.Dialector.Name() == "sqlite"
	for _, c := range update {
		if sqlite {
			set = append(set, c+" = excluded."+c)
		} else {
			set = append(set, c+" = VALUES("+c+")")
		}
	}
	for _, c := range increment {
		set = append(set, c+" = "+table+"."+c+" + 1")
	}
	tail := " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
	if sqlite {
		tail = " ON CONFLICT(" + key + ") DO UPDATE SET " + strings.Join(set, ", ")
	}
	return bulkExec(tx, table, cols, rows, tail)
}

// bulkInsert inserts rows into table.
func bulkInsert(tx *gorm.DB, table string, cols []string, rows [][]any) error {
	return bulkExec(tx, table, cols, rows, "")
}

// BulkObserverName is the gorm plugin name under which a BulkObserver is
// registered (gorm.DB.Use).
const BulkObserverName = "shophub:bulk-observer"

// BulkObserver hears of every bulk statement, which goes to the
// connection past gorm's callbacks: the benchmarks count statements with
// it beside those callbacks.
type BulkObserver interface {
	gorm.Plugin
	BulkStatement(op, table string)
}

func bulkExec(tx *gorm.DB, table string, cols []string, rows [][]any, tail string) error {
	o, _ := tx.Config.Plugins[BulkObserverName].(BulkObserver)
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	step := bulkRows(len(cols))
	for lo := 0; lo < len(rows); lo += step {
		part := rows[lo:min(lo+step, len(rows))]
		var q strings.Builder
		q.Grow(len(head) + len(part)*(len(one)+2) + len(tail))
		q.WriteString(head)
		args := make([]any, 0, len(part)*len(cols))
		for i, r := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(one)
			args = append(args, r...)
		}
		q.WriteString(tail)
		// Straight to the connection: gorm's Exec would parse the
		// statement for its own placeholders, 18,000 of them.
		if _, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, q.String(), args...); err != nil {
			return err
		}
		if o != nil {
			o.BulkStatement("insert", table)
		}
	}
	return nil
}

// The batched merge's inserts (batch.go), written as bulkInsert rows
// rather than through gorm's CreateInBatches: its per-row reflection and
// statement building were about an eighth of a backfill's CPU. Ids are
// never taken from these inserts; callers read them back by a unique key.

// bulkValues builds one row of values per element of rows, in order,
// each by row with the transaction's clock for the timestamps it stamps.
func bulkValues[T any](tx *gorm.DB, rows []T, row func(*T, time.Time) []any) [][]any {
	now := tx.NowFunc()
	vals := make([][]any, len(rows))
	for i := range rows {
		vals[i] = row(&rows[i], now)
	}
	return vals
}

// stamp sets *t to now unless the caller set it.
func stamp(t *time.Time, now time.Time) {
	if t.IsZero() {
		*t = now
	}
}

var customerCols = []string{"email", "first_name", "last_name", "phone", "customer_number", "data", "provenance", "version", "created_at", "updated_at"}

func customerRow(c *Customer, now time.Time) []any {
	stamp(&c.CreatedAt, now)
	stamp(&c.UpdatedAt, now)
	return []any{c.Email, c.FirstName, c.LastName, c.Phone, c.CustomerNumber, c.Data, c.Provenance, c.Version, c.CreatedAt, c.UpdatedAt}
}

func insertCustomers(tx *gorm.DB, rows []Customer) error {
	return bulkInsert(tx, "customers", customerCols, bulkValues(tx, rows, customerRow))
}

var linkCols = []string{"customer_id", "instance", "resource", "external_id", "last_inbound_hash", "last_inbound_at", "last_inbound_read_at",
	"last_pushed_hash", "last_pushed_version", "last_pushed_at", "last_pushed_doc", "last_inbound_doc", "vendor_deleted_at", "vendor_deleted_by",
	"unverified", "created_at", "updated_at"}

// linkRow stamps updated_at always: a link written here is written now,
// whether inserted or updated.
func linkRow(l *Link, now time.Time) []any {
	stamp(&l.CreatedAt, now)
	l.UpdatedAt = now
	return []any{l.CustomerID, l.Instance, l.Resource, l.ExternalID, l.LastInboundHash, l.LastInboundAt, l.LastInboundReadAt,
		l.LastPushedHash, l.LastPushedVersion, l.LastPushedAt, l.LastPushedDoc, l.LastInboundDoc, l.VendorDeletedAt, l.VendorDeletedBy,
		l.Unverified, l.CreatedAt, l.UpdatedAt}
}

func insertLinks(tx *gorm.DB, rows []Link) error {
	return bulkInsert(tx, "links", linkCols, bulkValues(tx, rows, linkRow))
}

// updateLinks writes existing links (by id) with one upsert: the columns
// a merge changes.
func updateLinks(tx *gorm.DB, rows []Link) error {
	vals := bulkValues(tx, rows, func(l *Link, now time.Time) []any {
		return append([]any{l.ID}, linkRow(l, now)...)
	})
	return bulkUpsert(tx, "links", "id", append([]string{"id"}, linkCols...), []string{"customer_id", "last_inbound_hash",
		"last_inbound_at", "last_inbound_read_at", "last_inbound_doc", "vendor_deleted_at", "vendor_deleted_by", "unverified", "updated_at"}, nil, vals)
}

var changeCols = []string{"customer_id", "version", "field", "old_value", "new_value", "instance", "event_id", "source_at", "rejected", "created_at"}

func changeRow(c *Change, now time.Time) []any {
	stamp(&c.CreatedAt, now)
	return []any{c.CustomerID, c.Version, c.Field, c.OldValue, c.NewValue, c.Instance, c.EventID, c.SourceAt, c.Rejected, c.CreatedAt}
}

func insertChanges(tx *gorm.DB, rows []Change) error {
	return bulkInsert(tx, "change_log", changeCols, bulkValues(tx, rows, changeRow))
}

// updateCustomers writes changed customers (by id) whose email stays as
// it is: one UPDATE … SET col = CASE id WHEN … END per chunk instead of
// one statement per customer. Not an upsert: ON DUPLICATE KEY UPDATE
// would act on whichever unique key a row meets.
func updateCustomers(tx *gorm.DB, rows []Customer) error {
	if len(rows) == 0 {
		return nil
	}
	cols := []string{"data", "provenance", "version", "first_name", "last_name", "phone", "customer_number"}
	o, _ := tx.Config.Plugins[BulkObserverName].(BulkObserver)
	now := tx.NowFunc()
	step := bulkRows(2*len(cols) + 1)
	for lo := 0; lo < len(rows); lo += step {
		part := rows[lo:min(lo+step, len(rows))]
		args := make([]any, 0, len(part)*(2*len(cols)+1)+1)
		var q strings.Builder
		q.WriteString("UPDATE customers SET ")
		for j, c := range cols {
			q.WriteString(c + " = CASE id")
			for i := range part {
				r := &part[i]
				q.WriteString(" WHEN ? THEN ?")
				var v any
				switch j {
				case 0:
					v = r.Data
				case 1:
					v = r.Provenance
				case 2:
					v = r.Version
				case 3:
					v = r.FirstName
				case 4:
					v = r.LastName
				case 5:
					v = r.Phone
				case 6:
					v = r.CustomerNumber
				}
				args = append(args, r.ID, v)
			}
			q.WriteString(" END, ")
		}
		q.WriteString("updated_at = ? WHERE id IN (")
		args = append(args, now)
		for i := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("?")
			args = append(args, part[i].ID)
		}
		q.WriteString(")")
		if _, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, q.String(), args...); err != nil {
			return err
		}
		if o != nil {
			o.BulkStatement("update", "customers")
		}
	}
	return nil
}

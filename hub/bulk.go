package hub

import (
	"strings"

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

func bulkExec(tx *gorm.DB, table string, cols []string, rows [][]any, tail string) error {
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
	}
	return nil
}

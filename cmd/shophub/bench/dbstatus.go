package bench

import (
	"context"
	"database/sql"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What the database server did during a measured window, per item: the
// deltas of its global status counters (handler calls, InnoDB rows, row
// locks, statements by command, fsyncs and log writes) and, where
// performance_schema is on, its statement digests. The counters are the
// whole server's: on a server other work shares, they carry that work
// too; run against a server of one's own to read them per item.

// dbStatusCounters are the global status counters a window reports, by
// prefix or whole name.
var dbStatusCounters = []string{"Handler_", "Innodb_rows_", "Innodb_row_lock_", "Com_", "Innodb_data_fsyncs",
	"Innodb_os_log_fsyncs", "Innodb_log_writes", "Innodb_log_write_requests", "Innodb_data_written",
	"Innodb_buffer_pool_write_requests", "Innodb_buffer_pool_read_requests", "Innodb_deadlocks", "Created_tmp_",
	"Select_scan", "Select_full_join", "Select_range", "Sort_rows", "Questions"}

// dbWindow is a measured window's start on one server.
type dbWindow struct {
	db     *sql.DB
	schema string
	before map[string]int64
	// digests: performance_schema's statement digests were reset at the
	// window's start and are read at its end.
	digests bool
	// pid is the server's process when it runs on this machine (its
	// @@pid_file read), 0 otherwise; cpu its CPU time at the start.
	pid int
	cpu time.Duration
}

// startDBWindow snapshots the server's counters and resets its statement
// digests (when performance_schema is on). schema names the scenario's
// database, whose statements the digests report.
func startDBWindow(ctx context.Context, db *sql.DB, schema string) (*dbWindow, error) {
	w := &dbWindow{db: db, schema: schema}
	var on string
	if err := db.QueryRowContext(ctx, "SELECT @@performance_schema").Scan(&on); err == nil && (on == "1" || strings.EqualFold(on, "ON")) {
		_, err := db.ExecContext(ctx, "TRUNCATE performance_schema.events_statements_summary_by_digest")
		w.digests = err == nil
	}
	var pidFile string
	if err := db.QueryRowContext(ctx, "SELECT @@pid_file").Scan(&pidFile); err == nil {
		if b, err := os.ReadFile(pidFile); err == nil {
			w.pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	if w.pid > 0 {
		w.cpu = procCPU(w.pid)
	}
	var err error
	w.before, err = dbStatus(ctx, db)
	return w, err
}

// serverCPU is the CPU the server process the scenario's DSN reaches
// spent in the window, in ms per item: unlike the CPU of every process
// named mariadbd (serverCPUNow), not polluted by other servers on the
// machine, only by other clients of the same server. -1 when the server
// is not a local process.
func (w *dbWindow) serverCPU(n int) float64 {
	if w.pid <= 0 || w.cpu == 0 {
		return -1
	}
	return msPer(procCPU(w.pid)-w.cpu, n)
}

func dbStatus(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, err
		}
		for _, p := range dbStatusCounters {
			if strings.HasPrefix(name, p) {
				if v, err := strconv.ParseInt(value, 10, 64); err == nil {
					out[name] = v
				}
				break
			}
		}
	}
	return out, rows.Err()
}

// dbDigest is one kind of statement in the window, per item.
type dbDigest struct {
	Statement    string  `json:"statement"`
	Count        float64 `json:"count"`
	TimeMS       float64 `json:"time_ms"`
	RowsExamined float64 `json:"rows_examined"`
	RowsSent     float64 `json:"rows_sent"`
	RowsAffected float64 `json:"rows_affected"`
	NoIndexUsed  float64 `json:"no_index_used,omitempty"`
}

// end reports the counters that moved, per item, and the window's
// statement digests on the scenario's database by time spent (the 24
// that took most), per item. Digest times are the server's wall time per
// statement: lock and fsync waits, and waits for a core on a busy
// machine, count in them.
func (w *dbWindow) end(ctx context.Context, n int) (map[string]float64, []dbDigest, error) {
	after, err := dbStatus(ctx, w.db)
	if err != nil {
		return nil, nil, err
	}
	per := float64(max(n, 1))
	status := map[string]float64{}
	for k, v := range after {
		if d := v - w.before[k]; d != 0 && k != "Innodb_row_lock_current_waits" {
			status[k] = float64(d) / per
		}
	}
	if !w.digests {
		return status, nil, nil
	}
	rows, err := w.db.QueryContext(ctx, `SELECT DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, SUM_ROWS_EXAMINED, SUM_ROWS_SENT,
		SUM_ROWS_AFFECTED, SUM_NO_INDEX_USED FROM performance_schema.events_statements_summary_by_digest
		WHERE SCHEMA_NAME = ? ORDER BY SUM_TIMER_WAIT DESC`, w.schema)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []dbDigest
	for rows.Next() {
		var text sql.NullString
		var count, wait, examined, sent, affected, noIndex float64
		if err := rows.Scan(&text, &count, &wait, &examined, &sent, &affected, &noIndex); err != nil {
			return nil, nil, err
		}
		s := text.String
		if len(s) > 160 {
			s = s[:160] + "…"
		}
		out = append(out, dbDigest{Statement: s, Count: count / per, TimeMS: wait / 1e9 / per, RowsExamined: examined / per,
			RowsSent: sent / per, RowsAffected: affected / per, NoIndexUsed: noIndex / per})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TimeMS > out[j].TimeMS })
	// The kinds that took the most time: a merge's dozen, and room for
	// the chunk sizes of its multi-row statements, each a digest of its own.
	return status, out[:min(len(out), 24)], nil
}

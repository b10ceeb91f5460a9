package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/shophub/shophub/hub"
)

// runScore measures the nightly RFM scoring (hub.ScoreRFM) over N
// customers with indicators (100,000; 10,000 with --short): the first run,
// which scores and pushes everyone, then a steady night after 1% bought
// again. The ceiling is the database's bare speed for the first run's
// write: the same number of rows upserted as raw multi-row INSERT … ON
// DUPLICATE KEY UPDATE into a copy of the table, one transaction.
func runScore(ctx context.Context, r *Runner) (*Result, error) {
	dsn, drop, err := r.scratchDB(ctx)
	if err != nil {
		return nil, err
	}
	defer drop()
	s, err := hub.Open(ctx, "mysql", dsn)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	n := r.scale(100000, 10000)
	if r.Opts.Customers > 0 {
		n = r.Opts.Customers
	}
	now := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	custs := make([]hub.Customer, n)
	for i := range custs {
		e := fmt.Sprintf("score%07d@example.com", i)
		custs[i] = hub.Customer{Email: &e, Data: "{}", Provenance: "{}", Version: 1}
	}
	if err := s.DB().CreateInBatches(&custs, 2000).Error; err != nil {
		return nil, err
	}
	rows := make([]hub.Insight, n)
	for i, c := range custs {
		last := now.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour)
		orders := 1 + int(rng.ExpFloat64()*3)
		rows[i] = hub.Insight{CustomerID: c.ID, Orders: orders, Currency: []string{"EUR", "EUR", "USD", "CHF"}[rng.IntN(4)],
			LTVUnits: int64(rng.IntN(500000)) * 100, LastOrderAt: &last, ComputedAt: now,
			Data: `{"orders":1,"paid_orders":1,"currency":"EUR","ltv":"10.00","aov":"10.00","return_rate_value":0.05}`}
		if orders >= 2 {
			rows[i].MedianIntervalS = int64(rng.IntN(200*24*3600) + 3600)
		}
	}
	if err := s.DB().CreateInBatches(&rows, 2000).Error; err != nil {
		return nil, err
	}
	rule, err := hub.CompileProfitability("r >= 4 && aov >= 100 ? 'high' : return_rate_value > 0.2 ? 'low' : 'standard'")
	if err != nil {
		return nil, err
	}
	opts := hub.InsightOptions{Profitability: rule, Now: func() time.Time { return now }}
	first, err := s.ScoreRFM(ctx, opts)
	if err != nil {
		return nil, err
	}
	// A steady night: 1% bought again since.
	var again []uint64
	for range n / 100 {
		again = append(again, custs[rng.IntN(n)].ID)
	}
	if err := s.DB().Model(&hub.Insight{}).Where("customer_id IN ?", again).
		Updates(map[string]any{"last_order_at": now.Add(-time.Hour), "orders": 9}).Error; err != nil {
		return nil, err
	}
	opts.Now = func() time.Time { return now.Add(24 * time.Hour) }
	steady, err := s.ScoreRFM(ctx, opts)
	if err != nil {
		return nil, err
	}
	ceiling, err := upsertCeiling(ctx, dsn, n)
	if err != nil {
		return nil, err
	}
	rate := float64(first.Scored) / first.Duration.Seconds()
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) }
	return &Result{
		Figure:  Figure{Name: "first run, customers scored", Value: rate, Unit: "customers/s"},
		Ceiling: Figure{Name: "raw upsert of the same rows", Value: ceiling, Unit: "rows/s"},
		Ratio:   rate / ceiling,
		Target:  "100,000 customers scored in ≤ 10 s (≥ 10,000/s); a steady night pushes only the customers whose values moved",
		Details: map[string]any{
			"customers":                n,
			"first_run_ms":             ms(first.Duration),
			"first_read_ms":            ms(first.Read),
			"first_classify_ms":        ms(first.Classify),
			"first_write_ms":           ms(first.Write),
			"first_pushes_per_target":  len(first.Changed),
			"first_insight_changes":    first.Written,
			"steady_bought_again":      len(again),
			"steady_run_ms":            ms(steady.Duration),
			"steady_write_ms":          ms(steady.Write),
			"steady_pushes_per_target": len(steady.Changed),
			"steady_insight_changes":   steady.Written,
			"pushes_note":              "pushes go to each target's bulk queue, 500 a page, paused above 2,000 queued (sync.TypeScorePush)",
		},
	}, nil
}

// upsertCeiling upserts n rows of the scored columns into a copy of
// customer_insights the way a bare program would and returns rows/s.
func upsertCeiling(ctx context.Context, dsn string, n int) (float64, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return 0, err
	}
	cfg.InterpolateParams, cfg.ParseTime = true, true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	for _, q := range []string{"CREATE TABLE ceiling_insights LIKE customer_insights",
		"INSERT INTO ceiling_insights SELECT * FROM customer_insights"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	ids := make([]uint64, 0, n)
	rs, err := db.QueryContext(ctx, "SELECT customer_id FROM ceiling_insights ORDER BY customer_id")
	if err != nil {
		return 0, err
	}
	for rs.Next() {
		var id uint64
		if err := rs.Scan(&id); err != nil {
			rs.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rs.Close()
	segs := []string{"champions", "loyal", "at_risk", "lost"}
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit: a no-op
	day := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for lo := 0; lo < len(ids); lo += 1000 {
		part := ids[lo:min(lo+1000, len(ids))]
		var q strings.Builder
		q.WriteString("INSERT INTO ceiling_insights (customer_id, r, f, m, segment, profitability, next_order_due, version, scored_at) VALUES ")
		args := make([]any, 0, len(part)*9)
		for i, id := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, id, 1+i%5, 1+(i/5)%5, 1+(i/25)%5, segs[i%4], "standard", day, 2, day)
		}
		q.WriteString(" ON DUPLICATE KEY UPDATE r = VALUES(r), f = VALUES(f), m = VALUES(m), segment = VALUES(segment), profitability = VALUES(profitability), next_order_due = VALUES(next_order_due), version = ceiling_insights.version + 1, scored_at = VALUES(scored_at)")
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return float64(len(ids)) / time.Since(start).Seconds(), nil
}

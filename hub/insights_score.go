package hub

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ScoreResult says what a ScoreRFM run did.
type ScoreResult struct {
	// Scored counts the active customers (at least one placed order).
	Scored int
	// Changed lists the customers whose scores, segment, profitability
	// class or next-order-due date changed: the ones to push.
	Changed []uint64
	// ShopMedianS is the shop's median interval between orders, seconds.
	ShopMedianS int64
	Duration    time.Duration
	// Read, Classify and Write split Duration: reading the scored
	// columns, re-reading the indicators of re-classified customers and
	// running the rule, and the transaction writing what changed.
	Read, Classify, Write time.Duration
	// Written counts the insight_changes rows written.
	Written int
	// At is the run's time, the scored_at of the rows it changed
	// (ScoredChanged lists them page by page); Refreshed are the
	// customers whose 90-day ticket window slid and whose recompute
	// changed something (in Changed too).
	At        time.Time
	Refreshed []uint64
}

// ScoreRFM scores every active customer (one placed order or more):
// recency, frequency and monetary scores 1–5 as quintiles — a customer's
// score is 1 + ⌊5·k/n⌋ where k counts the customers with a strictly lower
// value and n all of them, so equal values score alike. Recency is the
// last order's time, frequency the placed orders, monetary the lifetime
// value net of refunds compared within the customers of the same main
// currency (no exchange rates). It then names the segments, recomputes the
// shop's median interval (the median of the customers' own median
// intervals) and with it the next-order-due date of customers with fewer
// than three orders, re-runs the profitability rule where it reads what
// changed, and refreshes customers whose 90-day ticket window slid. Only
// changed rows are written, in chunked multi-row upserts (bulk.go) in one
// transaction with their insight_changes rows and the run's quintile
// boundaries, from which RefreshInsights scores new and changed customers
// provisionally until the next run.
func (s *Store) ScoreRFM(ctx context.Context, opts InsightOptions) (ScoreResult, error) {
	start := time.Now()
	// Milliseconds: what the column holds, so ScoredChanged finds the
	// run's rows by it on every database.
	now := opts.now().Truncate(time.Millisecond)
	var rows []Insight
	db := s.db.WithContext(ctx)
	if err := db.Select("customer_id, orders, currency, ltv_units, last_order_at, next_order_due, median_interval_s, tickets90d, r, f, m, segment, profitability, version").
		Where("orders > 0").Order("customer_id").Find(&rows).Error; err != nil {
		return ScoreResult{}, fmt.Errorf("score: %w", err)
	}
	res := ScoreResult{Scored: len(rows), Read: time.Since(start), At: now}
	var medians []int64
	for _, r := range rows {
		if r.Orders >= 2 && r.MedianIntervalS > 0 {
			medians = append(medians, r.MedianIntervalS)
		}
	}
	res.ShopMedianS = medianOf(medians)

	rec := make([]int64, len(rows))
	freq := make([]int64, len(rows))
	byCur := map[string][]int64{}
	for i, r := range rows {
		rec[i] = recencyOf(r.LastOrderAt)
		freq[i] = int64(r.Orders)
		byCur[r.Currency] = append(byCur[r.Currency], r.LTVUnits)
	}
	recS, freqS := sortedCopy(rec), sortedCopy(freq)
	for c, v := range byCur {
		slices.Sort(v)
		byCur[c] = v
	}
	cuts := rfmCuts{M: map[string]quintileCuts{}}
	cuts.R, cuts.ok = cutsOf(recS)
	cuts.F, _ = cutsOf(freqS)
	for c, v := range byCur {
		cuts.M[c], _ = cutsOf(v)
	}
	rule := opts.Profitability
	reReads, readsDays := false, false
	for _, v := range rule.Reads() {
		switch v {
		case "r", "f", "m", "segment":
			reReads = true
		case "days_since_last_order":
			reReads, readsDays = true, true
		}
	}
	type change struct {
		row  Insight
		prev Insight
	}
	var changed []change
	var reclass []int // indexes into changed whose class the rule must decide again
	var slid []uint64
	segments := opts.segments()
	for i, r := range rows {
		n := r
		n.R, n.F, n.M = quintile(recS, rec[i]), quintile(freqS, freq[i]), quintile(byCur[r.Currency], r.LTVUnits)
		n.Segment = SegmentOf(segments, n.R, n.F, n.M)
		if r.Orders < 3 || r.MedianIntervalS == 0 {
			n.NextOrderDue = nil
			if res.ShopMedianS > 0 && r.LastOrderAt != nil {
				d := r.LastOrderAt.Add(time.Duration(res.ShopMedianS) * time.Second).UTC().Truncate(24 * time.Hour)
				n.NextOrderDue = &d
			}
		}
		if r.Tickets90d > 0 {
			slid = append(slid, r.CustomerID)
		}
		scoresMoved := n.R != r.R || n.F != r.F || n.M != r.M || n.Segment != r.Segment
		if !scoresMoved && sameDay(n.NextOrderDue, r.NextOrderDue) && !readsDays {
			continue
		}
		changed = append(changed, change{row: n, prev: r})
		if reReads {
			reclass = append(reclass, len(changed)-1)
		}
	}
	classifyAt := time.Now()
	if len(reclass) > 0 {
		// The rule reads scores (or the days since the last order): decide
		// the class again from the stored indicators and the new scores.
		for lo := 0; lo < len(reclass); lo += 2000 {
			part := reclass[lo:min(lo+2000, len(reclass))]
			ids := make([]uint64, len(part))
			for i, k := range part {
				ids[i] = changed[k].row.CustomerID
			}
			var full []Insight
			if err := db.Select("customer_id, data").Where("customer_id IN ?", ids).Find(&full).Error; err != nil {
				return ScoreResult{}, fmt.Errorf("score: %w", err)
			}
			data := make(map[uint64]string, len(full))
			for _, f := range full {
				data[f.CustomerID] = f.Data
			}
			for _, k := range part {
				c := &changed[k]
				in, err := decodeIndicators(Insight{CustomerID: c.row.CustomerID, Data: data[c.row.CustomerID]})
				if err != nil {
					return ScoreResult{}, err
				}
				in.R, in.F, in.M, in.Segment = c.row.R, c.row.F, c.row.M, c.row.Segment
				c.row.Profitability, _ = rule.classify(in, now)
			}
		}
	}
	res.Classify = time.Since(classifyAt)
	var upd, changes [][]any
	for _, c := range changed {
		n, p := c.row, c.prev
		if n.R == p.R && n.F == p.F && n.M == p.M && n.Segment == p.Segment && n.Profitability == p.Profitability && sameDay(n.NextOrderDue, p.NextOrderDue) {
			continue
		}
		upd = append(upd, []any{n.CustomerID, n.R, n.F, n.M, n.Segment, n.Profitability, n.NextOrderDue, p.Version + 1, now})
		res.Changed = append(res.Changed, n.CustomerID)
		// A first classification (nothing was there before: a first run,
		// or a customer's first scores) writes no change row: it changes
		// nothing anyone acted on, no event is made of it (sync's
		// scanInsightChanges skips them), and on a first run it would be
		// one row per field per customer — the bulk of the run's write.
		// The next change's row names the value it started from.
		add := func(field, o, v string) {
			if o != v && o != "" {
				changes = append(changes, []any{n.CustomerID, field, o, v, "score", now})
			}
		}
		add(InsightSegment, p.Segment, n.Segment)
		add(InsightProfitability, p.Profitability, n.Profitability)
		add(InsightNextOrderDue, dayOf(p.NextOrderDue), dayOf(n.NextOrderDue))
	}
	if s.beforeScoreWrite != nil {
		s.beforeScoreWrite()
	}
	writeAt := time.Now()
	stats := cuts.stats(now)
	stats = append(stats, []any{statShopMedian, res.ShopMedianS, now})
	err := retry(ctx, func() error {
		return db.Transaction(func(tx *gorm.DB) error {
			// The rows to write, locked, as they stand now: a customer an
			// event recomputed since the read (RefreshInsights, which writes
			// the provisional scores from the new figures) or an erasure
			// removed keeps what is there; written, the scores of the figures
			// read before would replace the newer ones until the next night,
			// and an erased customer would get an insight row again.
			kept, keptChanges, err := unmovedSince(tx, upd, changes)
			if err != nil {
				return err
			}
			res.Changed = res.Changed[:0:0]
			for _, r := range kept {
				res.Changed = append(res.Changed, r[0].(uint64))
			}
			res.Written = len(keptChanges)
			// The boundaries of currencies nobody holds any more go.
			if err := tx.Where("name LIKE ?", statCutsPrefix+"%").Delete(&InsightStat{}).Error; err != nil {
				return err
			}
			if err := bulkUpsert(tx, "insight_stats", "name", []string{"name", "value", "updated_at"}, []string{"value", "updated_at"}, nil, stats); err != nil {
				return err
			}
			// version counts up from what the row holds when it is written:
			// an event may have recomputed the customer since the read.
			if err := bulkUpsert(tx, "customer_insights", "customer_id",
				[]string{"customer_id", "r", "f", "m", "segment", "profitability", "next_order_due", "version", "scored_at"},
				[]string{"r", "f", "m", "segment", "profitability", "next_order_due", "scored_at"}, []string{"version"}, kept); err != nil {
				return err
			}
			return bulkInsert(tx, "insight_changes", []string{"customer_id", "field", "old_value", "new_value", "cause", "created_at"}, keptChanges)
		})
	})
	if err != nil {
		return ScoreResult{}, fmt.Errorf("score: %w", err)
	}
	res.Write = time.Since(writeAt)
	// The 90-day ticket window moved: those few customers are recomputed
	// whole (their scores are the ones just written).
	if len(slid) > 0 {
		more, err := s.RefreshInsights(ctx, opts, "score", slid...)
		if err != nil {
			return ScoreResult{}, err
		}
		for _, r := range more {
			res.Refreshed = append(res.Refreshed, r.CustomerID)
			if !slices.Contains(res.Changed, r.CustomerID) {
				res.Changed = append(res.Changed, r.CustomerID)
			}
		}
	}
	slices.Sort(res.Changed)
	res.Duration = time.Since(start)
	return res, nil
}

// ScoredChanged pages through the customers a scoring run changed (its
// ScoreResult.At, their scored_at), by customer id after after: what is
// pushed after a run is read back from the table in pages, not carried
// in a task.
func (s *Store) ScoredChanged(ctx context.Context, at time.Time, after uint64, limit int) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&Insight{}).Where("scored_at = ? AND customer_id > ?", at, after).
		Order("customer_id").Limit(limit).Pluck("customer_id", &ids).Error
	return ids, err
}

// CustomerVersions returns the versions of the given customers (missing
// ones are left out).
func (s *Store) CustomerVersions(ctx context.Context, ids []uint64) (map[uint64]int64, error) {
	var rows []struct {
		ID      uint64
		Version int64
	}
	if err := s.db.WithContext(ctx).Model(&Customer{}).Select("id, version").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[uint64]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Version
	}
	return out, nil
}

// recencyOf is the value recency is scored by: the last order's time in
// microseconds, 0 without one.
func recencyOf(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixMicro()
}

// quintileCuts are the four boundaries of a scoring run's quintiles: a
// value scores 1 plus the number of boundaries it exceeds. With c_s =
// ⌈s·n/5⌉ and boundary s the c_s-th smallest of the n values, a value v
// exceeds boundary s exactly when at least c_s values are below v, that is
// when ⌊5·k/n⌋ ≥ s: for the values of the run the score is the run's own,
// and a value the run did not see scores as if it had joined it.
type quintileCuts [4]int64

func cutsOf(sorted []int64) (quintileCuts, bool) {
	var c quintileCuts
	n := len(sorted)
	if n == 0 {
		return c, false
	}
	for s := 1; s <= 4; s++ {
		c[s-1] = sorted[(s*n+4)/5-1]
	}
	return c, true
}

func (c quintileCuts) score(v int64) int {
	s := 1
	for _, t := range c {
		if v > t {
			s++
		}
	}
	return s
}

// rfmCuts are the last scoring run's quintile boundaries, kept in
// insight_stats (statCutsPrefix r:1…4, f:1…4, m:<currency>:1…4) so that
// a customer who is new or whose orders changed between runs gets
// provisional scores and a segment at once: segment queries are right
// between runs, and the next run settles the scores among everyone's.
type rfmCuts struct {
	R, F quintileCuts
	M    map[string]quintileCuts
	ok   bool
}

// statCutsPrefix starts the names of the quintile boundaries' stats.
const statCutsPrefix = "rfm:"

func (c rfmCuts) stats(now time.Time) [][]any {
	if !c.ok {
		return nil
	}
	var out [][]any
	add := func(name string, q quintileCuts) {
		for i, v := range q {
			out = append(out, []any{statCutsPrefix + name + ":" + strconv.Itoa(i+1), v, now})
		}
	}
	add("r", c.R)
	add("f", c.F)
	for cur, q := range c.M {
		add("m:"+cur, q)
	}
	return out
}

// scores are a customer's provisional scores from the boundaries: a
// currency the run did not see scores monetary 1, as the only customer of
// a currency would.
func (c rfmCuts) scores(lastOrderAt *time.Time, orders int, currency string, ltvUnits int64) (int, int, int) {
	m := 1
	if q, ok := c.M[currency]; ok {
		m = q.score(ltvUnits)
	}
	return c.R.score(recencyOf(lastOrderAt)), c.F.score(int64(orders)), m
}

// insightStats are the shop-wide figures the last scoring run left.
type insightStats struct {
	ShopMedianS int64
	Cuts        rfmCuts
}

func (s *Store) loadInsightStats(ctx context.Context) (insightStats, error) {
	var rows []InsightStat
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return insightStats{}, err
	}
	out := insightStats{Cuts: rfmCuts{M: map[string]quintileCuts{}}}
	seen := map[string]int{}
	for _, r := range rows {
		if r.Name == statShopMedian {
			out.ShopMedianS = r.Value
			continue
		}
		rest, ok := strings.CutPrefix(r.Name, statCutsPrefix)
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, ':')
		k, err := strconv.Atoi(rest[i+1:])
		if i < 0 || err != nil || k < 1 || k > 4 {
			continue
		}
		key := rest[:i]
		seen[key]++
		switch {
		case key == "r":
			out.Cuts.R[k-1] = r.Value
		case key == "f":
			out.Cuts.F[k-1] = r.Value
		case strings.HasPrefix(key, "m:"):
			q := out.Cuts.M[key[2:]]
			q[k-1] = r.Value
			out.Cuts.M[key[2:]] = q
		}
	}
	out.Cuts.ok = seen["r"] == 4 && seen["f"] == 4
	return out, nil
}

func sortedCopy(v []int64) []int64 {
	out := slices.Clone(v)
	slices.Sort(out)
	return out
}

// quintile is 1 + ⌊5·k/n⌋, k the values in sorted below v.
func quintile(sorted []int64, v int64) int {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	k := sort.Search(n, func(i int) bool { return sorted[i] >= v })
	return 1 + 5*k/n
}

func sameDay(a, b *time.Time) bool { return dayOf(a) == dayOf(b) }

func dayOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// unmovedSince keeps the rows of upd (customer_id first, the version
// written, one above the version read, eighth) whose insight row still
// holds the version read, locking them, and the changes (customer_id
// first) of those customers.
func unmovedSince(tx *gorm.DB, upd, changes [][]any) (kept, keptChanges [][]any, err error) {
	ids := make([]uint64, len(upd))
	for i, r := range upd {
		ids[i] = r[0].(uint64)
	}
	cur := make(map[uint64]int64, len(ids))
	for chunk := range slices.Chunk(ids, batchSize) {
		var rows []Insight
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("customer_id, version").
			Where("customer_id IN ?", chunk).Order("customer_id").Find(&rows).Error; err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			cur[r.CustomerID] = r.Version
		}
	}
	moved := map[uint64]bool{}
	for _, r := range upd {
		id := r[0].(uint64)
		if v, ok := cur[id]; !ok || v != r[7].(int64)-1 {
			moved[id] = true
			continue
		}
		kept = append(kept, r)
	}
	for _, c := range changes {
		if !moved[c[0].(uint64)] {
			keptChanges = append(keptChanges, c)
		}
	}
	return kept, keptChanges, nil
}

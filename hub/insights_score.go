package hub

import (
	"context"
	"fmt"
	"slices"
	"sort"
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
// changed rows are written.
func (s *Store) ScoreRFM(ctx context.Context, opts InsightOptions) (ScoreResult, error) {
	start := time.Now()
	now := opts.now()
	var rows []Insight
	db := s.db.WithContext(ctx)
	if err := db.Select("customer_id, orders, currency, ltv_units, last_order_at, next_order_due, median_interval_s, tickets90d, r, f, m, segment, profitability, version").
		Where("orders > 0").Order("customer_id").Find(&rows).Error; err != nil {
		return ScoreResult{}, fmt.Errorf("score: %w", err)
	}
	res := ScoreResult{Scored: len(rows)}
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
		if r.LastOrderAt != nil {
			rec[i] = r.LastOrderAt.UnixMicro()
		}
		freq[i] = int64(r.Orders)
		byCur[r.Currency] = append(byCur[r.Currency], r.LTVUnits)
	}
	recS, freqS := sortedCopy(rec), sortedCopy(freq)
	for c, v := range byCur {
		slices.Sort(v)
		byCur[c] = v
	}
	rule := opts.Profitability
	reReads := false
	for _, v := range rule.Reads() {
		switch v {
		case "r", "f", "m", "segment", "days_since_last_order":
			reReads = true
		}
	}
	type change struct {
		row  Insight
		prev Insight
	}
	var changed []change
	var reclass []int // indexes into changed whose class the rule must decide again
	var slid []uint64
	for i, r := range rows {
		n := r
		n.R, n.F, n.M = quintile(recS, rec[i]), quintile(freqS, freq[i]), quintile(byCur[r.Currency], r.LTVUnits)
		n.Segment = SegmentOf(opts.segments(), n.R, n.F, n.M)
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
		if !scoresMoved && sameDay(n.NextOrderDue, r.NextOrderDue) && !(reReads && slices.Contains(rule.Reads(), "days_since_last_order")) {
			continue
		}
		changed = append(changed, change{row: n, prev: r})
		if reReads {
			reclass = append(reclass, len(changed)-1)
		}
	}
	if len(reclass) > 0 {
		// The rule reads scores (or the days since the last order): decide
		// the class again from the stored indicators and the new scores.
		for lo := 0; lo < len(reclass); lo += 1000 {
			part := reclass[lo:min(lo+1000, len(reclass))]
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
	var upd []Insight
	var changes []InsightChange
	for _, c := range changed {
		n, p := c.row, c.prev
		if n.R == p.R && n.F == p.F && n.M == p.M && n.Segment == p.Segment && n.Profitability == p.Profitability && sameDay(n.NextOrderDue, p.NextOrderDue) {
			continue
		}
		n.Version = p.Version + 1
		n.ScoredAt = &now
		upd = append(upd, n)
		res.Changed = append(res.Changed, n.CustomerID)
		add := func(field, o, v string) {
			if o != v {
				changes = append(changes, InsightChange{CustomerID: n.CustomerID, Field: field, OldValue: o, NewValue: v, Cause: "score", CreatedAt: now})
			}
		}
		add(InsightSegment, p.Segment, n.Segment)
		add(InsightProfitability, p.Profitability, n.Profitability)
		add(InsightNextOrderDue, dayOf(p.NextOrderDue), dayOf(n.NextOrderDue))
	}
	cols := []string{"r", "f", "m", "segment", "profitability", "next_order_due", "version", "scored_at"}
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := s.setStat(tx, statShopMedian, res.ShopMedianS); err != nil {
			return err
		}
		for lo := 0; lo < len(upd); lo += 1000 {
			part := upd[lo:min(lo+1000, len(upd))]
			if err := tx.Select(append([]string{"customer_id"}, cols...)).
				Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "customer_id"}}, DoUpdates: clause.AssignmentColumns(cols)}).
				Create(&part).Error; err != nil {
				return err
			}
		}
		if len(changes) > 0 {
			return tx.CreateInBatches(&changes, 1000).Error
		}
		return nil
	})
	if err != nil {
		return ScoreResult{}, fmt.Errorf("score: %w", err)
	}
	// The 90-day ticket window moved: those few customers are recomputed
	// whole (their scores are the ones just written).
	if len(slid) > 0 {
		more, err := s.RefreshInsights(ctx, opts, "score", slid...)
		if err != nil {
			return ScoreResult{}, err
		}
		for _, r := range more {
			if !slices.Contains(res.Changed, r.CustomerID) {
				res.Changed = append(res.Changed, r.CustomerID)
			}
		}
	}
	slices.Sort(res.Changed)
	res.Duration = time.Since(start)
	return res, nil
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

package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/mappings"
)

// DefaultProfitabilityRule classes customers when insights.profitability
// is empty: many returns or a complaint after a large order make a
// customer unprofitable, a high order value with few returns high.
const DefaultProfitabilityRule = "return_rate_value >= 0.25 || complaints_after_large_order > 0 ? 'low' : " +
	"aov >= 100 && return_rate_value < 0.1 ? 'high' : 'medium'"

// Insight schedule defaults: daily at 03:00 UTC.
const (
	DefaultScoreEvery = 24 * time.Hour
	DefaultScoreAt    = 3 * time.Hour
)

// InsightOptions turns the insights section into the hub's options and
// the scoring schedule, naming the setting of an error.
func InsightOptions(c config.Insights) (opts hub.InsightOptions, every, at time.Duration, err error) {
	every, at = c.ScoreEvery.D(), c.ScoreAt.D()
	if every <= 0 {
		every = DefaultScoreEvery
	}
	if c.ScoreAt == 0 {
		at = DefaultScoreAt
	}
	total := c.LargeOrderTotal
	if total == "" {
		total = "500"
	}
	if opts.LargeOrderUnits, err = mappings.MoneyUnits(total); err != nil {
		return opts, 0, 0, fmt.Errorf("insights.large_order_total %q: %w", total, err)
	}
	opts.ComplaintDays = c.ComplaintDays
	for i, s := range c.Segments {
		r := hub.SegmentRule{Name: s.Name}
		if s.Name == "" {
			return opts, 0, 0, fmt.Errorf("insights.segments[%d]: a name is required", i)
		}
		for _, x := range []struct {
			key    string
			text   string
			lo, hi *int
		}{{"r", s.R, &r.RMin, &r.RMax}, {"f", s.F, &r.FMin, &r.FMax}, {"m", s.M, &r.MMin, &r.MMax}} {
			if *x.lo, *x.hi, err = scoreRange(x.text); err != nil {
				return opts, 0, 0, fmt.Errorf("insights.segments[%d].%s: %w", i, x.key, err)
			}
		}
		opts.Segments = append(opts.Segments, r)
	}
	rule := c.Profitability
	switch rule {
	case "":
		rule = DefaultProfitabilityRule
	case "off":
		rule = ""
	}
	if opts.Profitability, err = hub.CompileProfitability(rule); err != nil {
		return opts, 0, 0, fmt.Errorf("insights.profitability: %w", err)
	}
	return opts, every, at, nil
}

// scoreRange parses "4-5", "3" or "" (any score).
func scoreRange(s string) (lo, hi int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 1, 5, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || lo < 1 || hi > 5 || lo > hi {
		return 0, 0, fmt.Errorf("want a score range like 4-5 or 3 (scores 1–5), got %q", s)
	}
	return lo, hi, nil
}

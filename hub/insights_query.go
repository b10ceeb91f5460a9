package hub

import (
	"context"
	"sort"
	"time"

	"github.com/shophub/shophub/mappings"
)

// SegmentCount is how many customers are in one segment and
// profitability class ("" for customers not scored or classed yet).
type SegmentCount struct {
	Segment       string `json:"segment"`
	Profitability string `json:"profitability"`
	Customers     int64  `json:"customers"`
}

// SegmentCounts counts the customers with orders per segment and
// profitability class, largest first.
func (s *Store) SegmentCounts(ctx context.Context) ([]SegmentCount, error) {
	var out []SegmentCount
	err := s.db.WithContext(ctx).Model(&Insight{}).Select("segment, profitability, COUNT(*) AS customers").
		Where("orders > 0").Group("segment, profitability").Scan(&out).Error
	sort.Slice(out, func(a, b int) bool {
		if out[a].Customers != out[b].Customers {
			return out[a].Customers > out[b].Customers
		}
		if out[a].Segment != out[b].Segment {
			return out[a].Segment < out[b].Segment
		}
		return out[a].Profitability < out[b].Profitability
	})
	return out, err
}

// InsightFilter selects customers by their insights.
type InsightFilter struct {
	Segment       string
	Profitability string
	// DueBefore keeps customers whose next order is due before that day.
	DueBefore *time.Time
	// After pages by customer id (keyset), Offset by position.
	After  uint64
	Offset int
	Limit  int
}

// InsightSummary is one customer of a FindInsights page.
type InsightSummary struct {
	ID            uint64 `json:"id"`
	Email         string `json:"email,omitempty"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	Segment       string `json:"segment"`
	Profitability string `json:"profitability"`
	RFM           string `json:"rfm,omitempty"`
	Orders        int    `json:"orders"`
	Currency      string `json:"currency,omitempty"`
	LTV           string `json:"ltv"`
	LastOrderAt   string `json:"last_order_at,omitempty"`
	NextOrderDue  string `json:"next_order_due,omitempty"`
}

// FindInsights lists customers by their insights, in customer id order.
func (s *Store) FindInsights(ctx context.Context, f InsightFilter) ([]InsightSummary, error) {
	q := s.db.WithContext(ctx).Table("customer_insights AS i").Joins("JOIN customers AS c ON c.id = i.customer_id").
		Select("i.customer_id, c.email, c.first_name, c.last_name, i.segment, i.profitability, i.r, i.f, i.m, i.orders, i.currency, i.ltv_units, i.last_order_at, i.next_order_due")
	if f.Segment != "" {
		q = q.Where("i.segment = ?", f.Segment)
	}
	if f.Profitability != "" {
		q = q.Where("i.profitability = ?", f.Profitability)
	}
	if f.DueBefore != nil {
		q = q.Where("i.next_order_due < ?", *f.DueBefore)
	}
	if f.After > 0 {
		q = q.Where("i.customer_id > ?", f.After)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var rows []struct {
		CustomerID                uint64
		Email                     *string
		FirstName, LastName       string
		Segment, Profitability    string
		R, F, M, Orders           int
		Currency                  string
		LTVUnits                  int64 `gorm:"column:ltv_units"`
		LastOrderAt, NextOrderDue *time.Time
	}
	if err := q.Order("i.customer_id").Offset(f.Offset).Limit(f.Limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]InsightSummary, 0, len(rows))
	for _, r := range rows {
		x := InsightSummary{ID: r.CustomerID, FirstName: r.FirstName, LastName: r.LastName, Segment: r.Segment,
			Profitability: r.Profitability, Orders: r.Orders, Currency: r.Currency, LTV: mappings.FormatMoneyUnits(r.LTVUnits),
			NextOrderDue: dayOf(r.NextOrderDue)}
		if r.Email != nil {
			x.Email = *r.Email
		}
		if r.R > 0 {
			x.RFM = string(rune('0'+r.R)) + string(rune('0'+r.F)) + string(rune('0'+r.M))
		}
		if r.LastOrderAt != nil {
			x.LastOrderAt = r.LastOrderAt.UTC().Format(time.RFC3339)
		}
		out = append(out, x)
	}
	return out, nil
}

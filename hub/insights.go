package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/shophub/shophub/mappings"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Insight is what the hub understands of one customer from their orders
// and tickets: the indicators (Data, JSON of Indicators) and, in columns,
// what is filtered, scored and counted by. The indicators are recomputed
// from the customer's rows on every order, refund, return and ticket event
// (RefreshInsights); the RFM scores and the segment from them are
// recomputed over every customer on a schedule (ScoreRFM), since a
// customer's quintile moves when others buy.
type Insight struct {
	CustomerID uint64 `gorm:"primaryKey;autoIncrement:false"`
	// Orders counts placed orders (not cancelled, not voided), every
	// currency; Currency is the main one, LTVUnits the money received net
	// of refunds in it (10^-4 units).
	Orders       int        `gorm:"not null;default:0"`
	Currency     string     `gorm:"type:varchar(3);not null;default:''"`
	LTVUnits     int64      `gorm:"column:ltv_units;not null;default:0"`
	LastOrderAt  *time.Time `gorm:""`
	NextOrderDue *time.Time `gorm:"index"`
	// MedianIntervalS is the median time between the customer's orders in
	// seconds, 0 with fewer than two orders.
	MedianIntervalS int64 `gorm:"not null;default:0"`
	// Tickets90d is kept in a column so the scheduled run finds whose
	// window slid.
	Tickets90d int `gorm:"column:tickets90d;not null;default:0"`
	// R, F, M are the RFM scores 1–5, 0 while not scored (no orders, or
	// before the first scheduled run).
	R             int    `gorm:"column:r;not null;default:0"`
	F             int    `gorm:"column:f;not null;default:0"`
	M             int    `gorm:"column:m;not null;default:0"`
	Segment       string `gorm:"type:varchar(32);not null;default:'';index"`
	Profitability string `gorm:"type:varchar(32);not null;default:'';index"`
	// Data is the Indicators as JSON.
	Data string `gorm:"type:text"`
	// Version grows with every change of the row.
	Version    int64 `gorm:"not null;default:0"`
	ComputedAt time.Time
	// ScoredAt is the time of the scoring run that last changed the row;
	// the push after a run pages through its rows by it (ScoredChanged),
	// hence the index.
	ScoredAt  *time.Time `gorm:"index"`
	UpdatedAt time.Time
}

// TableName names the insights table.
func (Insight) TableName() string { return "customer_insights" }

// InsightChange is one change of a customer's segment, profitability
// class, next-order-due date or complaints after a large order: the
// lineage of those values and, until DispatchedAt is set, an outbox entry
// for whatever acts on them (events, notifications). Written in the same
// transaction as the insight.
type InsightChange struct {
	ID         uint64 `gorm:"primaryKey"`
	CustomerID uint64 `gorm:"not null;index"`
	// Field is one of InsightSegment, InsightProfitability,
	// InsightNextOrderDue, InsightComplaints.
	Field    string `gorm:"type:varchar(48);not null"`
	OldValue string `gorm:"type:varchar(64)"`
	NewValue string `gorm:"type:varchar(64)"`
	// Cause is what recomputed the value: "order", "ticket", "score" (the
	// scheduled RFM run), "rebuild".
	Cause        string     `gorm:"type:varchar(16)"`
	CreatedAt    time.Time  `gorm:"index:ix_insight_changes_pending,priority:2"`
	DispatchedAt *time.Time `gorm:"index:ix_insight_changes_pending,priority:1"`
}

// TableName names the insight lineage and outbox table.
func (InsightChange) TableName() string { return "insight_changes" }

// Fields of InsightChange.
const (
	InsightSegment       = "segment"
	InsightProfitability = "profitability"
	InsightNextOrderDue  = "next_order_due"
	InsightComplaints    = "complaints_after_large_order"
)

// InsightStat is one shop-wide figure the scheduled run keeps (the shop's
// median interval between orders).
type InsightStat struct {
	Name      string `gorm:"primaryKey;type:varchar(64)"`
	Value     int64
	UpdatedAt time.Time
}

// TableName names the shop-wide figures table.
func (InsightStat) TableName() string { return "insight_stats" }

// statShopMedian is the shop's median interval between orders, seconds.
const statShopMedian = "shop_median_interval_s"

// Indicators are a customer's indicators as stored and shown. Money is in
// the customer's main currency (the one most orders were placed in), with
// every currency in ByCurrency: the hub has no exchange rates.
type Indicators struct {
	Orders     int    `json:"orders"`
	PaidOrders int    `json:"paid_orders"`
	Currency   string `json:"currency"`
	// LTV is Σ total − refunded over the paid orders in Currency (the
	// lifetime value net of refunds); AOV is LTV / paid orders.
	LTV          string            `json:"ltv"`
	AOV          string            `json:"aov"`
	ByCurrency   []CurrencyFigures `json:"by_currency"`
	FirstOrderAt string            `json:"first_order_at,omitempty"`
	LastOrderAt  string            `json:"last_order_at,omitempty"`
	// ReturnRateValue is Σ refunded / Σ total over the paid orders in
	// Currency; ReturnRateCount the share of paid orders (every currency)
	// with a refund or a returned line. Both 0..1, four decimals.
	ReturnRateValue float64 `json:"return_rate_value"`
	ReturnRateCount float64 `json:"return_rate_count"`
	// PreferredPaymentMethod is the method most placed orders were paid
	// with (ties: the latest order's), LastPaymentMethod the latest
	// order's; InvoiceShare the share of placed orders paid by invoice.
	PreferredPaymentMethod string  `json:"preferred_payment_method"`
	LastPaymentMethod      string  `json:"last_payment_method"`
	InvoiceShare           float64 `json:"invoice_share"`
	// MedianDaysBetweenOrders is the median interval between consecutive
	// placed orders in days (one decimal), 0 with fewer than two orders.
	MedianDaysBetweenOrders float64 `json:"median_days_between_orders"`
	// NextOrderDue is the last order's date plus the customer's median
	// interval (three orders or more) or the shop's (NextOrderDueBasis
	// "customer" or "shop"); "" without orders or a median.
	NextOrderDue      string `json:"next_order_due,omitempty"`
	NextOrderDueBasis string `json:"next_order_due_basis,omitempty"`
	OpenTickets       int    `json:"open_tickets"`
	Tickets90d        int    `json:"tickets_90d"`
	// ComplaintsAfterLargeOrder counts tickets opened within the
	// configured days after an order whose total reached the threshold.
	ComplaintsAfterLargeOrder int `json:"complaints_after_large_order"`
	// ComplaintSources are those tickets, each followed by its order.
	ComplaintSources []SourceRef `json:"complaint_sources,omitempty"`
	// R, F, M, Segment and Profitability as in Insight.
	R             int    `json:"r"`
	F             int    `json:"f"`
	M             int    `json:"m"`
	Segment       string `json:"segment"`
	Profitability string `json:"profitability"`
	// ProfitabilityInputs are the values the operator's rule read.
	ProfitabilityInputs map[string]any `json:"profitability_inputs,omitempty"`
}

// InsightOptions configure the indicators (config insights).
type InsightOptions struct {
	// LargeOrderUnits is the order total (10^-4 units, any currency) from
	// which a ticket within ComplaintDays after the order is a complaint
	// after a large order; 0 turns the indicator off.
	LargeOrderUnits int64
	ComplaintDays   int
	// Segments are tried in order, the first whose ranges hold the
	// customer's scores names the segment.
	Segments []SegmentRule
	// Profitability decides the class; nil leaves it "".
	Profitability *ProfitabilityRule
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

func (o InsightOptions) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// SegmentRule names a segment by ranges of the R, F and M scores
// (inclusive; 1–5 each when unset).
type SegmentRule struct {
	Name       string
	RMin, RMax int
	FMin, FMax int
	MMin, MMax int
}

func (r SegmentRule) holds(rs, fs, ms int) bool {
	in := func(v, lo, hi int) bool {
		if lo == 0 {
			lo = 1
		}
		if hi == 0 {
			hi = 5
		}
		return v >= lo && v <= hi
	}
	return in(rs, r.RMin, r.RMax) && in(fs, r.FMin, r.FMax) && in(ms, r.MMin, r.MMax)
}

// DefaultSegments is the segment table when the configuration has none:
// the usual RFM names over recency and frequency, monetary splitting the
// lapsed frequent buyers into cannot_lose and at_risk.
var DefaultSegments = []SegmentRule{
	{Name: "champions", RMin: 4, RMax: 5, FMin: 4, FMax: 5},
	{Name: "loyal", RMin: 3, RMax: 5, FMin: 3, FMax: 5},
	{Name: "new", RMin: 5, RMax: 5, FMin: 1, FMax: 1},
	{Name: "potential_loyalist", RMin: 3, RMax: 5, FMin: 1, FMax: 2},
	{Name: "cannot_lose", RMin: 1, RMax: 2, FMin: 4, FMax: 5, MMin: 4, MMax: 5},
	{Name: "at_risk", RMin: 1, RMax: 2, FMin: 3, FMax: 5},
	{Name: "hibernating", RMin: 2, RMax: 2, FMin: 1, FMax: 2},
	{Name: "lost", RMin: 1, RMax: 1, FMin: 1, FMax: 2},
}

// SegmentOf names the segment of scores (all 1–5) by rules, "" when none
// holds them or the customer is not scored.
func SegmentOf(rules []SegmentRule, r, f, m int) string {
	if r == 0 || f == 0 || m == 0 {
		return ""
	}
	for _, s := range rules {
		if s.holds(r, f, m) {
			return s.Name
		}
	}
	return ""
}

func (o InsightOptions) segments() []SegmentRule {
	if len(o.Segments) == 0 {
		return DefaultSegments
	}
	return o.Segments
}

// ticketWindow is "tickets in the last 90 days".
const ticketWindow = 90 * 24 * time.Hour

// insightOrder is the part of an order the indicators read.
type insightOrder struct {
	ID              uint64
	CustomerID      uint64
	Instance        string
	ExternalID      string
	Number          string
	Status          string
	FinancialStatus string
	Currency        string
	TotalUnits      int64
	RefundedUnits   int64
	PaymentMethod   string
	ReturnedItems   int
	PlacedAt        time.Time
}

// insightTicket is the part of a ticket the indicators read.
type insightTicket struct {
	ID         uint64
	CustomerID uint64
	Instance   string
	ExternalID string
	Status     string
	OpenedAt   time.Time
}

// SourceRef names an order or ticket an indicator came from.
type SourceRef struct {
	Kind       string `json:"kind"` // "order" or "ticket"
	ID         uint64 `json:"id"`
	Instance   string `json:"instance"`
	ExternalID string `json:"external_id"`
	Number     string `json:"number,omitempty"`
	// Lines are, for the orders behind the return rates in the 360°
	// view, the order's lines that were refunded or returned.
	Lines []SourceLine `json:"lines,omitempty"`
}

// SourceLine is an order line refunded or returned, as the canonical
// order holds it (mappings.OrderLineKeys).
type SourceLine struct {
	SKU              string `json:"sku"`
	Name             string `json:"name,omitempty"`
	Quantity         int    `json:"quantity"`
	RefundedQuantity int    `json:"refunded_quantity"`
	ReturnedQuantity int    `json:"returned_quantity"`
	Refunded         string `json:"refunded"`
}

// returnRateKeys are the indicators whose sources show the returned lines.
var returnRateKeys = []string{"return_rate_count", "return_rate_value"}

// withReturnedLines adds to the sources of the return rates the lines of
// each order that were refunded or returned (the order columns the rates
// are computed from sum them; the lines are in the order's doc).
func withReturnedLines(db *gorm.DB, src map[string][]SourceRef) error {
	var ids []uint64
	for _, k := range returnRateKeys {
		for _, r := range src[k] {
			if r.Kind == "order" {
				ids = append(ids, r.ID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		ID   uint64
		Data string
	}
	if err := db.Model(&Order{}).Select("id, data").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return fmt.Errorf("returned lines: %w", err)
	}
	lines := make(map[uint64][]SourceLine, len(rows))
	for _, r := range rows {
		doc, err := decodeData("order", r.ID, r.Data)
		if err != nil {
			return err
		}
		list, _ := doc["lines"].([]any)
		for _, l := range list {
			m, _ := l.(map[string]any)
			sl := SourceLine{SKU: stringField(m, "sku"), Name: stringField(m, "name"), Quantity: intField(m, "quantity"),
				RefundedQuantity: intField(m, "refunded_quantity"), ReturnedQuantity: intField(m, "returned_quantity"),
				Refunded: stringField(m, "refunded")}
			money, _ := mappings.MoneyUnits(sl.Refunded)
			if sl.RefundedQuantity > 0 || sl.ReturnedQuantity > 0 || money != 0 {
				lines[r.ID] = append(lines[r.ID], sl)
			}
		}
	}
	for _, k := range returnRateKeys {
		refs := make([]SourceRef, len(src[k]))
		copy(refs, src[k])
		for i := range refs {
			if refs[i].Kind == "order" {
				refs[i].Lines = lines[refs[i].ID]
			}
		}
		src[k] = refs
	}
	return nil
}

func orderRef(o insightOrder) SourceRef {
	return SourceRef{Kind: "order", ID: o.ID, Instance: o.Instance, ExternalID: o.ExternalID, Number: o.Number}
}

// computeIndicators derives a customer's indicators from their orders and
// tickets (any order), with the orders and tickets each came from.
// shopMedian is the shop's median interval in seconds (0: unknown).
func computeIndicators(orders []insightOrder, tickets []insightTicket, opts InsightOptions, shopMedian int64, now time.Time) (Indicators, int64, map[string][]SourceRef) {
	sort.SliceStable(orders, func(a, b int) bool {
		if !orders[a].PlacedAt.Equal(orders[b].PlacedAt) {
			return orders[a].PlacedAt.Before(orders[b].PlacedAt)
		}
		return orders[a].ID < orders[b].ID
	})
	src := map[string][]SourceRef{}
	rows := make([]Order, 0, len(orders))
	var counted []insightOrder
	for _, o := range orders {
		rows = append(rows, Order{Status: o.Status, FinancialStatus: o.FinancialStatus, Currency: o.Currency,
			TotalUnits: o.TotalUnits, RefundedUnits: o.RefundedUnits, PlacedAt: o.PlacedAt})
		if countedOrder(o.Status, o.FinancialStatus) {
			counted = append(counted, o)
		}
	}
	f := orderFigures(rows)
	in := Indicators{Orders: f.Orders, ByCurrency: f.ByCurrency, FirstOrderAt: f.FirstOrderAt, LastOrderAt: f.LastOrderAt,
		LTV: "0.00", AOV: "0.00"}
	if f.Main != nil {
		in.Currency, in.LTV, in.AOV, in.PaidOrders = f.Main.Currency, f.Main.TotalSpent, f.Main.AverageOrderValue, f.Main.PaidOrders
	}
	// Money and return rates over the paid orders.
	var total, refunded int64
	paid, returned := 0, 0
	for _, o := range counted {
		if !paidOrder(o.FinancialStatus) {
			continue
		}
		paid++
		if o.RefundedUnits > 0 || o.ReturnedItems > 0 {
			returned++
			src["return_rate_count"] = append(src["return_rate_count"], orderRef(o))
		}
		if o.Currency == in.Currency {
			total += o.TotalUnits
			refunded += o.RefundedUnits
			src["ltv"] = append(src["ltv"], orderRef(o))
			if o.RefundedUnits > 0 {
				src["return_rate_value"] = append(src["return_rate_value"], orderRef(o))
			}
		}
	}
	in.ReturnRateValue = ratio(refunded, total)
	in.ReturnRateCount = ratio(int64(returned), int64(paid))
	src["aov"] = src["ltv"]
	// Payment methods over the placed orders.
	uses := map[string]int{}
	invoices := 0
	for _, o := range counted {
		if o.PaymentMethod == "" {
			continue
		}
		uses[o.PaymentMethod]++
		if o.PaymentMethod == "invoice" {
			invoices++
			src["invoice_share"] = append(src["invoice_share"], orderRef(o))
		}
		in.LastPaymentMethod = o.PaymentMethod // the latest wins: counted is in placement order
	}
	best := 0
	for i := len(counted) - 1; i >= 0; i-- { // latest first, so a tie goes to the latest
		if m := counted[i].PaymentMethod; m != "" && uses[m] > best {
			best, in.PreferredPaymentMethod = uses[m], m
		}
	}
	in.InvoiceShare = ratio(int64(invoices), int64(len(counted)))
	for i := len(counted) - 1; i >= 0; i-- {
		o := counted[i]
		if o.PaymentMethod == "" {
			continue
		}
		if o.PaymentMethod == in.LastPaymentMethod && len(src["last_payment_method"]) == 0 {
			src["last_payment_method"] = []SourceRef{orderRef(o)}
		}
		if o.PaymentMethod == in.PreferredPaymentMethod {
			src["preferred_payment_method"] = append(src["preferred_payment_method"], orderRef(o))
		}
	}
	if len(counted) > 0 {
		src["first_order_at"] = []SourceRef{orderRef(counted[0])}
		src["last_order_at"] = []SourceRef{orderRef(counted[len(counted)-1])}
		for _, o := range counted {
			src["orders"] = append(src["orders"], orderRef(o))
		}
	}
	// Intervals between consecutive placed orders.
	median := medianInterval(counted)
	if median > 0 {
		in.MedianDaysBetweenOrders = float64(divRound(median*10, 86400)) / 10
		src["median_days_between_orders"] = src["orders"]
	}
	if n := len(counted); n > 0 {
		last := counted[n-1].PlacedAt
		switch {
		case n >= 3 && median > 0:
			in.NextOrderDue, in.NextOrderDueBasis = last.Add(time.Duration(median)*time.Second).UTC().Format("2006-01-02"), "customer"
			src["next_order_due"] = src["orders"]
		case shopMedian > 0:
			in.NextOrderDue, in.NextOrderDueBasis = last.Add(time.Duration(shopMedian)*time.Second).UTC().Format("2006-01-02"), "shop"
			src["next_order_due"] = src["last_order_at"]
		}
	}
	// Tickets.
	days := opts.ComplaintDays
	if days <= 0 {
		days = 14
	}
	window := time.Duration(days) * 24 * time.Hour
	for _, t := range tickets {
		ref := SourceRef{Kind: "ticket", ID: t.ID, Instance: t.Instance, ExternalID: t.ExternalID}
		if t.Status == "active" || t.Status == "pending" {
			in.OpenTickets++
			src["open_tickets"] = append(src["open_tickets"], ref)
		}
		if !t.OpenedAt.Before(now.Add(-ticketWindow)) {
			in.Tickets90d++
			src["tickets_90d"] = append(src["tickets_90d"], ref)
		}
		if opts.LargeOrderUnits <= 0 {
			continue
		}
		for _, o := range counted {
			if o.TotalUnits >= opts.LargeOrderUnits && !t.OpenedAt.Before(o.PlacedAt) && !t.OpenedAt.After(o.PlacedAt.Add(window)) {
				in.ComplaintsAfterLargeOrder++
				src["complaints_after_large_order"] = append(src["complaints_after_large_order"], ref, orderRef(o))
				break
			}
		}
	}
	in.ComplaintSources = src["complaints_after_large_order"]
	return in, median, src
}

// medianInterval is the median of the seconds between consecutive orders
// (sorted by placement), the mean of the two middle ones when their count
// is even (integer seconds, rounded down); 0 with fewer than two orders.
func medianInterval(counted []insightOrder) int64 {
	if len(counted) < 2 {
		return 0
	}
	iv := make([]int64, 0, len(counted)-1)
	for i := 1; i < len(counted); i++ {
		iv = append(iv, int64(counted[i].PlacedAt.Sub(counted[i-1].PlacedAt)/time.Second))
	}
	return medianOf(iv)
}

func medianOf(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	sort.Slice(v, func(a, b int) bool { return v[a] < v[b] })
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// ratio is a/b rounded half up to four decimals, 0 when b is 0.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(divRound(a*10000, b)) / 10000
}

// InsightResult says what RefreshInsights changed for one customer.
type InsightResult struct {
	CustomerID uint64
	// Changed lists the indicators whose value changed (JSON names).
	Changed []string
	// Changes are the rows written to insight_changes.
	Changes []InsightChange
}

// Pushed reports whether a value the touchpoints hold changed.
func (r InsightResult) Pushed() bool { return len(r.Changed) > 0 }

// Insights returns a customer's stored indicators; ok is false when none
// were computed yet.
func (s *Store) Insights(ctx context.Context, customerID uint64) (Indicators, bool, error) {
	var row Insight
	err := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Indicators{}, false, nil
	}
	if err != nil {
		return Indicators{}, false, err
	}
	in, err := decodeIndicators(row)
	return in, err == nil, err
}

func decodeIndicators(row Insight) (Indicators, error) {
	var in Indicators
	if row.Data != "" {
		if err := json.Unmarshal([]byte(row.Data), &in); err != nil {
			return Indicators{}, fmt.Errorf("insights of customer %d: %w", row.CustomerID, err)
		}
	}
	in.R, in.F, in.M, in.Segment, in.Profitability = row.R, row.F, row.M, row.Segment, row.Profitability
	in.NextOrderDue = dayOf(row.NextOrderDue) // the scheduled run moves the shop-median ones
	return in, nil
}

// RefreshInsights recomputes the indicators of the given customers from
// their orders and tickets, keeping their RFM scores (ScoreRFM moves
// those), and stores what changed; a changed segment, profitability class,
// next-order-due date or complaint count leaves an InsightChange. cause
// names the event ("order", "ticket", "rebuild"). Customers are read and
// written in chunks, so a rebuild of every customer is a call away.
func (s *Store) RefreshInsights(ctx context.Context, opts InsightOptions, cause string, customerIDs ...uint64) ([]InsightResult, error) {
	var out []InsightResult
	stats, err := s.loadInsightStats(ctx)
	if err != nil {
		return nil, err
	}
	now := opts.now()
	for len(customerIDs) > 0 {
		n := min(len(customerIDs), 500)
		chunk := customerIDs[:n]
		customerIDs = customerIDs[n:]
		var res []InsightResult
		err := retry(ctx, func() error {
			var err error
			res, err = s.refreshChunk(ctx, opts, cause, stats, now, chunk)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("refresh insights: %w", err)
		}
		out = append(out, res...)
	}
	return out, nil
}

func (s *Store) loadInsightInputs(db *gorm.DB, ids []uint64) (map[uint64][]insightOrder, map[uint64][]insightTicket, error) {
	var orders []insightOrder
	if err := db.Model(&Order{}).Select("id, customer_id, instance, external_id, number, status, financial_status, currency, total_units, refunded_units, payment_method, returned_items, placed_at").
		Where("customer_id IN ?", ids).Find(&orders).Error; err != nil {
		return nil, nil, err
	}
	var trows []Ticket
	if err := db.Select("id, customer_id, instance, external_id, status, data, created_at").Where("customer_id IN ?", ids).Find(&trows).Error; err != nil {
		return nil, nil, err
	}
	byOrders := map[uint64][]insightOrder{}
	for _, o := range orders {
		byOrders[o.CustomerID] = append(byOrders[o.CustomerID], o)
	}
	byTickets := map[uint64][]insightTicket{}
	for _, t := range trows {
		opened := t.CreatedAt.UTC()
		var d struct {
			OpenedAt string `json:"opened_at"`
		}
		if json.Unmarshal([]byte(t.Data), &d) == nil && d.OpenedAt != "" {
			if at, err := time.Parse(time.RFC3339, d.OpenedAt); err == nil {
				opened = at.UTC()
			}
		}
		byTickets[*t.CustomerID] = append(byTickets[*t.CustomerID], insightTicket{ID: t.ID, CustomerID: *t.CustomerID,
			Instance: t.Instance, ExternalID: t.ExternalID, Status: t.Status, OpenedAt: opened})
	}
	return byOrders, byTickets, nil
}

func (s *Store) refreshChunk(ctx context.Context, opts InsightOptions, cause string, stats insightStats, now time.Time, ids []uint64) ([]InsightResult, error) {
	var out []InsightResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		out = nil
		// The customers' rows are locked first, as a merge locks them: a
		// customer's first recompute has no insight row to lock, and
		// under READ COMMITTED two recomputes of one customer then ran
		// side by side, the one that read before an order was linked
		// writing last (an order adopted while the shop's next order was
		// recomputed stayed out of the figures until the next event).
		var known []uint64
		if err := tx.Model(&Customer{}).Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", ids).Pluck("id", &known).Error; err != nil {
			return err
		}
		var existing []Insight
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("customer_id IN ?", known).Find(&existing).Error; err != nil {
			return err
		}
		old := make(map[uint64]Insight, len(existing))
		for _, e := range existing {
			old[e.CustomerID] = e
		}
		byOrders, byTickets, err := s.loadInsightInputs(tx, known)
		if err != nil {
			return err
		}
		var upserts []Insight
		var changes []InsightChange
		for _, id := range known {
			prev, had := old[id]
			in, median, _ := computeIndicators(byOrders[id], byTickets[id], opts, stats.ShopMedianS, now)
			in.R, in.F, in.M = prev.R, prev.F, prev.M
			switch last, ltv := rfmInputs(in); {
			case in.Orders == 0:
				in.R, in.F, in.M = 0, 0, 0
			case stats.Cuts.ok && (!had || prev.R == 0 || prev.Orders != in.Orders || prev.Currency != in.Currency ||
				prev.LTVUnits != ltv || recencyOf(prev.LastOrderAt) != recencyOf(last)):
				// New to scoring or its orders moved: provisional scores
				// from the last run's boundaries until the next run.
				in.R, in.F, in.M = stats.Cuts.scores(last, in.Orders, in.Currency, ltv)
			}
			in.Segment = SegmentOf(opts.segments(), in.R, in.F, in.M)
			in.Profitability, in.ProfitabilityInputs = opts.Profitability.classify(in, now)
			var before Indicators
			if had {
				if before, err = decodeIndicators(prev); err != nil {
					before = Indicators{}
				}
			}
			changed := diffIndicators(before, in)
			if had && len(changed) == 0 {
				continue
			}
			row := insightRow(id, in, median, now)
			row.ScoredAt = prev.ScoredAt
			row.Version = prev.Version + 1
			upserts = append(upserts, row)
			r := InsightResult{CustomerID: id, Changed: changed}
			r.Changes = insightChanges(id, before, in, cause, now)
			changes = append(changes, r.Changes...)
			out = append(out, r)
		}
		if s.beforeInsightWrite != nil {
			s.beforeInsightWrite(known)
		}
		if len(upserts) > 0 {
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "customer_id"}}, UpdateAll: true}).
				CreateInBatches(&upserts, 500).Error; err != nil {
				return err
			}
		}
		if len(changes) > 0 {
			if err := tx.CreateInBatches(&changes, 500).Error; err != nil {
				return err
			}
			// ids back into the results
			k := 0
			for i := range out {
				for j := range out[i].Changes {
					out[i].Changes[j] = changes[k]
					k++
				}
			}
		}
		return nil
	})
	return out, err
}

// rfmInputs are the last order's time and the lifetime value in units as
// insightRow stores them, which scoring reads.
func rfmInputs(in Indicators) (*time.Time, int64) {
	ltv, _ := mappings.MoneyUnits(in.LTV)
	if t, err := time.Parse(time.RFC3339, in.LastOrderAt); err == nil {
		return &t, ltv
	}
	return nil, ltv
}

func insightRow(id uint64, in Indicators, median int64, now time.Time) Insight {
	row := Insight{CustomerID: id, Orders: in.Orders, Currency: in.Currency, MedianIntervalS: median, Tickets90d: in.Tickets90d,
		R: in.R, F: in.F, M: in.M, Segment: in.Segment, Profitability: in.Profitability, ComputedAt: now}
	row.LastOrderAt, row.LTVUnits = rfmInputs(in)
	if t, err := time.Parse("2006-01-02", in.NextOrderDue); err == nil {
		row.NextOrderDue = &t
	}
	stored := in
	stored.R, stored.F, stored.M, stored.Segment, stored.Profitability = 0, 0, 0, "", ""
	stored.ProfitabilityInputs = in.ProfitabilityInputs
	row.Data = mustJSON(stored)
	return row
}

// diffIndicators lists the JSON names of the indicators that differ.
func diffIndicators(a, b Indicators) []string {
	am, bm := indicatorMap(a), indicatorMap(b)
	var out []string
	for k, v := range bm {
		if !jsonEqual(am[k], v) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func indicatorMap(in Indicators) map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(mustJSON(in)), &m)
	delete(m, "profitability_inputs")
	return m
}

func insightChanges(id uint64, a, b Indicators, cause string, now time.Time) []InsightChange {
	var out []InsightChange
	add := func(field, o, n string) {
		if o != n {
			out = append(out, InsightChange{CustomerID: id, Field: field, OldValue: o, NewValue: n, Cause: cause, CreatedAt: now})
		}
	}
	add(InsightSegment, a.Segment, b.Segment)
	add(InsightProfitability, a.Profitability, b.Profitability)
	add(InsightNextOrderDue, a.NextOrderDue, b.NextOrderDue)
	add(InsightComplaints, strconv.Itoa(a.ComplaintsAfterLargeOrder), strconv.Itoa(b.ComplaintsAfterLargeOrder))
	return out
}

func (s *Store) stat(ctx context.Context, name string) (int64, error) {
	var st InsightStat
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, nil
	}
	return st.Value, err
}

func (s *Store) setStat(tx *gorm.DB, name string, v int64) error {
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
		Create(&InsightStat{Name: name, Value: v}).Error
}

// PendingInsightChanges lists insight changes not dispatched yet, oldest
// first, for whatever turns them into events.
func (s *Store) PendingInsightChanges(ctx context.Context, limit int) ([]InsightChange, error) {
	var out []InsightChange
	err := s.db.WithContext(ctx).Where("dispatched_at IS NULL").Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// MarkInsightChangesDispatched marks changes as handled.
func (s *Store) MarkInsightChangesDispatched(ctx context.Context, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	now := time.Now().UTC()
	return s.db.WithContext(ctx).Model(&InsightChange{}).Where("id IN ? AND dispatched_at IS NULL", ids).Update("dispatched_at", now).Error
}

// InsightChangesOf lists a customer's insight changes, newest first.
func (s *Store) InsightChangesOf(ctx context.Context, customerID uint64, limit int) ([]InsightChange, error) {
	var out []InsightChange
	err := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Order("id desc").Limit(limit).Find(&out).Error
	return out, err
}

// InsightsView is a customer's insights as the 360° view shows them.
type InsightsView struct {
	Indicators
	// Sources names, per indicator (Indicators' JSON names), the orders
	// and tickets it was computed from; the return rates' orders with
	// their refunded and returned lines.
	Sources    map[string][]SourceRef `json:"sources"`
	ComputedAt string                 `json:"computed_at"`
	ScoredAt   string                 `json:"scored_at,omitempty"`
	// Changes are the latest segment, class and due-date changes.
	Changes []InsightChange `json:"changes"`
}

// InsightsView assembles a customer's insights with their sources; nil
// when none were computed yet.
func (s *Store) InsightsView(ctx context.Context, customerID uint64) (*InsightsView, error) {
	db := s.db.WithContext(ctx)
	var row Insight
	err := db.Where("customer_id = ?", customerID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	in, err := decodeIndicators(row)
	if err != nil {
		return nil, err
	}
	shopMedian, err := s.stat(ctx, statShopMedian)
	if err != nil {
		return nil, err
	}
	orders, tickets, err := s.loadInsightInputs(db, []uint64{customerID})
	if err != nil {
		return nil, err
	}
	_, _, src := computeIndicators(orders[customerID], tickets[customerID], InsightOptions{LargeOrderUnits: -1}, shopMedian, time.Now().UTC())
	// The complaint sources depend on options the view does not have:
	// they are those of the last computation, stored with the count.
	delete(src, "complaints_after_large_order")
	if len(in.ComplaintSources) > 0 {
		src["complaints_after_large_order"] = in.ComplaintSources
	}
	if err := withReturnedLines(db, src); err != nil {
		return nil, err
	}
	v := &InsightsView{Indicators: in, Sources: src, ComputedAt: row.ComputedAt.UTC().Format(timeFmt)}
	if row.ScoredAt != nil {
		v.ScoredAt = row.ScoredAt.UTC().Format(timeFmt)
	}
	if v.Changes, err = s.InsightChangesOf(ctx, customerID, 20); err != nil {
		return nil, err
	}
	for _, k := range []string{"r", "f", "m", "segment"} {
		v.Sources[k] = src["orders"]
	}
	return v, nil
}

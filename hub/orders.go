package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/shophub/shophub/mappings"
	"gorm.io/gorm"
)

// Order is one order of a shop, linked to the hub customer who placed it.
// Data holds the canonical order doc (JSON); the columns beside it are
// copies of what is searched, linked and summed by. Amounts are whole
// units of 10^-4 (mappings.MoneyUnits), so sums are exact integer
// arithmetic on MariaDB and SQLite alike.
type Order struct {
	ID         uint64 `gorm:"primaryKey"`
	Instance   string `gorm:"type:varchar(64);not null;uniqueIndex:ux_orders_ext,priority:1;index:ix_orders_ref,priority:1"`
	ExternalID string `gorm:"type:varchar(255);not null;uniqueIndex:ux_orders_ext,priority:2"`
	// CustomerID is the hub customer, nil while no customer matches the
	// order's customer_ref or customer_email.
	CustomerID *uint64 `gorm:"index:ix_orders_customer,priority:1"`
	// CustomerRef and CustomerEmail are what an unlinked order is adopted
	// by when its customer arrives.
	CustomerRef     string `gorm:"type:varchar(255);index:ix_orders_ref,priority:2"`
	CustomerEmail   string `gorm:"type:varchar(320);index"`
	Number          string `gorm:"type:varchar(64)"`
	Status          string `gorm:"type:varchar(16)"`
	FinancialStatus string `gorm:"type:varchar(24)"`
	Currency        string `gorm:"type:varchar(3)"`
	TotalUnits      int64  `gorm:"not null;default:0"`
	RefundedUnits   int64  `gorm:"not null;default:0"`
	// PaymentMethod is the canonical method (mappings.PaymentMethods), ""
	// when the shop's record says none; ShippingCountry ISO 3166-1 alpha-2.
	PaymentMethod   string `gorm:"type:varchar(24);not null;default:''"`
	ShippingCountry string `gorm:"type:varchar(2);not null;default:''"`
	// Items is Σ quantity over the order's lines, ReturnedItems Σ of each
	// line's larger of returned and refunded quantity (0 without lines).
	Items         int       `gorm:"not null;default:0"`
	ReturnedItems int       `gorm:"not null;default:0"`
	PlacedAt      time.Time `gorm:"index:ix_orders_customer,priority:2"`
	Data          string    `gorm:"type:text"`
	// Provenance maps field → {instance, source time} as JSON.
	Provenance string `gorm:"type:text"`
	Version    int64  `gorm:"not null;default:0"`
	// SourceAt is the shop's modification time of the state held.
	SourceAt  time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OrderChange is one row of an order's lineage, as TicketChange is for
// tickets.
type OrderChange struct {
	ID        uint64 `gorm:"primaryKey"`
	OrderID   uint64 `gorm:"not null;index:ix_order_changes,priority:1"`
	Version   int64  `gorm:"index:ix_order_changes,priority:2"`
	Field     string `gorm:"type:varchar(64);not null"`
	OldValue  string `gorm:"type:text"`
	NewValue  string `gorm:"type:text"`
	Instance  string `gorm:"type:varchar(64)"`
	EventID   string `gorm:"type:varchar(255)"`
	SourceAt  time.Time
	CreatedAt time.Time
}

// TableName names the order lineage table.
func (OrderChange) TableName() string { return "order_change_log" }

// OrderInbound is one canonical order (normalized by
// mappings.NormalizeOrder) from one shop.
type OrderInbound struct {
	Instance   string
	ExternalID string
	EventID    string
	SourceAt   time.Time
	Doc        map[string]any
}

// OrderResult says what MergeOrder did.
type OrderResult struct {
	OrderID    uint64
	CustomerID uint64 // 0: no hub customer matches yet
	Created    bool
	Version    int64
	Changed    []string
	// Relinked: the order now belongs to another customer than before (or
	// to one for the first time), though its fields may not have changed.
	Relinked bool
	// PreviousCustomerID is the customer the order belonged to before a
	// relink, whose figures changed too.
	PreviousCustomerID uint64
	// Stale: the record is older than the state the hub holds; nothing
	// was written.
	Stale bool
	// Erased: the order is of an erased person; nothing was written.
	Erased bool
}

// AffectsFigures reports whether the merge changed any customer's order
// figures (count, spent, dates).
func (r OrderResult) AffectsFigures() bool {
	if r.Created || r.Relinked {
		return true
	}
	for _, f := range r.Changed {
		switch f {
		case "status", "financial_status", "currency", "total", "refunded", "placed_at", "payment_method", "lines", "shipping_country":
			return true
		}
	}
	return false
}

// MergeOrder applies one shop order: the newest state wins as a whole (the
// shop is the only writer of its orders), stale and repeated deliveries
// change nothing, every changed field leaves a lineage row, and the order
// is (re)linked to the customer its customer_ref (through the customer
// link of the same instance) or customer_email names. Like MergeTicket it
// locks the row it changes and retries lost races and deadlocks.
//
// An order merged before its customer exists stays unlinked until
// Adopt runs for that customer. To leave no gap between the two, an
// order stored unlinked looks for its customer once more after its commit:
// a customer committed before that look is found by it, one committed
// after it finds the order in its own Adopt.
func (s *Store) MergeOrder(ctx context.Context, in OrderInbound) (OrderResult, error) {
	if err := checkLengths(field{"external id", in.ExternalID, MaxExternalID}, field{"customer_email", docString(in.Doc, "customer_email"), MaxEmail}); err != nil {
		return OrderResult{}, fmt.Errorf("merge order %s/%s: %w", in.Instance, truncate(in.ExternalID, MaxExternalID), err)
	}
	in.SourceAt, in.EventID = in.SourceAt.UTC().Truncate(time.Microsecond), truncate(in.EventID, MaxExternalID)
	var res OrderResult
	err := retry(ctx, func() error {
		var err error
		res, err = s.mergeOrderOnce(ctx, in)
		return err
	})
	if err == nil && res.CustomerID == 0 && !res.Stale && !res.Erased {
		var cid uint64
		if cid, err = s.relook(ctx, &Order{}, res.OrderID); err == nil && cid != 0 {
			res.CustomerID, res.Relinked = cid, true
		}
	}
	if err != nil {
		return OrderResult{}, fmt.Errorf("merge order %s/%s: %w", in.Instance, in.ExternalID, err)
	}
	return res, nil
}

func (s *Store) mergeOrderOnce(ctx context.Context, in OrderInbound) (OrderResult, error) {
	var res OrderResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = OrderResult{}
		// An order of an erased person (itself, or through the shop's
		// customer record) is dropped, never stored again.
		var o Order
		erased, isNew, err := s.lockWhole(tx, "order", in.Instance, in.ExternalID, in.Doc, &o)
		if err != nil || erased {
			res.Erased = erased
			return err
		}
		prev := uint64(0)
		if o.CustomerID != nil {
			prev = *o.CustomerID
		}
		if !isNew && in.SourceAt.Before(o.SourceAt) {
			res = OrderResult{OrderID: o.ID, CustomerID: prev, Version: o.Version, Stale: true}
			return nil
		}
		change := func(field, oldValue, newValue string) OrderChange {
			return OrderChange{Field: field, OldValue: oldValue, NewValue: newValue, Instance: in.Instance, EventID: in.EventID, SourceAt: in.SourceAt}
		}
		data, prov, fields, changes, err := mergeFields("order", o.ID, o.Data, o.Provenance, in.Doc, in.Instance, in.SourceAt, change)
		if err != nil {
			return err
		}
		custID, err := recordCustomer(tx, in.Instance, stringField(in.Doc, "customer_ref"), stringField(in.Doc, "customer_email"))
		if err != nil {
			return err
		}
		// The order keeps its customer when the shop's record no longer
		// names one we know (a customer deleted at the shop): its history
		// stays with the person.
		relinked := custID != 0 && custID != prev
		if !isNew && len(changes) == 0 && !relinked {
			if in.SourceAt.After(o.SourceAt) {
				if err := tx.Model(&Order{}).Where("id = ?", o.ID).Update("source_at", in.SourceAt).Error; err != nil {
					return err
				}
			}
			res = OrderResult{OrderID: o.ID, CustomerID: prev, Version: o.Version}
			return nil
		}
		if relinked {
			o.CustomerID = &custID
		}
		if len(changes) > 0 {
			o.Version++
		}
		o.Instance, o.ExternalID, o.SourceAt = in.Instance, in.ExternalID, in.SourceAt
		if err := fillOrder(&o, data); err != nil {
			return err
		}
		if o.PlacedAt.IsZero() {
			o.PlacedAt = in.SourceAt // a shop that says nothing: first sighting
			if !isNew {
				o.PlacedAt = o.CreatedAt.UTC()
			}
		}
		o.Data, o.Provenance = mustJSON(data), mustJSON(prov)
		if isNew {
			if err := tx.Create(&o).Error; err != nil {
				return err
			}
			changes = []OrderChange{change(CreatedField, "", createdValue(fields, data))}
		} else if err := tx.Model(&Order{}).Where("id = ?", o.ID).Updates(map[string]any{
			"customer_id": o.CustomerID, "customer_ref": o.CustomerRef, "customer_email": o.CustomerEmail,
			"number": o.Number, "status": o.Status, "financial_status": o.FinancialStatus, "currency": o.Currency,
			"total_units": o.TotalUnits, "refunded_units": o.RefundedUnits, "placed_at": o.PlacedAt,
			"payment_method": o.PaymentMethod, "shipping_country": o.ShippingCountry, "items": o.Items, "returned_items": o.ReturnedItems,
			"data": o.Data, "provenance": o.Provenance, "version": o.Version, "source_at": o.SourceAt,
		}).Error; err != nil {
			return err
		}
		for i := range changes {
			changes[i].OrderID, changes[i].Version = o.ID, o.Version
		}
		if len(changes) > 0 {
			if err := tx.Create(&changes).Error; err != nil {
				return err
			}
		}
		res = OrderResult{OrderID: o.ID, Created: isNew, Version: o.Version, Relinked: relinked}
		if relinked && prev != 0 {
			res.PreviousCustomerID = prev
		}
		for _, c := range changes {
			res.Changed = append(res.Changed, c.Field)
		}
		if o.CustomerID != nil {
			res.CustomerID = *o.CustomerID
		}
		return nil
	})
	return res, err
}

// fillOrder copies an order doc's searched and summed fields into its
// columns.
func fillOrder(o *Order, data map[string]any) error {
	o.CustomerRef = truncate(stringField(data, "customer_ref"), MaxExternalID)
	o.CustomerEmail = stringField(data, "customer_email")
	o.Number = truncate(stringField(data, "number"), 64)
	o.Status = stringField(data, "status")
	o.FinancialStatus = stringField(data, "financial_status")
	o.Currency = stringField(data, "currency")
	var err error
	if o.TotalUnits, err = moneyField(data, "total"); err != nil {
		return err
	}
	if o.RefundedUnits, err = moneyField(data, "refunded"); err != nil {
		return err
	}
	o.PaymentMethod = stringField(data, "payment_method")
	o.ShippingCountry = truncate(stringField(data, "shipping_country"), 2)
	o.Items, o.ReturnedItems = lineCounts(data["lines"])
	o.PlacedAt = time.Time{}
	if s := stringField(data, "placed_at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Errorf("order placed_at %q: %w", s, err)
		}
		o.PlacedAt = t.UTC()
	}
	return nil
}

// lineCounts sums an order's line quantities and, per line, the larger of
// the returned and the refunded quantity: a return is usually refunded,
// and a refund without a return (a damaged item kept) is a return to the
// shop's books all the same.
func lineCounts(v any) (items, returned int) {
	lines, _ := v.([]any)
	for _, l := range lines {
		m, _ := l.(map[string]any)
		q := intField(m, "quantity")
		items += q
		returned += min(q, max(intField(m, "returned_quantity"), intField(m, "refunded_quantity")))
	}
	return items, returned
}

func intField(m map[string]any, k string) int {
	switch x := m[k].(type) {
	case int:
		return x
	case int64:
		return int(x)
	case float64:
		return int(x)
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	}
	return 0
}

func moneyField(data map[string]any, k string) (int64, error) {
	s := stringField(data, k)
	if s == "" {
		return 0, nil
	}
	n, err := mappings.MoneyUnits(s)
	if err != nil {
		return 0, fmt.Errorf("order %s %q: %w", k, s, err)
	}
	return n, nil
}

// countedOrder: an order counts when it was placed and not called off.
func countedOrder(status, financial string) bool {
	return status != "cancelled" && financial != "voided"
}

// paidOrder: an order's money counts when the shop received it. Partly
// paid orders are left out: how much of them was paid is not known.
func paidOrder(financial string) bool {
	switch financial {
	case "paid", "partially_refunded", "refunded":
		return true
	}
	return false
}

// CurrencyFigures are a customer's order figures in one currency.
type CurrencyFigures struct {
	Currency string `json:"currency"`
	// Orders counts placed orders (not cancelled, not voided), paid or not.
	Orders int `json:"orders"`
	// PaidOrders counts the orders whose money was received (paid,
	// partially refunded, refunded).
	PaidOrders int `json:"paid_orders"`
	// Spent is Σ total − refunded over the paid orders, in units of
	// 10^-4 (mappings.MoneyUnits).
	Spent int64 `json:"-"`
	// TotalSpent and AverageOrderValue are decimal strings (Spent and
	// Spent / PaidOrders rounded half up to the cent).
	TotalSpent        string `json:"total_spent"`
	AverageOrderValue string `json:"average_order_value"`
	FirstOrderAt      string `json:"first_order_at,omitempty"`
	LastOrderAt       string `json:"last_order_at,omitempty"`
}

// OrderFigures are what the hub knows from a customer's orders.
type OrderFigures struct {
	// Orders counts placed orders in every currency.
	Orders       int    `json:"orders"`
	FirstOrderAt string `json:"first_order_at,omitempty"`
	LastOrderAt  string `json:"last_order_at,omitempty"`
	// Main is the figures in the customer's main currency: the one most of
	// their orders were placed in (ties: the latest order's). Amounts in
	// different currencies are never added up — the hub has no exchange
	// rates, and a converted figure would be invented.
	Main *CurrencyFigures `json:"main,omitempty"`
	// ByCurrency lists every currency, the main one first.
	ByCurrency []CurrencyFigures `json:"by_currency"`
}

// CustomerOrderFigures computes a customer's order figures. The sums are
// done in Go over the customer's rows, in exact integer units: MariaDB's
// SUM returns DECIMAL and SQLite's MIN/MAX return text for times, and a
// customer's orders are few.
func (s *Store) CustomerOrderFigures(ctx context.Context, customerID uint64) (OrderFigures, error) {
	var rows []Order
	err := s.db.WithContext(ctx).Select("status, financial_status, currency, total_units, refunded_units, placed_at").
		Where("customer_id = ?", customerID).Order("placed_at, id").Find(&rows).Error
	if err != nil {
		return OrderFigures{}, err
	}
	return orderFigures(rows), nil
}

func orderFigures(rows []Order) OrderFigures {
	f := OrderFigures{ByCurrency: []CurrencyFigures{}}
	idx := map[string]int{}
	last := map[string]time.Time{}
	var first, latest time.Time
	var latestCur string
	for _, o := range rows {
		if !countedOrder(o.Status, o.FinancialStatus) {
			continue
		}
		i, ok := idx[o.Currency]
		if !ok {
			i = len(f.ByCurrency)
			idx[o.Currency] = i
			f.ByCurrency = append(f.ByCurrency, CurrencyFigures{Currency: o.Currency, FirstOrderAt: o.PlacedAt.UTC().Format(time.RFC3339)})
		}
		c := &f.ByCurrency[i]
		c.Orders++
		if paidOrder(o.FinancialStatus) {
			c.PaidOrders++
			c.Spent += o.TotalUnits - o.RefundedUnits
		}
		if o.PlacedAt.After(last[o.Currency]) {
			last[o.Currency] = o.PlacedAt
			c.LastOrderAt = o.PlacedAt.UTC().Format(time.RFC3339)
		}
		f.Orders++
		if first.IsZero() || o.PlacedAt.Before(first) {
			first = o.PlacedAt
		}
		if !o.PlacedAt.Before(latest) {
			latest, latestCur = o.PlacedAt, o.Currency
		}
	}
	if f.Orders == 0 {
		return f
	}
	f.FirstOrderAt, f.LastOrderAt = first.UTC().Format(time.RFC3339), latest.UTC().Format(time.RFC3339)
	for i := range f.ByCurrency {
		c := &f.ByCurrency[i]
		c.TotalSpent = mappings.FormatMoneyUnits(roundCents(c.Spent))
		c.AverageOrderValue = "0.00"
		if c.PaidOrders > 0 {
			// One rounding, to the cent: rounding to units first and then to
			// cents could round a x.xx49 average up.
			c.AverageOrderValue = mappings.FormatMoneyUnits(divRound(c.Spent, int64(c.PaidOrders)*100) * 100)
		}
	}
	sort.SliceStable(f.ByCurrency, func(a, b int) bool {
		x, y := f.ByCurrency[a], f.ByCurrency[b]
		if x.Orders != y.Orders {
			return x.Orders > y.Orders
		}
		return x.Currency == latestCur && y.Currency != latestCur
	})
	main := f.ByCurrency[0]
	f.Main = &main
	return f
}

// roundCents rounds units of 10^-4 half away from zero to whole cents, the
// precision figures are shown in (amounts with three or four decimals keep
// theirs in the order docs).
func roundCents(u int64) int64 { return divRound(u, 100) * 100 }

func divRound(a, b int64) int64 {
	if a < 0 {
		return -divRound(-a, b)
	}
	return (a + b/2) / b
}

// OrderView is an order as the API shows it.
type OrderView struct {
	ID         uint64         `json:"id"`
	Instance   string         `json:"instance"`
	ExternalID string         `json:"external_id"`
	Version    int64          `json:"version"`
	Order      map[string]any `json:"order"`
	UpdatedAt  string         `json:"updated_at"`
}

// Order loads one order by its shop record.
func (s *Store) Order(ctx context.Context, instance, externalID string) (*Order, map[string]any, error) {
	return takeKept[Order](ctx, s.db, "order", instance, externalID)
}

// CustomerOrders lists a customer's orders, most recently placed first.
func (s *Store) CustomerOrders(ctx context.Context, customerID uint64, limit int) ([]OrderView, error) {
	return customerKept[Order](ctx, s.db, "order", customerID, "placed_at desc, id desc", limit,
		func(r keptRow, data map[string]any) OrderView {
			return OrderView{ID: r.ID, Instance: r.Instance, ExternalID: r.ExternalID, Version: r.Version,
				Order: data, UpdatedAt: r.SourceAt.UTC().Format(timeFmt)}
		})
}

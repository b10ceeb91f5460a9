package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Event types the hub computes ("moments that matter").
const (
	EventCartAbandoned        = "cart_abandoned"
	EventBirthdayUpcoming     = "birthday_upcoming"
	EventRepurchaseDue        = "repurchase_due"
	EventComplaintLargeOrder  = "complaint_after_large_order"
	EventSegmentChanged       = "segment_changed"
	EventProfitabilityChanged = "profitability_changed"
)

// EventTypes lists every event type, in the order the docs show them.
var EventTypes = []string{EventCartAbandoned, EventBirthdayUpcoming, EventRepurchaseDue, EventComplaintLargeOrder,
	EventSegmentChanged, EventProfitabilityChanged}

// MarketingEvent reports whether an event type is a marketing occasion:
// delivered only to people whose email or SMS consent allows it.
// A complaint is a service matter, and segment and profitability changes
// are internal classifications.
func MarketingEvent(typ string) bool {
	switch typ {
	case EventCartAbandoned, EventBirthdayUpcoming, EventRepurchaseDue:
		return true
	}
	return false
}

// Event is one moment of a customer the hub computed. Key is unique: one
// event per customer and occasion (a cart, a birthday's year, an order's
// due date), however many workers compute it and however often.
type Event struct {
	ID         uint64 `gorm:"primaryKey"`
	CustomerID uint64 `gorm:"not null;index:ix_events_customer,priority:1"`
	Type       string `gorm:"type:varchar(48);not null"`
	// Occasion names what the event is about within its type (cart:<id>,
	// the birthday's date, the due date).
	Occasion string `gorm:"type:varchar(128);not null"`
	Key      string `gorm:"type:varchar(191);not null;uniqueIndex"`
	// Marketing events are delivered only with the person's consent.
	Marketing bool
	// Data holds the event's properties (JSON object).
	Data string `gorm:"type:text"`
	// At is when the occasion happened by the hub's clock.
	At time.Time `gorm:"index:ix_events_customer,priority:2"`
	// CancelledAt and CancelReason: the occasion passed before delivery
	// (an order after an abandoned cart).
	CancelledAt  *time.Time
	CancelReason string `gorm:"type:varchar(191)"`
	CreatedAt    time.Time
}

// Delivery states of an event at one target.
const (
	DeliveryPending    = "pending"
	DeliveryDelivered  = "delivered"
	DeliverySuppressed = "suppressed" // no consent: recorded, not delivered
	DeliveryCancelled  = "cancelled"
)

// EventDelivery is an event's delivery to one target instance.
type EventDelivery struct {
	ID          uint64 `gorm:"primaryKey"`
	EventID     uint64 `gorm:"not null;uniqueIndex:ux_event_deliveries,priority:1"`
	Instance    string `gorm:"type:varchar(64);not null;uniqueIndex:ux_event_deliveries,priority:2"`
	Status      string `gorm:"type:varchar(16);not null"`
	Reason      string `gorm:"type:varchar(191)"`
	DeliveredAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// EventKey is the unique key of a customer's occasion.
func EventKey(typ string, customerID uint64, occasion string) string {
	k := typ + ":" + strconv.FormatUint(customerID, 10) + ":" + occasion
	if len(k) > 191 {
		k = k[:191]
	}
	return k
}

// NewEvent is what RecordEvent is asked to store.
type NewEvent struct {
	CustomerID uint64
	Type       string
	Occasion   string
	Data       map[string]any
	At         time.Time
	// Targets are the instances the event is delivered to.
	Targets []string
}

// RecordEvent stores an event once per customer and occasion, with a
// pending delivery per target and a change-log row, in one transaction.
// created is false when the occasion was recorded before (by this or
// another worker, before or after a restart); the event returned is then
// the stored one.
func (s *Store) RecordEvent(ctx context.Context, in NewEvent) (ev Event, created bool, err error) {
	key := EventKey(in.Type, in.CustomerID, in.Occasion)
	err = retry(ctx, func() error {
		created = false
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Where("`key` = ?", key).Take(&ev).Error; err == nil {
				return nil
			} else if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			// The customer's row, read under a shared lock before the
			// event is written: an erasure (which deletes it) then either
			// commits first, and there is no event, or waits for this one
			// and deletes the event with the person. Read after the
			// insert and unlocked, an erasure committing in between left
			// the event, the person's data in it, behind.
			var c Customer
			if err := tx.Clauses(clause.Locking{Strength: "SHARE"}).Select("id", "version").Where("id = ?", in.CustomerID).Take(&c).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("event for customer %d: %w", in.CustomerID, ErrNotFound)
			} else if err != nil {
				return err
			}
			data := in.Data
			if data == nil {
				data = map[string]any{}
			}
			ev = Event{CustomerID: in.CustomerID, Type: in.Type, Occasion: truncate(in.Occasion, 128), Key: key,
				Marketing: MarketingEvent(in.Type), Data: mustJSON(data), At: in.At.UTC().Truncate(time.Microsecond)}
			// A concurrent writer of the same key makes this insert fail
			// on the unique key; retry then reads its row.
			if err := tx.Create(&ev).Error; err != nil {
				return err
			}
			if len(in.Targets) > 0 {
				ds := make([]EventDelivery, len(in.Targets))
				for i, t := range in.Targets {
					ds[i] = EventDelivery{EventID: ev.ID, Instance: t, Status: DeliveryPending}
				}
				if err := tx.Create(&ds).Error; err != nil {
					return err
				}
			}
			created = true
			return tx.Create(&Change{CustomerID: c.ID, Version: c.Version, Field: "event:" + in.Type,
				NewValue: mustJSON(map[string]any{"id": ev.ID, "occasion": ev.Occasion, "data": data}),
				Instance: "hub", SourceAt: ev.At}).Error
		})
	})
	return ev, created, err
}

// EventByID reads one event.
func (s *Store) EventByID(ctx context.Context, id uint64) (*Event, error) {
	var ev Event
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&ev).Error; err != nil {
		return nil, err
	}
	return &ev, nil
}

// EventData decodes an event's properties.
func (e *Event) Properties() map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal([]byte(e.Data), &m)
	return m
}

// CancelEvent marks an event cancelled (its occasion passed) and its
// pending deliveries with it.
func (s *Store) CancelEvent(ctx context.Context, id uint64, reason string, at time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Event{}).Where("id = ? AND cancelled_at IS NULL", id).
			Updates(map[string]any{"cancelled_at": at.UTC(), "cancel_reason": truncate(reason, 191)}).Error; err != nil {
			return err
		}
		return tx.Model(&EventDelivery{}).Where("event_id = ? AND status = ?", id, DeliveryPending).
			Updates(map[string]any{"status": DeliveryCancelled, "reason": truncate(reason, 191)}).Error
	})
}

// MarkDelivery records the outcome of an event's delivery to instance.
func (s *Store) MarkDelivery(ctx context.Context, eventID uint64, instance, status, reason string, at time.Time) error {
	upd := map[string]any{"status": status, "reason": truncate(reason, 191)}
	if status == DeliveryDelivered {
		upd["delivered_at"] = at.UTC()
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Model(&EventDelivery{}).
		Where("event_id = ? AND instance = ?", eventID, instance).Updates(upd).Error
}

// Delivery reads an event's delivery to instance.
func (s *Store) Delivery(ctx context.Context, eventID uint64, instance string) (*EventDelivery, error) {
	var d EventDelivery
	if err := s.db.WithContext(ctx).Where("event_id = ? AND instance = ?", eventID, instance).Take(&d).Error; err != nil {
		return nil, err
	}
	return &d, nil
}

// PendingDeliveries lists deliveries still pending that were created
// before the given time (the relay re-enqueues them after a crash).
func (s *Store) PendingDeliveries(ctx context.Context, before time.Time, limit int) ([]EventDelivery, error) {
	var rows []EventDelivery
	err := s.db.WithContext(ctx).Where("status = ? AND created_at <= ?", DeliveryPending, before.UTC()).Order("id").Limit(limit).Find(&rows).Error
	return rows, err
}

// EventView is an event as the API shows it, with its deliveries.
type EventView struct {
	ID         uint64            `json:"id"`
	Type       string            `json:"type"`
	Occasion   string            `json:"occasion"`
	Marketing  bool              `json:"marketing"`
	Properties map[string]any    `json:"properties"`
	At         string            `json:"at"`
	Cancelled  string            `json:"cancelled,omitempty"`
	Deliveries map[string]string `json:"deliveries"`
}

// CustomerEvents lists a customer's events, newest first.
func (s *Store) CustomerEvents(ctx context.Context, customerID uint64, limit int) ([]EventView, error) {
	var rows []Event
	db := s.db.WithContext(ctx)
	if err := db.Where("customer_id = ?", customerID).Order("id desc").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]EventView, 0, len(rows))
	ids := make([]uint64, 0, len(rows))
	for _, e := range rows {
		ev := EventView{ID: e.ID, Type: e.Type, Occasion: e.Occasion, Marketing: e.Marketing, Properties: e.Properties(),
			At: e.At.UTC().Format(timeFmt), Deliveries: map[string]string{}}
		if e.CancelledAt != nil {
			ev.Cancelled = e.CancelReason
		}
		out = append(out, ev)
		ids = append(ids, e.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var ds []EventDelivery
	if err := db.Where("event_id IN ?", ids).Find(&ds).Error; err != nil {
		return nil, err
	}
	byID := map[uint64]int{}
	for i, e := range out {
		byID[e.ID] = i
	}
	for _, d := range ds {
		out[byID[d.EventID]].Deliveries[d.Instance] = d.Status
	}
	return out, nil
}

// CustomersWithBirthday pages through customers whose doc holds a
// birthday (ids after after), returning id, version and doc.
func (s *Store) CustomersWithBirthday(ctx context.Context, after uint64, limit int) ([]Customer, error) {
	var rows []Customer
	err := s.db.WithContext(ctx).Select("id", "email", "data").
		Where("id > ? AND data LIKE ?", after, `%"birthday":"%`).Order("id").Limit(limit).Find(&rows).Error
	return rows, err
}

// TicketsSince lists tickets with a customer that the hub learnt of at
// or after t, ids after after (paging).
func (s *Store) TicketsSince(ctx context.Context, t time.Time, after uint64, limit int) ([]Ticket, error) {
	var rows []Ticket
	err := s.db.WithContext(ctx).Where("customer_id IS NOT NULL AND created_at >= ? AND id > ?", t.UTC(), after).Order("id").Limit(limit).Find(&rows).Error
	return rows, err
}

// LargestOrderBetween returns the customer's largest counted order placed
// in [from, to] with a total of at least minUnits (in currency, "" any),
// or nil.
func (s *Store) LargestOrderBetween(ctx context.Context, customerID uint64, from, to time.Time, minUnits int64, currency string) (*Order, error) {
	q := s.db.WithContext(ctx).Where("customer_id = ? AND placed_at >= ? AND placed_at <= ? AND total_units >= ? AND status <> ?",
		customerID, from.UTC(), to.UTC(), minUnits, "cancelled")
	if currency != "" {
		q = q.Where("currency = ?", currency)
	}
	var o Order
	err := q.Order("total_units desc").Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// Due is a customer whose next order is due (RepurchaseDue).
type Due struct {
	CustomerID  uint64
	LastOrderAt time.Time
	// NextOrderDue is the insights' next-order date; DueAt the moment the
	// operator's fraction of the interval up to it has passed.
	NextOrderDue time.Time
	DueAt        time.Time
	Orders       int
}

// RepurchaseDue lists customers whose insights (customer_insights: last
// order, next-order-due date) say that fraction of the interval from their
// last order to their next-order date has passed by now, with no order
// since (a newer order moves the last order, and the due date with it).
func (s *Store) RepurchaseDue(ctx context.Context, now time.Time, fraction float64) ([]Due, error) {
	var rows []Insight
	var out []Due
	var after uint64
	for {
		err := s.db.WithContext(ctx).Select("customer_id", "orders", "last_order_at", "next_order_due").
			Where("customer_id > ? AND last_order_at IS NOT NULL AND next_order_due IS NOT NULL AND last_order_at <= ?", after, now.UTC()).
			Order("customer_id").Limit(1000).Find(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			after = r.CustomerID
			last, next := r.LastOrderAt.UTC(), r.NextOrderDue.UTC()
			if !next.After(last) {
				continue
			}
			due := last.Add(time.Duration(float64(next.Sub(last)) * fraction))
			if !now.Before(due) {
				out = append(out, Due{CustomerID: r.CustomerID, LastOrderAt: last, NextOrderDue: next, DueAt: due, Orders: r.Orders})
			}
		}
		if len(rows) < 1000 {
			return out, nil
		}
	}
}

package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Export is everything the hub holds about one person (GDPR art. 15), as
// JSON: what the API returns and what a merchant hands on.
type Export struct {
	GeneratedAt string                `json:"generated_at"`
	CustomerID  uint64                `json:"customer_id"`
	Version     int64                 `json:"version"`
	Profile     map[string]any        `json:"profile"`
	Provenance  map[string]Provenance `json:"provenance"`
	CreatedAt   string                `json:"created_at"`
	UpdatedAt   string                `json:"updated_at"`
	// Links are the person's records in each touchpoint, with what the
	// touchpoint last sent and what was last pushed to it.
	Links []ExportLink `json:"links"`
	// Changes is the whole change log, oldest first.
	Changes []ChangeView `json:"changes"`
	Tickets []TicketView `json:"tickets"`
	// Orders they placed, with each order's canonical doc.
	Orders []ExportOrder `json:"orders"`
	// Quarantine holds records that failed mapping and concern the person,
	// with their raw payload.
	Quarantine []ExportQuarantined `json:"quarantine"`
	// Outbox lists change events (which fields changed, from where).
	Outbox []ExportEvent `json:"outbox"`
}

// ExportLink is one link with its stored documents.
type ExportLink struct {
	Instance          string          `json:"instance"`
	Resource          string          `json:"resource"`
	ExternalID        string          `json:"external_id"`
	LastInboundAt     *time.Time      `json:"last_inbound_at,omitempty"`
	LastInboundDoc    json.RawMessage `json:"last_inbound_doc,omitempty"`
	LastPushedAt      *time.Time      `json:"last_pushed_at,omitempty"`
	LastPushedVersion int64           `json:"last_pushed_version"`
	LastPushedDoc     json.RawMessage `json:"last_pushed_doc,omitempty"`
	CreatedAt         time.Time       `json:"created_at"`
}

// ExportOrder is one order.
type ExportOrder struct {
	ID         uint64          `json:"id"`
	Instance   string          `json:"instance"`
	ExternalID string          `json:"external_id"`
	Version    int64           `json:"version"`
	Order      json.RawMessage `json:"order"`
	UpdatedAt  string          `json:"updated_at"`
}

// ExportQuarantined is one quarantined record.
type ExportQuarantined struct {
	ID         uint64          `json:"id"`
	Instance   string          `json:"instance"`
	Resource   string          `json:"resource"`
	ExternalID string          `json:"external_id"`
	Reason     string          `json:"reason"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	// PayloadText holds a payload that is not JSON.
	PayloadText string    `json:"payload_text,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// ExportEvent is one outbox row.
type ExportEvent struct {
	ID           uint64          `json:"id"`
	Version      int64           `json:"version"`
	Resource     string          `json:"resource"`
	Origin       string          `json:"origin"`
	Fields       json.RawMessage `json:"fields,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
	DispatchedAt *time.Time      `json:"dispatched_at,omitempty"`
}

func rawOrNil(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return nil
	}
	return json.RawMessage(s)
}

// Export gathers everything held about one customer. It reads in one
// transaction so the parts agree with each other.
func (s *Store) Export(ctx context.Context, customerID uint64) (*Export, error) {
	var out *Export
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Customer
		err := tx.Where("id = ?", customerID).Take(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("customer %d: %w", customerID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		data, prov, err := decodeState(&c)
		if err != nil {
			return err
		}
		x := &Export{GeneratedAt: time.Now().UTC().Format(timeFmt), CustomerID: c.ID, Version: c.Version, Profile: data, Provenance: subFieldProvenance(data, prov),
			CreatedAt: c.CreatedAt.UTC().Format(timeFmt), UpdatedAt: c.UpdatedAt.UTC().Format(timeFmt),
			Links: []ExportLink{}, Changes: []ChangeView{}, Tickets: []TicketView{}, Orders: []ExportOrder{}, Quarantine: []ExportQuarantined{}, Outbox: []ExportEvent{}}
		id := newIdentity(c.ID, s.privacy.Region)
		if c.Email != nil {
			id.addEmail(*c.Email)
		}
		id.addPhone(c.Phone)
		id.collectJSON("", c.Data)

		var links []Link
		if err := tx.Where("customer_id = ?", customerID).Order("id").Find(&links).Error; err != nil {
			return err
		}
		for _, l := range links {
			id.addRecord(RecordKey{l.Instance, l.Resource, l.ExternalID})
			x.Links = append(x.Links, ExportLink{Instance: l.Instance, Resource: l.Resource, ExternalID: l.ExternalID,
				LastInboundAt: l.LastInboundAt, LastInboundDoc: rawOrNil(l.LastInboundDoc), LastPushedAt: l.LastPushedAt,
				LastPushedVersion: l.LastPushedVersion, LastPushedDoc: rawOrNil(l.LastPushedDoc), CreatedAt: l.CreatedAt})
		}
		var changes []Change
		if err := tx.Where("customer_id = ?", customerID).Order("id").Find(&changes).Error; err != nil {
			return err
		}
		for _, r := range changes {
			id.collectJSON(r.Field, r.OldValue)
			id.collectJSON(r.Field, r.NewValue)
			cv := ChangeView{Version: r.Version, Field: r.Field, New: rawOrNil(r.NewValue), Instance: r.Instance,
				SourceAt: r.SourceAt.UTC().Format(timeFmt), At: r.CreatedAt.UTC().Format(timeFmt), Rejected: r.Rejected}
			if r.OldValue != "" {
				cv.Old = rawOrNil(r.OldValue)
			}
			x.Changes = append(x.Changes, cv)
		}
		id.sort()

		ticketIDs, err := personTickets(tx, customerID, id)
		if err != nil {
			return err
		}
		if len(ticketIDs) > 0 {
			var ts []Ticket
			if err := tx.Where("id IN ?", ticketIDs).Order("source_at desc, id desc").Find(&ts).Error; err != nil {
				return err
			}
			for _, t := range ts {
				d, err := decodeData("ticket", t.ID, t.Data)
				if err != nil {
					return err
				}
				x.Tickets = append(x.Tickets, ticketView(t.kept(), d))
			}
		}

		orderIDs, err := personOrders(tx, customerID, id)
		if err != nil {
			return err
		}
		if len(orderIDs) > 0 {
			var ords []Order
			if err := tx.Where("id IN ?", orderIDs).Order("placed_at, id").Find(&ords).Error; err != nil {
				return err
			}
			for _, o := range ords {
				x.Orders = append(x.Orders, ExportOrder{ID: o.ID, Instance: o.Instance, ExternalID: o.ExternalID, Version: o.Version,
					Order: rawOrNil(o.Data), UpdatedAt: o.SourceAt.UTC().Format(timeFmt)})
			}
		}

		qids, err := matchQuarantine(tx, id)
		if err != nil {
			return err
		}
		if len(qids) > 0 {
			var qs []Quarantined
			if err := tx.Where("id IN ?", qids).Order("id").Find(&qs).Error; err != nil {
				return err
			}
			for _, q := range qs {
				eq := ExportQuarantined{ID: q.ID, Instance: q.Instance, Resource: q.Resource, ExternalID: q.ExternalID, Reason: q.Reason, CreatedAt: q.CreatedAt}
				if json.Valid(q.Payload) {
					eq.Payload = json.RawMessage(q.Payload)
				} else {
					eq.PayloadText = string(q.Payload)
				}
				x.Quarantine = append(x.Quarantine, eq)
			}
		}

		var evs []OutboxEvent
		if err := tx.Where("customer_id = ?", customerID).Order("id").Find(&evs).Error; err != nil {
			return err
		}
		for _, ev := range evs {
			x.Outbox = append(x.Outbox, ExportEvent{ID: ev.ID, Version: ev.Version, Resource: ev.Resource, Origin: ev.Origin,
				Fields: rawOrNil(ev.Fields), CreatedAt: ev.CreatedAt, DispatchedAt: ev.DispatchedAt})
		}
		out = x
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export customer %d: %w", customerID, err)
	}
	return out, nil
}

// ShopRedact removes everything one touchpoint contributed, for a shop
// that uninstalled the app (Shopify's shop/redact): customers known only
// from it are erased (no other touchpoint holds them, so no steps), the
// others lose its links and baselines, and its change-log rows,
// quarantined records, tickets and cursors go. One audit row covers all.
func (s *Store) ShopRedact(ctx context.Context, instance string, req EraseRequest) (*PrivacyRequest, error) {
	r := PrivacyRequest{Kind: PrivacyShopRedact, Source: req.Source, Instance: instance, VendorRequestID: req.VendorRequestID, Status: PrivacyPending}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return nil, err
	}
	removed := map[string]int64{}
	// Customers whose every link is to this instance, in pages by id.
	var after uint64
	for {
		var ids []uint64
		err := s.db.WithContext(ctx).Model(&Link{}).Distinct("customer_id").
			Where("instance = ? AND customer_id > ? AND customer_id NOT IN (?)", instance, after,
				s.db.Model(&Link{}).Select("customer_id").Where("instance <> ?", instance)).
			Order("customer_id").Limit(200).Pluck("customer_id", &ids).Error
		if err != nil {
			return nil, err
		}
		for _, cid := range ids {
			after = cid
			err := retry(ctx, func() error {
				return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
					e, err := s.eraseTx(tx, r.ID, cid, nil)
					if errors.Is(err, ErrNotFound) {
						return nil
					}
					if err != nil {
						return err
					}
					for k, n := range e.Removed {
						removed[k] += n
					}
					return nil
				})
			})
			if err != nil {
				return nil, fmt.Errorf("shop redact %s: customer %d: %w", instance, cid, err)
			}
		}
		if len(ids) < 200 {
			break
		}
	}
	// What the instance left on customers others know too.
	err := retry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, d := range []struct {
				name  string
				model any
			}{{"links", &Link{}}, {"change_log", &Change{}}, {"quarantine", &Quarantined{}}, {"sync_cursors", &Cursor{}}} {
				res := tx.Where("instance = ?", instance).Delete(d.model)
				if res.Error != nil {
					return res.Error
				}
				removed[d.name] += res.RowsAffected
			}
			var oids []uint64
			if err := tx.Model(&Order{}).Where("instance = ?", instance).Pluck("id", &oids).Error; err != nil {
				return err
			}
			if len(oids) > 0 {
				res := tx.Where("order_id IN ?", oids).Delete(&OrderChange{})
				if res.Error != nil {
					return res.Error
				}
				removed["order_change_log"] += res.RowsAffected
				if res = tx.Where("id IN ?", oids).Delete(&Order{}); res.Error != nil {
					return res.Error
				}
				removed["orders"] += res.RowsAffected
			}
			var tids []uint64
			if err := tx.Model(&Ticket{}).Where("instance = ?", instance).Pluck("id", &tids).Error; err != nil {
				return err
			}
			if len(tids) > 0 {
				res := tx.Where("ticket_id IN ?", tids).Delete(&TicketChange{})
				if res.Error != nil {
					return res.Error
				}
				removed["ticket_change_log"] += res.RowsAffected
				if res = tx.Where("id IN ?", tids).Delete(&Ticket{}); res.Error != nil {
					return res.Error
				}
				removed["tickets"] += res.RowsAffected
			}
			return finishRequest(tx, &r, removed, nil)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("shop redact %s: %w", instance, err)
	}
	return &r, nil
}

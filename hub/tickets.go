package hub

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Ticket is one support conversation of a helpdesk, linked to the hub
// customer it is about. Data holds the canonical ticket doc (JSON); the
// columns beside it are copies of what is searched and counted by.
type Ticket struct {
	ID         uint64 `gorm:"primaryKey"`
	Instance   string `gorm:"type:varchar(64);not null;uniqueIndex:ux_tickets_ext,priority:1;index:ix_tickets_ref,priority:1"`
	ExternalID string `gorm:"type:varchar(255);not null;uniqueIndex:ux_tickets_ext,priority:2"`
	// CustomerID is the hub customer, nil while no customer matches the
	// ticket's customer id or email.
	CustomerID *uint64 `gorm:"index:ix_tickets_customer,priority:1"`
	// CustomerRef and CustomerEmail are what an unlinked ticket is adopted
	// by when its customer arrives (Adopt): a conversation often reaches
	// the hub before the shop's customer record does.
	CustomerRef   string `gorm:"type:varchar(255);index:ix_tickets_ref,priority:2"`
	CustomerEmail string `gorm:"type:varchar(320);index"`
	Status        string `gorm:"type:varchar(16);index:ix_tickets_customer,priority:2"`
	Subject       string `gorm:"type:varchar(255)"`
	Data          string `gorm:"type:text"`
	// Provenance maps field → {instance, source time} as JSON.
	Provenance string `gorm:"type:text"`
	Version    int64  `gorm:"not null;default:0"`
	// SourceAt is the helpdesk's modification time of the state held.
	SourceAt  time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TicketChange is one row of a ticket's lineage, as Change is for
// customers.
type TicketChange struct {
	ID        uint64 `gorm:"primaryKey"`
	TicketID  uint64 `gorm:"not null;index:ix_ticket_changes,priority:1"`
	Version   int64  `gorm:"index:ix_ticket_changes,priority:2"`
	Field     string `gorm:"type:varchar(64);not null"`
	OldValue  string `gorm:"type:text"`
	NewValue  string `gorm:"type:text"`
	Instance  string `gorm:"type:varchar(64)"`
	EventID   string `gorm:"type:varchar(255)"`
	SourceAt  time.Time
	CreatedAt time.Time
}

// TableName names the ticket lineage table.
func (TicketChange) TableName() string { return "ticket_change_log" }

// TicketInbound is one canonical ticket from one helpdesk.
type TicketInbound struct {
	Instance   string
	ExternalID string
	EventID    string
	SourceAt   time.Time
	Doc        map[string]any
}

// TicketResult says what MergeTicket did.
type TicketResult struct {
	TicketID   uint64
	CustomerID uint64 // 0: no hub customer matches yet
	Created    bool
	Version    int64
	Changed    []string
	// Stale: the record is older than the state the hub holds; nothing
	// was written.
	Stale bool
	// Erased: the ticket is of an erased person; nothing was written.
	Erased bool
}

// OpenTicketStatuses are the statuses a ticket counts as open in.
var OpenTicketStatuses = []string{"active", "pending"}

// MergeTicket applies one helpdesk conversation: the newest state wins as
// a whole (the helpdesk is the only writer of its tickets), every changed
// field leaves a lineage row, and the ticket is (re)linked to the customer
// its customer_ref (through the helpdesk's customer links) or
// customer_email names. Like MergeCustomer it locks the row it changes and
// retries lost races and deadlocks: two first sightings of one ticket
// collide on the unique key, and the loser retries into the winner's row.
func (s *Store) MergeTicket(ctx context.Context, in TicketInbound) (TicketResult, error) {
	if err := checkLengths(field{"external id", in.ExternalID, MaxExternalID}); err != nil {
		return TicketResult{}, fmt.Errorf("merge ticket %s/%s: %w", in.Instance, truncate(in.ExternalID, MaxExternalID), err)
	}
	in.SourceAt, in.EventID = in.SourceAt.UTC().Truncate(time.Microsecond), truncate(in.EventID, MaxExternalID)
	var res TicketResult
	err := retry(ctx, func() error {
		var err error
		res, err = s.mergeTicketOnce(ctx, in)
		return err
	})
	// As for orders (MergeOrder): a ticket stored unlinked looks once more
	// after its commit, so a customer committed meanwhile is not missed.
	if err == nil && res.CustomerID == 0 && !res.Stale && !res.Erased {
		res.CustomerID, err = s.relook(ctx, &Ticket{}, res.TicketID)
	}
	if err != nil {
		return TicketResult{}, fmt.Errorf("merge ticket %s/%s: %w", in.Instance, in.ExternalID, err)
	}
	return res, nil
}

func (s *Store) mergeTicketOnce(ctx context.Context, in TicketInbound) (TicketResult, error) {
	var res TicketResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = TicketResult{}
		// A conversation of an erased person (itself, or through the
		// helpdesk's customer record) is dropped, never stored again.
		var t Ticket
		erased, isNew, err := s.lockWhole(tx, "ticket", in.Instance, in.ExternalID, in.Doc, &t)
		if err != nil || erased {
			res.Erased = erased
			return err
		}
		if !isNew && in.SourceAt.Before(t.SourceAt) {
			res = TicketResult{TicketID: t.ID, Version: t.Version, Stale: true}
			if t.CustomerID != nil {
				res.CustomerID = *t.CustomerID
			}
			return nil
		}
		change := func(field, oldValue, newValue string) TicketChange {
			return TicketChange{Field: field, OldValue: oldValue, NewValue: newValue, Instance: in.Instance, EventID: in.EventID, SourceAt: in.SourceAt}
		}
		data, prov, fields, changes, err := mergeFields("ticket", t.ID, t.Data, t.Provenance, in.Doc, in.Instance, in.SourceAt, change)
		if err != nil {
			return err
		}
		custID, err := recordCustomer(tx, in.Instance, stringField(in.Doc, "customer_ref"), stringField(in.Doc, "customer_email"))
		if err != nil {
			return err
		}
		relinked := custID != 0 && (t.CustomerID == nil || *t.CustomerID != custID)
		if !isNew && len(changes) == 0 && !relinked {
			if in.SourceAt.After(t.SourceAt) {
				if err := tx.Model(&Ticket{}).Where("id = ?", t.ID).Update("source_at", in.SourceAt).Error; err != nil {
					return err
				}
			}
			res = TicketResult{TicketID: t.ID, Version: t.Version}
			if t.CustomerID != nil {
				res.CustomerID = *t.CustomerID
			}
			return nil
		}
		if custID != 0 {
			t.CustomerID = &custID
		}
		if len(changes) > 0 {
			t.Version++
		}
		t.Instance, t.ExternalID, t.SourceAt = in.Instance, in.ExternalID, in.SourceAt
		t.Status, _ = data["status"].(string)
		t.Subject = truncate(stringField(data, "subject"), 255)
		t.Data, t.Provenance = mustJSON(data), mustJSON(prov)
		t.CustomerRef = truncate(stringField(data, "customer_ref"), MaxExternalID)
		// An address too long to be anyone's adopts nothing; the ticket
		// is still kept.
		if t.CustomerEmail = stringField(data, "customer_email"); len(t.CustomerEmail) > MaxEmail {
			t.CustomerEmail = ""
		}
		if isNew {
			if err := tx.Create(&t).Error; err != nil {
				return err
			}
			changes = []TicketChange{change(CreatedField, "", createdValue(fields, data))}
		} else if err := tx.Model(&Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
			"customer_id": t.CustomerID, "customer_ref": t.CustomerRef, "customer_email": t.CustomerEmail, "status": t.Status, "subject": t.Subject, "data": t.Data,
			"provenance": t.Provenance, "version": t.Version, "source_at": t.SourceAt,
		}).Error; err != nil {
			return err
		}
		for i := range changes {
			changes[i].TicketID, changes[i].Version = t.ID, t.Version
		}
		if len(changes) > 0 {
			if err := tx.Create(&changes).Error; err != nil {
				return err
			}
		}
		res = TicketResult{TicketID: t.ID, Created: isNew, Version: t.Version}
		for _, c := range changes {
			res.Changed = append(res.Changed, c.Field)
		}
		if t.CustomerID != nil {
			res.CustomerID = *t.CustomerID
		}
		return nil
	})
	return res, err
}

func stringField(doc map[string]any, k string) string {
	s, _ := doc[k].(string)
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// TicketView is a ticket as the API shows it.
type TicketView struct {
	ID         uint64         `json:"id"`
	Instance   string         `json:"instance"`
	ExternalID string         `json:"external_id"`
	Version    int64          `json:"version"`
	Ticket     map[string]any `json:"ticket"`
	UpdatedAt  string         `json:"updated_at"`
}

// Ticket loads one ticket by its helpdesk record.
func (s *Store) Ticket(ctx context.Context, instance, externalID string) (*Ticket, map[string]any, error) {
	return takeKept[Ticket](ctx, s.db, "ticket", instance, externalID)
}

// CustomerTickets lists a customer's tickets, newest change first.
func (s *Store) CustomerTickets(ctx context.Context, customerID uint64, limit int) ([]TicketView, error) {
	return customerKept[Ticket](ctx, s.db, "ticket", customerID, "source_at desc, id desc", limit, ticketView)
}

// ticketView is a ticket's row and decoded doc as the API shows them.
func ticketView(r keptRow, data map[string]any) TicketView {
	return TicketView{ID: r.ID, Instance: r.Instance, ExternalID: r.ExternalID, Version: r.Version,
		Ticket: data, UpdatedAt: r.SourceAt.UTC().Format(timeFmt)}
}

// TicketCounts returns how many tickets a customer has, and how many of
// them are open (active or pending).
func (s *Store) TicketCounts(ctx context.Context, customerID uint64) (total, open int64, err error) {
	// Both counts in one statement: every push of a new customer version
	// reads them (sync's knowledge).
	var row struct{ Total, OpenCount int64 }
	err = s.db.WithContext(ctx).Model(&Ticket{}).
		Select("COUNT(*) AS total, COUNT(CASE WHEN status IN ? THEN 1 END) AS open_count", OpenTicketStatuses).
		Where("customer_id = ?", customerID).Scan(&row).Error
	return row.Total, row.OpenCount, err
}

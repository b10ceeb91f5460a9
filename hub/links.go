package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Customer loads a customer and its canonical doc.
func (s *Store) Customer(ctx context.Context, id uint64) (*Customer, map[string]any, error) {
	var c Customer
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, fmt.Errorf("customer %d: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, nil, err
	}
	data, _, err := decodeState(&c)
	return &c, data, err
}

// CustomerByEmail finds a customer by normalized email.
func (s *Store) CustomerByEmail(ctx context.Context, email string) (*Customer, error) {
	var c Customer
	if err := s.db.WithContext(ctx).Where("email = ?", email).Take(&c).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("customer with that email: %w", ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	return &c, nil
}

// Link returns a customer's link to one instance's resource: the oldest
// live one, else the newest the vendor deleted (VendorDeletedAt set). A
// person who registered again after their record was deleted has both.
func (s *Store) Link(ctx context.Context, customerID uint64, instance, resource string) (*Link, error) {
	var l Link
	err := s.db.WithContext(ctx).Where("customer_id = ? AND instance = ? AND resource = ?", customerID, instance, resource).
		Order("CASE WHEN vendor_deleted_at IS NULL THEN 0 ELSE 1 END, vendor_deleted_at DESC, id").Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("link of customer %d to %s: %w", customerID, instance, ErrNotFound)
	}
	return &l, err
}

// LinkWaiting is Link, also saying whether a push of the customer to the
// instance is recorded as waiting (Wait): the push that then succeeds
// clears it, and every other push skips that DELETE. Waits are written
// and cleared only by pushes, which hold the customer's push lock.
func (s *Store) LinkWaiting(ctx context.Context, customerID uint64, instance, resource string) (*Link, bool, error) {
	var row struct {
		Link    `gorm:"embedded"`
		Waiting bool
	}
	err := s.db.WithContext(ctx).Model(&Link{}).
		Select("links.*, EXISTS(SELECT 1 FROM push_waiting w WHERE w.customer_id = links.customer_id AND w.instance = links.instance AND w.resource = links.resource) AS waiting").
		Where("customer_id = ? AND instance = ? AND resource = ?", customerID, instance, resource).
		Order("CASE WHEN vendor_deleted_at IS NULL THEN 0 ELSE 1 END, vendor_deleted_at DESC, id").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, fmt.Errorf("link of customer %d to %s: %w", customerID, instance, ErrNotFound)
	}
	if err != nil {
		return nil, false, err
	}
	return &row.Link, row.Waiting, nil
}

// LinksWaiting is every link of a customer (as Links) in one read, with
// the one LinkWaiting returns for instance and resource and its waiting
// flag: a push that renders the hub's knowledge of the customer's other
// links (sync's _hub.shops) needs both. ErrNotFound when the customer has
// no link there (links is still returned).
func (s *Store) LinksWaiting(ctx context.Context, customerID uint64, instance, resource string) (links []Link, link *Link, waiting bool, err error) {
	var rows []struct {
		Link    `gorm:"embedded"`
		Waiting bool
	}
	err = s.db.WithContext(ctx).Model(&Link{}).
		Select("links.*, EXISTS(SELECT 1 FROM push_waiting w WHERE w.customer_id = links.customer_id AND w.instance = links.instance AND w.resource = links.resource) AS waiting").
		Where("customer_id = ?", customerID).Order("instance, id").Find(&rows).Error
	if err != nil {
		return nil, nil, false, err
	}
	links = make([]Link, len(rows))
	best := -1
	for i, r := range rows {
		links[i] = r.Link
		if r.Instance != instance || r.Resource != resource {
			continue
		}
		// Link's order: the oldest live one, else the newest deleted.
		if best < 0 || linkBefore(&r.Link, &rows[best].Link) {
			best = i
		}
	}
	if best < 0 {
		return links, nil, false, fmt.Errorf("link of customer %d to %s: %w", customerID, instance, ErrNotFound)
	}
	l := links[best]
	return links, &l, rows[best].Waiting, nil
}

// linkBefore is Link's choice among a customer's links to one instance:
// live before deleted, then the latest deletion, then the lower id.
func linkBefore(a, b *Link) bool {
	if (a.VendorDeletedAt == nil) != (b.VendorDeletedAt == nil) {
		return a.VendorDeletedAt == nil
	}
	if a.VendorDeletedAt != nil && !a.VendorDeletedAt.Equal(*b.VendorDeletedAt) {
		return a.VendorDeletedAt.After(*b.VendorDeletedAt)
	}
	return a.ID < b.ID
}

// Links lists every link of a customer.
func (s *Store) Links(ctx context.Context, customerID uint64) ([]Link, error) {
	var ls []Link
	return ls, s.db.WithContext(ctx).Where("customer_id = ?", customerID).Order("instance, id").Find(&ls).Error
}

// Pushed records a successful push: the link (created when the push created
// or found the vendor record), the payload fingerprint and the version. It
// reports whether a newer version had been pushed meanwhile, in which case
// our write may have overtaken it, or whether the customer changed while
// the push ran (an edit from the target itself enqueues no push back to
// it): either way the caller must push again.
//
// pushed is the canonical doc as pushed, limited to the fields the target
// maps back in (nil when nothing was sent); it is stored before the vendor's
// echo can be merged, so the echo is recognised as our own write.
func (s *Store) Pushed(ctx context.Context, customerID uint64, instance, resource, externalID, hash string, version int64, pushed map[string]any) (overtaken bool, err error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	pushedDoc := ""
	if pushed != nil {
		pushedDoc = mustJSON(pushed)
	}
	upd := map[string]any{"last_pushed_hash": hash, "last_pushed_version": version, "last_pushed_at": &now}
	if pushed != nil {
		upd["last_pushed_doc"] = pushedDoc
	}
	// The common case, a push to a record linked to this customer that
	// no newer push overtook, is one conditional UPDATE (the row lock is
	// the statement's own) and a read of the version: the transaction
	// below cost five round trips for the same. It runs when the UPDATE
	// matches nothing, to tell a new link, an overtaken push and a link
	// of someone else apart.
	var n int64
	err = retry(ctx, func() error {
		r := s.db.WithContext(ctx).Model(&Link{}).
			Where("instance = ? AND resource = ? AND external_id = ? AND customer_id = ? AND last_pushed_version <= ?",
				instance, resource, externalID, customerID, version).Updates(upd)
		n = r.RowsAffected
		return r.Error
	})
	if err != nil {
		return false, err
	}
	if n > 0 {
		cur, err := customerVersion(s.db.WithContext(ctx), customerID)
		return cur > version, err
	}
	err = retry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var l Link
			err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
				Where("instance = ? AND resource = ? AND external_id = ?", instance, resource, externalID).Take(&l).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				// The customer may have been erased while the push ran: a
				// link to nobody would keep the pushed doc for ever.
				// Locked, so an erasure running now has committed first.
				var ids []uint64
				if err := tx.Model(&Customer{}).Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", customerID).Pluck("id", &ids).Error; err != nil {
					return err
				}
				if len(ids) == 0 {
					return fmt.Errorf("customer %d: %w", customerID, ErrNotFound)
				}
				l = Link{CustomerID: customerID, Instance: instance, Resource: resource, ExternalID: externalID,
					LastPushedHash: hash, LastPushedVersion: version, LastPushedAt: &now, LastPushedDoc: pushedDoc}
				return tx.Create(&l).Error
			} else if err != nil {
				return err
			}
			if l.CustomerID != customerID {
				return fmt.Errorf("%s record %s is linked to customer %d, not %d", instance, externalID, l.CustomerID, customerID)
			}
			if l.LastPushedVersion > version {
				overtaken = true
				return nil
			}
			if err := tx.Model(&Link{}).Where("id = ?", l.ID).Updates(upd).Error; err != nil {
				return err
			}
			cur, err := customerVersion(tx, customerID)
			overtaken = cur > version
			return err
		})
	})
	return overtaken, err
}

// CustomerVersion is a customer's current version.
func (s *Store) CustomerVersion(ctx context.Context, id uint64) (int64, error) {
	return customerVersion(s.db.WithContext(ctx), id)
}

func customerVersion(db *gorm.DB, id uint64) (int64, error) {
	var vs []int64
	if err := db.Model(&Customer{}).Where("id = ?", id).Pluck("version", &vs).Error; err != nil {
		return 0, err
	}
	if len(vs) == 0 {
		return 0, fmt.Errorf("customer %d: %w", id, ErrNotFound)
	}
	return vs[0], nil
}

// Unlink forgets a link, e.g. after the vendor deleted the record.
func (s *Store) Unlink(ctx context.Context, instance, resource, externalID string) error {
	return s.db.WithContext(ctx).Where("instance = ? AND resource = ? AND external_id = ?", instance, resource, externalID).
		Delete(&Link{}).Error
}

// retry re-runs fn on lost races and deadlocks.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = fn(); err == nil || !isRetryable(err) {
			return asTooLong(err)
		}
		if werr := sleepCtx(ctx, time.Duration(attempt+1)*5*time.Millisecond); werr != nil {
			return werr
		}
	}
	return err
}

// PushRecord is one successful push to an already linked record.
type PushRecord struct {
	CustomerID uint64
	Instance   string
	Resource   string
	ExternalID string
	Hash       string
	Version    int64
	At         time.Time
}

// PushedMany records pushes to existing links in one transaction. A
// version is never lowered: records may be flushed out of order.
func (s *Store) PushedMany(ctx context.Context, recs []PushRecord) error {
	if len(recs) == 0 {
		return nil
	}
	return retry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, r := range recs {
				at := r.At.UTC().Truncate(time.Microsecond)
				err := tx.Model(&Link{}).
					Where("instance = ? AND resource = ? AND external_id = ? AND customer_id = ? AND last_pushed_version <= ?",
						r.Instance, r.Resource, r.ExternalID, r.CustomerID, r.Version).
					Updates(map[string]any{"last_pushed_hash": r.Hash, "last_pushed_version": r.Version, "last_pushed_at": &at}).Error
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// DeletedField is the Field of the change-log row that records a vendor's
// deletion of a linked record (NewValue: the Deletion) or, with NewValue
// null, the record's return (the vendor restored it).
const DeletedField = "-deleted"

// Deletion describes a vendor's deletion in the change log.
type Deletion struct {
	ExternalID string `json:"external_id"`
	Resource   string `json:"resource"`
	By         string `json:"by"`
}

// MarkDeleted records that the vendor deleted (or archived) a linked
// record: the link keeps its row with the deletion's time and source, and
// the change log says so. It returns the linked customer; found is false
// when no link names the record (the hub never took it in, or forgot it),
// and marked is false when the link was marked deleted before (the first
// time and source are kept).
func (s *Store) MarkDeleted(ctx context.Context, instance, resource, externalID string, at time.Time, by string) (customerID uint64, found, marked bool, err error) {
	at = at.UTC().Truncate(time.Microsecond)
	err = retry(ctx, func() error {
		found, marked = false, false
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var l Link
			err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
				Where("instance = ? AND resource = ? AND external_id = ?", instance, resource, externalID).Take(&l).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			customerID, found = l.CustomerID, true
			if l.VendorDeletedAt != nil {
				return nil
			}
			marked = true
			if err := tx.Model(&Link{}).Where("id = ?", l.ID).
				Updates(map[string]any{"vendor_deleted_at": &at, "vendor_deleted_by": by}).Error; err != nil {
				return err
			}
			var version int64
			var c Customer
			if err := tx.Select("version").Where("id = ?", l.CustomerID).Take(&c).Error; err == nil {
				version = c.Version
			} else if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			return tx.Create(&Change{CustomerID: l.CustomerID, Version: version, Field: DeletedField,
				NewValue: mustJSON(Deletion{ExternalID: externalID, Resource: resource, By: by}), Instance: instance, SourceAt: at}).Error
		})
	})
	return customerID, found, marked, err
}

package hub

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// Orders, carts and tickets name their customer the way their system
// does: by its own customer record's id (customer_ref) and by email. They
// often reach the hub before that customer does: a webhook's task runs
// before another's, a poll lists orders before customers. Such a record is
// stored unlinked and adopted when its customer arrives.

// recordCustomer finds the hub customer a record of instance names: the
// system's own customer record, through its link, else the email.
func recordCustomer(tx *gorm.DB, instance, ref, email string) (uint64, error) {
	if ref != "" {
		var l Link
		err := tx.Select("customer_id").Where("instance = ? AND resource = ? AND external_id = ?", instance, "customer", ref).Take(&l).Error
		if err == nil {
			return l.CustomerID, nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return 0, err
		}
	}
	if email != "" {
		var c Customer
		err := tx.Select("id").Where("email = ?", email).Take(&c).Error
		if err == nil {
			return c.ID, nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return 0, err
		}
	}
	return 0, nil
}

// adoptee is the part of an order or ticket row that adoption reads.
type adoptee struct {
	ID            uint64
	Instance      string
	CustomerID    *uint64
	CustomerRef   string
	CustomerEmail string
}

// relook links one unlinked row of model (&Order{} or &Ticket{}) to its
// customer if one exists now, and returns that customer (0: none yet).
func (s *Store) relook(ctx context.Context, model any, id uint64) (uint64, error) {
	var r adoptee
	db := s.db.WithContext(ctx)
	if err := db.Model(model).Select("id, instance, customer_id, customer_ref, customer_email").Where("id = ?", id).Take(&r).Error; err != nil {
		return 0, err
	}
	if r.CustomerID != nil {
		return *r.CustomerID, nil
	}
	cid, err := recordCustomer(db, r.Instance, r.CustomerRef, r.CustomerEmail)
	if err != nil || cid == 0 {
		return 0, err
	}
	return cid, db.Model(model).Where("id = ? AND customer_id IS NULL", id).Update("customer_id", cid).Error
}

// Adopt links unlinked orders and tickets to the given customers: those
// whose customer_ref is the external id of one of their customer links in
// the record's own instance, or whose customer_email is theirs. It returns
// how many records each customer adopted. The pipeline calls it after a
// merge created a customer, linked a record to one, or changed an email.
func (s *Store) Adopt(ctx context.Context, customerIDs ...uint64) (map[uint64]int, error) {
	if len(customerIDs) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	// Nearly always there is nothing to adopt: one statement of two
	// indexed probes decides.
	var probe struct{ Order, Ticket *uint64 }
	if err := db.Raw("SELECT (SELECT id FROM orders WHERE customer_id IS NULL LIMIT 1) AS `order`, " +
		"(SELECT id FROM tickets WHERE customer_id IS NULL LIMIT 1) AS ticket").Scan(&probe).Error; err != nil {
		return nil, err
	}
	var waiting []any
	if probe.Order != nil {
		waiting = append(waiting, &Order{})
	}
	if probe.Ticket != nil {
		waiting = append(waiting, &Ticket{})
	}
	if len(waiting) == 0 {
		return nil, nil
	}
	o, err := loadOwners(db, customerIDs)
	if err != nil || o == nil {
		return nil, err
	}
	out := map[uint64]int{}
	for _, model := range waiting {
		if err := o.adopt(db, model, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type ownerRef struct{ instance, id string }

// owners is what the adopting customers are known by: their customer
// links and their emails.
type owners struct {
	byRef   map[ownerRef]uint64
	byEmail map[string]uint64
	refs    [][]any
	emails  []string
}

// loadOwners loads the links and emails of customerIDs; nil when they
// have neither.
func loadOwners(db *gorm.DB, customerIDs []uint64) (*owners, error) {
	var links []Link
	if err := db.Select("customer_id, instance, external_id").Where("customer_id IN ? AND resource = ?", customerIDs, "customer").Find(&links).Error; err != nil {
		return nil, err
	}
	var custs []Customer
	if err := db.Select("id, email").Where("id IN ? AND email IS NOT NULL", customerIDs).Find(&custs).Error; err != nil {
		return nil, err
	}
	if len(links) == 0 && len(custs) == 0 {
		return nil, nil
	}
	o := &owners{byRef: map[ownerRef]uint64{}, byEmail: map[string]uint64{}}
	for _, l := range links {
		o.byRef[ownerRef{l.Instance, l.ExternalID}] = l.CustomerID
		o.refs = append(o.refs, []any{l.Instance, l.ExternalID})
	}
	for _, c := range custs {
		o.byEmail[*c.Email] = c.ID
		o.emails = append(o.emails, *c.Email)
	}
	return o, nil
}

// adopt links the unlinked rows of model that name one of the owners,
// adding to out how many each adopted.
func (o *owners) adopt(db *gorm.DB, model any, out map[uint64]int) error {
	q := db.Model(model).Select("id, instance, customer_ref, customer_email").Where("customer_id IS NULL")
	switch {
	case len(o.refs) > 0 && len(o.emails) > 0:
		q = q.Where(db.Where("(instance, customer_ref) IN ?", o.refs).Or("customer_email IN ?", o.emails))
	case len(o.refs) > 0:
		q = q.Where("(instance, customer_ref) IN ?", o.refs)
	default:
		q = q.Where("customer_email IN ?", o.emails)
	}
	var orphans []adoptee
	if err := q.Find(&orphans).Error; err != nil {
		return err
	}
	byCustomer := map[uint64][]uint64{}
	for _, r := range orphans {
		// The system's customer link decides before the email, as in the
		// merge.
		cid := o.byRef[ownerRef{r.Instance, r.CustomerRef}]
		if cid == 0 || r.CustomerRef == "" {
			cid = o.byEmail[r.CustomerEmail]
		}
		if cid != 0 {
			byCustomer[cid] = append(byCustomer[cid], r.ID)
		}
	}
	for cid, ids := range byCustomer {
		res := db.Model(model).Where("id IN ? AND customer_id IS NULL", ids).Update("customer_id", cid)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			out[cid] += int(res.RowsAffected)
		}
	}
	return nil
}

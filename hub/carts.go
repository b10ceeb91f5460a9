package hub

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Cart is one cart (a checkout or quote not completed yet) of a shop,
// linked to the hub customer it belongs to. The shop is its only writer:
// the newest state wins as a whole. Data holds the canonical cart doc
// (mappings.CartFields); the columns beside it are what the event engine
// searches by.
type Cart struct {
	ID         uint64  `gorm:"primaryKey"`
	Instance   string  `gorm:"type:varchar(64);not null;uniqueIndex:ux_carts_ext,priority:1"`
	ExternalID string  `gorm:"type:varchar(255);not null;uniqueIndex:ux_carts_ext,priority:2"`
	CustomerID *uint64 `gorm:"index"`
	// CustomerRef and CustomerEmail find the customer when the cart came
	// before them.
	CustomerRef   string `gorm:"type:varchar(255)"`
	CustomerEmail string `gorm:"type:varchar(320);index"`
	Currency      string `gorm:"type:varchar(3)"`
	TotalUnits    int64  `gorm:"not null;default:0"`
	// TouchedAt is the customer's last touch of the cart (its updated_at):
	// abandonment counts from it.
	TouchedAt   time.Time  `gorm:"index:ix_carts_open,priority:2"`
	CompletedAt *time.Time `gorm:"index:ix_carts_open,priority:1"`
	Data        string     `gorm:"type:text"`
	Version     int64      `gorm:"not null;default:0"`
	// SourceAt is the shop's modification time of the state held.
	SourceAt  time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CartInbound is one canonical cart (normalized by mappings.NormalizeCart).
type CartInbound struct {
	Instance   string
	ExternalID string
	SourceAt   time.Time
	Doc        map[string]any
}

// CartResult says what MergeCart did.
type CartResult struct {
	CartID     uint64
	CustomerID uint64
	Created    bool
	Changed    bool
	Stale      bool
	Erased     bool
}

// MergeCart stores the newest state of a cart. A state older than the one
// held changes nothing; so does the same state again.
func (s *Store) MergeCart(ctx context.Context, in CartInbound) (CartResult, error) {
	if err := checkLengths(field{"external id", in.ExternalID, MaxExternalID}, field{"customer_email", docString(in.Doc, "customer_email"), MaxEmail}); err != nil {
		return CartResult{}, fmt.Errorf("merge cart %s/%s: %w", in.Instance, truncate(in.ExternalID, MaxExternalID), err)
	}
	in.SourceAt = in.SourceAt.UTC().Truncate(time.Microsecond)
	var res CartResult
	err := retry(ctx, func() error {
		var err error
		res, err = s.mergeCartOnce(ctx, in)
		return err
	})
	return res, err
}

func (s *Store) mergeCartOnce(ctx context.Context, in CartInbound) (CartResult, error) {
	var res CartResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = CartResult{}
		var c Cart
		erased, isNew, err := s.lockWhole(tx, "cart", in.Instance, in.ExternalID, in.Doc, &c)
		if err != nil || erased {
			res.Erased = erased
			return err
		}
		if !isNew && in.SourceAt.Before(c.SourceAt) {
			res = CartResult{CartID: c.ID, Stale: true}
			return nil
		}
		data := mustJSON(in.Doc)
		custID, err := recordCustomer(tx, in.Instance, stringField(in.Doc, "customer_ref"), stringField(in.Doc, "customer_email"))
		if err != nil {
			return err
		}
		if !isNew && data == c.Data && (custID == 0 || c.CustomerID != nil && *c.CustomerID == custID) {
			res = CartResult{CartID: c.ID}
			if c.CustomerID != nil {
				res.CustomerID = *c.CustomerID
			}
			return nil
		}
		if custID != 0 {
			c.CustomerID = &custID
		}
		c.Instance, c.ExternalID, c.SourceAt, c.Data = in.Instance, in.ExternalID, in.SourceAt, data
		c.Version++
		if err := fillCart(&c, in.Doc); err != nil {
			return err
		}
		if isNew {
			if err := tx.Create(&c).Error; err != nil {
				return err
			}
		} else if err := tx.Model(&Cart{}).Where("id = ?", c.ID).Updates(map[string]any{
			"customer_id": c.CustomerID, "customer_ref": c.CustomerRef, "customer_email": c.CustomerEmail,
			"currency": c.Currency, "total_units": c.TotalUnits, "touched_at": c.TouchedAt, "completed_at": c.CompletedAt,
			"data": c.Data, "version": c.Version, "source_at": c.SourceAt,
		}).Error; err != nil {
			return err
		}
		res = CartResult{CartID: c.ID, Created: isNew, Changed: true}
		if c.CustomerID != nil {
			res.CustomerID = *c.CustomerID
		}
		return nil
	})
	return res, err
}

func fillCart(c *Cart, doc map[string]any) error {
	c.CustomerRef = truncate(stringField(doc, "customer_ref"), MaxExternalID)
	c.CustomerEmail = stringField(doc, "customer_email")
	c.Currency = stringField(doc, "currency")
	var err error
	if c.TotalUnits, err = moneyField(doc, "total"); err != nil {
		return err
	}
	c.TouchedAt = c.SourceAt
	if s := stringField(doc, "updated_at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Errorf("cart updated_at %q: %w", s, err)
		}
		c.TouchedAt = t.UTC()
	}
	c.CompletedAt = nil
	if s := stringField(doc, "completed_at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Errorf("cart completed_at %q: %w", s, err)
		}
		t = t.UTC()
		c.CompletedAt = &t
	}
	return nil
}

// CartView is a cart as the API shows it.
type CartView struct {
	Instance   string         `json:"instance"`
	ExternalID string         `json:"external_id"`
	Cart       map[string]any `json:"cart"`
}

// CustomerCarts lists a customer's carts, last touched first.
func (s *Store) CustomerCarts(ctx context.Context, customerID uint64, limit int) ([]CartView, error) {
	var rows []Cart
	if err := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Order("touched_at desc").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]CartView, 0, len(rows))
	for _, c := range rows {
		data, err := decodeData("cart", c.ID, c.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, CartView{Instance: c.Instance, ExternalID: c.ExternalID, Cart: data})
	}
	return out, nil
}

// Cart reads one cart by its shop's id.
func (s *Store) Cart(ctx context.Context, instance, externalID string) (*Cart, error) {
	var c Cart
	if err := s.db.WithContext(ctx).Where("instance = ? AND external_id = ?", instance, externalID).Take(&c).Error; err != nil {
		return nil, err
	}
	return &c, nil
}

// AbandonedCarts lists carts of instance not completed and untouched since
// before, oldest first, after the id after (paging).
func (s *Store) AbandonedCarts(ctx context.Context, instance string, before time.Time, after uint64, limit int) ([]Cart, error) {
	var rows []Cart
	err := s.db.WithContext(ctx).Where("instance = ? AND completed_at IS NULL AND touched_at <= ? AND id > ?", instance, before.UTC(), after).
		Order("id").Limit(limit).Find(&rows).Error
	return rows, err
}

// CartCustomer resolves a cart's customer now (a cart may come before its
// customer), linking it when found; 0 when the hub knows nobody.
func (s *Store) CartCustomer(ctx context.Context, c *Cart) (uint64, error) {
	if c.CustomerID != nil {
		return *c.CustomerID, nil
	}
	db := s.db.WithContext(ctx)
	cid, err := recordCustomer(db, c.Instance, c.CustomerRef, c.CustomerEmail)
	if err != nil || cid == 0 {
		return 0, err
	}
	c.CustomerID = &cid
	return cid, db.Model(&Cart{}).Where("id = ? AND customer_id IS NULL", c.ID).Update("customer_id", cid).Error
}

// OrderedSince reports whether the customer (or, for a guest, the email)
// placed an order at or after t.
func (s *Store) OrderedSince(ctx context.Context, customerID uint64, email string, t time.Time) (bool, error) {
	q := s.db.WithContext(ctx).Model(&Order{}).Where("placed_at >= ?", t.UTC())
	switch {
	case customerID != 0 && email != "":
		q = q.Where("customer_id = ? OR customer_email = ?", customerID, email)
	case customerID != 0:
		q = q.Where("customer_id = ?", customerID)
	case email != "":
		q = q.Where("customer_email = ?", email)
	default:
		return false, nil
	}
	var n int64
	err := q.Limit(1).Count(&n).Error
	return n > 0, err
}

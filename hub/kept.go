package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Orders and tickets are both a vendor's record kept whole: its JSON doc
// (Data) under (instance, external_id), versioned, with the source's time
// of the state held. Loading one and listing a customer's are the same
// code path for both; what differs is the kind's name, the listing's
// order and the view.

// keptRow is what an order and a ticket share.
type keptRow struct {
	ID                   uint64
	Instance, ExternalID string
	Version              int64
	Data                 string
	SourceAt             time.Time
}

func (o Order) kept() keptRow {
	return keptRow{ID: o.ID, Instance: o.Instance, ExternalID: o.ExternalID, Version: o.Version, Data: o.Data, SourceAt: o.SourceAt}
}

func (t Ticket) kept() keptRow {
	return keptRow{ID: t.ID, Instance: t.Instance, ExternalID: t.ExternalID, Version: t.Version, Data: t.Data, SourceAt: t.SourceAt}
}

// keptRecord is a kept record's table row type.
type keptRecord interface {
	Order | Ticket
	kept() keptRow
}

// takeKept loads one kept record by its vendor id, with its doc decoded;
// kind ("order", "ticket") names it in errors.
func takeKept[T keptRecord](ctx context.Context, db *gorm.DB, kind, instance, externalID string) (*T, map[string]any, error) {
	var r T
	err := db.WithContext(ctx).Where("instance = ? AND external_id = ?", instance, externalID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, fmt.Errorf("%s %s/%s: %w", kind, instance, externalID, ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	k := r.kept()
	data, err := decodeData(kind, k.ID, k.Data)
	if err != nil {
		return nil, nil, err
	}
	return &r, data, nil
}

// customerKept lists a customer's kept records in the given order (at
// most limit, all when limit ≤ 0), each as view makes it of the row and
// its decoded doc.
func customerKept[T keptRecord, V any](ctx context.Context, db *gorm.DB, kind string, customerID uint64, order string, limit int,
	view func(keptRow, map[string]any) V) ([]V, error) {
	var rows []T
	q := db.WithContext(ctx).Where("customer_id = ?", customerID).Order(order)
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]V, 0, len(rows))
	for _, r := range rows {
		k := r.kept()
		data, err := decodeData(kind, k.ID, k.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, view(k, data))
	}
	return out, nil
}

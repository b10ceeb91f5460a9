package hub

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// SaidBefore reports whether a merge of in would change nothing because
// its source said exactly this last time: the record's link is live, its
// trust is the same, and the link's last inbound doc hashes like in.Doc —
// MergeBatch's duplicate rule, read with one indexed SELECT and no
// transaction or lock. A push's read before write mostly finds the target
// as its last record left it; merged, that read cost a transaction
// locking the customer to write nothing.
//
// Answering from a plain read is the same as merging at the moment of
// the read: a duplicate writes nothing, so it does not matter whether a
// merge committing right after would have come before or after it. False
// means only "not known to be a duplicate": the caller merges.
func (s *Store) SaidBefore(ctx context.Context, in Inbound) (bool, error) {
	said, _, err := s.saidBefore(ctx, in, 0)
	return said, err
}

// SaidBeforeVersion is SaidBefore that also reads customer customerID's
// version in the same statement (0 when the link or the customer is not
// there): a push reads the target, asks whether it said this before, and
// then whether the hub moved on since it read the customer — one round
// trip for both, both after the target's read.
func (s *Store) SaidBeforeVersion(ctx context.Context, in Inbound, customerID uint64) (said bool, version int64, err error) {
	return s.saidBefore(ctx, in, customerID)
}

func (s *Store) saidBefore(ctx context.Context, in Inbound, customerID uint64) (bool, int64, error) {
	var row struct {
		Link    `gorm:"embedded"`
		Version *int64
	}
	cols := "last_inbound_hash, last_inbound_at, last_inbound_read_at, vendor_deleted_at, unverified, last_pushed_at, last_pushed_doc"
	args := []any{}
	if customerID != 0 {
		cols += ", (SELECT version FROM customers c WHERE c.id = ?) AS version"
		args = append(args, customerID)
	}
	err := s.db.WithContext(ctx).Model(&Link{}).Select(cols, args...).
		Where("instance = ? AND resource = ? AND external_id = ?", in.Instance, in.Resource, in.ExternalID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	var version int64
	if row.Version != nil {
		version = *row.Version
	}
	l := row.Link
	if l.VendorDeletedAt != nil || l.LastInboundAt == nil || l.Unverified != in.Unverified || l.LastInboundHash == "" {
		return false, version, nil
	}
	return l.LastInboundHash == encodeDoc(in.Doc).hash && !changedBackPossible(in, &l), version, nil
}

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
	var l Link
	err := s.db.WithContext(ctx).Select("last_inbound_hash", "last_inbound_at", "vendor_deleted_at", "unverified", "last_pushed_at", "last_pushed_doc").
		Where("instance = ? AND resource = ? AND external_id = ?", in.Instance, in.Resource, in.ExternalID).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if l.VendorDeletedAt != nil || l.LastInboundAt == nil || l.Unverified != in.Unverified || l.LastInboundHash == "" {
		return false, nil
	}
	return l.LastInboundHash == encodeDoc(in.Doc).hash && !changedBackPossible(in, l.LastInboundAt, l.LastPushedAt, l.LastPushedDoc), nil
}

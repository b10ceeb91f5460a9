package hub

import (
	"context"
	"time"
)

// PendingQuarantine lists quarantined records not yet replayed, oldest
// first, after id after; instance "" means all.
func (s *Store) PendingQuarantine(ctx context.Context, instance string, after uint64, limit int) ([]Quarantined, error) {
	q := s.db.WithContext(ctx).Where("replayed_at IS NULL AND id > ?", after)
	if instance != "" {
		q = q.Where("instance = ?", instance)
	}
	var out []Quarantined
	return out, q.Order("id").Limit(limit).Find(&out).Error
}

// QuarantineReplayed marks a quarantined record as replayed successfully.
func (s *Store) QuarantineReplayed(ctx context.Context, id uint64) error {
	now := time.Now().UTC()
	return s.db.WithContext(ctx).Model(&Quarantined{}).Where("id = ?", id).
		Updates(map[string]any{"replayed_at": &now, "waiting_key": nil}).Error
}

// QuarantineFailed records why a replay failed again.
func (s *Store) QuarantineFailed(ctx context.Context, id uint64, reason string) error {
	return s.db.WithContext(ctx).Model(&Quarantined{}).Where("id = ?", id).Update("reason", reason).Error
}

// PurgeQuarantine deletes quarantined records, raw payload and all, stored
// before cutoff: raw payloads hold personal data and are kept only as long
// as configured.
func (s *Store) PurgeQuarantine(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("created_at < ?", cutoff.UTC()).Delete(&Quarantined{})
	return res.RowsAffected, res.Error
}

package hub

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Cursor returns the stored polling cursor ("" when none).
func (s *Store) Cursor(ctx context.Context, instance, resource string) (Cursor, error) {
	var c Cursor
	err := s.db.WithContext(ctx).Where("instance = ? AND resource = ?", instance, resource).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Cursor{Instance: instance, Resource: resource}, nil
	}
	return c, err
}

// SaveCursor stores a cursor after its page was safely enqueued.
func (s *Store) SaveCursor(ctx context.Context, instance, resource, value string, done bool) error {
	now := time.Now().UTC()
	c := Cursor{Instance: instance, Resource: resource, Value: value, Done: done, UpdatedAt: now}
	cols := []string{"value", "done", "updated_at"}
	if done {
		c.LastSuccessAt = &now
		cols = append(cols, "last_success_at")
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "instance"}, {Name: "resource"}},
		DoUpdates: clause.AssignmentColumns(cols),
	}).Create(&c).Error
}

// ResetCursor makes the next poll a full backfill.
func (s *Store) ResetCursor(ctx context.Context, instance, resource string) error {
	return s.db.WithContext(ctx).Where("instance = ? AND resource = ?", instance, resource).Delete(&Cursor{}).Error
}

// Quarantine stores a record that failed mapping or validation.
func (s *Store) Quarantine(ctx context.Context, q *Quarantined) error {
	// A record quarantined for an over-long id must still fit here; its
	// reason says how long the id was.
	q.ExternalID, q.EventID = truncate(q.ExternalID, MaxExternalID), truncate(q.EventID, MaxExternalID)
	return s.db.WithContext(ctx).Create(q).Error
}

// QuarantineCount counts quarantined records not yet replayed.
func (s *Store) QuarantineCount(ctx context.Context, instance string) (int64, error) {
	var n int64
	q := s.db.WithContext(ctx).Model(&Quarantined{}).Where("replayed_at IS NULL")
	if instance != "" {
		q = q.Where("instance = ?", instance)
	}
	return n, q.Count(&n).Error
}

package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// OutboxEvent loads one event.
func (s *Store) OutboxEvent(ctx context.Context, id uint64) (*OutboxEvent, error) {
	var ev OutboxEvent
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&ev).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("outbox event %d: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	return &ev, nil
}

// MarkDispatched records that events' push tasks are enqueued.
func (s *Store) MarkDispatched(ctx context.Context, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	now := time.Now().UTC()
	return s.db.WithContext(ctx).Model(&OutboxEvent{}).Where("id IN ? AND dispatched_at IS NULL", ids).
		Update("dispatched_at", &now).Error
}

// PendingOutbox lists events not dispatched and older than minAge: those
// whose fan-out task was lost (a crash between commit and enqueue).
// It pages by id: events after afterID.
func (s *Store) PendingOutbox(ctx context.Context, minAge time.Duration, afterID uint64, limit int) ([]OutboxEvent, error) {
	var evs []OutboxEvent
	err := s.db.WithContext(ctx).Where("dispatched_at IS NULL AND created_at < ? AND id > ?", time.Now().UTC().Add(-minAge), afterID).
		Order("id").Limit(limit).Find(&evs).Error
	return evs, err
}

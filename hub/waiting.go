package hub

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// Waiting is a record a touchpoint cannot hold yet (Shopware creates no
// customer without an address). It is no failure: the push is recorded as
// waiting with the target's reason, shown in status and the 360° view, and
// the next change of the customer pushes again. It lives beside the links
// because a record waiting to be created has no external id to link yet.
type Waiting struct {
	CustomerID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Instance   string `gorm:"primaryKey;type:varchar(64)"`
	Resource   string `gorm:"primaryKey;type:varchar(32)"`
	Reason     string `gorm:"type:text"`
	Since      time.Time
	UpdatedAt  time.Time
}

// TableName names the waiting table.
func (Waiting) TableName() string { return "push_waiting" }

// WaitingView is a waiting push as the API shows it.
type WaitingView struct {
	Instance string `json:"instance"`
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
	Since    string `json:"since"`
}

// Wait records that instance cannot hold the customer's resource yet, and
// why; a repeated wait keeps its first time.
func (s *Store) Wait(ctx context.Context, customerID uint64, instance, resource, reason string) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	w := Waiting{CustomerID: customerID, Instance: instance, Resource: resource, Reason: reason, Since: now, UpdatedAt: now}
	return retry(ctx, func() error {
		return s.db.WithContext(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "customer_id"}, {Name: "instance"}, {Name: "resource"}},
			DoUpdates: clause.AssignmentColumns([]string{"reason", "updated_at"}),
		}).Create(&w).Error
	})
}

// Unwait clears a wait once the target holds the record.
func (s *Store) Unwait(ctx context.Context, customerID uint64, instance, resource string) error {
	return s.db.WithContext(ctx).Where("customer_id = ? AND instance = ? AND resource = ?", customerID, instance, resource).
		Delete(&Waiting{}).Error
}

// CustomerWaiting lists what a customer waits for, by instance.
func (s *Store) CustomerWaiting(ctx context.Context, customerID uint64) ([]WaitingView, error) {
	var rows []Waiting
	if err := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Order("instance, resource").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]WaitingView, 0, len(rows))
	for _, w := range rows {
		out = append(out, WaitingView{Instance: w.Instance, Resource: w.Resource, Reason: w.Reason, Since: w.Since.UTC().Format(timeFmt)})
	}
	return out, nil
}

// WaitingCounts counts waiting records of existing customers per instance.
func (s *Store) WaitingCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Instance string
		N        int
	}
	err := s.db.WithContext(ctx).Model(&Waiting{}).Select("instance, count(*) AS n").
		Where("customer_id IN (?)", s.db.Model(&Customer{}).Select("id")).Group("instance").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Instance] = r.N
	}
	return out, nil
}

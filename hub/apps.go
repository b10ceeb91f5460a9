package hub

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// AppShop is a shop that registered shophub as its app (Shopware's app
// system), one per connector instance: the per-shop secret that signs its
// webhooks and the integration credentials it confirmed. The fields are
// those of connectors.AppShop, so the two convert into each other. Stored
// in plain text (the database holds the vendors' personal data anyway);
// never logged, never rendered by the API.
type AppShop struct {
	Instance       string `gorm:"primaryKey;type:varchar(64)"`
	ShopID         string `gorm:"type:varchar(64);not null"`
	ShopURL        string `gorm:"type:varchar(255)"`
	Secret         string `gorm:"type:varchar(128)"`
	PendingSecret  string `gorm:"type:varchar(128)"`
	PreviousSecret string `gorm:"type:varchar(128)"`
	APIKey         string `gorm:"type:varchar(255)"`
	SecretKey      string `gorm:"type:varchar(255)"`
	RegisteredAt   time.Time
	ConfirmedAt    *time.Time
}

// TableName names the app registration table.
func (AppShop) TableName() string { return "app_shops" }

// AppShop returns the instance's app registration, nil when there is none.
func (s *Store) AppShop(ctx context.Context, instance string) (*AppShop, error) {
	var a AppShop
	err := s.db.WithContext(ctx).Where("instance = ?", instance).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// SaveAppShop writes the instance's app registration.
func (s *Store) SaveAppShop(ctx context.Context, a *AppShop) error {
	return s.db.WithContext(ctx).Save(a).Error
}

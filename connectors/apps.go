package connectors

import (
	"context"
	"net/http"
	"time"
)

// AppShop is one shop that installed shophub as its app (Shopware's app
// system): the per-shop secret handed out in the registration handshake,
// which signs the shop's webhooks, and the integration credentials the
// shop confirmed. Secrets are never logged.
type AppShop struct {
	Instance string
	ShopID   string
	ShopURL  string
	// Secret is the confirmed per-shop secret. PendingSecret was handed out
	// by the latest registration and becomes Secret with its confirmation;
	// the shop signs with it from the moment it received it.
	// PreviousSecret is the one it replaced, still accepted for a while.
	Secret         string
	PendingSecret  string
	PreviousSecret string
	// APIKey and SecretKey are the app's integration credentials (OAuth
	// client credentials) from the confirmation.
	APIKey       string
	SecretKey    string
	RegisteredAt time.Time
	ConfirmedAt  *time.Time
}

// AppStore keeps app registrations; the pipeline hands one to connectors
// in Instance.Apps (the hub's app_shops table).
type AppStore interface {
	// AppShop returns the instance's registration, nil when it has none.
	AppShop(ctx context.Context, instance string) (*AppShop, error)
	SaveAppShop(ctx context.Context, s *AppShop) error
}

// AppRegistrar is a connector that a vendor registers as an app by a
// handshake (Shopware). Errors wrap ErrBadSignature for requests that are
// not authentic and ErrMalformed for unreadable ones.
type AppRegistrar interface {
	// Register answers the vendor's registration request (its raw query
	// string and headers) with the JSON body to send back; confirmURL is
	// where the vendor confirms.
	Register(ctx context.Context, h http.Header, rawQuery, confirmURL string) ([]byte, error)
	// ConfirmRegistration takes the vendor's confirmation (raw body).
	ConfirmRegistration(ctx context.Context, h http.Header, body []byte) error
}

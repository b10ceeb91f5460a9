package magento

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shophub/shophub/connectors"
)

// ErrLoginRefused marks a rejected admin login. The connector then stops
// asking for tokens until it is rebuilt (shophub restarts): Magento locks
// the admin account after 6 failed logins (oauth/authentication_lock), and
// a locked account would take the store's admins down with shophub.
var ErrLoginRefused = errors.New("magento admin login refused")

// newTokenSource fetches admin tokens from POST /V1/integration/admin/token;
// connectors.TokenSource caches them, renews them before their lifetime
// ends, and stops asking after a refused login.
func newTokenSource(baseURL, storeCode string, s Settings, timeout time.Duration) *connectors.TokenSource {
	// Retries -1: a login is never repeated in place, so one bad password
	// costs Magento's lockout counter one failure, not three.
	api := connectors.NewHTTPClient(connectors.ClientOptions{BaseURL: baseURL, Timeout: timeout, Retries: -1})
	path := "/rest/" + storeCode + "/V1/integration/admin/token"
	lifetime := s.TokenLifetime
	fetch := func(ctx context.Context) (string, time.Duration, error) {
		var out string
		body := map[string]string{"username": s.Username, "password": s.Password}
		if _, err := api.Do(connectors.Idempotent(ctx), http.MethodPost, path, body, &out); err != nil {
			var herr *connectors.HTTPError
			if errors.As(err, &herr) && (herr.Status == http.StatusUnauthorized || herr.Status == http.StatusBadRequest) {
				return "", 0, connectors.Permanent(fmt.Errorf("magento: %w for admin user %q: %s; no further login attempts until shophub restarts, "+
					"so that Magento's lockout after 6 failures does not trigger: %w", ErrLoginRefused, s.Username, messageOf(herr), err))
			}
			return "", 0, fmt.Errorf("magento: admin token: %w", err)
		}
		if out == "" {
			return "", 0, fmt.Errorf("magento: admin token: answer carries no token")
		}
		return out, lifetime, nil
	}
	return connectors.NewTokenSource(fetch, func(ttl time.Duration) time.Duration { return min(5*time.Minute, ttl/10) })
}

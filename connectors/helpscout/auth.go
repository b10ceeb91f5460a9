package helpscout

import (
	"context"
	"fmt"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/shophub/shophub/connectors"
)

// refreshEarly renews a token this long before Help Scout's expiry.
const refreshEarly = time.Minute

// newTokenSource fetches OAuth2 client-credentials tokens;
// connectors.TokenSource caches them, fetches once for concurrent callers,
// and after a 401 replaces only the token that was refused, so a hundred
// workers hitting 401 at once cause one refresh, not a hundred.
func newTokenSource(s Settings, timeout time.Duration) *connectors.TokenSource {
	api := connectors.NewHTTPClient(connectors.ClientOptions{BaseURL: s.BaseURL, Timeout: timeout})
	fetch := func(ctx context.Context) (string, time.Duration, error) {
		var out struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		_, err := api.DoRequest(connectors.Idempotent(ctx), "POST", "/v2/oauth2/token", func(r *resty.Request) {
			r.SetFormData(map[string]string{"grant_type": "client_credentials", "client_id": s.ClientID, "client_secret": s.ClientSecret})
		}, &out)
		if err != nil {
			return "", 0, fmt.Errorf("helpscout: token: %w", err)
		}
		if out.AccessToken == "" {
			return "", 0, connectors.Permanent(fmt.Errorf("helpscout: token endpoint answered no access_token"))
		}
		return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
	}
	return connectors.NewTokenSource(fetch, func(ttl time.Duration) time.Duration {
		if ttl > 2*refreshEarly {
			return refreshEarly
		}
		return ttl / 2
	})
}

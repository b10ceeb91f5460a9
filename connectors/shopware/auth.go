package shopware

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/shophub/shophub/connectors"
)

// credentials returns the OAuth client credentials to fetch a token with:
// the configured integration's, or the app's from its registration.
type credentials func(ctx context.Context) (id, secret string, err error)

// newTokenSource fetches the integration's access token with the client
// credentials grant; connectors.TokenSource caches and renews it. The
// credentials are asked for at every fetch, so an app re-registration's
// new ones are used from the next token on.
func newTokenSource(baseURL string, creds credentials, timeout time.Duration) *connectors.TokenSource {
	api := connectors.NewHTTPClient(connectors.ClientOptions{BaseURL: baseURL, Timeout: timeout, RetryAfter: RetryAfter})
	fetch := func(ctx context.Context) (string, time.Duration, error) {
		var out struct {
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
			AccessToken string `json:"access_token"`
		}
		id, secret, err := creds(ctx)
		if err != nil {
			return "", 0, fmt.Errorf("shopware: access token: %w", err)
		}
		body := map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}
		if _, err := api.Do(connectors.Idempotent(ctx), http.MethodPost, "/api/oauth/token", body, &out); err != nil {
			return "", 0, fmt.Errorf("shopware: access token: %w", err)
		}
		if out.AccessToken == "" {
			return "", 0, fmt.Errorf("shopware: access token: answer carries no access_token")
		}
		ttl := time.Duration(out.ExpiresIn) * time.Second
		if ttl <= 0 {
			ttl = 600 * time.Second // shopware.api.access_token_ttl default
		}
		return out.AccessToken, ttl, nil
	}
	return connectors.NewTokenSource(fetch, func(ttl time.Duration) time.Duration { return min(tokenRefreshMargin, ttl/4) })
}

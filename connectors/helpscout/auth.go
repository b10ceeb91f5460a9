package helpscout

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/shophub/shophub/connectors"
)

// tokenSource holds the OAuth2 client-credentials token. One caller fetches
// a token while the others wait for it; a 401 invalidates only the token
// that was refused, so a hundred workers hitting 401 at once cause one
// refresh, not a hundred.
type tokenSource struct {
	s    Settings
	http *connectors.HTTPClient

	mu      sync.Mutex
	token   string
	expires time.Time
	fetched time.Time
}

// refreshEarly renews a token this long before Help Scout's expiry.
const refreshEarly = time.Minute

func newTokenSource(s Settings, timeout time.Duration) *tokenSource {
	return &tokenSource{s: s, http: connectors.NewHTTPClient(connectors.ClientOptions{BaseURL: s.BaseURL, Timeout: timeout})}
}

// get returns a valid token, fetching one when there is none or it is about
// to expire.
func (t *tokenSource) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && time.Now().Before(t.expires) {
		return t.token, nil
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	_, err := t.http.DoRequest(ctx, "POST", "/v2/oauth2/token", func(r *resty.Request) {
		r.SetFormData(map[string]string{"grant_type": "client_credentials", "client_id": t.s.ClientID, "client_secret": t.s.ClientSecret})
	}, &out)
	if err != nil {
		return "", fmt.Errorf("helpscout: token: %w", err)
	}
	if out.AccessToken == "" {
		return "", connectors.Permanent(fmt.Errorf("helpscout: token endpoint answered no access_token"))
	}
	life := time.Duration(out.ExpiresIn) * time.Second
	if life > 2*refreshEarly {
		life -= refreshEarly
	} else {
		life /= 2
	}
	t.token, t.expires, t.fetched = out.AccessToken, time.Now().Add(life), time.Now()
	return t.token, nil
}

// authorize sets the bearer token on a request.
func (t *tokenSource) authorize(ctx context.Context, r *resty.Request) error {
	tok, err := t.get(ctx)
	if err != nil {
		return err
	}
	r.SetAuthToken(tok)
	return nil
}

// freshFor is how long a just-fetched token is trusted against a 401:
// requests sent with the previous token answer 401 after a concurrent
// refresh, and must not throw the new token away.
const freshFor = 2 * time.Second

// reauthorize runs after a 401: the token is dropped unless it was fetched
// a moment ago, and the next authorize fetches a fresh one — once, shared by
// concurrent callers.
func (t *tokenSource) reauthorize(ctx context.Context) error {
	t.mu.Lock()
	if time.Since(t.fetched) > freshFor {
		t.token = ""
	}
	t.mu.Unlock()
	_, err := t.get(ctx)
	return err
}

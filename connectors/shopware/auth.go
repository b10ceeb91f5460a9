package shopware

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/shophub/shophub/connectors"
)

// tokenSource holds the integration's access token. One fetch runs at a
// time (sem); every caller waiting for it gets the token it produced, so
// concurrent workers cause one token request, not one each.
type tokenSource struct {
	http         *connectors.HTTPClient // no auth hooks: it is the auth
	clientID     string
	clientSecret string
	now          func() time.Time

	sem chan struct{} // held while fetching; a channel so waiting honours ctx

	mu    sync.Mutex
	tok   string
	renew time.Time // when to fetch a new token, before Shopware's expiry
}

func newTokenSource(baseURL, id, secret string, timeout time.Duration) *tokenSource {
	return &tokenSource{
		http:         connectors.NewHTTPClient(connectors.ClientOptions{BaseURL: baseURL, Timeout: timeout, RetryAfter: RetryAfter}),
		clientID:     id,
		clientSecret: secret,
		now:          time.Now,
		sem:          make(chan struct{}, 1),
	}
}

func (t *tokenSource) cached() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tok, t.tok != "" && t.now().Before(t.renew)
}

// token returns a valid token, fetching one when none is cached or the
// cached one is about to expire.
func (t *tokenSource) token(ctx context.Context) (string, error) {
	if tok, ok := t.cached(); ok {
		return tok, nil
	}
	return t.refresh(ctx, "")
}

// refresh fetches a new token unless another caller already replaced
// stale (the token a request was rejected with) meanwhile. An empty stale
// refreshes when the cached token is missing or due.
func (t *tokenSource) refresh(ctx context.Context, stale string) (string, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-t.sem }()
	t.mu.Lock()
	cur, valid := t.tok, t.tok != "" && t.now().Before(t.renew)
	t.mu.Unlock()
	if valid && (stale == "" || cur != stale) {
		return cur, nil // someone else refreshed while we waited
	}
	var out struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	body := map[string]string{"grant_type": "client_credentials", "client_id": t.clientID, "client_secret": t.clientSecret}
	issued := t.now()
	if _, err := t.http.Do(ctx, http.MethodPost, "/api/oauth/token", body, &out); err != nil {
		return "", fmt.Errorf("shopware: access token: %w", err)
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("shopware: access token: answer carries no access_token")
	}
	ttl := time.Duration(out.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 600 * time.Second // shopware.api.access_token_ttl default
	}
	margin := min(tokenRefreshMargin, ttl/4)
	t.mu.Lock()
	t.tok, t.renew = out.AccessToken, issued.Add(ttl-margin)
	t.mu.Unlock()
	return out.AccessToken, nil
}

// usedToken records, per API call, which token the call was sent with, so
// that a 401 refreshes only a token nobody has replaced yet. It travels in
// the call's context because the shared client's hooks see nothing else.
type usedToken struct{ tok string }

type usedTokenKey struct{}

func withUsedToken(ctx context.Context) context.Context {
	return context.WithValue(ctx, usedTokenKey{}, &usedToken{})
}

func (t *tokenSource) authorize(ctx context.Context, r *resty.Request) error {
	tok, err := t.token(ctx)
	if err != nil {
		return err
	}
	if u, ok := ctx.Value(usedTokenKey{}).(*usedToken); ok {
		u.tok = tok
	}
	r.SetAuthToken(tok)
	return nil
}

func (t *tokenSource) reauthorize(ctx context.Context) error {
	stale := ""
	if u, ok := ctx.Value(usedTokenKey{}).(*usedToken); ok {
		stale = u.tok
	}
	if stale == "" {
		// Unknown which token failed: treat the cached one as rejected.
		t.mu.Lock()
		stale = t.tok
		t.mu.Unlock()
	}
	_, err := t.refresh(ctx, stale)
	return err
}

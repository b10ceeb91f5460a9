package magento

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/shophub/shophub/connectors"
)

// ErrLoginRefused marks a rejected admin login. The connector then stops
// asking for tokens until it is rebuilt (shophub restarts): Magento locks
// the admin account after 6 failed logins (oauth/authentication_lock), and
// a locked account would take the store's admins down with shophub.
var ErrLoginRefused = errors.New("magento admin login refused")

// tokenSource fetches admin tokens from POST /V1/integration/admin/token
// and renews them before their lifetime ends. One fetch runs at a time
// (sem); callers waiting for it share the token it produced.
type tokenSource struct {
	http     *connectors.HTTPClient // no auth hooks: it is the auth
	path     string
	username string
	password string
	lifetime time.Duration
	now      func() time.Time

	sem chan struct{} // held while fetching; a channel so waiting honours ctx

	mu      sync.Mutex
	tok     string
	renew   time.Time // when to fetch a new token, before Magento's expiry
	refused error     // set once a login was rejected: no more attempts
}

func newTokenSource(baseURL, storeCode string, s Settings, timeout time.Duration) *tokenSource {
	return &tokenSource{
		// Retries -1: a login is never repeated in place, so one bad
		// password costs Magento's lockout counter one failure, not three.
		http:     connectors.NewHTTPClient(connectors.ClientOptions{BaseURL: baseURL, Timeout: timeout, Retries: -1}),
		path:     "/rest/" + storeCode + "/V1/integration/admin/token",
		username: s.Username,
		password: s.Password,
		lifetime: s.TokenLifetime,
		now:      time.Now,
		sem:      make(chan struct{}, 1),
	}
}

// renewMargin is how long before the token's end it is replaced.
func (t *tokenSource) renewMargin() time.Duration { return min(5*time.Minute, t.lifetime/10) }

func (t *tokenSource) state() (tok string, valid bool, refused error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tok, t.tok != "" && t.now().Before(t.renew), t.refused
}

// token returns a valid token, fetching one when none is cached or the
// cached one is about to expire.
func (t *tokenSource) token(ctx context.Context) (string, error) {
	tok, valid, refused := t.state()
	if refused != nil {
		return "", refused
	}
	if valid {
		return tok, nil
	}
	return t.refresh(ctx, "")
}

// refresh fetches a new token unless another caller already replaced stale
// (the token a request was rejected with) meanwhile. An empty stale
// refreshes when the cached token is missing or due.
func (t *tokenSource) refresh(ctx context.Context, stale string) (string, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-t.sem }()
	cur, valid, refused := t.state()
	if refused != nil {
		return "", refused
	}
	if valid && (stale == "" || cur != stale) {
		return cur, nil // someone else refreshed while we waited
	}
	issued := t.now()
	var out string
	body := map[string]string{"username": t.username, "password": t.password}
	if _, err := t.http.Do(ctx, http.MethodPost, t.path, body, &out); err != nil {
		var herr *connectors.HTTPError
		if errors.As(err, &herr) && (herr.Status == http.StatusUnauthorized || herr.Status == http.StatusBadRequest) {
			refused := connectors.Permanent(fmt.Errorf("magento: %w for admin user %q: %s; no further login attempts until shophub restarts, "+
				"so that Magento's lockout after 6 failures does not trigger: %w", ErrLoginRefused, t.username, messageOf(herr), err))
			t.mu.Lock()
			t.refused, t.tok = refused, ""
			t.mu.Unlock()
			return "", refused
		}
		return "", fmt.Errorf("magento: admin token: %w", err)
	}
	if out == "" {
		return "", fmt.Errorf("magento: admin token: answer carries no token")
	}
	t.mu.Lock()
	t.tok, t.renew = out, issued.Add(t.lifetime-t.renewMargin())
	t.mu.Unlock()
	return out, nil
}

// usedToken records which token a call was sent with, so that a 401
// refreshes only a token nobody has replaced yet. It travels in the call's
// context because the shared client's hooks see nothing else.
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

// reauthorize runs once per call on a 401: the token was revoked or its
// lifetime in Magento is shorter than configured.
func (t *tokenSource) reauthorize(ctx context.Context) error {
	stale := ""
	if u, ok := ctx.Value(usedTokenKey{}).(*usedToken); ok {
		stale = u.tok
	}
	if stale == "" {
		t.mu.Lock()
		stale = t.tok
		t.mu.Unlock()
	}
	_, err := t.refresh(ctx, stale)
	return err
}

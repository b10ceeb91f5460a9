package connectors

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// TokenSource holds a bearer token for a vendor API. It fetches one when
// none is cached or the cached one is due (renewing before the vendor's
// expiry), runs one fetch at a time so concurrent workers cause one token
// request, not one each, and on a 401 replaces only the token that failed —
// not one another caller has already replaced. A fetch that fails
// permanently (a refused login) is remembered: no further attempts until
// the connector is rebuilt, so a wrong password cannot lock the vendor's
// account (Magento locks admins after 6 failures).
type TokenSource struct {
	fetch  func(ctx context.Context) (token string, ttl time.Duration, err error)
	margin func(ttl time.Duration) time.Duration

	sem chan struct{} // held while fetching; a channel so waiting honours ctx

	mu      sync.Mutex
	now     func() time.Time
	tok     string
	renew   time.Time
	refused error
}

// NewTokenSource builds a token source. fetch returns a new token and its
// lifetime; margin says how long before the end of a lifetime to renew
// (nil: a quarter of it, at most 30 s).
func NewTokenSource(fetch func(ctx context.Context) (string, time.Duration, error), margin func(time.Duration) time.Duration) *TokenSource {
	if margin == nil {
		margin = func(ttl time.Duration) time.Duration { return min(30*time.Second, ttl/4) }
	}
	return &TokenSource{fetch: fetch, margin: margin, now: time.Now, sem: make(chan struct{}, 1)}
}

// SetClock replaces the clock (tests).
func (t *TokenSource) SetClock(now func() time.Time) {
	t.mu.Lock()
	t.now = now
	t.mu.Unlock()
}

func (t *TokenSource) state() (tok string, valid bool, refused error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tok, t.tok != "" && t.now().Before(t.renew), t.refused
}

// Token returns a valid token, fetching one if needed.
func (t *TokenSource) Token(ctx context.Context) (string, error) {
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
// (the token a request was rejected with); an empty stale refreshes when
// the cached token is missing or due.
func (t *TokenSource) refresh(ctx context.Context, stale string) (string, error) {
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
	t.mu.Lock()
	issued := t.now()
	t.mu.Unlock()
	tok, ttl, err := t.fetch(ctx)
	if err != nil {
		if errors.Is(err, ErrPermanent) {
			t.mu.Lock()
			t.refused, t.tok = err, ""
			t.mu.Unlock()
		}
		return "", err
	}
	t.mu.Lock()
	t.tok, t.renew = tok, issued.Add(ttl-t.margin(ttl))
	t.mu.Unlock()
	return tok, nil
}

// usedToken records which token a call was sent with, so that a 401
// refreshes only a token nobody has replaced yet. It travels in the call's
// context because the shared client's hooks see nothing else.
type usedToken struct{ tok string }

type usedTokenKey struct{}

// WithUsedToken prepares ctx to remember the token a call is sent with;
// wrap each API call's context with it.
func WithUsedToken(ctx context.Context) context.Context {
	return context.WithValue(ctx, usedTokenKey{}, &usedToken{})
}

// Authorize sets the bearer token on a request (ClientOptions.Authorize).
func (t *TokenSource) Authorize(ctx context.Context, r *resty.Request) error {
	tok, err := t.Token(ctx)
	if err != nil {
		return err
	}
	if u, ok := ctx.Value(usedTokenKey{}).(*usedToken); ok {
		u.tok = tok
	}
	r.SetAuthToken(tok)
	return nil
}

// Reauthorize replaces the token a request was rejected with
// (ClientOptions.Reauthorize).
func (t *TokenSource) Reauthorize(ctx context.Context) error {
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

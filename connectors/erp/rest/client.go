package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/shophub/shophub/connectors"
)

func (c *Connector) newHTTPClient() *connectors.HTTPClient {
	p, s := c.profile, c.settings
	opts := connectors.ClientOptions{BaseURL: s.BaseURL, Timeout: c.inst.Timeout, OnResponse: c.inst.Observe}
	var lim connectors.Limiter
	switch {
	case c.inst.RateLimit > 0:
		lim = connectors.LocalLimiter{L: rate.NewLimiter(rate.Limit(c.inst.RateLimit), max(c.inst.RateBurst, 1))}
	case c.inst.RateLimit == 0:
		lim = connectors.LocalLimiter{L: rate.NewLimiter(5, 5)} // conservative for unknown ERPs
	}
	if c.inst.Limiter != nil { // shared across workers by the pipeline
		lim = c.inst.Limiter
	}
	opts.Limiter = gatedLimiter{gate: c.gate, next: lim}
	if p.RateLimit.RetryAfter != "" || p.RateLimit.Reset != "" {
		opts.RetryAfter = func(r *resty.Response) (time.Duration, bool) {
			if r == nil {
				return 0, false
			}
			if d, ok := connectors.ParseRetryAfter(r.Header().Get(p.RateLimit.RetryAfter), time.Now()); ok && p.RateLimit.RetryAfter != "" {
				return d, true
			}
			return resetIn(r.Header().Get(p.RateLimit.Reset), time.Now())
		}
	}
	switch p.Auth.Type {
	case "bearer":
		opts.Authorize = func(_ context.Context, r *resty.Request) error {
			r.SetAuthToken(s.Token)
			return nil
		}
	case "header":
		opts.Authorize = func(_ context.Context, r *resty.Request) error {
			r.SetHeader(p.Auth.Header, p.Auth.Prefix+s.Token)
			return nil
		}
	case "query":
		// Errors show query keys without values (connectors.HTTPError), so
		// the key stays out of logs.
		opts.Authorize = func(_ context.Context, r *resty.Request) error {
			r.SetQueryParam(p.Auth.Param, s.Token)
			return nil
		}
	case "basic":
		opts.Authorize = func(_ context.Context, r *resty.Request) error {
			r.SetBasicAuth(s.Username, s.Password)
			return nil
		}
	case "oauth2":
		ts := newTokenSource(s, p.Auth.Scope, c.inst.Timeout)
		opts.Authorize, opts.Reauthorize = ts.Authorize, ts.Reauthorize
	}
	return connectors.NewHTTPClient(opts)
}

// resetIn reads a rate-limit reset header: epoch seconds, or seconds from
// now for small values.
func resetIn(v string, now time.Time) (time.Duration, bool) {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n > 1e9 { // epoch seconds
		d := time.Unix(int64(n), 0).Sub(now)
		return max(d, 0), true
	}
	return time.Duration(n * float64(time.Second)), true
}

// gate holds requests back until a rate-limit window resets, after the ERP
// said (remaining: 0) that the window is used up: cheaper than running
// into 429s.
type gate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *gate) closeUntil(t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.After(g.until) {
		g.until = t
	}
}

type gatedLimiter struct {
	gate *gate
	next connectors.Limiter
}

// maxGateWait caps the wait in place; a longer window is the queue's job.
const maxGateWait = 5 * time.Second

func (l gatedLimiter) Wait(ctx context.Context, cost int) error {
	l.gate.mu.Lock()
	d := time.Until(l.gate.until)
	l.gate.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(min(d, maxGateWait))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if l.next != nil {
		return l.next.Wait(ctx, cost)
	}
	return nil
}

// newTokenSource fetches OAuth2 client-credentials tokens;
// connectors.TokenSource keeps one until shortly before it expires and,
// after a 401, replaces only the token that was refused.
func newTokenSource(s Settings, scope string, timeout time.Duration) *connectors.TokenSource {
	api := connectors.NewHTTPClient(connectors.ClientOptions{Timeout: timeout})
	form := map[string]string{"grant_type": "client_credentials"}
	if scope != "" {
		form["scope"] = scope
	}
	fetch := func(ctx context.Context) (string, time.Duration, error) {
		var out struct {
			AccessToken string  `json:"access_token"`
			ExpiresIn   float64 `json:"expires_in"`
		}
		_, err := api.DoRequest(connectors.Idempotent(ctx), "POST", s.TokenURL, func(r *resty.Request) {
			r.SetFormData(form).SetBasicAuth(s.ClientID, s.ClientSecret)
		}, &out)
		if err != nil {
			return "", 0, fmt.Errorf("oauth2 token: %w", err)
		}
		if out.AccessToken == "" {
			return "", 0, connectors.Permanent(fmt.Errorf("oauth2 token: answer has no access_token"))
		}
		life := time.Duration(out.ExpiresIn) * time.Second
		if life <= 0 {
			life = time.Hour
		}
		return out.AccessToken, life, nil
	}
	return connectors.NewTokenSource(fetch, func(ttl time.Duration) time.Duration { return ttl / 10 })
}

// call sends one request and decodes the answer as JSON. It notes the
// rate-limit headers for the gate.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, body any, out any) (*resty.Response, error) {
	var raw json.RawMessage
	resp, err := c.http.DoRequest(connectors.WithUsedToken(ctx), method, path, connectors.JSONRequest(query, body), &raw)
	c.noteRateLimit(resp)
	if err != nil {
		return resp, err
	}
	if out != nil && len(raw) > 0 {
		if err := connectors.DecodeJSON(raw, out); err != nil {
			return resp, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp, nil
}

func (c *Connector) noteRateLimit(resp *resty.Response) {
	rl := c.profile.RateLimit
	if resp == nil || rl.Remaining == "" || rl.Reset == "" {
		return
	}
	if strings.TrimSpace(resp.Header().Get(rl.Remaining)) != "0" {
		return
	}
	if d, ok := resetIn(resp.Header().Get(rl.Reset), time.Now()); ok {
		c.gate.closeUntil(time.Now().Add(d))
	}
}

// ---- times ----

func zone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(name)
}

// formatTime writes t in a profile format.
func formatTime(t time.Time, format string, loc *time.Location) string {
	switch format {
	case "epoch_ms":
		return strconv.FormatInt(t.UnixMilli(), 10)
	case "epoch":
		return strconv.FormatInt(t.Unix(), 10)
	case "sql":
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// unit is the resolution of a format: an exclusive filter is sent one
// unit early.
func unit(format string) time.Duration {
	switch format {
	case "epoch_ms":
		return time.Millisecond
	case "epoch", "sql":
		return time.Second
	}
	return time.Microsecond
}

// parseTime reads a record's time in a profile format.
func parseTime(v any, format string, loc *time.Location) (time.Time, error) {
	s := strings.TrimSpace(fmt.Sprint(v))
	if v == nil || s == "" {
		return time.Time{}, fmt.Errorf("no time")
	}
	switch format {
	case "epoch_ms", "epoch":
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, err
		}
		if format == "epoch" {
			return time.UnixMilli(int64(n * 1000)).UTC(), nil
		}
		return time.UnixMilli(int64(n)).UTC(), nil
	case "sql":
		return time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	}
	return time.Parse(time.RFC3339Nano, s)
}

// ---- paths ----

// lookup follows a dotted path into decoded JSON.
func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for part := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func expand(path, id string) string {
	return strings.ReplaceAll(path, "{id}", url.PathEscape(id))
}

func fixed(q map[string]string) url.Values {
	v := url.Values{}
	for k, x := range q {
		v.Set(k, x)
	}
	return v
}

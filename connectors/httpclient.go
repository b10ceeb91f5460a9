package connectors

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/shophub/shophub/internal/jsonx"
	"golang.org/x/time/rate"
)

// Limiter paces requests to a vendor. Cost lets vendors that weigh writes
// double (HelpScout) say so. The default is an in-process token bucket; a
// Redis-backed limiter shared across workers satisfies the same interface.
type Limiter interface {
	Wait(ctx context.Context, cost int) error
}

// LocalLimiter adapts golang.org/x/time/rate.
type LocalLimiter struct{ L *rate.Limiter }

func (l LocalLimiter) Wait(ctx context.Context, cost int) error {
	if l.L == nil {
		return nil
	}
	return l.L.WaitN(ctx, cost)
}

type paidKey struct{}

// WithPaid marks a request whose rate-limit cost the caller has already
// waited for on the client's Limiter: DoRequest sends it without waiting
// again (a repeat after a failed attempt waits as usual). A writer that
// checks a record right before writing it pays for both requests first,
// so no pacing wait opens between the check and the write, where an
// edit at the vendor would be overwritten unseen.
func WithPaid(ctx context.Context) context.Context { return context.WithValue(ctx, paidKey{}, true) }

func paid(ctx context.Context) bool { b, _ := ctx.Value(paidKey{}).(bool); return b }

// InstanceLimiter is the limiter a connector paces an instance's requests
// with: the pipeline's shared inst.Limiter when it set one, else a local
// token bucket at inst.RateLimit and RateBurst, the vendor's defaults
// standing in where they are zero. A negative rate, or a zero one with no
// default rate, paces nothing (nil).
func InstanceLimiter(inst Instance, defaultRate float64, defaultBurst int) Limiter {
	if inst.Limiter != nil {
		return inst.Limiter
	}
	rps, burst := inst.RateLimit, inst.RateBurst
	if rps == 0 {
		rps = defaultRate
	}
	if burst <= 0 {
		burst = defaultBurst
	}
	if rps <= 0 {
		return nil
	}
	return LocalLimiter{L: rate.NewLimiter(rate.Limit(rps), burst)}
}

// ClientOptions configure an HTTPClient.
type ClientOptions struct {
	BaseURL string
	Timeout time.Duration
	// Retries is how often one call is retried in place on 429, 5xx and
	// network errors before the error goes back to the task queue.
	Retries int
	// MaxInlineWait caps how long a Retry-After is waited out in place; a
	// longer one is returned as *RateLimitedError for the queue to honour.
	MaxInlineWait time.Duration
	// BaseBackoff is the first backoff on 5xx; it doubles with jitter.
	BaseBackoff time.Duration
	Limiter     Limiter
	Headers     map[string]string
	// Authorize sets credentials on each request (e.g. a bearer token).
	Authorize func(ctx context.Context, r *resty.Request) error
	// Reauthorize is called once when the vendor answers 401, to refresh an
	// expired token before one more try.
	Reauthorize func(ctx context.Context) error
	// RetryAfter reads a vendor's wait hint; the default reads Retry-After.
	RetryAfter func(r *resty.Response) (time.Duration, bool)
	// Cost weighs a request for the limiter (default 1).
	Cost func(method string) int
	// OnResponse, when set, is told each attempt's method, status (0 when
	// no response came) and duration.
	OnResponse func(method string, status int, d time.Duration)
}

// HTTPClient is the one way connectors talk HTTP to vendors. It holds no
// mutable per-call state, so concurrent workers can share it.
type HTTPClient struct {
	rc   *resty.Client
	opts ClientOptions
}

// NewHTTPClient builds a client with defaults suitable for vendor APIs.
func NewHTTPClient(opts ClientOptions) *HTTPClient {
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Retries == 0 {
		opts.Retries = 2
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.MaxInlineWait == 0 {
		opts.MaxInlineWait = 5 * time.Second
	}
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = 200 * time.Millisecond
	}
	if opts.RetryAfter == nil {
		opts.RetryAfter = RetryAfterHeader("Retry-After")
	}
	rc := resty.New().
		SetTransport(vendorTransport()).
		// Vendor answers decode as encoding/json decodes them, faster
		// (a push reads the target before it writes).
		SetJSONUnmarshaler(jsonx.Unmarshal).
		SetBaseURL(strings.TrimRight(opts.BaseURL, "/")).
		SetTimeout(opts.Timeout).
		SetHeader("User-Agent", "shophub/1 (+https://github.com/shophub/shophub)").
		SetHeader("Accept", "application/json")
	for k, v := range opts.Headers {
		rc.SetHeader(k, v)
	}
	return &HTTPClient{rc: rc, opts: opts}
}

// vendorTransport keeps enough idle connections per vendor host for a
// worker's concurrency: the default of GOMAXPROCS+1 makes 100 workers
// pushing to one shop open and close a connection per request.
func vendorTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Resty exposes the underlying client for connectors that need a request
// shape Do does not cover (form bodies for token endpoints).
func (c *HTTPClient) Resty() *resty.Client { return c.rc }

// Do sends one request. body is JSON-encoded unless nil; a 2xx response is
// decoded into out unless out is nil. Errors are *HTTPError (status and
// body), *RateLimitedError, or the context's error.
func (c *HTTPClient) Do(ctx context.Context, method, path string, body, out any) (*resty.Response, error) {
	return c.DoRequest(ctx, method, path, func(r *resty.Request) {
		if body != nil {
			r.SetBody(body).SetHeader("Content-Type", "application/json")
		}
	}, out)
}

// DoRequest is Do with a hook to shape the request (query, headers).
//
// A POST is not repeated in place after a timeout, a lost connection or a
// 5xx unless its context is marked Idempotent: the vendor may have
// committed it before the answer was lost, and where emails are not unique
// (Odoo partners, REST ERPs, Help Scout) a repeated create is a duplicate
// customer. Such an error goes back to the task queue, whose retry looks
// the record up before creating it (sync's push finds by email). 429 and
// 401 answers, and connections that were never made, are repeated for
// every method: the vendor did not act on them.
func (c *HTTPClient) DoRequest(ctx context.Context, method, path string, shape func(*resty.Request), out any) (*resty.Response, error) {
	reauthorized := false
	backoff := c.opts.BaseBackoff
	cost := 1
	if c.opts.Cost != nil {
		cost = c.opts.Cost(method)
	}
	repeatable := Repeatable(ctx, method)
	for attempt := 0; ; attempt++ {
		if c.opts.Limiter != nil && (attempt > 0 || !paid(ctx)) {
			if err := c.opts.Limiter.Wait(ctx, cost); err != nil {
				return nil, fmt.Errorf("%s %s: waiting for rate limit: %w", method, path, err)
			}
		}
		req := c.rc.R().SetContext(ctx)
		if shape != nil {
			shape(req)
		}
		if out != nil {
			req.SetResult(out)
		}
		if c.opts.Authorize != nil {
			if err := c.opts.Authorize(ctx, req); err != nil {
				return nil, fmt.Errorf("%s %s: authorize: %w", method, path, err)
			}
		}
		sent := time.Now()
		resp, err := req.Execute(method, path)
		if c.opts.OnResponse != nil {
			status := 0
			if err == nil && resp != nil {
				status = resp.StatusCode()
			}
			c.opts.OnResponse(method, status, time.Since(sent))
		}
		if err != nil {
			if ctx.Err() != nil {
				return resp, ctx.Err()
			}
			if attempt < c.opts.Retries && (repeatable || notSent(err)) {
				if werr := sleep(ctx, jitter(backoff)); werr != nil {
					return resp, werr
				}
				backoff *= 2
				continue
			}
			return resp, fmt.Errorf("%s %s: %w", method, path, err)
		}
		status := resp.StatusCode()
		switch {
		case status >= 200 && status < 300:
			return resp, nil
		case status == http.StatusUnauthorized && c.opts.Reauthorize != nil && !reauthorized:
			reauthorized = true
			if err := c.opts.Reauthorize(ctx); err != nil {
				return resp, fmt.Errorf("%s %s: re-authorize after 401: %w", method, path, err)
			}
			continue
		case status == http.StatusTooManyRequests:
			wait, ok := c.opts.RetryAfter(resp)
			if !ok {
				wait = backoff
				backoff *= 2
			}
			herr := c.httpError(method, resp)
			if attempt < c.opts.Retries && wait <= c.opts.MaxInlineWait {
				if werr := sleep(ctx, wait); werr != nil {
					return resp, werr
				}
				continue
			}
			return resp, &RateLimitedError{RetryAfter: wait, Err: herr}
		case status >= 500 || status == http.StatusRequestTimeout:
			if attempt < c.opts.Retries && repeatable {
				wait, ok := c.opts.RetryAfter(resp)
				if !ok || wait > c.opts.MaxInlineWait {
					wait = jitter(backoff)
				}
				if werr := sleep(ctx, wait); werr != nil {
					return resp, werr
				}
				backoff *= 2
				continue
			}
			return resp, c.httpError(method, resp)
		default:
			return resp, c.httpError(method, resp)
		}
	}
}

func (c *HTTPClient) httpError(method string, resp *resty.Response) error {
	return &HTTPError{Method: method, URL: redactQuery(resp.Request.URL), Status: resp.StatusCode(), Body: string(resp.Body())}
}

// redactQuery keeps query keys but drops their values: lookups put emails
// and phone numbers in query strings, and errors end up in logs and dead
// letters.
func redactQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	for k := range q {
		q[k] = []string{"…"}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// RetryAfterHeader reads a wait from the named header: seconds (integer or
// fractional, as Shopify sends) or an HTTP date.
func RetryAfterHeader(name string) func(*resty.Response) (time.Duration, bool) {
	return func(r *resty.Response) (time.Duration, bool) {
		if r == nil {
			return 0, false
		}
		return ParseRetryAfter(r.Header().Get(name), time.Now())
	}
}

// ParseRetryAfter parses a Retry-After value.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAfterOf extracts the wait a task should honour from an error chain.
func RetryAfterOf(err error) (time.Duration, bool) {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}

type idempotentKey struct{}

// Idempotent marks the calls made with ctx as safe to repeat in place even
// when their method is POST: searches and reads sent as POST (Odoo's RPC,
// Shopware's search), token requests, and creates whose id the caller
// chose (a repeat fails as "exists" instead of duplicating).
func Idempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// Repeatable reports whether a call may be repeated in place after its
// answer was lost: every method but POST (shophub's PUT, PATCH and DELETE
// calls set state, so a repeat lands on the same state), and POSTs marked
// Idempotent.
func Repeatable(ctx context.Context, method string) bool {
	if !strings.EqualFold(method, http.MethodPost) {
		return true
	}
	marked, _ := ctx.Value(idempotentKey{}).(bool)
	return marked
}

// notSent reports errors that prove the request never reached the vendor
// (the connection was refused or could not be dialled), so even a create
// may be sent again.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

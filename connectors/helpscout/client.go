package helpscout

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/shophub/shophub/connectors"
)

// pacer keeps the account under Help Scout's per-minute limit: a token
// bucket sized from the settings (writes cost 2), plus a pause every caller
// honours once Help Scout says the window is spent (a 429's
// X-RateLimit-Retry-After, or X-RateLimit-Remaining-Minute at 0). The pause
// is what keeps 429s to a handful under many workers: the first 429 stops
// everybody, not only the worker that got it.
//
// In the pipeline the bucket is a reservation in Redis shared by every
// worker process (Instance.SharedLimiter, sync.RedisPacer): the limit is the
// account's, so two workers with a bucket each would together send twice
// the rate. Elsewhere (the CLI, tests of the connector alone) it is an
// in-process token bucket. The pause stays per process.
type pacer struct {
	bucket connectors.Limiter // nil: not paced
	burst  int                // the most one Wait pays
	window time.Duration

	mu    sync.Mutex
	until time.Time
}

func newPacer(inst connectors.Instance, s Settings) *pacer {
	window, _ := time.ParseDuration(s.RateWindow)
	p := &pacer{window: window}
	if inst.RateLimit < 0 {
		return p // pacing turned off
	}
	// 90% of the plan leaves room for other clients of the account and for
	// clock skew against Help Scout's window; a burst of a tenth of the
	// window keeps any one window at or under the limit.
	units := float64(s.RatePerMinute) * 0.9
	perSec := units / window.Seconds()
	burst := max(int(units/10), 2)
	if inst.RateLimit > 0 {
		perSec = inst.RateLimit
	}
	if inst.RateBurst > 0 {
		burst = max(inst.RateBurst, 2)
	}
	p.burst = burst
	if inst.SharedLimiter != nil {
		p.bucket = inst.SharedLimiter("account", perSec, burst)
	} else {
		p.bucket = connectors.LocalLimiter{L: rate.NewLimiter(rate.Limit(perSec), burst)}
	}
	return p
}

// Wait implements connectors.Limiter.
func (p *pacer) Wait(ctx context.Context, cost int) error {
	for {
		p.mu.Lock()
		d := time.Until(p.until)
		p.mu.Unlock()
		if d <= 0 {
			break
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if p.bucket == nil {
		return nil
	}
	return p.bucket.Wait(ctx, min(cost, p.burst))
}

// most is the largest cost one Wait can pay (the bucket's burst); 0 when
// requests are not paced.
func (p *pacer) most() int {
	if p.bucket == nil {
		return 0
	}
	return p.burst
}

// pause holds every caller back for d.
func (p *pacer) pause(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u := time.Now().Add(d); u.After(p.until) {
		p.until = u
	}
}

// retryAfter reads X-RateLimit-Retry-After and pauses everybody for it.
func (p *pacer) retryAfter(r *resty.Response) (time.Duration, bool) {
	d, ok := connectors.RetryAfterHeader("X-RateLimit-Retry-After")(r)
	if ok {
		p.pause(d)
	}
	return d, ok
}

// observe reads X-RateLimit-Remaining-Minute of a successful answer: at 0
// the next request would be refused, so callers pause a tenth of a window.
func (p *pacer) observe(h http.Header) {
	v := h.Get("X-RateLimit-Remaining-Minute")
	if v == "" {
		return
	}
	if n, err := strconv.Atoi(v); err == nil && n <= 0 {
		p.pause(p.window / 10)
	}
}

func (c *Connector) newHTTPClient() *connectors.HTTPClient {
	return connectors.NewHTTPClient(connectors.ClientOptions{
		BaseURL:     c.settings.BaseURL + "/v2",
		Timeout:     c.inst.Timeout,
		Retries:     4,
		Limiter:     c.pace,
		Authorize:   c.auth.Authorize,
		Reauthorize: c.auth.Reauthorize,
		RetryAfter:  c.pace.retryAfter,
		Cost: func(method string) int {
			if method == http.MethodGet || method == http.MethodHead {
				return 1
			}
			return 2 // Help Scout counts writes double
		},
	})
}

// call sends one request and decodes a JSON answer into out.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, body, out any) (http.Header, error) {
	resp, err := c.http.DoRequest(connectors.WithUsedToken(ctx), method, path, connectors.JSONRequest(query, body), nil)
	if resp != nil {
		c.pace.observe(resp.Header())
	}
	if err != nil {
		return nil, err
	}
	if out != nil && len(resp.Body()) > 0 {
		if err := connectors.DecodeJSON(resp.Body(), out); err != nil {
			return nil, fmt.Errorf("%s %s: decoding Help Scout's answer: %w", method, path, err)
		}
	}
	return resp.Header(), nil
}

func idPath(id string) (string, error) { return connectors.NumericID("helpscout", "Help Scout id", id) }

// timeLayout is Help Scout's timestamp format.
const timeLayout = "2006-01-02T15:04:05Z"

func parseTime(v any) (time.Time, bool) {
	s, _ := v.(string)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err == nil
}

// record turns a customer or conversation into a vendor record; the
// conversation's timestamp is userUpdatedAt.
func record(resource string, data map[string]any) (*connectors.Record, error) {
	id := connectors.IDString(data["id"])
	if id == "" {
		return nil, fmt.Errorf("%s without id", resource)
	}
	rec := &connectors.Record{Resource: resource, ExternalID: id, Data: data}
	for _, k := range []string{"updatedAt", "userUpdatedAt", "createdAt"} {
		if t, ok := parseTime(data[k]); ok {
			rec.UpdatedAt = t
			break
		}
	}
	return rec, nil
}

// resourcePath is the collection of a resource.
func resourcePath(resource string) (path, key string, err error) {
	switch resource {
	case connectors.ResourceCustomer:
		return "/customers", "customers", nil
	case connectors.ResourceTicket:
		return "/conversations", "conversations", nil
	}
	return "", "", connectors.Permanent(fmt.Errorf("helpscout: no resource %q (customer, ticket)", resource))
}

// Fetch re-reads one customer or conversation.
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	path, _, err := resourcePath(resource)
	if err != nil {
		return nil, err
	}
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	var data map[string]any
	if _, err := c.call(ctx, "GET", path+"/"+id, nil, nil, &data); err != nil {
		return nil, fmt.Errorf("helpscout: fetch %s %s: %w", resource, id, err)
	}
	return record(resource, data)
}

var _ connectors.Fetcher = (*Connector)(nil)

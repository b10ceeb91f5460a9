package shopware

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/shophub/shophub/connectors"
)

func (c *Connector) newAPIClient(tokens *connectors.TokenSource) *connectors.HTTPClient {
	return connectors.NewHTTPClient(connectors.ClientOptions{
		BaseURL: c.settings.URL,
		Timeout: c.inst.Timeout,
		// No default rate: requests are paced only when the instance
		// configures a rate limit.
		Limiter:     connectors.InstanceLimiter(c.inst, 0, 1),
		Authorize:   tokens.Authorize,
		Reauthorize: tokens.Reauthorize,
		RetryAfter:  RetryAfter,
		OnResponse:  c.inst.Observe,
	})
}

// RetryAfter reads Shopware's wait hint: a Retry-After header when a proxy
// (or the emulator) sends one, else the rate limiter's error body
// {"errors":[{"code":"FRAMEWORK__RATE_LIMIT_EXCEEDED","meta":{"parameters":{"seconds":10}}}]},
// which is all Shopware itself sends.
func RetryAfter(r *resty.Response) (time.Duration, bool) {
	if r == nil {
		return 0, false
	}
	if d, ok := connectors.ParseRetryAfter(r.Header().Get("Retry-After"), time.Now()); ok {
		return d, true
	}
	return retryAfterBody(r.Body())
}

func retryAfterBody(body []byte) (time.Duration, bool) {
	var e struct {
		Errors []struct {
			Meta struct {
				Parameters map[string]any `json:"parameters"`
			} `json:"meta"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return 0, false
	}
	for _, x := range e.Errors {
		var secs float64
		switch v := x.Meta.Parameters["seconds"].(type) {
		case float64:
			secs = v
		case string:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			secs = f
		default:
			continue
		}
		if secs >= 0 {
			return time.Duration(secs * float64(time.Second)), true
		}
	}
	return 0, false
}

// do sends one Admin API call. Errors keep Shopware's status and body.
func (c *Connector) do(ctx context.Context, method, path string, body, out any) (*resty.Response, error) {
	api, err := c.client()
	if err != nil {
		return nil, err
	}
	resp, err := api.Do(connectors.WithUsedToken(ctx), method, path, body, out)
	if err != nil {
		return resp, fmt.Errorf("shopware %s: %w", c.inst.Name, err)
	}
	return resp, nil
}

// searchResult is the plain-JSON (Accept: application/json) search answer.
type searchResult struct {
	Total int              `json:"total"`
	Data  []map[string]any `json:"data"`
}

// search runs DAL criteria against POST /api/search/{entity}.
func (c *Connector) search(ctx context.Context, entity string, criteria map[string]any) ([]map[string]any, error) {
	var out searchResult
	if _, err := c.do(connectors.Idempotent(ctx), http.MethodPost, "/api/search/"+entity, criteria, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// customerAssociations loads what the mapping reads: addresses with their
// country (ISO codes) and state, and tags.
func customerAssociations() map[string]any {
	addr := func() map[string]any {
		return map[string]any{"associations": map[string]any{"country": map[string]any{}, "countryState": map[string]any{}}}
	}
	return map[string]any{
		"addresses":              addr(),
		"defaultBillingAddress":  addr(),
		"defaultShippingAddress": addr(),
		"tags":                   map[string]any{},
	}
}

// parseTime reads Shopware's "2024-05-10T12:34:56.789+00:00".
func parseTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// record wraps a rendered customer or order. UpdatedAt is updatedAt, or
// createdAt for records never updated (Shopware leaves updatedAt NULL then).
func record(data map[string]any) (connectors.Record, error) {
	id, _ := data["id"].(string)
	if id == "" {
		return connectors.Record{}, fmt.Errorf("shopware: record without id")
	}
	ts, ok := parseTime(data["updatedAt"])
	if !ok {
		ts, ok = parseTime(data["createdAt"])
	}
	if !ok {
		return connectors.Record{}, fmt.Errorf("shopware: record %s has neither updatedAt nor createdAt", id)
	}
	res := connectors.ResourceCustomer
	if data["apiAlias"] == "order" {
		res = connectors.ResourceOrder
	}
	return connectors.Record{Resource: res, ExternalID: id, UpdatedAt: ts, Data: data}, nil
}

func checkResource(resource string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("shopware: resource %q is not supported", resource))
	}
	return nil
}

// Fetch re-reads one customer with its addresses and tags, or one order
// with what the order mapping reads.
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	if !isID(externalID) {
		// Shopware would answer 400 for a malformed uuid; it cannot exist.
		entity, _, err := entityOf(resource, false)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("shopware: %s %q: %w", entity, externalID, connectors.ErrNotFound)
	}
	entity, data, err := c.searchResource(ctx, resource, func(assoc map[string]any) map[string]any { // orders.go
		return map[string]any{
			"ids":              []string{externalID},
			"associations":     assoc,
			"total-count-mode": 0,
		}
	})
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("shopware: %s %s: %w", entity, externalID, connectors.ErrNotFound)
	}
	rec, err := record(data[0])
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// FindBy looks a customer up by email or customerNumber. Shopware allows
// several customers per email (guest orders, per-sales-channel accounts):
// registered accounts win over guests, then the oldest.
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if err := checkResource(resource); err != nil {
		return nil, err
	}
	field := map[string]string{"email": "email", "customerNumber": "customerNumber", "customer_number": "customerNumber"}[key]
	if field == "" {
		return nil, connectors.Permanent(fmt.Errorf("shopware: cannot find customers by %q (email, customerNumber)", key))
	}
	data, err := c.search(ctx, "customer", map[string]any{
		"limit":            1,
		"filter":           []any{map[string]any{"type": "equals", "field": field, "value": value}},
		"sort":             []any{map[string]any{"field": "guest", "order": "ASC"}, map[string]any{"field": "createdAt", "order": "ASC"}},
		"associations":     customerAssociations(),
		"total-count-mode": 0,
	})
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("shopware: customer with %s %s: %w", key, maskValue(key, value), connectors.ErrNotFound)
	}
	rec, err := record(data[0])
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// maskValue keeps personal data out of error messages.
func maskValue(key, v string) string {
	if key != "email" {
		return v
	}
	for i := len(v) - 1; i > 0; i-- {
		if v[i] == '@' {
			return v[:1] + "***" + v[i:]
		}
	}
	return "***"
}

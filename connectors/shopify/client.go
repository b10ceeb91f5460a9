package shopify

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Shopify's standard REST plan: a bucket of 40 requests leaking 2 per second.
const (
	defaultRate  = 2.0
	defaultBurst = 40
)

func newHTTPClient(inst connectors.Instance, s Settings) *connectors.HTTPClient {
	return connectors.NewHTTPClient(connectors.ClientOptions{
		BaseURL:    s.ShopURL + "/admin/api/" + s.APIVersion,
		Timeout:    inst.Timeout,
		Limiter:    connectors.InstanceLimiter(inst, defaultRate, defaultBurst),
		OnResponse: inst.Observe,
		Headers:    map[string]string{"X-Shopify-Access-Token": s.AccessToken},
		// Retry-After is Shopify's fractional seconds ("2.0"): the default
		// RetryAfterHeader("Retry-After") reads it.
	})
}

// call sends one request and decodes the JSON answer into out, keeping
// Shopify's 64-bit ids exact (json.Number, not float64).
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, body, out any) (http.Header, error) {
	resp, err := c.http.DoRequest(ctx, method, path, connectors.JSONRequest(query, body), nil)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := connectors.DecodeJSON(resp.Body(), out); err != nil {
			return nil, fmt.Errorf("%s %s: decoding Shopify's answer: %w", method, path, err)
		}
	}
	return resp.Header(), nil
}

// record turns a REST customer object into a vendor record.
func record(data map[string]any) (*connectors.Record, error) {
	id := connectors.IDString(data["id"])
	if id == "" {
		return nil, fmt.Errorf("customer without id")
	}
	rec := &connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: id, Data: data}
	if s, ok := data["updated_at"].(string); ok && s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("customer %s: updated_at %q: %w", id, s, err)
		}
		rec.UpdatedAt = t
	}
	return rec, nil
}

// idPath checks that an external id is a Shopify id before it goes into a URL.
func idPath(id string) (string, error) { return connectors.NumericID("shopify", "Shopify id", id) }

// linkRe is the Shopify SDK's Link header pattern.
var linkRe = regexp.MustCompile(`<([^<>]+)>;\s*rel="([^"]+)"`)

// parseLink returns the page_info tokens of the rel="next" and
// rel="previous" links of a Link header.
func parseLink(h string) (next, prev string) {
	for _, m := range linkRe.FindAllStringSubmatch(h, -1) {
		u, err := url.Parse(m[1])
		if err != nil {
			continue
		}
		pi := u.Query().Get("page_info")
		switch m[2] {
		case "next":
			next = pi
		case "previous":
			prev = pi
		}
	}
	return next, prev
}

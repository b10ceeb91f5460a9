package magento

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// dateLayout is how Magento writes created_at and updated_at: UTC without
// a zone.
const dateLayout = "2006-01-02 15:04:05"

// Magento core has no request rate limit; this pace keeps a shop's PHP
// workers free for shoppers. A proxy's 429 with Retry-After is honoured by
// the shared client either way.
const (
	defaultRate  = 10.0
	defaultBurst = 20
)

func (c *Connector) newHTTPClient() *connectors.HTTPClient {
	s, inst := c.settings, c.inst
	opts := connectors.ClientOptions{
		BaseURL:    s.BaseURL + "/rest/" + s.StoreCode + "/V1",
		Timeout:    inst.Timeout,
		Limiter:    connectors.InstanceLimiter(inst, defaultRate, defaultBurst),
		OnResponse: inst.Observe,
	}
	if s.AccessToken != "" {
		opts.Headers = map[string]string{"Authorization": "Bearer " + strings.TrimSpace(s.AccessToken)}
	} else {
		c.auth = newTokenSource(s.BaseURL, s.StoreCode, s, inst.Timeout)
		opts.Authorize = c.auth.Authorize
		opts.Reauthorize = c.auth.Reauthorize
	}
	return connectors.NewHTTPClient(opts)
}

// call sends one request and decodes Magento's JSON answer into out,
// keeping numbers exact (json.Number).
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	if c.auth != nil {
		ctx = connectors.WithUsedToken(ctx)
	}
	resp, err := c.http.DoRequest(ctx, method, path, connectors.JSONRequest(query, body), nil)
	if err != nil {
		var herr *connectors.HTTPError
		if errors.As(err, &herr) {
			// Magento's message with its %placeholders filled in, up front:
			// "A customer with the same email address already exists…".
			return fmt.Errorf("%s: %w", messageOf(herr), err)
		}
		return err
	}
	if out != nil {
		if err := connectors.DecodeJSON(resp.Body(), out); err != nil {
			return fmt.Errorf("%s %s: decoding Magento's answer: %w", method, path, err)
		}
	}
	return nil
}

// messageOf renders a Magento error body {"message": "…%name…",
// "parameters": {…} or […]} as text; other bodies come back as they are.
func messageOf(herr *connectors.HTTPError) string {
	var body struct {
		Message    string          `json:"message"`
		Parameters json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal([]byte(herr.Body), &body); err != nil || body.Message == "" {
		return fmt.Sprintf("Magento answered %d", herr.Status)
	}
	msg := body.Message
	var named map[string]any
	var positional []any
	switch {
	case json.Unmarshal(body.Parameters, &named) == nil:
		for k, v := range named {
			msg = strings.ReplaceAll(msg, "%"+k, fmt.Sprint(v))
		}
	case json.Unmarshal(body.Parameters, &positional) == nil:
		for i := len(positional); i >= 1; i-- { // %10 before %1
			msg = strings.ReplaceAll(msg, "%"+strconv.Itoa(i), fmt.Sprint(positional[i-1]))
		}
	}
	return "Magento: " + msg
}

// parseDate reads a Magento timestamp (UTC, no zone).
func parseDate(s string) (time.Time, error) {
	return time.ParseInLocation(dateLayout, s, time.UTC)
}

func formatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

// record turns a REST customer object into a vendor record.
func record(data map[string]any) (*connectors.Record, error) {
	id := connectors.IDString(data["id"])
	if id == "" {
		return nil, errors.New("customer without id")
	}
	rec := &connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: id, Data: data}
	if s, ok := data["updated_at"].(string); ok && s != "" {
		t, err := parseDate(s)
		if err != nil {
			// MySQL keeps "0000-00-00 00:00:00" where an import wrote
			// no time: that customer is quarantined, the listing goes on.
			rec.Invalid = fmt.Sprintf("magento: customer %s: updated_at %q: %v", id, s, err)
		}
		rec.UpdatedAt = t
	}
	return rec, nil
}

func customerRecord(data map[string]any, what string) (*connectors.Record, error) {
	if data == nil {
		return nil, fmt.Errorf("magento: %s: answer has no customer object", what)
	}
	rec, err := record(data)
	if err != nil {
		return nil, fmt.Errorf("magento: %s: %w", what, err)
	}
	return rec, nil
}

func idPath(id string) (string, error) {
	return connectors.NumericID("magento", "Magento customer id", id)
}

// searchQuery renders searchCriteria in Magento's bracket syntax: groups
// are ANDed, the filters inside a group ORed.
type searchQuery struct {
	groups [][]searchFilter
	sorts  [][2]string
	size   int
	page   int
}

type searchFilter struct{ field, cond, value string }

func (q searchQuery) values() url.Values {
	v := url.Values{}
	for g, fs := range q.groups {
		for i, f := range fs {
			p := fmt.Sprintf("searchCriteria[filter_groups][%d][filters][%d]", g, i)
			v.Set(p+"[field]", f.field)
			v.Set(p+"[value]", f.value)
			v.Set(p+"[condition_type]", f.cond)
		}
	}
	for i, s := range q.sorts {
		p := fmt.Sprintf("searchCriteria[sortOrders][%d]", i)
		v.Set(p+"[field]", s[0])
		v.Set(p+"[direction]", s[1])
	}
	v.Set("searchCriteria[pageSize]", strconv.Itoa(q.size))
	v.Set("searchCriteria[currentPage]", strconv.Itoa(max(q.page, 1)))
	return v
}

// searchResult is the answer of GET /V1/customers/search and /V1/orders.
type searchResult struct {
	Items      []map[string]any `json:"items"`
	TotalCount int              `json:"total_count"`
}

func (c *Connector) search(ctx context.Context, q searchQuery) (searchResult, error) {
	return c.searchAt(ctx, "/customers/search", q)
}

// searchAt runs searchCriteria against a search endpoint (/customers/search,
// /orders): both answer {items, search_criteria, total_count}.
func (c *Connector) searchAt(ctx context.Context, path string, q searchQuery) (searchResult, error) {
	var out searchResult
	err := c.call(ctx, "GET", path, q.values(), nil, &out)
	return out, err
}

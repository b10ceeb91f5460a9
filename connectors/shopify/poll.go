package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shophub/shophub/connectors"
)

// cursor is List's opaque position, stored by the pipeline as JSON:
//
//	{"since":"2025-01-02T03:04:05Z"}                         – next poll from here
//	{"since":"…","page_info":"eyJ…","high_water":"…"}         – mid-listing
//
// Since is the inclusive updated_at_min of the listing in progress (empty:
// full backfill). PageInfo is Shopify's token for the next page. HighWater is
// the newest updated_at seen so far; when the listing ends it becomes the
// next Since. Inclusive bounds mean records at the high-water second repeat
// once, which the pipeline deduplicates by updated_at.
type cursor struct {
	Since     string `json:"since,omitempty"`
	PageInfo  string `json:"page_info,omitempty"`
	HighWater string `json:"high_water,omitempty"`
	// Pages counts pages followed by page_info since the last restart.
	Pages int `json:"pages,omitempty"`
	// Began is when Shopify answered a byID listing's first page (its
	// Date header): the next listing starts no later, since a record
	// edited after that on a page already read shows up nowhere else.
	Began string `json:"began,omitempty"`
}

// restartPages bounds how far one page_info chain runs: Shopify caps
// pagination at 25,000 objects deep, so a long backfill restarts from the
// high-water mark (100 pages of 250 = the cap; 80 leaves a margin).
const restartPages = 80

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, connectors.Permanent(fmt.Errorf("shopify: cursor %q: %w", s, err))
	}
	for _, ts := range []string{c.Since, c.HighWater} {
		if ts == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			return c, connectors.Permanent(fmt.Errorf("shopify: cursor %q: %w", s, err))
		}
	}
	return c, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// listing is where a resource is listed and what its answer's key is.
type listing struct {
	path, key string
	// extra are filters of a first page besides updated_at_min.
	extra url.Values
	// byID: the endpoint sorts by id only (abandoned checkouts take no
	// order parameter). The high-water mark is then the newest updated_at
	// of the whole listing, but no later than the listing's start
	// (cursor.Began), and a listing is never restarted from it half-way,
	// which would skip older-stamped records of later pages.
	byID bool
}

var listings = map[string]listing{
	connectors.ResourceCustomer: {path: "/customers.json", key: "customers"},
	// orders.json lists only open orders unless told otherwise; a sync
	// needs cancelled and closed ones too.
	connectors.ResourceOrder: {path: "/orders.json", key: "orders", extra: url.Values{"status": {"any"}}},
	// Abandoned checkouts (carts.go): the backfill of checkouts/* webhooks.
	connectors.ResourceCart: {path: "/checkouts.json", key: "checkouts", byID: true},
}

// List returns one page of customers or orders changed since the cursor,
// oldest change first. Only one page is held at a time.
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	ls, ok := listings[resource]
	if !ok {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("shopify: cannot list %q", resource))
	}
	pos, err := parseCursor(cur)
	if err != nil {
		return connectors.Page{}, err
	}
	q := url.Values{"limit": {strconv.Itoa(c.settings.PageSize)}}
	if pos.PageInfo != "" {
		// Shopify rejects any filter next to page_info: the token carries them.
		q.Set("page_info", pos.PageInfo)
	} else {
		// Shopify's default order is by id; polling needs updated_at order so
		// the high-water mark only moves forward.
		if !ls.byID {
			q.Set("order", "updated_at asc")
		}
		if pos.Since != "" {
			q.Set("updated_at_min", pos.Since)
		}
		for k, v := range ls.extra {
			q[k] = v
		}
	}
	var out map[string][]map[string]any
	h, err := c.call(ctx, "GET", ls.path, q, nil, &out)
	if err != nil {
		return connectors.Page{}, fmt.Errorf("shopify: list %s: %w", ls.key, err)
	}
	if ls.byID && pos.PageInfo == "" {
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			pos.Began = d.UTC().Format(time.RFC3339)
		}
	}
	high := pos.HighWater
	var highT time.Time
	if high != "" {
		highT, _ = time.Parse(time.RFC3339, high)
	}
	page := connectors.Page{Records: make([]connectors.Record, 0, len(out[ls.key]))}
	for _, data := range out[ls.key] {
		rec, err := record(data)
		if err != nil {
			return connectors.Page{}, fmt.Errorf("shopify: list %s: %w", ls.key, err)
		}
		rec.Resource = resource
		if rec.UpdatedAt.After(highT) {
			highT = rec.UpdatedAt
			high = rec.UpdatedAt.UTC().Format(time.RFC3339)
		}
		page.Records = append(page.Records, *rec)
	}
	next, _ := parseLink(h.Get("Link"))
	if next != "" {
		pages := pos.Pages + 1
		// Restart only if the mark moved past since: when more records than
		// the cap share one second, restarting would loop on that second.
		if !ls.byID && pages >= c.restartPages && high != "" && high != pos.Since {
			page.Next = cursor{Since: high}.String()
			return page, nil
		}
		page.Next = cursor{Since: pos.Since, PageInfo: next, HighWater: high, Pages: pages, Began: pos.Began}.String()
		return page, nil
	}
	since := high
	if since == "" {
		since = pos.Since
	}
	if pos.Began != "" && (since == "" || pos.Began < since) {
		// A byID listing's mark is its newest stamp, which a record with a
		// higher id edited late can carry past an edit, made meanwhile, of
		// a record on a page read before (both RFC 3339 in UTC: ordered
		// as strings).
		since = pos.Began
	}
	page.Done = true
	page.Next = cursor{Since: since}.String()
	return page, nil
}

var _ connectors.Lister = (*Connector)(nil)

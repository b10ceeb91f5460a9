package helpscout

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/shophub/shophub/connectors"
)

// cursor is List's opaque position, stored by the pipeline as JSON:
//
//	{}                                              – full backfill
//	{"since":"2025-01-02T03:04:05Z"}                – next poll from here
//	{"since":"…","seen":[7,9],"page":3}             – mid-listing
//
// Help Scout pages by number under a modifiedSince filter, with second
// resolution. Page numbers shift when a record listed earlier changes
// mid-listing (it moves to the end), so List never steps pages across
// seconds: after each page it restarts at page 1 with modifiedSince set to
// the newest second returned, skipping the ids this listing has already
// returned at exactly that second (Seen). A new poll starts from Since
// with no ids: that second is listed again. Only a page full
// of records of one second makes it page on within that second, and then it
// re-reads a page until it yields nothing new before stepping to the next,
// so records shifted forward by a change mid-listing are not skipped.
type cursor struct {
	Since string  `json:"since,omitempty"`
	Seen  []int64 `json:"seen,omitempty"`
	Page  int     `json:"page,omitempty"`
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, connectors.Permanent(fmt.Errorf("helpscout: cursor %q: %w", s, err))
	}
	if c.Since != "" {
		if _, err := time.Parse(timeLayout, c.Since); err != nil {
			return c, connectors.Permanent(fmt.Errorf("helpscout: cursor %q: %w", s, err))
		}
	}
	return c, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// halPage is one HAL page of a listing.
type halPage struct {
	Embedded map[string][]map[string]any `json:"_embedded"`
	Page     struct {
		Number     int `json:"number"`
		TotalPages int `json:"totalPages"`
	} `json:"page"`
}

// List returns one page of customers or conversations changed since the
// cursor, oldest change first.
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	path, key, err := resourcePath(resource)
	if err != nil {
		return connectors.Page{}, err
	}
	pos, err := parseCursor(cur)
	if err != nil {
		return connectors.Page{}, err
	}
	pageNo := max(pos.Page, 1)
	q := url.Values{"sortField": {"modifiedAt"}, "sortOrder": {"asc"}, "page": {strconv.Itoa(pageNo)}}
	if pos.Since != "" {
		q.Set("modifiedSince", pos.Since)
	}
	if resource == connectors.ResourceTicket {
		q.Set("status", "all") // Help Scout lists only open conversations otherwise
	}
	var out halPage
	if _, err := c.call(ctx, "GET", path, q, nil, &out); err != nil {
		return connectors.Page{}, fmt.Errorf("helpscout: list %s: %w", key, err)
	}
	since := pos.Since
	seen := map[int64]bool{}
	for _, id := range pos.Seen {
		seen[id] = true
	}
	items := out.Embedded[key]
	page := connectors.Page{Records: make([]connectors.Record, 0, len(items))}
	for _, data := range items {
		rec, err := record(resource, data)
		if err != nil {
			return connectors.Page{}, fmt.Errorf("helpscout: list %s: %w", key, err)
		}
		id, _ := strconv.ParseInt(rec.ExternalID, 10, 64)
		ts := rec.UpdatedAt.Format(timeLayout)
		switch {
		case ts > since:
			since, seen = ts, map[int64]bool{id: true}
		case ts == since:
			if seen[id] {
				continue // returned by an earlier page or poll
			}
			seen[id] = true
		}
		page.Records = append(page.Records, *rec)
	}
	next := cursor{Since: since, Seen: sortedIDs(seen)}
	last := out.Page.TotalPages <= pageNo || len(items) == 0
	switch {
	case last:
		// A finished listing forgets the ids it returned at Since: the
		// next poll lists that second again whole, so a record changed
		// twice in it is never skipped; what is unchanged the pipeline
		// drops by content.
		page.Done = true
		next.Seen = nil
	case since == pos.Since && len(page.Records) > 0:
		// The whole page was one second and brought new records: read the
		// same page again, since records of this second that changed
		// meanwhile have left it and shifted later ones forward.
		next.Page = pageNo
	case since == pos.Since:
		// Nothing new on this page of one second: step to the next.
		next.Page = pageNo + 1
	}
	page.Next = next.String()
	return page, nil
}

func sortedIDs(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

var _ connectors.Lister = (*Connector)(nil)

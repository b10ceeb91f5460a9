package magento

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shophub/shophub/connectors"
)

// cursor is List's opaque position, stored by the pipeline as JSON:
//
//	{}                               – full backfill
//	{"since":"2025-01-02 03:04:05"}  – next poll from here
//	{"since":"…","after":12}         – mid-listing
//
// Since is the newest updated_at returned so far (Magento's second
// resolution, UTC). A new poll lists again from the look-back before
// Since, that second included: more records may have been saved in it
// after it was read, a record saved twice in one second keeps its
// updated_at, and a save stamps updated_at before its transaction commits.
// What was already applied comes back unchanged and the pipeline drops it
// by content; remembering ids instead would lose the second edit of a
// record in the second it was read.
//
// After is the last entity id read in the listing in progress. Each page
// asks for (updated_at, entity_id) > (Since, After) — keyset paging, always
// currentPage 1 — instead of stepping currentPage: with offset paging a
// record edited mid-listing moves to the end and shifts every later record
// one place forward, so one would be skipped.
type cursor struct {
	Since string `json:"since,omitempty"`
	After uint64 `json:"after,omitempty"`
}

// defaultLookback: Magento stamps updated_at when the row is saved, and a
// customer save's transaction (customer, addresses, indexers) is short.
const defaultLookback = 5 * time.Second

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	bad := func(err error) (cursor, error) {
		return cursor{}, connectors.Permanent(fmt.Errorf("magento: cursor %q: %w", s, err))
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return bad(err)
	}
	if c.Since != "" {
		if _, err := parseDate(c.Since); err != nil {
			return bad(err)
		}
	}
	return c, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// List returns one page of customers or orders changed since the cursor,
// oldest change first, then by id.
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	ls, ok := listers[resource] // orders.go
	if !ok {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("magento: cannot list %q", resource))
	}
	pos, err := parseCursor(cur)
	if err != nil {
		return connectors.Page{}, err
	}
	q := searchQuery{
		sorts: [][2]string{{"updated_at", "ASC"}, {"entity_id", "ASC"}},
		size:  c.settings.PageSize,
		page:  1,
	}
	switch {
	case pos.Since != "" && pos.After > 0:
		q.groups = append(q.groups, []searchFilter{{"updated_at", "gteq", pos.Since}}, []searchFilter{
			{"updated_at", "gt", pos.Since},
			{"entity_id", "gt", strconv.FormatUint(pos.After, 10)},
		})
	case pos.Since != "":
		since, _ := parseDate(pos.Since)
		from := formatDate(since.Add(-c.inst.Lookback(defaultLookback)))
		q.groups = append(q.groups, []searchFilter{{"updated_at", "gteq", from}})
	}
	res, err := c.searchAt(ctx, ls.path, q)
	if err != nil {
		return connectors.Page{}, fmt.Errorf("magento: list %ss: %w", resource, err)
	}
	since, after := pos.Since, pos.After
	page := connectors.Page{Records: make([]connectors.Record, 0, len(res.Items))}
	for _, data := range res.Items {
		rec, err := ls.record(data)
		if err != nil {
			return connectors.Page{}, fmt.Errorf("magento: list %ss: %w", resource, err)
		}
		id, err := strconv.ParseUint(rec.ExternalID, 10, 64)
		if err != nil {
			return connectors.Page{}, fmt.Errorf("magento: list %ss: id %q: %w", resource, rec.ExternalID, err)
		}
		// Ordered by (updated_at, entity_id): the last record read is the
		// position, and its time the newest so far — also when a look-back
		// page holds only records older than the previous cursor.
		since, after = formatDate(rec.UpdatedAt), id
		page.Records = append(page.Records, *rec)
	}
	// total_count counts every match of this query; Magento would answer
	// a page past the end with the last page again, so it decides the end.
	if res.TotalCount <= len(res.Items) {
		page.Done = true
		page.Next = cursor{Since: since}.String()
		return page, nil
	}
	page.Next = cursor{Since: since, After: after}.String()
	return page, nil
}

var _ connectors.Lister = (*Connector)(nil)

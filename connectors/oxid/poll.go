package oxid

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shophub/shophub/connectors"
)

// cursor is List's opaque position, stored by the pipeline as JSON:
//
//	{}                                  – full backfill
//	{"since":"2025-01-02 03:04:05"}     – next poll from here
//	{"since":"…","after":"<oxid>"}      – mid-listing
//
// Since is the newest change time returned so far (OXTIMESTAMP's second
// resolution, in the database session's zone; the greatest of the oxuser,
// oxaddress and oxnewssubscribed timestamps of a customer). A new poll
// lists again from the look-back before Since, the Since second included:
// more rows may have been saved in that second after it was read, a row
// edited twice in one second keeps its time, and a transaction stamps its
// rows when they are written, not when they become visible. What was
// already applied comes back unchanged and the pipeline drops it by
// content, so nothing is remembered by id here — an id-based "seen" set
// loses an edit made in the second it was read.
//
// After is the last OXID read in the listing in progress: each page asks
// for (changed, OXID) > (Since, After) — keyset paging — so a customer
// edited mid-listing can neither be skipped nor shift the pages.
type cursor struct {
	Since string `json:"since,omitempty"`
	After string `json:"after,omitempty"`
}

// zeroTS is OXID's zero timestamp ("0000-00-00 00:00:00"), what MySQL
// stores for a timestamp written without a valid value when sql_mode
// allows it. No date parser accepts it; it sorts first.
const zeroTS = "0000-00-00 00:00:00"

// defaultLookback: OXTIMESTAMP is taken when a statement runs, and a
// shop's transactions are short.
const defaultLookback = 5 * time.Second

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	bad := func(err error) (cursor, error) {
		return cursor{}, connectors.Permanent(fmt.Errorf("oxid: cursor %q: %w", s, err))
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return bad(err)
	}
	if c.Since != "" && c.Since != zeroTS {
		if _, err := time.Parse(tsLayout, c.Since); err != nil {
			return bad(err)
		}
	}
	return c, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// from is where a new poll starts: the look-back before Since.
func (c cursor) from(lookback time.Duration) string {
	t, err := time.Parse(tsLayout, c.Since)
	if err != nil { // the zero timestamp: nothing is before it
		return c.Since
	}
	return t.Add(-lookback).Format(tsLayout)
}

// List returns one page of customers (or orders, orders.go) changed since the cursor, oldest
// change first, then by OXID. Deactivated customers come as deleted
// records (OXID deactivates rather than deletes, and so does shophub).
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	if resource != connectors.ResourceCustomer && resource != connectors.ResourceOrder {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("oxid: cannot list %q", resource))
	}
	pos, err := parseCursor(cur)
	if err != nil {
		return connectors.Page{}, err
	}
	if resource == connectors.ResourceOrder {
		return c.listOrders(ctx, pos) // orders.go
	}
	db, err := c.pool()
	if err != nil {
		return connectors.Page{}, err
	}
	inner := "SELECT u.OXID AS id, " + changedAt + " AS changed FROM oxuser u WHERE u.OXSHOPID = ? AND u.OXRIGHTS = ?"
	ids, next, err := c.changedIDs(ctx, db, "list changed customers", inner, []any{c.settings.ShopID, customerRights}, pos)
	if err != nil {
		return connectors.Page{}, err
	}
	data, err := c.loadCustomers(ctx, db, ids)
	if err != nil {
		return connectors.Page{}, err
	}
	page := connectors.Page{Records: make([]connectors.Record, 0, len(ids))}
	for _, id := range ids {
		d, ok := data[id]
		if !ok {
			continue // moved to another shop between the two queries
		}
		rec, note := readRecord(d)
		if note != "" {
			c.inst.Logger.Warn("oxid: customer read without a field", "instance", c.inst.Name, "oxid", id, "note", note)
		}
		page.Records = append(page.Records, *rec)
	}
	page.Next, page.Done = next.String(), next.After == ""
	return page, nil
}

// changedIDs lists the next page of ids after pos, ordered by (changed,
// id), from inner: a SELECT of id and changed (customers, orders). next is
// the cursor after the page; a short page is the last, and its cursor
// keeps only the time, so the next poll starts over from the look-back.
func (c *Connector) changedIDs(ctx context.Context, db querier, what, inner string, args []any, pos cursor) (ids []string, next cursor, err error) {
	q := "SELECT c.id, c.changed FROM (" + inner + ") c"
	switch {
	case pos.Since != "" && pos.After != "":
		q += " WHERE c.changed >= ? AND (c.changed > ? OR c.id > ?)"
		args = append(args, pos.Since, pos.Since, pos.After)
	case pos.Since != "":
		q += " WHERE c.changed >= ?"
		args = append(args, pos.from(c.inst.Lookback(defaultLookback)))
	}
	q += " ORDER BY c.changed, c.id LIMIT ?"
	args = append(args, c.settings.PageSize)
	hits, err := query(ctx, db, what, q, args...)
	if err != nil {
		return nil, cursor{}, err
	}
	next = cursor{Since: pos.Since, After: pos.After}
	ids = make([]string, 0, len(hits))
	for _, h := range hits {
		// Ordered by (changed, OXID): the last row read is the position,
		// and its time the newest so far — also when a look-back page
		// holds only rows older than the previous cursor.
		next.Since, next.After = h["changed"].(string), h["id"].(string)
		ids = append(ids, next.After)
	}
	if len(hits) < c.settings.PageSize {
		next.After = ""
	}
	return ids, next, nil
}

var _ connectors.Lister = (*Connector)(nil)

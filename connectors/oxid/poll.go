package oxid

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// cursor is List's opaque position, stored by the pipeline as JSON:
//
//	{}                                               – full backfill
//	{"since":"2025-01-02 03:04:05","seen":"Ab3x…,…"}  – next poll from here
//	{"since":"…","seen":"…","after":"<oxid>"}          – mid-listing
//
// Since is the newest change time returned so far (OXTIMESTAMP's second
// resolution, UTC; the greatest of the oxuser, oxaddress and
// oxnewssubscribed timestamps of a customer). Seen holds the customers
// already returned whose change time is exactly Since: a poll re-reads
// the Since second, because more rows may have been saved in it after
// they were read, and returns only those not in Seen — as the Magento
// connector does. OXIDs are 32 characters, so Seen stores 8-character
// hashes of them (48 bits: a false match needs two customers saved in one
// second to collide) to keep the cursor small when an import saves
// thousands of customers in one second.
//
// After is the last OXID read in the listing in progress: each page asks
// for (changed, OXID) > (Since, After) — keyset paging — so a customer
// edited mid-listing can neither be skipped nor shift the pages.
type cursor struct {
	Since string `json:"since,omitempty"`
	Seen  string `json:"seen,omitempty"`
	After string `json:"after,omitempty"`
}

// maxSeen bounds the seen set (about 9 bytes each; the hub stores cursors
// in a TEXT column of 64 KB). Past it the cursor keeps only the keyset
// position of that second; README explains what that gives up.
const maxSeen = 5000

func parseCursor(s string) (cursor, map[string]struct{}, error) {
	var c cursor
	seen := map[string]struct{}{}
	if s == "" {
		return c, seen, nil
	}
	bad := func(err error) (cursor, map[string]struct{}, error) {
		return cursor{}, nil, connectors.Permanent(fmt.Errorf("oxid: cursor %q: %w", s, err))
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return bad(err)
	}
	if c.Since != "" {
		if _, err := time.Parse(tsLayout, c.Since); err != nil {
			return bad(err)
		}
	}
	if c.Seen != "" {
		for h := range strings.SplitSeq(c.Seen, ",") {
			if len(h) != 8 {
				return bad(fmt.Errorf("seen entry %q", h))
			}
			seen[h] = struct{}{}
		}
	}
	return c, seen, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

func seenKey(id string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(id)))
	return base64.RawURLEncoding.EncodeToString(sum[:6])
}

func seenString(seen map[string]struct{}) string {
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// List returns one page of customers changed since the cursor, oldest
// change first, then by OXID. Deactivated customers come as deleted
// records (OXID deactivates rather than deletes, and so does shophub).
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	if resource != connectors.ResourceCustomer {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("oxid: cannot list %q", resource))
	}
	pos, seen, err := parseCursor(cur)
	if err != nil {
		return connectors.Page{}, err
	}
	db, err := c.pool()
	if err != nil {
		return connectors.Page{}, err
	}
	q := "SELECT c.id, c.changed FROM (SELECT u.OXID AS id, " + changedAt + " AS changed FROM oxuser u WHERE u.OXSHOPID = ? AND u.OXRIGHTS = ?) c"
	args := []any{c.settings.ShopID, customerRights}
	if pos.Since != "" {
		q += " WHERE c.changed >= ?"
		args = append(args, pos.Since)
		if pos.After != "" {
			q += " AND (c.changed > ? OR c.id > ?)"
			args = append(args, pos.Since, pos.After)
		}
	}
	q += " ORDER BY c.changed, c.id LIMIT ?"
	args = append(args, c.settings.PageSize)
	hits, err := query(ctx, db, "list changed customers", q, args...)
	if err != nil {
		return connectors.Page{}, err
	}

	since, after := pos.Since, pos.After
	var ids []string
	for _, h := range hits {
		id, ts := h["id"].(string), h["changed"].(string)
		after = id
		key := seenKey(id)
		switch {
		case ts > since:
			since, seen = ts, map[string]struct{}{key: {}}
		case ts == since:
			if _, dup := seen[key]; dup {
				continue // returned by an earlier page or poll
			}
			seen[key] = struct{}{}
		}
		ids = append(ids, id)
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
		rec, err := record(d)
		if err != nil {
			return connectors.Page{}, err
		}
		page.Records = append(page.Records, *rec)
	}
	next := cursor{Since: since, Seen: seenString(seen)}
	if len(seen) > maxSeen {
		c.inst.Logger.Warn("oxid: more customers changed in one second than the cursor remembers; continuing by OXID order within that second",
			"instance", c.inst.Name, "second", since, "customers", len(seen))
		next.Seen, next.After = "", after
	}
	if len(hits) < c.settings.PageSize {
		page.Done = true
		if next.Seen != "" {
			next.After = ""
		}
		page.Next = next.String()
		return page, nil
	}
	next.After = after
	page.Next = next.String()
	return page, nil
}

var _ connectors.Lister = (*Connector)(nil)

package shopware

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Listing changed customers.
//
// Shopware leaves updatedAt NULL until a customer's first update, and MySQL
// sorts NULLs first, so "ORDER BY updatedAt" is not a change order and an
// offset (page number) shifts whenever a record changes mid-listing,
// skipping others for good. The lister therefore walks two keyset
// segments, each ordered by a column that only grows:
//
//	N: updatedAt IS NULL,     createdAt >= N.ts, ordered createdAt, id
//	U: updatedAt IS NOT NULL, updatedAt >= U.ts, ordered updatedAt, id
//
// Together they are the DAL's "updatedAt >= since OR createdAt >= since".
// Every page queries both and returns the oldest page-size records of the
// merge. A position is a timestamp (inclusive) plus the ids already listed
// at exactly that timestamp (excluded with not/equalsAny), so ties never
// repeat or get lost, and the range filters only ever compare timestamps
// Shopware rendered itself.
//
// The cursor is both positions. When a listing is Done, the same positions
// are the next poll's "since": a record created after the last N query has
// a createdAt beyond N.ts, and one updated after the last U query an
// updatedAt beyond U.ts, so nothing falls between two polls, even records
// that change while a listing runs (they move to U's end and are listed
// there). Nothing listed repeats either. Deletions are not listable in
// Shopware; they arrive as customer.deleted webhooks.
//
// The cost: two searches per page, and a cursor that grows with the number
// of customers sharing one millisecond (bulk imports).

type position struct {
	TS  string   `json:"ts,omitempty"`  // as Shopware rendered it
	IDs []string `json:"ids,omitempty"` // listed ids at exactly TS
}

type cursor struct {
	V int      `json:"v"`
	N position `json:"n"`
	U position `json:"u"`
}

const cursorVersion = 1

func decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{V: cursorVersion}, nil
	}
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.V != cursorVersion {
		return c, connectors.Permanent(fmt.Errorf("shopware: cursor %.40q is not a shopware v%d cursor", s, cursorVersion))
	}
	return c, nil
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func segmentCriteria(limit int, pos position, column string, neverUpdated bool, assoc map[string]any) map[string]any {
	var filters []any
	if neverUpdated {
		filters = append(filters, map[string]any{"type": "equals", "field": "updatedAt", "value": nil})
	} else if pos.TS == "" {
		filters = append(filters, map[string]any{"type": "not", "operator": "and", "queries": []any{
			map[string]any{"type": "equals", "field": "updatedAt", "value": nil}}})
	}
	if pos.TS != "" {
		filters = append(filters, map[string]any{"type": "range", "field": column, "parameters": map[string]any{"gte": pos.TS}})
	}
	if len(pos.IDs) > 0 {
		filters = append(filters, map[string]any{"type": "not", "operator": "or", "queries": []any{
			map[string]any{"type": "equalsAny", "field": "id", "value": pos.IDs}}})
	}
	return map[string]any{
		"page":   1,
		"limit":  limit,
		"filter": filters,
		"sort": []any{
			map[string]any{"field": column, "order": "ASC"},
			map[string]any{"field": "id", "order": "ASC"},
		},
		"associations":     assoc,
		"total-count-mode": 0, // totals cost a COUNT(*) per page and are not needed
	}
}

type listed struct {
	rec     connectors.Record
	ts      string // the segment's column as rendered
	segment *position
}

// List returns the next page of customers or orders changed since cursor.
// An order's payment state lives on its transaction, whose changes do not
// touch the order's updatedAt: the state_enter webhooks bring those, and a
// poll sees them with the order's next write.
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	if _, _, err := entityOf(resource, false); err != nil { // orders.go
		return connectors.Page{}, err
	}
	pos, err := decodeCursor(cur)
	if err != nil {
		return connectors.Page{}, err
	}
	limit := c.settings.PageSize
	var all []listed
	segments := []struct {
		pos          *position
		column       string
		neverUpdated bool
	}{{&pos.N, "createdAt", true}, {&pos.U, "updatedAt", false}}
	short := true
	for _, s := range segments {
		_, data, err := c.searchResource(ctx, resource, func(assoc map[string]any) map[string]any { // orders.go
			return segmentCriteria(limit, *s.pos, s.column, s.neverUpdated, assoc)
		})
		if err != nil {
			return connectors.Page{}, err
		}
		if len(data) >= limit {
			short = false
		}
		for _, d := range data {
			rec, err := record(d)
			if err != nil {
				return connectors.Page{}, err
			}
			ts, _ := d[s.column].(string)
			all = append(all, listed{rec: rec, ts: ts, segment: s.pos})
		}
	}
	// Both segments come sorted by (time, id); merging them the same way
	// takes a prefix of each, which is what the positions can express.
	slices.SortStableFunc(all, func(a, b listed) int {
		if c := a.rec.UpdatedAt.Compare(b.rec.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.rec.ExternalID, b.rec.ExternalID)
	})
	take := min(limit, len(all))
	page := connectors.Page{Records: make([]connectors.Record, 0, take)}
	for _, l := range all[:take] {
		page.Records = append(page.Records, l.rec)
		p := l.segment
		if t, ok := parseTime(p.TS); ok && t.Equal(l.rec.UpdatedAt) {
			p.IDs = append(p.IDs, l.rec.ExternalID)
		} else {
			p.TS, p.IDs = l.ts, []string{l.rec.ExternalID}
		}
	}
	page.Done = short && take == len(all)
	page.Next = pos.encode()
	return page, nil
}

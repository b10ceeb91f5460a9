package magento

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// cursor is List's opaque position, stored by the pipeline as JSON:
//
//	{}                                             – full backfill
//	{"since":"2025-01-02 03:04:05","seen":"7-9,12"} – next poll from here
//	{"since":"…","seen":"…","after":12}             – mid-listing
//
// Since is the newest updated_at returned so far (Magento's second
// resolution, UTC). Seen lists the ids already returned whose updated_at is
// exactly Since, as ranges: a poll re-reads the Since second, because more
// records may have been saved in it after they were read, and returns only
// those not in Seen. So nothing saved in the cursor's second is skipped,
// and nothing is returned again and again.
//
// After is the last entity id read in the listing in progress. Each page
// asks for (updated_at, entity_id) > (Since, After) — keyset paging, always
// currentPage 1 — instead of stepping currentPage: with offset paging a
// record edited mid-listing moves to the end and shifts every later record
// one place forward, so one would be skipped.
type cursor struct {
	Since string `json:"since,omitempty"`
	Seen  string `json:"seen,omitempty"`
	After uint64 `json:"after,omitempty"`
}

func parseCursor(s string) (cursor, idSet, error) {
	var c cursor
	if s == "" {
		return c, idSet{}, nil
	}
	bad := func(err error) (cursor, idSet, error) {
		return cursor{}, nil, connectors.Permanent(fmt.Errorf("magento: cursor %q: %w", s, err))
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return bad(err)
	}
	if c.Since != "" {
		if _, err := parseDate(c.Since); err != nil {
			return bad(err)
		}
	}
	seen, err := parseRanges(c.Seen)
	if err != nil {
		return bad(err)
	}
	return c, seen, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// idSet is a set of entity ids.
type idSet map[uint64]struct{}

// parseRanges reads "1-5,9,12-13".
func parseRanges(s string) (idSet, error) {
	set := idSet{}
	if s == "" {
		return set, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seen ids: %w", err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("seen ids: bad range %q", part)
			}
		}
		if b-a > 10_000_000 {
			return nil, fmt.Errorf("seen ids: range %q too large", part)
		}
		for id := a; id <= b; id++ {
			set[id] = struct{}{}
		}
	}
	return set, nil
}

// String writes the set as sorted ranges: ids saved in one second are
// mostly consecutive (a mass action, an import), so the cursor stays small.
func (s idSet) String() string {
	ids := make([]uint64, 0, len(s))
	for id := range s {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(ids[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatUint(ids[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// List returns one page of customers or orders changed since the cursor,
// oldest change first, then by id.
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	ls, ok := listers[resource] // orders.go
	if !ok {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("magento: cannot list %q", resource))
	}
	pos, seen, err := parseCursor(cur)
	if err != nil {
		return connectors.Page{}, err
	}
	q := searchQuery{
		sorts: [][2]string{{"updated_at", "ASC"}, {"entity_id", "ASC"}},
		size:  c.settings.PageSize,
		page:  1,
	}
	if pos.Since != "" {
		q.groups = append(q.groups, []searchFilter{{"updated_at", "gteq", pos.Since}})
		if pos.After > 0 {
			q.groups = append(q.groups, []searchFilter{
				{"updated_at", "gt", pos.Since},
				{"entity_id", "gt", strconv.FormatUint(pos.After, 10)},
			})
		}
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
		ts := formatDate(rec.UpdatedAt)
		switch {
		case ts > since:
			since, seen = ts, idSet{id: {}}
		case ts == since:
			if _, dup := seen[id]; dup {
				after = id
				continue // returned by an earlier page or poll
			}
			seen[id] = struct{}{}
		}
		after = id
		page.Records = append(page.Records, *rec)
	}
	// total_count counts every match of this query; Magento would answer
	// a page past the end with the last page again, so it decides the end.
	if res.TotalCount <= len(res.Items) {
		page.Done = true
		page.Next = cursor{Since: since, Seen: seen.String()}.String()
		return page, nil
	}
	page.Next = cursor{Since: since, Seen: seen.String(), After: after}.String()
	return page, nil
}

var _ connectors.Lister = (*Connector)(nil)

package rest

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/erp/internal/keyset"
)

// List returns one page of customers changed since the cursor.
//
// The cursor is the newest record time seen (see keyset): a poll filters
// "changed since" the look-back before that instant — inclusive, or one
// unit early when the ERP's filter is exclusive — so a record saved in the
// cursor's millisecond or second, or saved twice in it, is never skipped;
// what was already applied is dropped by content in the pipeline.
//
// Page and offset paging restart at the first page whenever the high-water
// mark moves (the filter itself then skips what was read), and step pages
// only while a page holds nothing newer than the mark — so a record edited
// mid-listing, which moves to the end, shifts nothing unread past the
// page. Cursor and Link paging follow the ERP's own token and keep the
// mark for the next poll.
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	if resource != connectors.ResourceCustomer {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("%s: cannot list %q", c.typ, resource))
	}
	pos, err := keyset.Parse(cur)
	if err != nil {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("%s: %w", c.typ, err))
	}
	tr, err := keyset.NewTracker(pos)
	if err != nil {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("%s: cursor: %w", c.typ, err))
	}
	low := pos.From(c.inst.Lookback(defaultLookback))
	p := c.profile
	pg := p.Pagination
	path, q := p.Endpoints.List.Path, url.Values{}
	if pos.Token != "" && pg.Style == "link" {
		if !strings.HasPrefix(pos.Token, c.settings.BaseURL+"/") && !strings.HasPrefix(pos.Token, "/") {
			return connectors.Page{}, connectors.Permanent(fmt.Errorf("%s: next link %q leaves base_url", c.typ, pos.Token))
		}
		path, q = pos.Token, nil
	} else {
		for k, v := range p.ListQuery {
			q.Set(k, v)
		}
		for k, v := range p.Endpoints.List.Query {
			q.Set(k, v)
		}
		if pos.Since != "" && pos.Token == "" {
			t := low
			if !p.ChangedSince.Inclusive {
				t = t.Add(-unit(p.ChangedSince.Format))
			}
			loc, _ := zone(p.ChangedSince.Zone)
			q.Set(p.ChangedSince.Param, formatTime(t, p.ChangedSince.Format, loc))
		}
		switch pg.Style {
		case "page":
			q.Set(pg.PageParam, strconv.Itoa(pg.FirstPage+pos.Page))
			q.Set(pg.SizeParam, strconv.Itoa(c.pageSize))
		case "offset":
			q.Set(pg.OffsetParam, strconv.Itoa(pos.Page*c.pageSize))
			q.Set(pg.LimitParam, strconv.Itoa(c.pageSize))
		case "cursor", "link":
			if pg.SizeParam != "" {
				q.Set(pg.SizeParam, strconv.Itoa(c.pageSize))
			}
			if pos.Token != "" {
				q.Set(pg.CursorParam, pos.Token)
			}
		}
	}
	var out any
	resp, err := c.call(ctx, p.Endpoints.List.Method, path, q, nil, &out)
	if err != nil {
		return connectors.Page{}, fmt.Errorf("%s: list customers: %w", c.typ, err)
	}
	items, ok := lookup(out, p.Records.ListPath).([]any)
	if !ok && lookup(out, p.Records.ListPath) != nil {
		return connectors.Page{}, fmt.Errorf("%s: list customers: no list at %q in the answer", c.typ, p.Records.ListPath)
	}
	page := connectors.Page{Records: make([]connectors.Record, 0, len(items))}
	for _, it := range items {
		rec, err := c.record(it)
		if err != nil {
			return connectors.Page{}, fmt.Errorf("%s: list customers: %w", c.typ, err)
		}
		if tr.Offer(rec.ExternalID, rec.UpdatedAt) {
			page.Records = append(page.Records, rec)
		}
	}
	var token string
	switch pg.Style {
	case "page", "offset":
		page.Done = len(items) < c.pageSize
	case "cursor":
		if s, ok := lookup(out, pg.NextField).(string); ok {
			token = s
		}
		page.Done = token == "" || len(items) == 0
	case "link":
		if resp != nil {
			token = nextLink(resp.Header().Get("Link"))
		}
		page.Done = token == "" || len(items) == 0
	}
	next := tr.Cursor(page.Done)
	switch {
	case page.Done:
	case pg.Style != "page" && pg.Style != "offset":
		next.Token = token
	case !tr.Advanced:
		// Nothing newer than the mark: the next page of this filter.
		next.Page, next.Low = pos.Page+1, keyset.Format(low)
	case tr.AtSince >= len(items):
		next.Page = 1
	}
	page.Next = next.String()
	return page, nil
}

// defaultLookback covers an ERP save whose stamp is a little older than
// its commit.
const defaultLookback = 5 * time.Second

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;[^,]*rel="?next"?`)

// nextLink reads rel="next" from an RFC 8288 Link header.
func nextLink(h string) string {
	if m := linkNext.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return ""
}

// record turns one ERP record into a Record.
func (c *Connector) record(item any) (connectors.Record, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return connectors.Record{}, fmt.Errorf("record is not an object: %T", item)
	}
	rs := c.profile.Records
	idv := lookup(m, rs.IDField)
	id := strings.TrimSpace(fmt.Sprint(idv))
	if idv == nil || id == "" {
		return connectors.Record{}, fmt.Errorf("record without %s", rs.IDField)
	}
	loc, _ := zone(c.profile.ChangedSince.Zone)
	at, err := parseTime(lookup(m, rs.UpdatedField), rs.UpdatedFormat, loc)
	if err != nil {
		return connectors.Record{}, fmt.Errorf("record %s: %s: %w", id, rs.UpdatedField, err)
	}
	return connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: id, UpdatedAt: at, Data: m}, nil
}

var _ connectors.Lister = (*Connector)(nil)

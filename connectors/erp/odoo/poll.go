package odoo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/erp/internal/keyset"
)

// partnerFields are read for every partner. mobile is left out: recent
// Odoo versions dropped it, and naming an unknown field is an error.
var partnerFields = []string{"id", "name", "email", "phone", "street", "street2", "zip", "city", "state_id", "country_id",
	"vat", "lang", "ref", "category_id", "is_company", "parent_id", "company_name", "type", "customer_rank", "active",
	"create_date", "write_date"}

// dateLayout is how Odoo writes datetimes: UTC, second resolution.
const dateLayout = "2006-01-02 15:04:05"

const order = "write_date asc, id asc"

// defaultLookback covers Odoo transactions that commit after the poll
// that passed their start time: imports and scheduled actions run for
// minutes.
const defaultLookback = 5 * time.Minute

// scope is the domain selecting the partners this instance syncs: no
// invoice/delivery child addresses, and individuals or companies per
// settings.
func (c *Connector) scope() []any {
	d := []any{[]any{"type", "not in", []any{"invoice", "delivery", "other"}}}
	switch c.settings.Partners {
	case PartnersIndividuals:
		d = append(d, []any{"is_company", "=", false})
	case PartnersCompanies:
		d = append(d, []any{"is_company", "=", true})
	}
	if c.settings.CustomersOnly {
		d = append(d, []any{"customer_rank", ">", 0})
	}
	return d
}

// archivedToo lifts Odoo's implicit active = True filter (active_test), so
// that polls and fetches see partners archived since they were read and
// report them as Deleted; archiving is how Odoo users retire customers.
func archivedToo() []any {
	return []any{"|", []any{"active", "=", true}, []any{"active", "=", false}}
}

// List returns one page of partners changed since the cursor, by
// write_date then id.
//
// Paging is keyset, not offset: each page asks for (write_date, id) after
// the last one read, with offset 0. With offset paging a partner edited
// mid-listing moves to the end and shifts every later partner one place
// forward, so one would be skipped. A finished listing's cursor is the
// newest write_date (see keyset): the next poll lists again from the
// look-back before it. Odoo stamps write_date with the time its
// transaction began, so a long import commits rows dated minutes behind
// the cursor; the look-back (minutes by default) is what reads them.
func (c *Connector) List(ctx context.Context, resource, cur string) (connectors.Page, error) {
	if resource == connectors.ResourceOrder {
		return c.listOrders(ctx, cur) // orders.go
	}
	if resource != connectors.ResourceCustomer {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("odoo: cannot list %q", resource))
	}
	pos, err := keyset.Parse(cur)
	if err != nil {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("odoo: %w", err))
	}
	domain := append(c.scope(), archivedToo()...)
	if pos.Since != "" {
		from := pos.From(c.inst.Lookback(defaultLookback)).UTC().Format(dateLayout)
		domain = append(domain, []any{"write_date", ">=", from})
		if after, err := strconv.ParseInt(pos.After, 10, 64); err == nil && after > 0 {
			domain = append(domain, "|", []any{"write_date", ">", from}, []any{"id", ">", after})
		}
	}
	var rows []map[string]any
	kw := map[string]any{"domain": domain, "fields": partnerFields, "limit": c.settings.PageSize, "offset": 0, "order": order}
	if err := c.rpc.call(ctx, "res.partner", "search_read", kw, &rows); err != nil {
		return connectors.Page{}, fmt.Errorf("odoo: list partners: %w", err)
	}
	recs, err := c.records(ctx, rows)
	if err != nil {
		return connectors.Page{}, fmt.Errorf("odoo: list partners: %w", err)
	}
	page := connectors.Page{Records: recs}
	// The position is the last partner read: (write_date, id) ascending,
	// so its write_date is the newest so far — also when a look-back page
	// holds only partners older than the previous cursor.
	next := keyset.Cursor{Since: pos.Since}
	if n := len(recs); n > 0 {
		next.Since = keyset.Format(recs[n-1].UpdatedAt)
		next.After = recs[n-1].ExternalID
	}
	if len(rows) < c.settings.PageSize {
		page.Done = true
		next.After = ""
		page.Next = next.String()
		return page, nil
	}
	next.Resume = true
	page.Next = next.String()
	return page, nil
}

// parseDate reads Odoo's UTC datetime.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i > 0 { // microseconds from some versions
		s = s[:i]
	}
	return time.Parse(dateLayout, s)
}

var _ connectors.Lister = (*Connector)(nil)

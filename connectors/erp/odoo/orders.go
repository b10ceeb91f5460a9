package odoo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/erp/internal/keyset"
)

// Orders are read, never written: the ERP owns them. A sales order is a
// sale.order; what was paid and paid back is on its journal entries
// (account.move): customer invoices (out_invoice) carry payment_state,
// credit notes (out_refund) the refunds. sale.order.invoice_ids lists
// both (Odoo computes it from the lines' invoice lines, and a credit note
// made from an invoice keeps them).
//
// Registering a payment or issuing a credit note changes the journal
// entries only, not the order's write_date, and validating a return
// moves it only when it changes the order's delivery_status (returns.go). Orders are polled in three passes
// with one cursor: sale.order by write_date, then customer invoices and
// credit notes by write_date, each read back to the orders whose
// invoice_ids hold them, then done return moves by write_date, read back
// to the orders of their sale_line_id (skipped without Inventory). A
// record's change time is the newest write_date of the order, its
// invoices and credit notes and its return moves, so the hub never takes
// an older read over a newer one.

// orderStates are the sales orders shophub reads: confirmed ones (sale;
// done before Odoo 17) and cancelled ones. Quotations (draft, sent) are
// not orders yet; cancelled quotations come as voided orders, which count
// for nothing.
var orderStates = []any{"sale", "done", "cancel"}

var orderFields = []string{"id", "name", "partner_id", "partner_shipping_id", "date_order", "state", "amount_untaxed",
	"amount_total", "currency_id", "payment_term_id", "order_line", "invoice_ids", "write_date"}

var orderLineFields = []string{"id", "order_id", "product_id", "name", "display_type", "product_uom_qty", "qty_delivered",
	"qty_invoiced", "price_total"}

var moveFields = []string{"id", "name", "move_type", "state", "payment_state", "reversed_entry_id", "amount_total", "write_date"}

// creditLineFields are what a credit note's product line says about the
// order line it pays back: sale_line_ids (addons/sale) are the sale order
// lines it credits, kept from the invoice line the credit note reversed.
var creditLineFields = []string{"id", "move_id", "sale_line_ids", "quantity", "price_total"}

// customerMoves are the journal entries that say something about an
// order's money.
var customerMoves = []any{"out_invoice", "out_refund"}

// orderCursor is List's position for orders: the orders' pass, the
// journal entries' pass and the return moves' pass, each a keyset
// cursor, and which pass a listing in progress is in. A cursor written
// before the returns pass existed has none: that pass then starts from
// the beginning once, which reads every return.
type orderCursor struct {
	Orders  keyset.Cursor `json:"orders"`
	Moves   keyset.Cursor `json:"moves"`
	Returns keyset.Cursor `json:"returns"`
	Pass    string        `json:"pass,omitempty"` // "" orders, "moves", "returns"
}

func parseOrderCursor(s string) (orderCursor, error) {
	var c orderCursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return orderCursor{}, fmt.Errorf("order cursor %q: %w", s, err)
	}
	for _, k := range []keyset.Cursor{c.Orders, c.Moves, c.Returns} {
		if _, err := keyset.Parse(k.String()); err != nil {
			return orderCursor{}, fmt.Errorf("order cursor %q: %w", s, err)
		}
	}
	return c, nil
}

func (c orderCursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// changedSince is the keyset domain of List: write_date from the cursor
// (the look-back before it when a new poll starts), past the last id read
// at that time while a listing is in progress.
func (c *Connector) changedSince(pos keyset.Cursor) []any {
	if pos.Since == "" {
		return nil
	}
	from := pos.From(c.inst.Lookback(defaultLookback)).UTC().Format(dateLayout)
	d := []any{[]any{"write_date", ">=", from}}
	if after, err := strconv.ParseInt(pos.After, 10, 64); err == nil && after > 0 {
		d = append(d, "|", []any{"write_date", ">", from}, []any{"id", ">", after})
	}
	return d
}

// advance is the cursor after a page whose last row (in write_date, id
// order) is last; full says the page was full, so the pass goes on.
func advance(pos keyset.Cursor, last map[string]any, full bool) (keyset.Cursor, error) {
	next := keyset.Cursor{Since: pos.Since}
	if last != nil {
		s, _ := last["write_date"].(string)
		at, err := parseDate(s)
		if err != nil {
			return next, fmt.Errorf("write_date %q: %w", s, err)
		}
		next.Since = keyset.Format(at)
		next.After = strconv.FormatInt(m2oID(last["id"]), 10)
	}
	if !full {
		next.After = ""
		return next, nil
	}
	next.Resume = true
	return next, nil
}

// listOrders is List for orders.
func (c *Connector) listOrders(ctx context.Context, cur string) (connectors.Page, error) {
	pos, err := parseOrderCursor(cur)
	if err != nil {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("odoo: %w", err))
	}
	limit := c.settings.PageSize
	if pos.Pass == "returns" {
		return c.listReturns(ctx, pos)
	}
	if pos.Pass == "" {
		domain := append([]any{[]any{"state", "in", orderStates}}, c.changedSince(pos.Orders)...)
		var rows []map[string]any
		kw := map[string]any{"domain": domain, "fields": orderFields, "limit": limit, "offset": 0, "order": order}
		if err := c.rpc.call(ctx, "sale.order", "search_read", kw, &rows); err != nil {
			return connectors.Page{}, fmt.Errorf("odoo: list orders: %w", err)
		}
		recs, err := c.orderRecords(ctx, rows)
		if err != nil {
			return connectors.Page{}, fmt.Errorf("odoo: list orders: %w", err)
		}
		var last map[string]any
		if len(rows) > 0 {
			last = rows[len(rows)-1]
		}
		if pos.Orders, err = advance(pos.Orders, last, len(rows) == limit); err != nil {
			return connectors.Page{}, connectors.Permanent(fmt.Errorf("odoo: list orders: %w", err))
		}
		if len(rows) < limit {
			pos.Pass = "moves" // the orders are read; their journal entries next
		}
		return connectors.Page{Records: recs, Next: pos.String()}, nil
	}
	domain := append([]any{[]any{"move_type", "in", customerMoves}, []any{"state", "=", "posted"}}, c.changedSince(pos.Moves)...)
	var moves []map[string]any
	kw := map[string]any{"domain": domain, "fields": []string{"id", "write_date"}, "limit": limit, "offset": 0, "order": order}
	if err := c.rpc.call(ctx, "account.move", "search_read", kw, &moves); err != nil {
		return connectors.Page{}, fmt.Errorf("odoo: list invoices: %w", err)
	}
	var recs []connectors.Record
	if len(moves) > 0 {
		ids := make([]any, len(moves))
		for i, m := range moves {
			ids[i] = m2oID(m["id"])
		}
		var rows []map[string]any
		kw := map[string]any{"domain": []any{[]any{"invoice_ids", "in", ids}, []any{"state", "in", orderStates}},
			"fields": orderFields, "order": "id asc"}
		if err := c.rpc.call(ctx, "sale.order", "search_read", kw, &rows); err != nil {
			return connectors.Page{}, fmt.Errorf("odoo: orders of invoices: %w", err)
		}
		if recs, err = c.orderRecords(ctx, rows); err != nil {
			return connectors.Page{}, fmt.Errorf("odoo: orders of invoices: %w", err)
		}
	}
	var last map[string]any
	if len(moves) > 0 {
		last = moves[len(moves)-1]
	}
	if pos.Moves, err = advance(pos.Moves, last, len(moves) == limit); err != nil {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("odoo: list invoices: %w", err))
	}
	page := connectors.Page{Records: recs}
	if len(moves) < limit {
		pos.Pass = "returns" // the journal entries are read; the returns next
		if !c.askStock() {
			pos.Pass, page.Done = "", true
		}
	}
	page.Next = pos.String()
	return page, nil
}

// listReturns is List's last pass: the done return moves changed since
// the cursor, read back to their orders. Without readable stock moves the
// pass ends the listing at once.
func (c *Connector) listReturns(ctx context.Context, pos orderCursor) (connectors.Page, error) {
	limit := c.settings.PageSize
	domain := append(returnMoves(), c.changedSince(pos.Returns)...)
	var moves []map[string]any
	kw := map[string]any{"domain": domain, "fields": []string{"id", "sale_line_id", "write_date"}, "limit": limit, "offset": 0, "order": order}
	if err := c.rpc.call(ctx, "stock.move", "search_read", kw, &moves); err != nil {
		if !c.stockMissing(err) {
			return connectors.Page{}, fmt.Errorf("odoo: list returns: %w", err)
		}
		moves = nil
	}
	var recs []connectors.Record
	if len(moves) > 0 {
		lines := make([]any, 0, len(moves))
		for _, m := range moves {
			lines = append(lines, m2oID(m["sale_line_id"]))
		}
		var rows []map[string]any
		kw := map[string]any{"domain": []any{[]any{"order_line", "in", lines}, []any{"state", "in", orderStates}},
			"fields": orderFields, "order": "id asc"}
		if err := c.rpc.call(ctx, "sale.order", "search_read", kw, &rows); err != nil {
			return connectors.Page{}, fmt.Errorf("odoo: orders of returns: %w", err)
		}
		var err error
		if recs, err = c.orderRecords(ctx, rows); err != nil {
			return connectors.Page{}, fmt.Errorf("odoo: orders of returns: %w", err)
		}
	}
	var last map[string]any
	if len(moves) > 0 {
		last = moves[len(moves)-1]
	}
	var err error
	if pos.Returns, err = advance(pos.Returns, last, len(moves) == limit); err != nil {
		return connectors.Page{}, connectors.Permanent(fmt.Errorf("odoo: list returns: %w", err))
	}
	page := connectors.Page{Records: recs}
	if len(moves) < limit {
		pos.Pass, page.Done = "", true
	}
	page.Next = pos.String()
	return page, nil
}

// fetchOrder re-reads one sales order.
func (c *Connector) fetchOrder(ctx context.Context, externalID string) (*connectors.Record, error) {
	id, err := strconv.ParseInt(externalID, 10, 64)
	if err != nil || id <= 0 {
		return nil, connectors.Permanent(fmt.Errorf("odoo: %q is not a sale.order id", externalID))
	}
	var rows []map[string]any
	kw := map[string]any{"domain": []any{[]any{"id", "=", id}, []any{"state", "in", orderStates}}, "fields": orderFields, "limit": 1}
	if err := c.rpc.call(ctx, "sale.order", "search_read", kw, &rows); err != nil {
		return nil, fmt.Errorf("odoo: read order %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("odoo: order %d (or a quotation): %w", id, connectors.ErrNotFound)
	}
	recs, err := c.orderRecords(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("odoo: read order %d: %w", id, err)
	}
	return &recs[0], nil
}

// orderRecords reads what the default mapping needs besides the
// sale.order fields and adds it to each order:
//
//	lines             the product lines (sections and notes left out):
//	                  sku (the product's default_code), name,
//	                  product_uom_qty, qty_delivered, qty_invoiced,
//	                  total (price_total as a decimal string), and what
//	                  the posted credit notes' lines linked to it
//	                  (sale_line_ids) pay back: refunded_quantity (Σ
//	                  quantity) and refunded (Σ price_total); and
//	                  returned_quantity, what came back to refund by
//	                  done return moves (returns.go; 0 without
//	                  Inventory)
//	currency          the currency's code (res.currency's name)
//	payment_term      the payment term's name, "" without one
//	customer_id       partner_id's id; customer_email its email
//	shipping_country  ISO code of partner_shipping_id's country
//	ordered_at        date_order as RFC 3339
//	charged           amount_total as a decimal string
//	paid              over the posted customer invoices: "" none, or
//	                  all of them "full" (paid or in payment),
//	                  "reversed" (cancelled by credit notes), "partial"
//	                  (some paid in part or not), "open" (none paid)
//	refunded          the posted credit notes' amount_total, summed
//
// Its change time is the newest write_date of the order, its invoices,
// its credit notes and its lines' return moves.
func (c *Connector) orderRecords(ctx context.Context, rows []map[string]any) ([]connectors.Record, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var lineIDs, moveIDs, partnerIDs []any
	for _, r := range rows {
		for _, id := range idsOf(r["order_line"]) {
			lineIDs = append(lineIDs, id)
		}
		for _, id := range idsOf(r["invoice_ids"]) {
			moveIDs = append(moveIDs, id)
		}
		partnerIDs = append(partnerIDs, m2oID(r["partner_id"]), m2oID(r["partner_shipping_id"]))
	}
	if err := c.loadRefs(ctx, nil, nil); err != nil { // countries
		return nil, err
	}
	var lines, moves, partners, products []map[string]any
	if len(lineIDs) > 0 {
		kw := map[string]any{"domain": []any{[]any{"id", "in", lineIDs}}, "fields": orderLineFields, "order": "id asc"}
		if err := c.rpc.call(ctx, "sale.order.line", "search_read", kw, &lines); err != nil {
			return nil, fmt.Errorf("read order lines: %w", err)
		}
	}
	if len(moveIDs) > 0 {
		kw := map[string]any{"domain": []any{[]any{"id", "in", moveIDs}}, "fields": moveFields, "order": "id asc"}
		if err := c.rpc.call(ctx, "account.move", "search_read", kw, &moves); err != nil {
			return nil, fmt.Errorf("read invoices: %w", err)
		}
	}
	// Archived partners still own their orders.
	kw := map[string]any{"domain": append([]any{[]any{"id", "in", partnerIDs}}, archivedToo()...), "fields": []string{"id", "email", "country_id"}}
	if err := c.rpc.call(ctx, "res.partner", "search_read", kw, &partners); err != nil {
		return nil, fmt.Errorf("read order partners: %w", err)
	}
	credited, err := c.creditedLines(ctx, moves)
	if err != nil {
		return nil, err
	}
	back, err := c.returnedLines(ctx, lineIDs)
	if err != nil {
		return nil, err
	}
	var productIDs []any
	for _, l := range lines {
		if id := m2oID(l["product_id"]); id > 0 {
			productIDs = append(productIDs, id)
		}
	}
	if len(productIDs) > 0 {
		kw := map[string]any{"domain": []any{[]any{"id", "in", productIDs}}, "fields": []string{"id", "default_code"},
			"context": map[string]any{"active_test": false}}
		if err := c.rpc.call(ctx, "product.product", "search_read", kw, &products); err != nil {
			return nil, fmt.Errorf("read products: %w", err)
		}
	}
	byID := func(list []map[string]any) map[int64]map[string]any {
		m := make(map[int64]map[string]any, len(list))
		for _, r := range list {
			m[m2oID(r["id"])] = r
		}
		return m
	}
	lineOf, moveOf, partnerOf, productOf := byID(lines), byID(moves), byID(partners), byID(products)

	out := make([]connectors.Record, 0, len(rows))
	for _, row := range rows {
		id := m2oID(row["id"])
		d := make(map[string]any, len(row)+12)
		for k, v := range row {
			d[k] = v
		}
		rec := connectors.Record{Resource: connectors.ResourceOrder, ExternalID: strconv.FormatInt(id, 10), Data: d}
		wd, _ := row["write_date"].(string)
		changed, err := parseDate(wd)
		if err != nil {
			rec.Invalid = fmt.Sprintf("odoo: order %d: write_date %q: %v", id, wd, err)
		}
		ls := []any{}
		for _, lid := range idsOf(row["order_line"]) {
			l := lineOf[lid]
			if l == nil || truthy(l["display_type"]) {
				continue // a section or note line
			}
			sku, _ := productOf[m2oID(l["product_id"])]["default_code"].(string)
			cr, rt := credited[lid], back[lid]
			if rt.changed.After(changed) {
				changed = rt.changed
			}
			ls = append(ls, map[string]any{"sku": sku, "name": str(l["name"]), "product_uom_qty": l["product_uom_qty"],
				"qty_delivered": l["qty_delivered"], "qty_invoiced": l["qty_invoiced"], "total": money(num(l["price_total"])),
				"refunded_quantity": cr.qty, "refunded": money(cr.amount), "returned_quantity": rt.qty})
		}
		d["lines"] = ls
		d["currency"] = m2oName(row["currency_id"])
		d["payment_term"] = m2oName(row["payment_term_id"])
		d["customer_id"] = ""
		if p := m2oID(row["partner_id"]); p > 0 {
			d["customer_id"] = strconv.FormatInt(p, 10)
		}
		d["customer_email"] = str(partnerOf[m2oID(row["partner_id"])]["email"])
		c.refs.mu.Lock()
		d["shipping_country"] = c.refs.countries[m2oID(partnerOf[m2oID(row["partner_shipping_id"])]["country_id"])]
		c.refs.mu.Unlock()
		d["ordered_at"] = ""
		if at, err := parseDate(str(row["date_order"])); err == nil {
			d["ordered_at"] = at.UTC().Format(time.RFC3339)
		}
		d["charged"] = money(num(row["amount_total"]))
		var invoices []string
		var refunded float64
		for _, mid := range idsOf(row["invoice_ids"]) {
			m := moveOf[mid]
			if m == nil || m["state"] != "posted" {
				continue
			}
			if mw, err := parseDate(str(m["write_date"])); err == nil && mw.After(changed) {
				changed = mw
			}
			switch m["move_type"] {
			case "out_invoice":
				invoices = append(invoices, str(m["payment_state"]))
			case "out_refund":
				refunded += num(m["amount_total"])
			}
		}
		d["paid"] = paidState(invoices)
		d["refunded"] = money(refunded)
		rec.UpdatedAt = changed
		out = append(out, rec)
	}
	return out, nil
}

// credit is what the posted credit notes pay back of one sale order line.
type credit struct {
	qty    float64
	amount float64
}

// creditedLines reads the product lines of the posted credit notes among
// moves and sums them per sale order line they credit. Odoo links a
// credit note line to its sale order lines by sale_line_ids (copied from
// the invoice line it reverses); a line credited by hand, linked to none,
// counts in the order's refunded only. A line linked to several sale
// order lines (one invoice line for two order lines) counts its quantity
// on each, as Odoo's qty_invoiced does, and its money on the first, so
// the order's money is paid back once.
func (c *Connector) creditedLines(ctx context.Context, moves []map[string]any) (map[int64]credit, error) {
	var refunds []any
	for _, m := range moves {
		if m["move_type"] == "out_refund" && m["state"] == "posted" {
			refunds = append(refunds, m2oID(m["id"]))
		}
	}
	if len(refunds) == 0 {
		return nil, nil
	}
	var items []map[string]any
	kw := map[string]any{"domain": []any{[]any{"move_id", "in", refunds}, []any{"display_type", "=", "product"}},
		"fields": creditLineFields, "order": "id asc"}
	if err := c.rpc.call(ctx, "account.move.line", "search_read", kw, &items); err != nil {
		return nil, fmt.Errorf("read credit note lines: %w", err)
	}
	out := map[int64]credit{}
	for _, it := range items {
		for i, sl := range idsOf(it["sale_line_ids"]) {
			cr := out[sl]
			cr.qty += num(it["quantity"])
			if i == 0 {
				cr.amount += num(it["price_total"])
			}
			out[sl] = cr
		}
	}
	return out, nil
}

// paidState sums up the payment_state of an order's posted invoices.
// in_payment (paid, the bank statement not reconciled yet) counts as
// paid: the customer has paid.
func paidState(states []string) string {
	if len(states) == 0 {
		return ""
	}
	full, reversed := 0, 0
	for _, s := range states {
		switch s {
		case "paid", "in_payment":
			full++
		case "reversed":
			reversed++
		}
	}
	switch {
	case reversed == len(states):
		return "reversed"
	case full+reversed == len(states):
		return "full"
	case full > 0 || slices.Contains(states, "partial"):
		return "partial"
	}
	return "open"
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil, bool:
		return x == true
	case string:
		return x != ""
	}
	return true
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return 0
}

// money prints an Odoo float amount to the cent (currency rounding of
// EUR/USD; Odoo rounds monetary fields to the currency's precision).
func money(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', 2, 64) }

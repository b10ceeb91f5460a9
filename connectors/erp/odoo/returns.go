package odoo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Returns are stock moves (addons/stock, addons/sale_stock): the return
// wizard (stock.return.picking) makes a picking whose moves have
// origin_returned_move_id the delivered move they reverse and
// sale_line_id the sales order line; validated, they are done. Odoo
// counts such a move against the line's qty_delivered only with
// to_refund ("Update quantities on SO/PO", the wizard's default):
// sale_stock's SaleOrderLine._get_outgoing_incoming_moves takes a done
// move from a customer location (location_id._is_outgoing()) as incoming
// when to_refund, and a move to a customer that reverses a return as
// outgoing again when to_refund. A line's returned quantity is the same
// sum: what came back to refund less what was sent out again, never
// below 0. A return without to_refund (an exchange: the customer keeps
// what the order sold) counts for nothing, as in Odoo.
//
// Validating a return writes the stock moves and, with to_refund, the
// line's stored qty_delivered (and so the line's write_date: the ORM's
// _write_multi stamps write_date on computed fields' writes too). The
// sale.order is written only when its stored delivery_status
// (sale_stock, depends on picking_ids.state) changes value: on a fully
// delivered order a return moves it (partial while the return is open,
// full again once done), on an order with a backorder still open it
// stays partial and the order's write_date stays. The lister therefore
// polls stock.move as well (the "returns" pass, orders.go).
//
// stock.move exists only with Inventory installed; a database with Sales
// and Invoicing alone answers "Object stock.move doesn't exist" (JSON-RPC,
// odoo/service/model.py execute_cr) or 404 (JSON-2), and a user without
// Inventory rights an AccessError. The orders are then read without
// returns, and the connector remembers it for stockRecheck so that a poll
// does not pay a rejected call on every page (as the Shopware connector
// does for Return Management).

// stockRecheck is how long a database without readable stock moves is
// read without returns before the connector asks again (Inventory may be
// installed later).
const stockRecheck = time.Hour

// returnMoveFields are read of a return move. quantity is what was moved
// (Odoo 17+), location_usage and location_dest_usage its locations'
// usage (related fields). Before 17 the move has quantity_done instead,
// and naming a field a model lacks fails the call (ValueError "Invalid
// field 'quantity' on model 'stock.move'"): the connector then reads
// legacyMoveFields and the locations' usage from stock.location, and
// remembers it.
var (
	returnMoveFields = []string{"id", "sale_line_id", "quantity", "location_usage", "location_dest_usage", "to_refund", "write_date"}
	legacyMoveFields = []string{"id", "sale_line_id", "quantity_done", "location_id", "location_dest_id", "to_refund", "write_date"}
)

// returnMoves is the domain of the done moves that reverse an earlier
// move (a return, or the return of a return) and belong to a sales order
// line.
func returnMoves() []any {
	return []any{[]any{"origin_returned_move_id", "!=", false}, []any{"state", "=", "done"}, []any{"sale_line_id", "!=", false}}
}

// askStock reports whether the connector should read stock moves.
func (c *Connector) askStock() bool {
	at := c.noStockAt.Load()
	return at == 0 || time.Since(time.Unix(0, at)) > stockRecheck
}

// stockMissing reports Odoo's answers to a call on stock.move where it
// cannot be read: the model unknown (JSON-RPC UserError "Object
// stock.move doesn't exist", JSON-2 404 NotFound) or not readable by the
// user (AccessError). It remembers the answer for stockRecheck.
func (c *Connector) stockMissing(err error) bool {
	var oe *Error
	if !errors.As(err, &oe) || oe.Model != "stock.move" {
		return false
	}
	missing := strings.HasSuffix(oe.Name, ".NotFound") || strings.HasSuffix(oe.Name, ".AccessError") ||
		(strings.HasSuffix(oe.Name, ".UserError") && strings.Contains(oe.Message, "stock.move") && strings.Contains(oe.Message, "exist"))
	if missing {
		c.noStockAt.Store(time.Now().UnixNano())
	}
	return missing
}

// returned is what came back of one sales order line.
type returned struct {
	qty     float64
	changed time.Time // the newest write_date of its return moves
}

// returnedLines reads the done return moves of the given sales order
// lines and sums them per line; nil when stock moves cannot be read.
func (c *Connector) returnedLines(ctx context.Context, lineIDs []any) (map[int64]returned, error) {
	if len(lineIDs) == 0 || !c.askStock() {
		return nil, nil
	}
	moves, err := c.readReturnMoves(ctx, append([]any{[]any{"sale_line_id", "in", lineIDs}}, returnMoves()...))
	if err != nil {
		if c.stockMissing(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read return moves: %w", err)
	}
	out := map[int64]returned{}
	for _, m := range moves {
		if m["to_refund"] != true {
			continue
		}
		line := m2oID(m["sale_line_id"])
		r := out[line]
		switch {
		case m["location_usage"] == "customer": // back from the customer
			r.qty += num(m["quantity"])
		case m["location_dest_usage"] == "customer": // a return sent out again
			r.qty -= num(m["quantity"])
		}
		if at, err := parseDate(str(m["write_date"])); err == nil && at.After(r.changed) {
			r.changed = at
		}
		out[line] = r
	}
	for line, r := range out {
		r.qty = max(r.qty, 0)
		out[line] = r
	}
	return out, nil
}

// readReturnMoves reads the moves of domain with returnMoveFields, or on
// Odoo before 17 with legacyMoveFields, filled in to the same shape.
func (c *Connector) readReturnMoves(ctx context.Context, domain []any) ([]map[string]any, error) {
	var moves []map[string]any
	if !c.stockLegacy.Load() {
		kw := map[string]any{"domain": domain, "fields": returnMoveFields, "order": "id asc"}
		err := c.rpc.call(ctx, "stock.move", "search_read", kw, &moves)
		if err == nil || !invalidField(err, "stock.move", "quantity") {
			return moves, err
		}
		c.stockLegacy.Store(true)
	}
	kw := map[string]any{"domain": domain, "fields": legacyMoveFields, "order": "id asc"}
	if err := c.rpc.call(ctx, "stock.move", "search_read", kw, &moves); err != nil {
		return nil, err
	}
	var locIDs []any
	for _, m := range moves {
		locIDs = append(locIDs, m2oID(m["location_id"]), m2oID(m["location_dest_id"]))
	}
	usage := map[int64]any{}
	if len(locIDs) > 0 {
		var locs []map[string]any
		kw := map[string]any{"domain": []any{[]any{"id", "in", locIDs}}, "fields": []string{"id", "usage"},
			"context": map[string]any{"active_test": false}}
		if err := c.rpc.call(ctx, "stock.location", "search_read", kw, &locs); err != nil {
			return nil, fmt.Errorf("read locations: %w", err)
		}
		for _, l := range locs {
			usage[m2oID(l["id"])] = l["usage"]
		}
	}
	for _, m := range moves {
		m["quantity"] = m["quantity_done"]
		m["location_usage"], m["location_dest_usage"] = usage[m2oID(m["location_id"])], usage[m2oID(m["location_dest_id"])]
	}
	return moves, nil
}

// invalidField reports Odoo's answer to a read naming a field the model
// does not have (odoo/models.py: ValueError "Invalid field %r on model
// %r").
func invalidField(err error, model, field string) bool {
	var oe *Error
	return errors.As(err, &oe) && oe.Model == model && strings.HasSuffix(oe.Name, "ValueError") &&
		strings.Contains(oe.Message, "Invalid field") && strings.Contains(oe.Message, "'"+field+"'")
}

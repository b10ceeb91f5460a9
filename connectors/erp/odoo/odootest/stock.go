package odootest

import (
	"fmt"
	"slices"
)

// Deliveries and returns as Odoo 17–19 keep them when Inventory and its
// sales bridge are installed (addons/stock, addons/sale_stock):
//
//   - stock.location: name, usage (internal for WH/Stock, customer for
//     Partners/Customers, …).
//   - stock.picking: name (WH/OUT/00001, WH/IN/00001), picking_type_code
//     (outgoing, incoming), state, origin (the order's name; a return's
//     "Return of WH/OUT/…"), return_id (the picking a return reverses),
//     location_id, location_dest_id.
//   - stock.move: picking_id, product_id, sale_line_id (the
//     sale.order.line it delivers or takes back), product_uom_qty (the
//     demand), quantity (what was moved; quantity_done before 17), state
//     (draft … done, cancel), location_id/location_dest_id with their
//     usage as location_usage/location_dest_usage (related fields; an
//     emulator below 17 has quantity_done and neither of those), and
//     on a return origin_returned_move_id (the move it reverses) and
//     to_refund ("Update quantities on SO/PO" in the return wizard,
//     stock.return.picking.line, default true).
//
// sale.order.line.qty_delivered is stored and computed from its moves
// (sale_stock _compute_qty_delivered through
// _get_outgoing_incoming_moves): done moves to a customer location add,
// done moves from one count against it only with to_refund, and a move
// that reverses a return (to a customer again) adds only with to_refund.
// Its recompute writes the line, so the line's write_date moves
// (_write_multi sets write_date "but not for computed fields" already
// done by write()).
//
// The sale.order is written only through sale_stock's stored
// delivery_status (depends on picking_ids.state; a return picking is
// one of the order's pickings, its group's): False without pickings,
// full when every picking is done or cancelled, partial when some is
// done and some line has qty_delivered, started when some is done,
// pending otherwise. A computed field's write is skipped when the value
// stays (Field.write drops records whose cache holds the same value), so
// a return moves the order's write_date only when it moves that status:
// on a fully delivered order, creating the return makes it partial and
// validating it full again; on an order with a delivery still open (a
// backorder) it stays partial and the order's write_date stays. Orders
// here have no picking until Deliver (Odoo creates the delivery at
// confirmation, pending).
func addStockModels(s *store, major int) {
	base := func(chars ...string) map[string]fieldDef {
		m := charFields(chars...)
		m["id"] = fieldDef{kind: kindInt, readonly: true}
		m["display_name"] = fieldDef{kind: kindChar, readonly: true}
		m["create_date"] = fieldDef{kind: kindDatetime, readonly: true}
		m["write_date"] = fieldDef{kind: kindDatetime, readonly: true}
		return m
	}
	usages := []string{"supplier", "view", "internal", "customer", "inventory", "production", "transit"}
	location := base("name", "complete_name")
	location["usage"] = fieldDef{kind: kindSelection, options: usages}

	picking := base("name", "origin")
	picking["picking_type_code"] = fieldDef{kind: kindSelection, readonly: true, options: []string{"incoming", "outgoing", "internal"}}
	picking["state"] = fieldDef{kind: kindSelection, options: []string{"draft", "waiting", "confirmed", "assigned", "done", "cancel"}}
	picking["partner_id"] = fieldDef{kind: kindMany2one, relation: "res.partner"}
	picking["return_id"] = fieldDef{kind: kindMany2one, relation: "stock.picking"}
	picking["location_id"] = fieldDef{kind: kindMany2one, relation: "stock.location"}
	picking["location_dest_id"] = fieldDef{kind: kindMany2one, relation: "stock.location"}
	picking["move_ids"] = fieldDef{kind: kindMany2many, relation: "stock.move", readonly: true}

	move := base("name", "reference", "origin")
	move["picking_id"] = fieldDef{kind: kindMany2one, relation: "stock.picking"}
	move["product_id"] = fieldDef{kind: kindMany2one, relation: "product.product"}
	move["sale_line_id"] = fieldDef{kind: kindMany2one, relation: "sale.order.line"}
	move["origin_returned_move_id"] = fieldDef{kind: kindMany2one, relation: "stock.move"}
	move["to_refund"] = fieldDef{kind: kindBool}
	move["product_uom_qty"] = fieldDef{kind: kindFloat}
	move["quantity"] = fieldDef{kind: kindFloat}
	move["state"] = fieldDef{kind: kindSelection, options: []string{"draft", "waiting", "confirmed", "partially_available", "assigned", "done", "cancel"}}
	move["location_id"] = fieldDef{kind: kindMany2one, relation: "stock.location"}
	move["location_dest_id"] = fieldDef{kind: kindMany2one, relation: "stock.location"}
	move["location_usage"] = fieldDef{kind: kindSelection, readonly: true, options: usages}
	move["location_dest_usage"] = fieldDef{kind: kindSelection, readonly: true, options: usages}
	move["picking_code"] = fieldDef{kind: kindSelection, readonly: true, options: []string{"incoming", "outgoing", "internal"}}
	if major < 17 {
		// Before 17 what a move moved was quantity_done; the locations'
		// usage is read from stock.location.
		move["quantity_done"] = move["quantity"]
		for _, f := range []string{"quantity", "location_usage", "location_dest_usage"} {
			delete(move, f)
		}
	}

	order := s.models["sale.order"].fields
	order["picking_ids"] = fieldDef{kind: kindMany2many, relation: "stock.picking", readonly: true}
	order["delivery_status"] = fieldDef{kind: kindSelection, readonly: true, options: []string{"pending", "started", "partial", "full"}}

	name := func(_ *store, r record) string { v, _ := r["name"].(string); return v }
	s.models["stock.location"] = &model{name: "stock.location", fields: location, recs: map[int64]record{}, nextID: 1, required: []string{"name"},
		display: func(_ *store, r record) string { v, _ := r["complete_name"].(string); return v }}
	s.models["stock.picking"] = &model{name: "stock.picking", fields: picking, recs: map[int64]record{}, nextID: 1, display: name}
	s.models["stock.move"] = &model{name: "stock.move", fields: move, recs: map[int64]record{}, nextID: 1, required: []string{"product_id"},
		display: func(s *store, r record) string {
			p := s.models["product.product"]
			return p.display(s, p.recs[asID(r["product_id"])])
		}}
	// stock's data: Partners/Customers and the main warehouse's stock.
	s.insert("stock.location", record{"name": "Customers", "complete_name": "Partners/Customers", "usage": "customer"}, "")
	s.insert("stock.location", record{"name": "Stock", "complete_name": "WH/Stock", "usage": "internal"}, "")
}

const (
	locCustomers int64 = 1
	locStock     int64 = 2
)

// Moved is a sale order line and how many of its units move.
type Moved struct {
	Line int64 // sale.order.line id
	Qty  float64
}

// Deliver validates a delivery of an order (WH/OUT, stock to customer,
// done) with one move per Moved and returns the picking's id: the order's
// open delivery (a backorder) if it has one, a new picking otherwise.
// What the order's lines still lack goes to a new backorder (assigned),
// as validating a partial delivery with "Create Backorder" does. The
// lines' qty_delivered and write_date follow, and the order's
// delivery_status (and write_date when it changes). It panics without
// Inventory (Options.NoInventory).
func (e *Emulator) Deliver(order int64, lines ...Moved) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.st
	if st.models["stock.move"] == nil {
		panic("odootest: Deliver: Inventory is not installed")
	}
	o := st.models["sale.order"].recs[order]
	pm := st.models["stock.picking"]
	var id int64
	for _, p := range pickingsOf(o) {
		if r := pm.recs[p]; r["picking_type_code"] == "outgoing" && r["state"] == "assigned" {
			id = p
			for _, m := range r["move_ids"].([]int64) {
				delete(st.models["stock.move"].recs, m) // the backorder's moves become the ones delivered
			}
			r["state"], r["write_date"] = "done", e.stamp()
		}
	}
	if id == 0 {
		id = e.newPicking(o, "WH/OUT", "outgoing", "done", locStock, locCustomers, 0, o["name"])
	}
	var moves []int64
	for _, l := range lines {
		moves = append(moves, e.addStockMove(id, l, 0, true, locStock, locCustomers, "outgoing", "done"))
	}
	pm.recs[id]["move_ids"] = moves
	var rest []Moved
	for _, l := range o["order_line"].([]int64) {
		lr := st.models["sale.order.line"].recs[l]
		if dt, _ := lr["display_type"].(string); dt != "" {
			continue
		}
		if left := lr["product_uom_qty"].(float64) - st.qtyDelivered(l); left > 0 {
			rest = append(rest, Moved{Line: l, Qty: left})
		}
	}
	if len(rest) > 0 {
		bo := e.newPicking(o, "WH/OUT", "outgoing", "assigned", locStock, locCustomers, 0, o["name"])
		var bm []int64
		for _, l := range rest {
			bm = append(bm, e.addStockMove(bo, l, 0, true, locStock, locCustomers, "outgoing", "assigned"))
		}
		pm.recs[bo]["move_ids"] = bm
	}
	e.deliveryStatus(order)
	return id
}

func pickingsOf(o record) []int64 { ids, _ := o["picking_ids"].([]int64); return ids }

// newPicking adds a picking to an order's picking_ids and recomputes its
// delivery_status.
func (e *Emulator) newPicking(o record, prefix, code, state string, from, to, returnOf int64, origin any) int64 {
	pm := e.st.models["stock.picking"]
	id := e.st.insert("stock.picking", record{"name": fmt.Sprintf("%s/%05d", prefix, pm.nextID), "origin": origin,
		"picking_type_code": code, "state": state, "partner_id": o["partner_shipping_id"], "return_id": returnOf,
		"location_id": from, "location_dest_id": to, "move_ids": []int64{}}, e.stamp())
	o["picking_ids"] = append(slices.Clone(pickingsOf(o)), id)
	e.deliveryStatus(asID(o["id"]))
	return id
}

// deliveryStatus is sale_stock's SaleOrder._compute_delivery_status, a
// stored field: the order is written (its write_date moves) only when
// the value changes.
func (e *Emulator) deliveryStatus(order int64) {
	st := e.st
	o := st.models["sale.order"].recs[order]
	var states []any
	for _, p := range pickingsOf(o) {
		states = append(states, st.models["stock.picking"].recs[p]["state"])
	}
	every := func(ok ...any) bool {
		for _, s := range states {
			if !slices.Contains(ok, s) {
				return false
			}
		}
		return true
	}
	anyDelivered := false
	for _, l := range o["order_line"].([]int64) {
		if q, _ := st.models["sale.order.line"].recs[l]["qty_delivered"].(float64); q != 0 {
			anyDelivered = true
		}
	}
	status := ""
	switch {
	case len(states) == 0 || every("cancel"):
	case every("done", "cancel"):
		status = "full"
	case slices.Contains(states, any("done")) && anyDelivered:
		status = "partial"
	case slices.Contains(states, any("done")):
		status = "started"
	default:
		status = "pending"
	}
	if cur, _ := o["delivery_status"].(string); cur != status {
		o["delivery_status"], o["write_date"] = status, e.stamp()
	}
}

// Return runs the return wizard (stock.return.picking) on a done delivery
// and validates the return it creates (WH/IN, customer to stock, done):
// each Moved's move has origin_returned_move_id the delivery's move of
// that line and to_refund as given (the wizard's "Update quantities on
// SO/PO"). With toRefund the lines' qty_delivered drops and their
// write_date moves; the order's write_date does not. It returns the
// return picking's id and panics on a line the delivery did not carry or
// more units than it delivered, which the wizard refuses.
func (e *Emulator) Return(delivery int64, toRefund bool, lines ...Moved) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.st
	out := st.models["stock.picking"].recs[delivery]
	if out == nil || out["state"] != "done" {
		panic(fmt.Sprintf("odootest: Return: picking %d is not a done delivery", delivery))
	}
	pm := st.models["stock.picking"]
	var o record
	for _, r := range st.models["sale.order"].recs {
		if slices.Contains(pickingsOf(r), delivery) {
			o = r
		}
	}
	// The wizard creates the return (ready) in the order's pickings...
	id := e.newPicking(o, "WH/IN", "incoming", "assigned", locCustomers, locStock, delivery, fmt.Sprintf("Return of %v", out["name"]))
	var moves []int64
	for _, l := range lines {
		var orig int64
		for _, mid := range out["move_ids"].([]int64) {
			if asID(st.models["stock.move"].recs[mid]["sale_line_id"]) == l.Line {
				orig = mid
			}
		}
		if orig == 0 {
			panic(fmt.Sprintf("odootest: Return: delivery %d did not carry line %d", delivery, l.Line))
		}
		if q, _ := st.models["stock.move"].recs[orig]["quantity"].(float64); l.Qty > q {
			panic(fmt.Sprintf("odootest: Return: %v of line %d, delivered %v", l.Qty, l.Line, q))
		}
		moves = append(moves, e.addStockMove(id, l, orig, toRefund, locCustomers, locStock, "incoming", "done"))
	}
	// ... and validating it makes it done.
	pm.recs[id]["move_ids"], pm.recs[id]["state"] = moves, "done"
	e.deliveryStatus(asID(o["id"]))
	return id
}

// addStockMove adds a move of a picking and recomputes its sale
// order line's qty_delivered as sale_stock does.
func (e *Emulator) addStockMove(picking int64, l Moved, origin int64, toRefund bool, from, to int64, code, state string) int64 {
	st := e.st
	lr := st.models["sale.order.line"].recs[l.Line]
	if lr == nil {
		panic(fmt.Sprintf("odootest: no sale order line %d", l.Line))
	}
	usage := func(loc int64) any { return st.models["stock.location"].recs[loc]["usage"] }
	p := st.models["stock.picking"].recs[picking]
	id := st.insert("stock.move", record{"name": lr["name"], "reference": p["name"], "origin": p["origin"], "picking_id": picking,
		"product_id": lr["product_id"], "sale_line_id": l.Line, "origin_returned_move_id": origin, "to_refund": origin != 0 && toRefund,
		"product_uom_qty": l.Qty, "quantity": l.Qty, "quantity_done": l.Qty, "state": state, "location_id": from, "location_dest_id": to,
		"location_usage": usage(from), "location_dest_usage": usage(to), "picking_code": code}, e.stamp())
	before, _ := lr["qty_delivered"].(float64)
	if q := st.qtyDelivered(l.Line); q != before {
		lr["qty_delivered"], lr["write_date"] = q, e.stamp()
	}
	return id
}

// qtyDelivered is sale_stock's _compute_qty_delivered over the line's done
// moves (_get_outgoing_incoming_moves, strict).
func (s *store) qtyDelivered(line int64) float64 {
	var q float64
	for _, m := range s.models["stock.move"].recs {
		if asID(m["sale_line_id"]) != line || m["state"] != "done" {
			continue
		}
		qty, _ := m["quantity"].(float64)
		refund, _ := m["to_refund"].(bool)
		switch {
		case m["location_dest_usage"] == "customer":
			if asID(m["origin_returned_move_id"]) == 0 || refund {
				q += qty
			}
		case m["location_usage"] == "customer" && refund:
			q -= qty
		}
	}
	return q
}

// LineDelivered returns a sale order line's qty_delivered and write_date.
func (e *Emulator) LineDelivered(line int64) (float64, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.models["sale.order.line"].recs[line]
	q, _ := r["qty_delivered"].(float64)
	w, _ := r["write_date"].(string)
	return q, w
}

// OrderWriteDate returns a sales order's write_date.
func (e *Emulator) OrderWriteDate(order int64) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, _ := e.st.models["sale.order"].recs[order]["write_date"].(string)
	return w
}

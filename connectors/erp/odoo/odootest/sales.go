package odootest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Sales and invoicing as Odoo 17–19 keep them (addons/sale, addons/account):
//
//   - sale.order: name (S00001), partner_id, partner_shipping_id,
//     date_order, state (draft, sent, sale, cancel; "done" was dropped in
//     17 for a locked flag), amount_untaxed, amount_total, currency_id,
//     payment_term_id, order_line, invoice_ids (computed from the lines'
//     invoice lines: customer invoices and credit notes alike).
//   - sale.order.line: order_id, product_id, name, display_type (sections
//     and notes), product_uom_qty, qty_delivered, qty_invoiced, price_total.
//   - account.move: name, move_type (out_invoice, out_refund, …), state
//     (draft, posted, cancel), payment_state (not_paid, in_payment, paid,
//     partial, reversed), invoice_origin (the order's name),
//     reversed_entry_id (a credit note's invoice), amount_total,
//     invoice_line_ids (its product lines).
//   - account.move.line: move_id, product_id, name, display_type
//     (product for the invoice lines; tax, payment_term and others for
//     the journal items beside them), quantity, price_unit,
//     price_subtotal, price_total, and sale_line_ids (addons/sale's
//     sale_order_line_invoice_rel): the sale order lines a line invoices.
//     A credit note made by reversing an invoice copies them with its
//     lines (_copy_data_extend_business_fields), which is how it reaches
//     the order: sale.order.invoice_ids is the lines' invoice_lines'
//     moves, and a line's qty_invoiced is the quantity on its
//     out_invoice lines less that on its out_refund lines, over moves
//     not cancelled (_compute_qty_invoiced).
//
// Invoicing, registering a payment and issuing a credit note change the
// journal entries only: the order's write_date stays where it was, which
// is why the connector polls account.move as well.
func addSalesModels(s *store) {
	base := func(chars ...string) map[string]fieldDef {
		m := charFields(chars...)
		m["id"] = fieldDef{kind: kindInt, readonly: true}
		m["display_name"] = fieldDef{kind: kindChar, readonly: true}
		m["create_date"] = fieldDef{kind: kindDatetime, readonly: true}
		m["write_date"] = fieldDef{kind: kindDatetime, readonly: true}
		return m
	}
	currency := base("name", "symbol")
	term := base("name", "note")
	product := base("name", "default_code")

	order := base("name", "client_order_ref")
	order["partner_id"] = fieldDef{kind: kindMany2one, relation: "res.partner"}
	order["partner_invoice_id"] = fieldDef{kind: kindMany2one, relation: "res.partner"}
	order["partner_shipping_id"] = fieldDef{kind: kindMany2one, relation: "res.partner"}
	order["date_order"] = fieldDef{kind: kindDatetime}
	order["state"] = fieldDef{kind: kindSelection, options: []string{"draft", "sent", "sale", "cancel"}}
	order["locked"] = fieldDef{kind: kindBool}
	order["amount_untaxed"] = fieldDef{kind: kindFloat, readonly: true}
	order["amount_total"] = fieldDef{kind: kindFloat, readonly: true}
	order["currency_id"] = fieldDef{kind: kindMany2one, relation: "res.currency"}
	order["payment_term_id"] = fieldDef{kind: kindMany2one, relation: "account.payment.term"}
	order["order_line"] = fieldDef{kind: kindMany2many, relation: "sale.order.line", readonly: true}
	order["invoice_ids"] = fieldDef{kind: kindMany2many, relation: "account.move", readonly: true}
	order["invoice_status"] = fieldDef{kind: kindSelection, readonly: true, options: []string{"upselling", "invoiced", "to invoice", "no"}}

	line := base("name")
	line["order_id"] = fieldDef{kind: kindMany2one, relation: "sale.order"}
	line["product_id"] = fieldDef{kind: kindMany2one, relation: "product.product"}
	line["display_type"] = fieldDef{kind: kindSelection, options: []string{"line_section", "line_note"}}
	for _, f := range []string{"product_uom_qty", "qty_delivered", "qty_invoiced", "price_unit", "price_subtotal", "price_total"} {
		line[f] = fieldDef{kind: kindFloat}
	}
	line["invoice_lines"] = fieldDef{kind: kindMany2many, relation: "account.move.line", readonly: true}

	move := base("name", "invoice_origin", "ref")
	move["move_type"] = fieldDef{kind: kindSelection, options: []string{"entry", "out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt"}}
	move["state"] = fieldDef{kind: kindSelection, options: []string{"draft", "posted", "cancel"}}
	move["payment_state"] = fieldDef{kind: kindSelection, readonly: true, options: []string{"not_paid", "in_payment", "paid", "partial", "reversed", "invoicing_legacy"}}
	move["partner_id"] = fieldDef{kind: kindMany2one, relation: "res.partner"}
	move["reversed_entry_id"] = fieldDef{kind: kindMany2one, relation: "account.move"}
	move["currency_id"] = fieldDef{kind: kindMany2one, relation: "res.currency"}
	move["invoice_date"] = fieldDef{kind: kindChar}
	move["amount_total"] = fieldDef{kind: kindFloat, readonly: true}
	move["amount_residual"] = fieldDef{kind: kindFloat, readonly: true}
	move["invoice_line_ids"] = fieldDef{kind: kindMany2many, relation: "account.move.line", readonly: true}

	item := base("name")
	item["move_id"] = fieldDef{kind: kindMany2one, relation: "account.move"}
	item["product_id"] = fieldDef{kind: kindMany2one, relation: "product.product"}
	item["display_type"] = fieldDef{kind: kindSelection, options: []string{"product", "cogs", "tax", "discount", "rounding",
		"payment_term", "line_section", "line_subsection", "line_note", "epd"}}
	for _, f := range []string{"quantity", "price_unit", "price_subtotal", "price_total", "balance"} {
		item[f] = fieldDef{kind: kindFloat}
	}
	item["sale_line_ids"] = fieldDef{kind: kindMany2many, relation: "sale.order.line", readonly: true}

	name := func(_ *store, r record) string { v, _ := r["name"].(string); return v }
	s.models["res.currency"] = &model{name: "res.currency", fields: currency, recs: map[int64]record{}, nextID: 1, required: []string{"name"}, display: name}
	s.models["account.payment.term"] = &model{name: "account.payment.term", fields: term, recs: map[int64]record{}, nextID: 1, required: []string{"name"}, display: name}
	s.models["product.product"] = &model{name: "product.product", fields: product, recs: map[int64]record{}, nextID: 1, required: []string{"name"},
		// product.product's display name: "[default_code] name".
		display: func(_ *store, r record) string {
			if c, _ := r["default_code"].(string); c != "" {
				return fmt.Sprintf("[%s] %s", c, r["name"])
			}
			return name(nil, r)
		}}
	s.models["sale.order"] = &model{name: "sale.order", fields: order, recs: map[int64]record{}, nextID: 1, required: []string{"partner_id"}, display: name}
	s.models["sale.order.line"] = &model{name: "sale.order.line", fields: line, recs: map[int64]record{}, nextID: 1, required: []string{"order_id", "name"},
		display: func(s *store, r record) string {
			o := s.models["sale.order"].recs[asID(r["order_id"])]
			return fmt.Sprintf("%v - %v", o["name"], r["name"])
		}}
	s.models["account.move"] = &model{name: "account.move", fields: move, recs: map[int64]record{}, nextID: 1, display: name}
	s.models["account.move.line"] = &model{name: "account.move.line", fields: item, recs: map[int64]record{}, nextID: 1, required: []string{"move_id"},
		display: func(s *store, r record) string {
			m := s.models["account.move"].recs[asID(r["move_id"])]
			return fmt.Sprintf("%v - %v", m["name"], r["name"])
		}}

	// Base data: EUR (active in a European company) and USD; the payment
	// terms of account's data file account_payment_term_data.xml.
	s.insert("res.currency", record{"name": "EUR", "symbol": "€"}, "")
	s.insert("res.currency", record{"name": "USD", "symbol": "$"}, "")
	for _, t := range []string{TermImmediate, "15 Days", "21 Days", "30 Days", "45 Days", "End of Following Month", "10 Days after End of Next Month", "30% Now, Balance 60 Days"} {
		s.insert("account.payment.term", record{"name": t}, "")
	}
}

// TermImmediate is the name of Odoo's "Immediate Payment" term.
const TermImmediate = "Immediate Payment"

// OrderLine is one product line of a test order: quantity and the unit
// price taxes included.
type OrderLine struct {
	SKU, Name string
	Qty       float64
	Price     float64
}

// NewOrder is a confirmed sales order to create.
type NewOrder struct {
	Partner string // res.partner id
	// ShipTo is the delivery address's partner id (default Partner).
	ShipTo      string
	Currency    string // default EUR
	PaymentTerm string // a term's name; "" for none
	Date        time.Time
	Lines       []OrderLine
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func pid(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

func (s *store) byName(modelName, n string) int64 {
	for id, r := range s.models[modelName].recs {
		if r["name"] == n {
			return id
		}
	}
	return 0
}

// PlaceOrder creates a sales order with its lines and confirms it (state
// sale), as the quotation's Confirm button does, and returns its id and
// its lines' ids. Products are created by SKU as needed.
func (e *Emulator) PlaceOrder(o NewOrder) (int64, []int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.stamp()
	st := e.st
	if o.Currency == "" {
		o.Currency = "EUR"
	}
	if o.ShipTo == "" {
		o.ShipTo = o.Partner
	}
	if o.Date.IsZero() {
		o.Date = e.Now()
	}
	if st.models["res.partner"].recs[pid(o.Partner)] == nil || st.models["res.partner"].recs[pid(o.ShipTo)] == nil {
		panic("odootest: PlaceOrder: no partner " + o.Partner + "/" + o.ShipTo)
	}
	om := st.models["sale.order"]
	id := st.insert("sale.order", record{
		"name": fmt.Sprintf("S%05d", om.nextID), "partner_id": pid(o.Partner), "partner_invoice_id": pid(o.Partner),
		"partner_shipping_id": pid(o.ShipTo), "date_order": o.Date.UTC().Format(DateLayout), "state": "sale", "locked": false,
		"currency_id": st.byName("res.currency", o.Currency), "payment_term_id": st.byName("account.payment.term", o.PaymentTerm),
		"invoice_ids": []int64{}, "invoice_status": "to invoice",
	}, now)
	var lines []int64
	var total float64
	for _, l := range o.Lines {
		prod := int64(0)
		for pid, p := range st.models["product.product"].recs {
			if p["default_code"] == l.SKU {
				prod = pid
			}
		}
		if prod == 0 {
			prod = st.insert("product.product", record{"name": l.Name, "default_code": l.SKU}, now)
		}
		lt := round2(l.Qty * l.Price)
		total += lt
		lines = append(lines, st.insert("sale.order.line", record{
			"order_id": id, "product_id": prod, "name": fmt.Sprintf("[%s] %s", l.SKU, l.Name), "display_type": "",
			"product_uom_qty": l.Qty, "qty_delivered": float64(0), "qty_invoiced": float64(0), "price_unit": l.Price,
			"price_subtotal": round2(lt / 1.19), "price_total": lt,
		}, now))
	}
	r := om.recs[id]
	r["order_line"] = lines
	r["amount_total"], r["amount_untaxed"] = round2(total), round2(total/1.19)
	return id, lines
}

// AddSection adds a section line (display_type line_section) to an order,
// as the order form's "Add a section" does; it carries no product or money.
func (e *Emulator) AddSection(order int64, title string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.st.insert("sale.order.line", record{"order_id": order, "name": title, "display_type": "line_section"}, e.stamp())
	r := e.st.models["sale.order"].recs[order]
	r["order_line"] = append(slices.Clone(r["order_line"].([]int64)), id)
	r["write_date"] = e.stamp()
}

// CancelOrder cancels a sales order (state cancel).
func (e *Emulator) CancelOrder(order int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.models["sale.order"].recs[order]
	r["state"], r["write_date"] = "cancel", e.stamp()
}

// InvoiceOrder creates and posts the customer invoice of a whole order
// (the "Create Invoice" wizard, regular invoice) and returns its id. The
// order's invoice_ids and its lines' qty_invoiced follow, the order's
// write_date does not.
func (e *Emulator) InvoiceOrder(order int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.st
	o := st.models["sale.order"].recs[order]
	mm := st.models["account.move"]
	id := st.insert("account.move", record{
		"name": fmt.Sprintf("INV/%d/%05d", e.Now().Year(), mm.nextID), "move_type": "out_invoice", "state": "posted",
		"payment_state": "not_paid", "partner_id": o["partner_invoice_id"], "invoice_origin": o["name"],
		"currency_id": o["currency_id"], "invoice_date": e.Now().UTC().Format("2006-01-02"),
		"amount_total": o["amount_total"], "amount_residual": o["amount_total"],
	}, e.stamp())
	o["invoice_ids"] = append(slices.Clone(o["invoice_ids"].([]int64)), id)
	o["invoice_status"] = "invoiced"
	var items []int64
	for _, l := range o["order_line"].([]int64) {
		lr := st.models["sale.order.line"].recs[l]
		if dt, _ := lr["display_type"].(string); dt != "" {
			continue // sections and notes are not invoiced here
		}
		q, _ := lr["product_uom_qty"].(float64)
		p, _ := lr["price_unit"].(float64)
		items = append(items, e.addMoveLine(id, l, lr["product_id"], lr["name"], q, p))
	}
	e.closeMove(id, items)
	return id
}

// addMoveLine adds a product line to a journal entry, linked to the sale
// order line it invoices or credits (sale_line_ids), and adds it to that
// line's invoice_lines and qty_invoiced.
func (e *Emulator) addMoveLine(move, saleLine int64, product, name any, qty, price float64) int64 {
	st := e.st
	total := round2(qty * price)
	id := st.insert("account.move.line", record{
		"move_id": move, "product_id": product, "name": name, "display_type": "product", "quantity": qty, "price_unit": price,
		"price_subtotal": round2(total / 1.19), "price_total": total, "sale_line_ids": []int64{saleLine},
	}, e.stamp())
	lr := st.models["sale.order.line"].recs[saleLine]
	il, _ := lr["invoice_lines"].([]int64)
	lr["invoice_lines"] = append(slices.Clone(il), id)
	sign := 1.0
	if st.models["account.move"].recs[move]["move_type"] == "out_refund" {
		sign = -1
	}
	inv, _ := lr["qty_invoiced"].(float64)
	lr["qty_invoiced"] = inv + sign*qty
	return id
}

// closeMove sets a journal entry's invoice_line_ids and totals from its
// product lines and adds the items that balance it, as Odoo keeps them
// beside the product lines: the tax line and the receivable
// (payment_term), neither linked to a sale order line.
func (e *Emulator) closeMove(move int64, items []int64) {
	st := e.st
	var total, untaxed float64
	for _, it := range items {
		r := st.models["account.move.line"].recs[it]
		total += r["price_total"].(float64)
		untaxed += r["price_subtotal"].(float64)
	}
	total, untaxed = round2(total), round2(untaxed)
	st.insert("account.move.line", record{"move_id": move, "name": "19% USt", "display_type": "tax", "quantity": float64(0),
		"price_unit": float64(0), "price_subtotal": round2(total - untaxed), "price_total": round2(total - untaxed), "sale_line_ids": []int64{}}, e.stamp())
	st.insert("account.move.line", record{"move_id": move, "name": "", "display_type": "payment_term", "quantity": float64(0),
		"price_unit": float64(0), "price_subtotal": float64(0), "price_total": float64(0), "sale_line_ids": []int64{}}, e.stamp())
	m := st.models["account.move"].recs[move]
	m["invoice_line_ids"], m["amount_total"], m["amount_residual"] = items, total, total
}

// RegisterPayment pays a customer invoice or credit note in full. Without
// a bank statement reconciled to it yet, Odoo shows it "in payment";
// reconciled (Reconciled true) it is "paid". Only the journal entry's
// write_date moves.
func (e *Emulator) RegisterPayment(move int64, reconciled bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.models["account.move"].recs[move]
	r["payment_state"], r["amount_residual"], r["write_date"] = "in_payment", float64(0), e.stamp()
	if reconciled {
		r["payment_state"] = "paid"
	}
}

// CreditLine is a sale order line to credit and how many of its units.
type CreditLine struct {
	Line int64 // sale.order.line id
	Qty  float64
}

// CreditNote reverses a posted invoice in part (the "Credit Note" wizard,
// which copies the invoice's lines with their sale_line_ids, then the
// draft's lines cut to what is credited and posted): a posted out_refund
// with reversed_entry_id the invoice and one line per CreditLine, at the
// invoice line's unit price. Without lines it reverses the whole
// invoice. The sale order lines' invoice_lines and qty_invoiced follow,
// and the order's invoice_ids lists it; neither the invoice's nor the
// order's write_date moves.
func (e *Emulator) CreditNote(invoice int64, lines ...CreditLine) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.st
	inv := st.models["account.move"].recs[invoice]
	mm := st.models["account.move"]
	id := st.insert("account.move", record{
		"name": fmt.Sprintf("RINV/%d/%05d", e.Now().Year(), mm.nextID), "move_type": "out_refund", "state": "posted",
		"payment_state": "not_paid", "partner_id": inv["partner_id"], "reversed_entry_id": invoice,
		"ref": fmt.Sprintf("Reversal of: %v", inv["name"]), "invoice_origin": inv["invoice_origin"],
		"currency_id": inv["currency_id"], "invoice_date": e.Now().UTC().Format("2006-01-02"),
	}, e.stamp())
	invoiced := map[int64]record{} // sale order line -> the invoice's line of it
	var order []int64
	for _, it := range inv["invoice_line_ids"].([]int64) {
		r := st.models["account.move.line"].recs[it]
		for _, sl := range r["sale_line_ids"].([]int64) {
			invoiced[sl] = r
			order = append(order, sl)
		}
	}
	if len(lines) == 0 {
		for _, sl := range order {
			lines = append(lines, CreditLine{Line: sl, Qty: invoiced[sl]["quantity"].(float64)})
		}
	}
	var items []int64
	for _, cl := range lines {
		r := invoiced[cl.Line]
		if r == nil {
			panic(fmt.Sprintf("odootest: CreditNote: sale order line %d is not on invoice %d", cl.Line, invoice))
		}
		items = append(items, e.addMoveLine(id, cl.Line, r["product_id"], r["name"], cl.Qty, r["price_unit"].(float64)))
	}
	e.closeMove(id, items)
	for _, o := range st.models["sale.order"].recs {
		if slices.Contains(o["invoice_ids"].([]int64), invoice) {
			o["invoice_ids"] = append(slices.Clone(o["invoice_ids"].([]int64)), id)
		}
	}
	return id
}

// SetOrderState sets a sales order's state as its buttons do (Cancel,
// Set to Quotation, Confirm).
func (e *Emulator) SetOrderState(order int64, state string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if oerr := e.writeAt("sale.order", []int64{order}, map[string]any{"state": state}, e.stamp()); oerr != nil {
		return fmt.Errorf("odootest: order %d: %v", order, oerr)
	}
	return nil
}

// OrderInvoices returns an order's invoice_ids: its invoices and credit
// notes.
func (e *Emulator) OrderInvoices(order int64) []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids, _ := e.st.models["sale.order"].recs[order]["invoice_ids"].([]int64)
	return slices.Clone(ids)
}

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
//     reversed_entry_id (a credit note's invoice), amount_total.
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
	for _, l := range o["order_line"].([]int64) {
		lr := st.models["sale.order.line"].recs[l]
		lr["qty_invoiced"] = lr["product_uom_qty"]
	}
	return id
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

// CreditNote reverses part of a posted invoice (the "Credit Note" wizard,
// partial refund): a posted out_refund of amount with reversed_entry_id
// the invoice. Its lines keep the sale order lines they came from, so the
// order's invoice_ids lists it. Neither the invoice's nor the order's
// write_date moves.
func (e *Emulator) CreditNote(invoice int64, amount float64) int64 {
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
		"amount_total": round2(amount), "amount_residual": round2(amount),
	}, e.stamp())
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

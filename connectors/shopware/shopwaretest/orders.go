package shopwaretest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Orders: the order entity as the Admin API renders it (plain JSON), with
// the associations a sync loads — orderCustomer, currency,
// stateMachineState, transactions (with their stateMachineState, sorted
// as the criteria asks) and lineItems — searchable through
// POST /api/search/order like every entity. Orders are placed and moved
// through their state machines by the test controls below, which send
// what Shopware sends: order.written for writes of the order row, and the
// business events checkout.order.placed and state_enter.<machine>.state.<state>
// whose payload carries the order. A payment state change writes the
// order_transaction row, not the order: the order's updatedAt stays.

// OrderStates and PaymentStates are the technical names of the order and
// order_transaction state machines' states.
var (
	OrderStates   = []string{"open", "in_progress", "completed", "cancelled"}
	PaymentStates = []string{"open", "in_progress", "unconfirmed", "authorized", "paid", "paid_partially", "reminded",
		"refunded", "refunded_partially", "cancelled", "failed", "chargeback"}
)

// OrderEvents are the webhook events an app needs to follow orders.
func OrderEvents() []string {
	evs := []string{"order.written", "order.deleted", "checkout.order.placed"}
	for _, s := range OrderStates {
		evs = append(evs, "state_enter.order.state."+s)
	}
	for _, s := range PaymentStates {
		evs = append(evs, "state_enter.order_transaction.state."+s)
	}
	return evs
}

type swOrder struct {
	id, number, customerID, currency string
	email, firstName, lastName       string
	customerNumber                   string
	state                            string
	stateIDs                         map[string]string
	createdAt, updatedAt             string // "" = NULL
	orderDateTime                    string
	lines                            []swLine
	transactions                     []swTransaction
	// shipCountryID is the country of the order's delivery address: the
	// checkout copies the customer's default shipping address into an
	// order_address that the order's delivery points at.
	shipCountryID string
	// returns are Return Management's order_return rows (returns.go).
	returns []*swReturn
}

type swLine struct {
	id, label string
	quantity  int64
	unitPrice *big.Rat
}

type swTransaction struct {
	id, state, createdAt, updatedAt string
	// handler is the payment method's handlerIdentifier class.
	handler  string
	captures []swCapture
}

// swCapture is an order_transaction_capture; its refunds are
// order_transaction_capture_refund rows with positions per line item.
type swCapture struct {
	id      string
	amount  *big.Rat
	refunds []swRefund
}

type swRefund struct {
	id, state, createdAt string
	amount               *big.Rat
	positions            []swRefundPosition
}

type swRefundPosition struct {
	id, lineID string
	quantity   int64
	amount     *big.Rat
}

// Payment handlers of Shopware's core payment methods (handlerIdentifier).
const (
	InvoicePayment = `Shopware\Core\Checkout\Payment\Cart\PaymentHandler\InvoicePayment`
	PrePayment     = `Shopware\Core\Checkout\Payment\Cart\PaymentHandler\PrePayment`
)

// orderBook lives in store under Emulator.mu.
type orderBook struct {
	byID   map[string]*swOrder
	ids    []string
	nextNo int
	// stateIDs are the state machine states' ids by machine and name.
	stateIDs map[string]string
	// returnManagement: the Commercial extension is installed, orders
	// have the returns association (returns.go).
	returnManagement bool
	nextReturnNo     int
}

func newOrderBook() *orderBook {
	b := &orderBook{byID: map[string]*swOrder{}, nextNo: 10000, stateIDs: map[string]string{}}
	for _, s := range OrderStates {
		b.stateIDs["order."+s] = NewID()
	}
	for _, s := range PaymentStates {
		b.stateIDs["order_transaction."+s] = NewID()
	}
	return b
}

func (o *swOrder) total() *big.Rat {
	t := new(big.Rat)
	for _, l := range o.lines {
		t.Add(t, new(big.Rat).Mul(l.unitPrice, big.NewRat(l.quantity, 1)))
	}
	return t
}

// float renders an amount as Shopware's PHP does: a JSON float (25.0,
// 19.99).
func float(r *big.Rat) json.Number {
	f, _ := r.Float64()
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !slices.Contains([]byte(s), '.') {
		s += ".0"
	}
	return json.Number(s)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (b *orderBook) stateMachineState(machine, name string) map[string]any {
	return map[string]any{"id": b.stateIDs[machine+"."+name], "technicalName": name, "name": name,
		"stateMachineId": machine, "apiAlias": "state_machine_state"}
}

// renderOrder renders an order with the associations asked for (nil: all).
func (s *store) renderOrder(o *swOrder, assoc map[string]any) map[string]any {
	b := s.orders
	total := o.total()
	net := new(big.Rat).Quo(total, big.NewRat(119, 100))
	out := map[string]any{
		"id": o.id, "versionId": liveVersionID, "orderNumber": o.number,
		"currencyId": currencyID(o.currency), "currencyFactor": json.Number("1.0"),
		"salesChannelId": s.first("sales_channel"), "languageId": SystemLanguageID,
		"orderDateTime": o.orderDateTime, "orderDate": o.orderDateTime[:10],
		"price": map[string]any{"netPrice": float(net), "totalPrice": float(total), "positionPrice": float(total),
			"rawTotal": float(total), "taxStatus": "gross", "calculatedTaxes": []any{}, "taxRules": []any{}, "apiAlias": "cart_price"},
		"amountTotal": float(total), "amountNet": float(net), "positionPrice": float(total), "taxStatus": "gross",
		"shippingTotal": json.Number("0.0"), "stateId": b.stateIDs["order."+o.state],
		"affiliateCode": nil, "campaignCode": nil, "customerComment": nil, "customFields": nil,
		"createdAt": o.createdAt, "updatedAt": nullable(o.updatedAt), "apiAlias": "order",
	}
	want := func(name string) (map[string]any, bool) {
		if assoc == nil {
			return nil, true
		}
		a, ok := assoc[name]
		m, _ := a.(map[string]any)
		return m, ok
	}
	if _, ok := want("stateMachineState"); ok {
		out["stateMachineState"] = b.stateMachineState("order", o.state)
	}
	if _, ok := want("orderCustomer"); ok {
		out["orderCustomer"] = map[string]any{"id": stableID(o.id, "oc"), "orderId": o.id, "customerId": nullable(o.customerID),
			"email": o.email, "firstName": o.firstName, "lastName": o.lastName, "customerNumber": o.customerNumber,
			"salutationId": s.first("salutation"), "company": nil, "title": nil, "apiAlias": "order_customer"}
	}
	if _, ok := want("currency"); ok {
		out["currency"] = map[string]any{"id": currencyID(o.currency), "isoCode": o.currency, "shortName": o.currency,
			"name": o.currency, "factor": json.Number("1.0"), "apiAlias": "currency"}
	}
	if a, ok := want("transactions"); ok {
		ts := slices.Clone(o.transactions)
		if desc := sortsDesc(a, "createdAt"); desc {
			slices.Reverse(ts)
		}
		list := make([]any, len(ts))
		nested, _ := a["associations"].(map[string]any)
		for i, t := range ts {
			tr := map[string]any{"id": t.id, "orderId": o.id, "paymentMethodId": stableID(t.handler, "payment_method"),
				"amount": map[string]any{"unitPrice": float(total), "quantity": 1, "totalPrice": float(total),
					"calculatedTaxes": []any{}, "taxRules": []any{}, "apiAlias": "cart_price_calculated"},
				"stateId": b.stateIDs["order_transaction."+t.state], "stateMachineState": b.stateMachineState("order_transaction", t.state),
				"createdAt": t.createdAt, "updatedAt": nullable(t.updatedAt), "apiAlias": "order_transaction"}
			if _, ok := nested["paymentMethod"]; ok || assoc == nil {
				tr["paymentMethod"] = paymentMethod(t.handler)
			}
			if _, ok := nested["captures"]; ok || assoc == nil {
				tr["captures"] = renderCaptures(t)
			}
			list[i] = tr
		}
		out["transactions"] = list
	}
	if a, ok := want("deliveries"); ok {
		// One delivery, to the address the checkout copied.
		nested, _ := a["associations"].(map[string]any)
		d := map[string]any{"id": stableID(o.id, "delivery"), "orderId": o.id, "orderVersionId": liveVersionID,
			"shippingOrderAddressId": stableID(o.id, "shipping-address"), "trackingCodes": []any{},
			"shippingDateEarliest": o.orderDateTime, "shippingDateLatest": o.orderDateTime, "apiAlias": "order_delivery"}
		if sa, ok := nested["shippingOrderAddress"]; ok || assoc == nil {
			addr := map[string]any{"id": stableID(o.id, "shipping-address"), "orderId": o.id, "countryId": nullable(o.shipCountryID),
				"firstName": o.firstName, "lastName": o.lastName, "apiAlias": "order_address"}
			san, _ := sa.(map[string]any)
			if inner, _ := san["associations"].(map[string]any); assoc == nil || inner["country"] != nil {
				addr["country"] = s.renderCountry(o.shipCountryID)
			}
			d["shippingOrderAddress"] = addr
		}
		out["deliveries"] = []any{d}
	}
	if a, ok := want("returns"); ok && b.returnManagement {
		if assoc == nil {
			a = nil
		} else if a == nil {
			a = map[string]any{}
		}
		out["returns"] = b.renderReturns(o, a) // returns.go
	}
	if _, ok := want("lineItems"); ok {
		list := make([]any, len(o.lines))
		for i, l := range o.lines {
			list[i] = map[string]any{"id": l.id, "orderId": o.id, "identifier": l.id, "referencedId": l.id, "type": "product",
				"label": l.label, "quantity": l.quantity, "unitPrice": float(l.unitPrice),
				"totalPrice": float(new(big.Rat).Mul(l.unitPrice, big.NewRat(l.quantity, 1))), "position": i + 1, "apiAlias": "order_line_item"}
		}
		out["lineItems"] = list
	}
	return out
}

// paymentMethod renders a payment_method entity by its handler.
func paymentMethod(handler string) map[string]any {
	short := handler[strings.LastIndex(handler, `\`)+1:]
	return map[string]any{"id": stableID(handler, "payment_method"), "handlerIdentifier": handler,
		"technicalName": "payment_" + strings.ToLower(short), "name": short, "active": true, "apiAlias": "payment_method"}
}

// renderCaptures renders a transaction's captures with their refunds and
// the refunds' positions, as the captures.refunds.positions association
// loads them.
func renderCaptures(t swTransaction) []any {
	out := make([]any, 0, len(t.captures))
	for _, c := range t.captures {
		refunds := make([]any, 0, len(c.refunds))
		for _, r := range c.refunds {
			pos := make([]any, 0, len(r.positions))
			for _, p := range r.positions {
				pos = append(pos, map[string]any{"id": p.id, "refundId": r.id, "orderLineItemId": p.lineID, "quantity": p.quantity,
					"amount": map[string]any{"unitPrice": float(new(big.Rat).Quo(p.amount, big.NewRat(max(p.quantity, 1), 1))), "quantity": p.quantity,
						"totalPrice": float(p.amount), "apiAlias": "cart_price_calculated"}, "apiAlias": "order_transaction_capture_refund_position"})
			}
			refunds = append(refunds, map[string]any{"id": r.id, "captureId": c.id, "reason": nil,
				"stateMachineState": map[string]any{"technicalName": r.state, "apiAlias": "state_machine_state"},
				"amount":            map[string]any{"unitPrice": float(r.amount), "quantity": 1, "totalPrice": float(r.amount), "apiAlias": "cart_price_calculated"},
				"positions":         pos, "createdAt": r.createdAt, "apiAlias": "order_transaction_capture_refund"})
		}
		out = append(out, map[string]any{"id": c.id, "transactionId": t.id,
			"stateMachineState": map[string]any{"technicalName": "completed", "apiAlias": "state_machine_state"},
			"amount":            map[string]any{"unitPrice": float(c.amount), "quantity": 1, "totalPrice": float(c.amount), "apiAlias": "cart_price_calculated"},
			"refunds":           refunds, "apiAlias": "order_transaction_capture"})
	}
	return out
}

// RefundOrder refunds part of a paid order as the refund flow of a payment
// app does: a completed order_transaction_capture_refund on the
// transaction's capture with a position per refunded line (label →
// quantity, refunded at the line's unit price), moving the transaction to
// refunded_partially, or refunded once everything is paid back. It sends
// order_transaction.written and state_enter.order_transaction.state.<state>.
func (e *Emulator) RefundOrder(id string, lines map[string]int64) error {
	e.mu.Lock()
	o, ok := e.st.orders.byID[id]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("shopwaretest: no order %s", id)
	}
	t := &o.transactions[len(o.transactions)-1]
	now := e.st.now()
	if len(t.captures) == 0 {
		t.captures = []swCapture{{id: NewID(), amount: o.total()}}
	}
	r := swRefund{id: NewID(), state: "completed", createdAt: now, amount: new(big.Rat)}
	for _, l := range o.lines {
		q, ok := lines[l.label]
		if !ok {
			continue
		}
		amt := new(big.Rat).Mul(l.unitPrice, big.NewRat(q, 1))
		r.positions = append(r.positions, swRefundPosition{id: NewID(), lineID: l.id, quantity: q, amount: amt})
		r.amount.Add(r.amount, amt)
	}
	c := &t.captures[0]
	c.refunds = append(c.refunds, r)
	refunded := new(big.Rat)
	for _, x := range c.refunds {
		refunded.Add(refunded, x.amount)
	}
	t.state, t.updatedAt = "refunded_partially", now
	if refunded.Cmp(o.total()) >= 0 {
		t.state = "refunded"
	}
	tid, state := t.id, t.state
	e.orderChanged(o, change{entity: "order_transaction", operation: "update", id: tid, fields: []string{"stateId", "updatedAt"}}, "state_enter.order_transaction.state."+state)
	return nil
}

// sortsDesc reports whether an association's criteria sort field desc.
func sortsDesc(assoc map[string]any, field string) bool {
	sorts, _ := assoc["sort"].([]any)
	for _, s := range sorts {
		if m, ok := s.(map[string]any); ok && m["field"] == field {
			return m["order"] == "DESC" || m["order"] == "desc"
		}
	}
	return false
}

const liveVersionID = "0fa91ce3e96a4bc2be4bd9ce752c3425"

func currencyID(iso string) string { return stableID(iso, "currency") }

// stableID derives a Shopware-shaped id from a seed, so a rendered
// reference keeps its id.
func stableID(seed, kind string) string {
	h := uint64(14695981039346656037)
	for _, c := range kind + ":" + seed {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("%016x%016x", h, h*31+7)
}

// OrderLine is a line of an order a test places.
type OrderLine struct {
	Label    string
	Quantity int64
	Price    string // unit price, decimal
}

// PlaceOrder places an order of a customer as the storefront checkout
// does: order state open, one transaction in state open (payment on
// invoice) or paid. It sends order.written and checkout.order.placed.
func (e *Emulator) PlaceOrder(customerID, currency string, paid bool, lines ...OrderLine) (string, error) {
	e.mu.Lock()
	c, ok := e.st.customers[customerID]
	if !ok {
		e.mu.Unlock()
		return "", fmt.Errorf("shopwaretest: no customer %s", customerID)
	}
	if currency == "" {
		currency = "EUR"
	}
	b := e.st.orders
	now := e.st.now()
	o := &swOrder{id: NewID(), number: strconv.Itoa(b.nextNo), customerID: customerID, currency: currency,
		email: str(c["email"]), firstName: str(c["firstName"]), lastName: str(c["lastName"]), customerNumber: str(c["customerNumber"]),
		state: "open", createdAt: now, orderDateTime: now}
	if a := e.st.addresses[str(c["defaultShippingAddressId"])]; a != nil {
		o.shipCountryID = str(a["countryId"])
	}
	b.nextNo++
	for _, l := range lines {
		p, ok := new(big.Rat).SetString(l.Price)
		if !ok {
			e.mu.Unlock()
			return "", fmt.Errorf("shopwaretest: price %q", l.Price)
		}
		o.lines = append(o.lines, swLine{id: NewID(), label: l.Label, quantity: max(l.Quantity, 1), unitPrice: p})
	}
	// Unpaid at checkout: on invoice; paid: in advance.
	pay, handler := "open", InvoicePayment
	if paid {
		pay, handler = "paid", PrePayment
	}
	o.transactions = []swTransaction{{id: NewID(), state: pay, createdAt: now, handler: handler}}
	b.byID[o.id] = o
	b.ids = append(b.ids, o.id)
	e.orderChanged(o, change{entity: "order", operation: "insert", id: o.id, fields: []string{"id", "orderNumber", "amountTotal", "stateId"}}, "checkout.order.placed")
	return o.id, nil
}

// SetOrderState moves an order through the order state machine (e.g.
// cancelled, completed). The order row is written: order.written and
// state_enter.order.state.<state>.
func (e *Emulator) SetOrderState(id, state string) error {
	if !slices.Contains(OrderStates, state) {
		return fmt.Errorf("shopwaretest: order state %q", state)
	}
	e.mu.Lock()
	o, ok := e.st.orders.byID[id]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("shopwaretest: no order %s", id)
	}
	o.state, o.updatedAt = state, e.st.now()
	e.orderChanged(o, change{entity: "order", operation: "update", id: id, fields: []string{"stateId", "updatedAt"}}, "state_enter.order.state."+state)
	return nil
}

// SetPaymentState moves the order's latest transaction (e.g. paid,
// refunded, refunded_partially, cancelled). Only the transaction row is
// written: order_transaction.written and
// state_enter.order_transaction.state.<state>.
func (e *Emulator) SetPaymentState(id, state string) error {
	if !slices.Contains(PaymentStates, state) {
		return fmt.Errorf("shopwaretest: payment state %q", state)
	}
	e.mu.Lock()
	o, ok := e.st.orders.byID[id]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("shopwaretest: no order %s", id)
	}
	t := &o.transactions[len(o.transactions)-1]
	t.state, t.updatedAt = state, e.st.now()
	tid := t.id
	e.orderChanged(o, change{entity: "order_transaction", operation: "update", id: tid, fields: []string{"stateId", "updatedAt"}}, "state_enter.order_transaction.state."+state)
	return nil
}

// Order returns an order rendered with every association.
func (e *Emulator) Order(id string) (map[string]any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.st.orders.byID[id]
	if !ok {
		return nil, false
	}
	return e.st.renderOrder(o, nil), true
}

// searchOrders renders the orders a search considers: the ids asked for,
// else all, in creation order.
func (s *store) searchOrders(ids []string, assoc map[string]any) []map[string]any {
	list := s.orders.ids
	if len(ids) > 0 {
		list = nil
		for _, id := range s.orders.ids {
			if slices.Contains(ids, id) {
				list = append(list, id)
			}
		}
	}
	out := make([]map[string]any, 0, len(list))
	for _, id := range list {
		out = append(out, s.renderOrder(s.orders.byID[id], assoc))
	}
	return out
}

// orderChanged sends what a write to one of o's rows sends: c's
// <entity>.written, then the business event with the order as it is now.
// The caller holds e.mu; it is released here, after the order is rendered
// and before the webhooks go out.
func (e *Emulator) orderChanged(o *swOrder, c change, event string) {
	rendered := e.st.renderOrder(o, nil)
	e.mu.Unlock()
	e.emit([]change{c})
	e.emitBusiness(event, rendered)
}

// emitBusiness sends a business event whose payload carries the order, as
// Shopware's webhook dispatcher encodes a flow event's available data.
func (e *Emulator) emitBusiness(event string, order map[string]any) {
	if !slices.Contains(e.opts.WebhookEvents, event) {
		return
	}
	e.mu.Lock()
	url, closed, shopURL := e.hookURL, e.closed, e.URL()
	if url == "" || closed {
		e.mu.Unlock()
		return
	}
	if shopURL == "" {
		shopURL = "http://shopware.test"
	}
	e.wg.Add(1)
	e.mu.Unlock()
	body, _ := json.Marshal(map[string]any{
		"data":      map[string]any{"payload": map[string]any{"order": maps.Clone(order)}, "event": event},
		"source":    map[string]any{"url": shopURL, "eventId": NewID(), "shopId": e.opts.ShopID, "appVersion": "1.0.0"},
		"timestamp": time.Now().Unix(),
	})
	go e.deliver(url, body)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

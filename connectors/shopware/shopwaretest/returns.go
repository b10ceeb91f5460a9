package shopwaretest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
)

// Return Management is not in Shopware's core: the Shopware Commercial
// extension (Shopware\Commercial\ReturnManagement) adds the order_return
// and order_return_line_item entities and, through an entity extension,
// the order's `returns` association. Options.ReturnManagement installs it.
// Without it the order definition has no such association, and a criteria
// naming it is answered 400 FRAMEWORK__ASSOCIATION_NOT_FOUND ("Can not
// find association by name returns", RequestCriteriaBuilder's
// AssociationNotFoundException).
//
// Shapes follow the extension's entity definitions
// (Shopware\Commercial\ReturnManagement\Entity\OrderReturn\
// OrderReturnDefinition, …\OrderReturnLineItem\OrderReturnLineItemDefinition,
// and its OrderExtension, which adds the ApiAware one-to-many `returns`
// to order): order_return has orderId, price (cart price), shippingCosts
// (calculated price), stateId/state (state machine order_return.state),
// returnNumber, requestedAt, amountTotal, amountNet and lineItems;
// order_return_line_item has orderLineItemId, reasonId, quantity,
// refundAmount, restockQuantity and stateId/state. The line's calculated
// price is not ApiAware and is not rendered.
//
// order_return.state (Migration1658718870ReturnManagement_AddReturnAndLineItemStates)
// starts open and moves by process (open → in_progress), complete
// (in_progress → done), cancel (open or in_progress → cancelled) and
// reopen (done or cancelled → open); any other move is an illegal
// transition. A return line's state is not of that machine but of
// order_line_item.state (the extension's PositionStateHandler): created
// return_requested, and moved apart from the return's state, only among
// return_requested, returned and returned_partially — never cancelled.
// Here completing a return moves its lines to returned, as the payment
// integrations that complete returns do (transitReturnItems after the
// complete transition); cancelling leaves them return_requested.
//
// A return's state change writes the order_return row
// (order_return.written) and sends state_enter.order_return.state.<state>
// with the order as payload; the order row is not written, so its
// updatedAt stays.

// ReturnStates are the technical names of order_return.state's states.
var ReturnStates = []string{"open", "in_progress", "done", "cancelled"}

// ReturnEvents are the webhook events of Return Management.
func ReturnEvents() []string {
	evs := []string{"order_return.written"}
	for _, s := range ReturnStates {
		evs = append(evs, "state_enter.order_return.state."+s)
	}
	return evs
}

type swReturn struct {
	id, number, state, requestedAt, updatedAt string
	lines                                     []swReturnLine
}

type swReturnLine struct {
	id, lineID, state string
	quantity          int64
	refund            *big.Rat
}

// returnTransitions are the states each state of order_return.state can
// move to.
var returnTransitions = map[string][]string{
	"open":        {"in_progress", "cancelled"},
	"in_progress": {"done", "cancelled"},
	"done":        {"open"},
	"cancelled":   {"open"},
}

func (b *orderBook) returnState(machine, name string) map[string]any {
	key := machine + "." + name
	if b.stateIDs[key] == "" {
		b.stateIDs[key] = NewID()
	}
	return map[string]any{"id": b.stateIDs[key], "technicalName": name, "name": name,
		"stateMachineId": stableID(machine, "state_machine"), "apiAlias": "state_machine_state"}
}

// renderReturns renders an order's returns with the nested associations
// asked for (nil: all).
func (b *orderBook) renderReturns(o *swOrder, assoc map[string]any) []any {
	nested, _ := assoc["associations"].(map[string]any)
	wants := func(m map[string]any, name string) (map[string]any, bool) {
		if assoc == nil {
			return nil, true
		}
		a, ok := m[name]
		am, _ := a.(map[string]any)
		return am, ok
	}
	out := make([]any, 0, len(o.returns))
	for _, r := range o.returns {
		total := new(big.Rat)
		for _, l := range r.lines {
			total.Add(total, l.refund)
		}
		net := new(big.Rat).Quo(total, big.NewRat(119, 100))
		rr := map[string]any{"id": r.id, "versionId": liveVersionID, "orderId": o.id, "orderVersionId": liveVersionID,
			"price": map[string]any{"netPrice": float(net), "totalPrice": float(total), "positionPrice": float(total),
				"rawTotal": float(total), "taxStatus": "gross", "calculatedTaxes": []any{}, "taxRules": []any{}, "apiAlias": "cart_price"},
			"shippingCosts": map[string]any{"unitPrice": json.Number("0.0"), "quantity": 1, "totalPrice": json.Number("0.0"),
				"calculatedTaxes": []any{}, "taxRules": []any{}, "apiAlias": "calculated_price"},
			"stateId": b.returnState("order_return.state", r.state)["id"], "returnNumber": r.number, "requestedAt": r.requestedAt,
			"amountTotal": float(total), "amountNet": float(net), "createdById": nil, "updatedById": nil,
			"createdAt": r.requestedAt, "updatedAt": nullable(r.updatedAt), "apiAlias": "order_return"}
		if _, ok := wants(nested, "state"); ok {
			rr["state"] = b.returnState("order_return.state", r.state)
		}
		if la, ok := wants(nested, "lineItems"); ok {
			lnested, _ := la["associations"].(map[string]any)
			lines := make([]any, 0, len(r.lines))
			for _, l := range r.lines {
				lr := map[string]any{"id": l.id, "versionId": liveVersionID, "orderReturnId": r.id, "orderReturnVersionId": liveVersionID,
					"orderLineItemId": l.lineID, "orderLineItemVersionId": liveVersionID, "reasonId": stableID("unknown", "order_return_line_item_reason"),
					"quantity": l.quantity, "refundAmount": float(l.refund), "restockQuantity": 0, "customFields": nil,
					"stateId": b.returnState("order_line_item.state", l.state)["id"], "createdAt": r.requestedAt,
					"updatedAt": nullable(r.updatedAt), "apiAlias": "order_return_line_item"}
				if _, ok := lnested["state"]; ok || assoc == nil {
					lr["state"] = b.returnState("order_line_item.state", l.state)
				}
				lines = append(lines, lr)
			}
			rr["lineItems"] = lines
		}
		out = append(out, rr)
	}
	return out
}

// RequestReturn files a return of an order as the customer's return
// request does: state open, a line per returned order line (label →
// quantity) in state return_requested, refundAmount the line's unit price
// times the quantity. It sends order_return.written and
// state_enter.order_return.state.open. It fails without
// Options.ReturnManagement.
func (e *Emulator) RequestReturn(orderID string, lines map[string]int64) (string, error) {
	if !e.opts.ReturnManagement {
		return "", fmt.Errorf("shopwaretest: Return Management is not installed")
	}
	e.mu.Lock()
	b := e.st.orders
	o, ok := b.byID[orderID]
	if !ok {
		e.mu.Unlock()
		return "", fmt.Errorf("shopwaretest: no order %s", orderID)
	}
	b.nextReturnNo++
	r := &swReturn{id: NewID(), number: strconv.Itoa(b.nextReturnNo), state: "open", requestedAt: e.st.now()}
	for _, l := range o.lines {
		q, ok := lines[l.label]
		if !ok {
			continue
		}
		r.lines = append(r.lines, swReturnLine{id: NewID(), lineID: l.id, state: "return_requested", quantity: q,
			refund: new(big.Rat).Mul(l.unitPrice, big.NewRat(q, 1))})
	}
	o.returns = append(o.returns, r)
	e.orderChanged(o, change{entity: "order_return", operation: "insert", id: r.id, fields: []string{"id", "orderId", "stateId", "returnNumber"}}, "state_enter.order_return.state.open")
	return r.id, nil
}

// SetReturnState moves a return to state through order_return.state's
// transitions (open → in_progress → done; open or in_progress →
// cancelled; done or cancelled → open) and fails on any other move, as
// Shopware's state machine refuses an illegal transition. A done return's
// lines become returned. Only the order_return row is written.
func (e *Emulator) SetReturnState(returnID, state string) error {
	if !slices.Contains(ReturnStates, state) {
		return fmt.Errorf("shopwaretest: return state %q", state)
	}
	e.mu.Lock()
	for _, id := range e.st.orders.ids {
		o := e.st.orders.byID[id]
		for _, r := range o.returns {
			if r.id != returnID {
				continue
			}
			if !slices.Contains(returnTransitions[r.state], state) {
				e.mu.Unlock()
				return fmt.Errorf("shopwaretest: illegal transition of return %s from state %q to %q (possible: %v)",
					returnID, r.state, state, returnTransitions[r.state])
			}
			r.state, r.updatedAt = state, e.st.now()
			if state == "done" {
				for i := range r.lines {
					r.lines[i].state = "returned"
				}
			}
			e.orderChanged(o, change{entity: "order_return", operation: "update", id: r.id, fields: []string{"stateId", "updatedAt"}}, "state_enter.order_return.state."+state)
			return nil
		}
	}
	e.mu.Unlock()
	return fmt.Errorf("shopwaretest: no return %s", returnID)
}

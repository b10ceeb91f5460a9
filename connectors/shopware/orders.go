package shopware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Orders are read, never written: Shopware owns them. The lister walks
// them like customers (poll.go: createdAt segment for never-updated
// orders, updatedAt segment for the rest); webhooks name them by id and
// the pipeline fetches them with the associations the mapping reads.

// orderAssociations loads what the order mapping reads: the order's state,
// the customer snapshot, the currency's ISO code, the transactions with
// their state (oldest first, so the last is the current payment), payment
// method and refunds, the line items and the deliveries with their
// address's country.
func orderAssociations() map[string]any {
	return map[string]any{
		"stateMachineState": map[string]any{},
		"orderCustomer":     map[string]any{},
		"currency":          map[string]any{},
		"transactions": map[string]any{
			"sort": []any{map[string]any{"field": "createdAt", "order": "ASC"}},
			"associations": map[string]any{"stateMachineState": map[string]any{}, "paymentMethod": map[string]any{},
				// Partial refunds: the refunds of each capture, with a
				// position per refunded line item.
				"captures": map[string]any{"associations": map[string]any{"refunds": map[string]any{
					"associations": map[string]any{"stateMachineState": map[string]any{}, "positions": map[string]any{}}}}}},
		},
		"lineItems": map[string]any{},
		// The shipping country: the delivery's address (Shopware copies
		// the customer's address into an order_address at checkout).
		"deliveries": map[string]any{"associations": map[string]any{
			"shippingOrderAddress": map[string]any{"associations": map[string]any{"country": map[string]any{}}}}},
	}
}

// returnsAssociation loads an order's returns from Shopware's Return
// Management, which is not in core: it comes with the Shopware Commercial
// extension (Shopware\Commercial\ReturnManagement). Checked against the
// extension's source as published: its OrderExtension adds the
// association `returns` (OneToMany to order_return by order_id, ApiAware)
// to order; order_return has orderId, price (cart price), shippingCosts,
// stateId/state, returnNumber, requestedAt, amountTotal, amountNet and
// lineItems; order_return_line_item has orderLineItemId, reasonId,
// quantity, refundAmount, restockQuantity and stateId/state (its price
// field is not ApiAware, so refundAmount is the line's money). A return's
// state is of order_return.state (OrderReturnStates: open, in_progress,
// done, cancelled); a return line's is of order_line_item.state
// (PositionStateHandler: return_requested, returned, returned_partially
// for return lines), moved apart from the return's — a cancelled return's
// lines stay return_requested, so the mapping goes by the return's state.
func returnsAssociation() map[string]any {
	return map[string]any{"associations": map[string]any{
		"state":     map[string]any{},
		"lineItems": map[string]any{"associations": map[string]any{"state": map[string]any{}}},
	}}
}

// entityOf is the DAL entity and associations a resource is read with;
// withReturns adds an order's returns (Return Management).
func entityOf(resource string, withReturns bool) (string, map[string]any, error) {
	switch resource {
	case connectors.ResourceCustomer:
		return "customer", customerAssociations(), nil
	case connectors.ResourceOrder:
		a := orderAssociations()
		if withReturns {
			a["returns"] = returnsAssociation()
		}
		return "order", a, nil
	}
	return "", nil, connectors.Permanent(fmt.Errorf("shopware: resource %q is not supported", resource))
}

// returnsRecheck is how long a shop that rejected the returns association
// is read without it before the connector asks again (the extension may
// be installed later).
const returnsRecheck = time.Hour

// askReturns reports whether an order read should load the returns.
func (c *Connector) askReturns(resource string) bool {
	if resource != connectors.ResourceOrder {
		return false
	}
	at := c.noReturnsAt.Load()
	return at == 0 || time.Since(time.Unix(0, at)) > returnsRecheck
}

// searchResource runs the criteria built from a resource's associations.
// A shop without Return Management answers an order search asking for
// the returns association with 400 FRAMEWORK__ASSOCIATION_NOT_FOUND ("Can
// not find association by name returns", AssociationNotFoundException
// from RequestCriteriaBuilder): the search is sent again without it, and
// the connector remembers for returnsRecheck, so an order poll does not
// fail nor pay a rejected call on every page.
func (c *Connector) searchResource(ctx context.Context, resource string, criteria func(assoc map[string]any) map[string]any) (string, []map[string]any, error) {
	withReturns := c.askReturns(resource)
	entity, assoc, err := entityOf(resource, withReturns)
	if err != nil {
		return "", nil, err
	}
	data, err := c.search(ctx, entity, criteria(assoc))
	if err != nil && withReturns && (associationMissing(err, "returns") || privilegeMissing(err, "order_return")) {
		c.noReturnsAt.Store(time.Now().UnixNano())
		delete(assoc, "returns")
		data, err = c.search(ctx, entity, criteria(assoc))
	}
	return entity, data, err
}

// privilegeMissing reports Shopware's answer to a criteria reaching an
// entity the integration or app may not read: 403
// FRAMEWORK__MISSING_PRIVILEGE_ERROR, the detail a JSON string listing
// missingPrivileges such as "order_return:read" (an app whose manifest,
// or an integration whose role, lacks Return Management's entities). The
// returns are then left out like on a shop without the extension.
func privilegeMissing(err error, entity string) bool {
	var he *connectors.HTTPError
	return errors.As(err, &he) && he.Status == http.StatusForbidden &&
		strings.Contains(he.Body, "FRAMEWORK__MISSING_PRIVILEGE_ERROR") && strings.Contains(he.Body, entity)
}

// associationMissing reports Shopware's answer to a criteria naming an
// association the entity does not have.
func associationMissing(err error, name string) bool {
	var he *connectors.HTTPError
	return errors.As(err, &he) && he.Status == http.StatusBadRequest &&
		strings.Contains(he.Body, "FRAMEWORK__ASSOCIATION_NOT_FOUND") && strings.Contains(he.Body, name)
}

func isOrderBusinessEvent(event string) bool {
	return event == "checkout.order.placed" ||
		strings.HasPrefix(event, "state_enter.order.state.") ||
		strings.HasPrefix(event, "state_enter.order_transaction.state.") ||
		// Return Management (Commercial): a return's state change carries
		// the order like the order's own state events.
		strings.HasPrefix(event, "state_enter.order_return.state.")
}

// decodeOrderBusinessEvent reads the order id of a business event's
// payload ({"order": {"id": …}}); the rest of the serialized order is not
// trusted as the current state (a later event may already have moved it),
// so the event is id-only and the pipeline fetches the order.
func decodeOrderBusinessEvent(payload json.RawMessage, eventID, event string, occurred time.Time) ([]connectors.Event, error) {
	var p struct {
		Order *struct {
			ID string `json:"id"`
		} `json:"order"`
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("shopware: %s payload: %v: %w", event, err, connectors.ErrMalformed)
	}
	id := p.OrderID
	if p.Order != nil {
		id = p.Order.ID
	}
	if !isID(id) {
		return nil, fmt.Errorf("shopware: %s payload names no order id: %w", event, connectors.ErrMalformed)
	}
	return []connectors.Event{{ID: eventID + ":" + id, Topic: event, Resource: connectors.ResourceOrder, ExternalID: id, OccurredAt: occurred}}, nil
}

package magentotest

import (
	"fmt"
	"math/big"
	"net/http"
	"strconv"
)

// Orders: the sales order as GET /V1/orders and /V1/orders/{id} render it
// (Magento\Sales\Api\Data\OrderInterface: entity_id, increment_id, state
// and status, customer_* of the buyer, amounts as JSON numbers in the
// order currency with base_* beside them, total_paid/total_refunded only
// once money moved, items with parent_item_id for configurable children),
// searchable with the same searchCriteria as customers. Magento Open
// Source sends no webhooks: orders are polled. The test controls move an
// order as the admin does: invoice (processing, paid), credit memo
// (refund; closed when all of it), cancel.

// OrderLine is a line of an order a test places.
type OrderLine struct {
	SKU      string
	Name     string
	Quantity int64
	Price    string // unit price, decimal
}

func amount(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

func ratOf(v any) *big.Rat {
	r, ok := new(big.Rat).SetString(str(v))
	if !ok {
		return new(big.Rat)
	}
	return r
}

// PlaceOrder places an order as the storefront checkout does: state new,
// status pending, nothing paid yet. customerID "" places a guest order
// under email. It returns the order's entity id.
func (e *Emulator) PlaceOrder(customerID, email, currency string, lines ...OrderLine) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if currency == "" {
		currency = "EUR"
	}
	o := map[string]any{"customer_is_guest": int64(1), "customer_email": email, "customer_group_id": int64(0)}
	if customerID != "" {
		id, _ := strconv.ParseInt(customerID, 10, 64)
		c := e.st.customers[id]
		if c == nil {
			return "", fmt.Errorf("magentotest: no customer %s", customerID)
		}
		o["customer_is_guest"], o["customer_id"], o["customer_group_id"] = int64(0), id, c["group_id"]
		o["customer_email"], o["customer_firstname"], o["customer_lastname"] = c["email"], c["firstname"], c["lastname"]
	}
	if e.st.orders == nil {
		e.st.orders, e.st.nextOrder = map[int64]map[string]any{}, 1
	}
	id := e.st.nextOrder
	e.st.nextOrder++
	total, qty := new(big.Rat), int64(0)
	var items []any
	for i, l := range lines {
		p, ok := new(big.Rat).SetString(l.Price)
		if !ok {
			return "", fmt.Errorf("magentotest: price %q", l.Price)
		}
		row := new(big.Rat).Mul(p, big.NewRat(max(l.Quantity, 1), 1))
		total.Add(total, row)
		qty += max(l.Quantity, 1)
		items = append(items, map[string]any{"item_id": id*100 + int64(i), "order_id": id, "sku": l.SKU, "name": l.Name,
			"product_type": "simple", "qty_ordered": max(l.Quantity, 1), "price": amount(p), "base_price": amount(p),
			"row_total": amount(row), "base_row_total": amount(row), "store_id": int64(1)})
	}
	now := e.stamp()
	for k, v := range map[string]any{
		"entity_id": id, "increment_id": fmt.Sprintf("%09d", id), "state": "new", "status": "pending",
		"store_id": int64(1), "store_name": "Main Website\nMain Website Store\nDefault Store View",
		"order_currency_code": currency, "base_currency_code": currency, "global_currency_code": currency, "store_currency_code": currency,
		"grand_total": amount(total), "base_grand_total": amount(total), "subtotal": amount(total), "base_subtotal": amount(total),
		"total_due": amount(total), "total_item_count": int64(len(items)), "total_qty_ordered": qty,
		"created_at": now, "updated_at": now, "items": items, "status_histories": []any{},
		"payment":              map[string]any{"method": "checkmo", "amount_ordered": amount(total), "base_amount_ordered": amount(total)},
		"extension_attributes": map[string]any{},
	} {
		o[k] = v
	}
	e.st.orders[id] = o
	return strconv.FormatInt(id, 10), nil
}

// InvoiceOrder captures the whole order (state and status processing).
func (e *Emulator) InvoiceOrder(id string) error {
	return e.changeOrder(id, func(o map[string]any) error {
		if o["state"] != "new" {
			return fmt.Errorf("magentotest: order %s is %v, not new", id, o["state"])
		}
		o["state"], o["status"] = "processing", "processing"
		o["total_paid"], o["base_total_paid"], o["total_invoiced"], o["base_total_invoiced"] = o["grand_total"], o["grand_total"], o["grand_total"], o["grand_total"]
		o["total_due"] = 0.0
		return nil
	})
}

// RefundOrder creates a credit memo over amount; refunding all that was
// paid closes the order.
func (e *Emulator) RefundOrder(id, amt string) error {
	a, ok := new(big.Rat).SetString(amt)
	if !ok {
		return fmt.Errorf("magentotest: amount %q", amt)
	}
	return e.changeOrder(id, func(o map[string]any) error {
		paid := ratOf(o["total_paid"])
		refunded := new(big.Rat).Add(ratOf(o["total_refunded"]), a)
		if refunded.Cmp(paid) > 0 {
			return fmt.Errorf("magentotest: refund of %s exceeds what was paid", amt)
		}
		o["total_refunded"], o["base_total_refunded"] = amount(refunded), amount(refunded)
		if refunded.Cmp(paid) == 0 {
			o["state"], o["status"] = "closed", "closed"
		}
		return nil
	})
}

// CancelOrder cancels an order nothing was invoiced of.
func (e *Emulator) CancelOrder(id string) error {
	return e.changeOrder(id, func(o map[string]any) error {
		if o["total_invoiced"] != nil {
			return fmt.Errorf("magentotest: order %s is invoiced; refund it instead", id)
		}
		o["state"], o["status"] = "canceled", "canceled"
		o["total_canceled"], o["base_total_canceled"] = o["grand_total"], o["grand_total"]
		return nil
	})
}

func (e *Emulator) changeOrder(id string, fn func(o map[string]any) error) error {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orders[n]
	if o == nil {
		return fmt.Errorf("magentotest: no order %s", id)
	}
	if err := fn(o); err != nil {
		return err
	}
	o["updated_at"] = e.stamp()
	return nil
}

// Order returns an order as the REST API renders it.
func (e *Emulator) Order(id string) (map[string]any, bool) {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orders[n]
	if o == nil {
		return nil, false
	}
	return deepCopy(o).(map[string]any), true
}

func (e *Emulator) ordersHTTP(w http.ResponseWriter, r *http.Request) {
	c, ierr := parseCriteria(r.URL.Query(), e.opts)
	if ierr != nil {
		writeErr(w, http.StatusBadRequest, ierr)
		return
	}
	e.mu.Lock()
	items, total := e.st.searchIn(e.st.orders, c, func(id int64) map[string]any { return deepCopy(e.st.orders[id]).(map[string]any) })
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "search_criteria": c.echo(), "total_count": total})
}

func (e *Emulator) orderHTTP(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodGet {
		noRoute(w)
		return
	}
	o, ok := e.Order(id)
	if !ok {
		writeErr(w, http.StatusNotFound, &inputError{Message: "The entity that was requested doesn't exist. Verify the entity and try again."})
		return
	}
	writeJSON(w, http.StatusOK, o)
}

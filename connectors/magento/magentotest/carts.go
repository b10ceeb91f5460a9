package magentotest

import (
	"fmt"
	"math/big"
	"net/http"
	"strconv"
)

// Carts: Magento's quotes as GET /V1/carts/search renders them
// (Magento\Quote\Api\CartRepositoryInterface::getList, admin resource
// Magento_Cart::manage). getList filters and sorts the quote collection by
// the quote table's columns (entity_id, updated_at, is_active,
// customer_id, customer_email, grand_total, …), but each hit is rendered
// through Magento\Quote\Api\Data\CartInterface's getters only: id,
// created_at, updated_at, converted_at, is_active, is_virtual, items,
// items_count, items_qty, customer, billing_address, orig_order_id,
// reserved_order_id, currency, customer_is_guest, customer_note,
// customer_note_notify, customer_tax_class_id, store_id,
// extension_attributes. So grand_total can be searched by, never read.
//
// The QuoteRepository's LoadHandler sets items (CartItemInterface: item_id,
// sku, qty, name, price, product_type, quote_id) only on active quotes; an
// inactive quote comes without items. customer is the customer record
// for a customer's quote and an empty customer for a guest's, whose
// email is on the billing address. Placing the order deactivates the quote
// (is_active 0, reserved_order_id the order's increment id); updated_at
// is the column's ON UPDATE CURRENT_TIMESTAMP, so it moves with every
// change of the row, in whole seconds.

// CreateCart opens an active quote as the storefront does when a product
// is added: customerID "" is a guest whose email (entered at checkout) is
// on the billing address. It returns the quote id.
func (e *Emulator) CreateCart(customerID, email, currency string, lines ...OrderLine) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if currency == "" {
		currency = "EUR"
	}
	q := map[string]any{"customer_is_guest": int64(1), "customer_email": email, "customer_id": nil, "customer_group_id": int64(0)}
	if customerID != "" {
		cid, _ := strconv.ParseInt(customerID, 10, 64)
		c := e.st.customers[cid]
		if c == nil {
			return "", fmt.Errorf("magentotest: no customer %s", customerID)
		}
		q["customer_is_guest"], q["customer_id"], q["customer_group_id"] = int64(0), cid, c["group_id"]
		q["customer_email"], q["customer_firstname"], q["customer_lastname"] = c["email"], c["firstname"], c["lastname"]
	}
	if e.st.quotes == nil {
		e.st.quotes, e.st.nextQuote = map[int64]map[string]any{}, 1
	}
	id := e.st.nextQuote
	e.st.nextQuote++
	now := e.stamp()
	for k, v := range map[string]any{
		"entity_id": id, "store_id": int64(1), "created_at": now, "updated_at": now, "converted_at": nil,
		"is_active": int64(1), "is_virtual": int64(0), "orig_order_id": int64(0), "reserved_order_id": nil,
		"base_currency_code": currency, "store_currency_code": currency, "quote_currency_code": currency, "global_currency_code": currency,
		"store_to_base_rate": 0.0, "store_to_quote_rate": 0.0, "base_to_global_rate": 1.0, "base_to_quote_rate": 1.0,
		"customer_note_notify": int64(1), "customer_tax_class_id": int64(3),
	} {
		q[k] = v
	}
	e.st.quotes[id] = q
	if err := setQuoteItems(q, lines); err != nil {
		delete(e.st.quotes, id)
		return "", err
	}
	return strconv.FormatInt(id, 10), nil
}

// setQuoteItems replaces a quote's items and recomputes what Magento's
// totals collection writes to the quote row.
func setQuoteItems(q map[string]any, lines []OrderLine) error {
	id := q["entity_id"].(int64)
	total, qty := new(big.Rat), int64(0)
	items := make([]any, 0, len(lines))
	for i, l := range lines {
		p, ok := new(big.Rat).SetString(l.Price)
		if !ok {
			return fmt.Errorf("magentotest: price %q", l.Price)
		}
		n := max(l.Quantity, 1)
		total.Add(total, new(big.Rat).Mul(p, big.NewRat(n, 1)))
		qty += n
		items = append(items, map[string]any{"item_id": id*100 + int64(i), "sku": l.SKU, "qty": n, "name": l.Name,
			"price": amount(p), "product_type": "simple", "quote_id": strconv.FormatInt(id, 10)})
	}
	q["items"] = items
	q["items_count"], q["items_qty"] = int64(len(items)), qty
	q["subtotal"], q["base_subtotal"], q["grand_total"], q["base_grand_total"] = amount(total), amount(total), amount(total), amount(total)
	return nil
}

// UpdateCart replaces an active quote's lines, as the customer changing
// the cart does (updated_at moves).
func (e *Emulator) UpdateCart(id string, lines ...OrderLine) error {
	return e.changeQuote(id, func(q map[string]any) error {
		if q["is_active"] != int64(1) {
			return fmt.Errorf("magentotest: quote %s is not active", id)
		}
		return setQuoteItems(q, lines)
	})
}

// PlaceCartOrder places the order of an active quote as the checkout does
// (Magento\Quote\Model\QuoteManagement::submit): the order is created
// from the quote's lines and the quote is deactivated with the order's
// increment id reserved on it. It returns the order's entity id.
func (e *Emulator) PlaceCartOrder(id string) (string, error) {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	q := e.st.quotes[n]
	if q == nil || q["is_active"] != int64(1) {
		e.mu.Unlock()
		return "", fmt.Errorf("magentotest: no active quote %s", id)
	}
	var lines []OrderLine
	for _, it := range listOf(q["items"]) {
		qty, _ := toInt(it["qty"])
		lines = append(lines, OrderLine{SKU: str(it["sku"]), Name: str(it["name"]), Quantity: qty,
			Price: new(big.Rat).SetFloat64(it["price"].(float64)).FloatString(4)})
	}
	customerID := ""
	if cid, ok := q["customer_id"].(int64); ok {
		customerID = strconv.FormatInt(cid, 10)
	}
	email, currency := str(q["customer_email"]), str(q["quote_currency_code"])
	e.mu.Unlock()
	orderID, err := e.PlaceOrder(customerID, email, currency, lines...)
	if err != nil {
		return "", err
	}
	o, _ := e.Order(orderID)
	return orderID, e.changeQuote(id, func(q map[string]any) error {
		q["is_active"], q["reserved_order_id"] = int64(0), o["increment_id"]
		return nil
	})
}

func (e *Emulator) changeQuote(id string, fn func(q map[string]any) error) error {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.st.quotes[n]
	if q == nil {
		return fmt.Errorf("magentotest: no quote %s", id)
	}
	if err := fn(q); err != nil {
		return err
	}
	q["updated_at"] = e.stamp()
	return nil
}

// Cart returns a quote as GET /V1/carts/search renders it.
func (e *Emulator) Cart(id string) (map[string]any, bool) {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.quotes[n] == nil {
		return nil, false
	}
	return e.st.renderQuote(n), true
}

// renderQuote renders a quote row through CartInterface's getters.
func (s *store) renderQuote(id int64) map[string]any {
	q := s.quotes[id]
	active := q["is_active"] == int64(1)
	// A guest's is an empty customer data object: its required getters
	// (email, firstname, lastname) render as null, the rest not at all.
	customer := map[string]any{"email": nil, "firstname": nil, "lastname": nil}
	if cid, ok := q["customer_id"].(int64); ok && s.customers[cid] != nil {
		customer = s.render(cid)
	}
	out := map[string]any{
		"id": id, "created_at": q["created_at"], "updated_at": q["updated_at"],
		"is_active": active, "is_virtual": q["is_virtual"] == int64(1),
		"items_count": q["items_count"], "items_qty": q["items_qty"],
		"customer": customer,
		"billing_address": map[string]any{"id": id*10 + 1, "region": nil, "region_id": nil, "region_code": nil,
			"country_id": nil, "street": []any{""}, "telephone": nil, "postcode": nil, "city": nil,
			"firstname": q["customer_firstname"], "lastname": q["customer_lastname"], "email": q["customer_email"],
			"same_as_billing": int64(0), "save_in_address_book": int64(0)},
		"orig_order_id": q["orig_order_id"],
		"currency": map[string]any{"global_currency_code": q["global_currency_code"], "base_currency_code": q["base_currency_code"],
			"store_currency_code": q["store_currency_code"], "quote_currency_code": q["quote_currency_code"],
			"store_to_base_rate": q["store_to_base_rate"], "store_to_quote_rate": q["store_to_quote_rate"],
			"base_to_global_rate": q["base_to_global_rate"], "base_to_quote_rate": q["base_to_quote_rate"]},
		"customer_is_guest": q["customer_is_guest"] == int64(1), "customer_note_notify": q["customer_note_notify"] == int64(1),
		"customer_tax_class_id": q["customer_tax_class_id"], "store_id": q["store_id"],
		"extension_attributes": map[string]any{},
	}
	if v := q["converted_at"]; v != nil {
		out["converted_at"] = v
	}
	if v := q["reserved_order_id"]; v != nil {
		out["reserved_order_id"] = v
	}
	if active {
		out["items"] = deepCopy(q["items"])
		out["extension_attributes"] = map[string]any{"shipping_assignments": []any{}}
	}
	// An inactive quote's items were never loaded: getItems() is null and
	// a null optional value is left out of the response.
	return out
}

func (e *Emulator) cartsSearchHTTP(w http.ResponseWriter, r *http.Request) {
	c, ierr := parseCriteria(r.URL.Query(), e.opts)
	if ierr != nil {
		writeErr(w, http.StatusBadRequest, ierr)
		return
	}
	e.mu.Lock()
	items, total := e.st.searchIn(e.st.quotes, c, e.st.renderQuote)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "search_criteria": c.echo(), "total_count": total})
}

// cartHTTP is GET /V1/carts/{cartId} (CartRepositoryInterface::get).
func (e *Emulator) cartHTTP(w http.ResponseWriter, id string) {
	q, ok := e.Cart(id)
	if !ok {
		writeErr(w, http.StatusNotFound, &inputError{Message: errNoEntity, Parameters: map[string]any{"fieldName": "cartId", "fieldValue": id}})
		return
	}
	writeJSON(w, http.StatusOK, q)
}

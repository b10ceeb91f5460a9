package shopifytest

import (
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Orders: the REST order resource as the Admin API renders it (the fields a
// sync reads, in Shopify's shape: amounts as decimal strings, refunds with
// their transactions, the customer object embedded), the orders/* and
// refunds/create webhooks, and GET orders.json with Shopify's status
// default (open only unless status=any) and Link-header paging.

// order is the emulator's order row.
type order struct {
	id         int64
	seq        uint64 // bumps on every change, orders updated_at order
	number     int64  // order_number; name is "#<number>"
	customerID int64
	email      string
	currency   string
	createdAt  int64
	updatedAt  int64
	cancelled  int64
	closed     int64
	cancelReas string
	financial  string
	fulfilled  string // "", "partial", "fulfilled"
	lines      []orderLine
	refunds    []refund
}

type orderLine struct {
	id       int64
	title    string
	quantity int64
	price    *big.Rat
}

type refund struct {
	id        int64
	createdAt int64
	amount    *big.Rat
	note      string
}

// orderBook holds the shop's orders; it lives in store under Emulator.mu.
type orderBook struct {
	byID    map[int64]*order
	nextID  int64
	nextNum int64
	nextSub int64 // line item, refund and transaction ids
	seq     uint64
}

func newOrderBook() *orderBook {
	return &orderBook{byID: map[int64]*order{}, nextID: 5000000000001, nextNum: 1001, nextSub: 6000000000001}
}

func (o *order) total() *big.Rat {
	t := new(big.Rat)
	for _, l := range o.lines {
		t.Add(t, new(big.Rat).Mul(l.price, big.NewRat(l.quantity, 1)))
	}
	return t
}

func (o *order) refunded() *big.Rat {
	t := new(big.Rat)
	for _, r := range o.refunds {
		t.Add(t, r.amount)
	}
	return t
}

func money(r *big.Rat) string { return r.FloatString(2) }

// customerTotals are what Shopify shows on the customer: orders_count and
// total_spent (paid money net of refunds, cancelled orders included as
// they were paid).
func (b *orderBook) customerTotals(customerID int64) (count int, spent string, lastID, lastName any) {
	sum := new(big.Rat)
	var last *order
	for _, o := range b.byID {
		if o.customerID != customerID {
			continue
		}
		count++
		if o.financial == "paid" || o.financial == "partially_refunded" || o.financial == "refunded" {
			sum.Add(sum, new(big.Rat).Sub(o.total(), o.refunded()))
		}
		if last == nil || o.id > last.id {
			last = o
		}
	}
	lastID, lastName = nil, nil
	if last != nil {
		lastID, lastName = last.id, "#"+strconv.FormatInt(last.number, 10)
	}
	return count, money(sum), lastID, lastName
}

func (s *store) renderOrder(o *order) map[string]any {
	total := o.total()
	refunded := o.refunded()
	current := new(big.Rat).Sub(total, refunded)
	lines := make([]any, len(o.lines))
	for i, l := range o.lines {
		lines[i] = map[string]any{
			"id": l.id, "admin_graphql_api_id": "gid://shopify/LineItem/" + strconv.FormatInt(l.id, 10),
			"title": l.title, "name": l.title, "quantity": l.quantity, "current_quantity": l.quantity,
			"price": money(l.price), "price_set": moneySet(money(l.price), o.currency),
			"fulfillable_quantity": l.quantity, "requires_shipping": true, "taxable": true, "gift_card": false,
			"total_discount": "0.00", "tax_lines": []any{}, "discount_allocations": []any{},
		}
	}
	refunds := make([]any, len(o.refunds))
	for i, r := range o.refunds {
		refunds[i] = map[string]any{
			"id": r.id, "admin_graphql_api_id": "gid://shopify/Refund/" + strconv.FormatInt(r.id, 10),
			"order_id": o.id, "created_at": s.ts(r.createdAt), "processed_at": s.ts(r.createdAt), "note": nullable(r.note),
			"restock": false, "user_id": nil, "refund_line_items": []any{}, "order_adjustments": []any{}, "duties": []any{},
			"transactions": []any{map[string]any{
				"id": r.id + 1, "admin_graphql_api_id": "gid://shopify/OrderTransaction/" + strconv.FormatInt(r.id+1, 10),
				"order_id": o.id, "kind": "refund", "status": "success", "gateway": "bogus", "amount": money(r.amount),
				"currency": o.currency, "created_at": s.ts(r.createdAt), "processed_at": s.ts(r.createdAt), "test": true,
				"parent_id": nil, "error_code": nil, "message": "Bogus Gateway: Forced success",
			}},
		}
	}
	var cust any
	if c := s.customers[o.customerID]; c != nil {
		cust = map[string]any{
			"id": c.id, "email": nullable(c.email), "first_name": nullable(c.firstName), "last_name": nullable(c.lastName),
			"phone": nullable(c.phone), "state": c.state, "currency": c.currency, "tags": c.tags, "note": nullable(c.note),
			"verified_email": c.verified, "tax_exempt": c.taxExempt, "created_at": s.ts(c.createdAt), "updated_at": s.ts(c.updatedAt),
			"admin_graphql_api_id": "gid://shopify/Customer/" + strconv.FormatInt(c.id, 10),
		}
	}
	var fulfillment any
	if o.fulfilled != "" {
		fulfillment = o.fulfilled
	}
	return map[string]any{
		"id": o.id, "admin_graphql_api_id": "gid://shopify/Order/" + strconv.FormatInt(o.id, 10),
		"name": "#" + strconv.FormatInt(o.number, 10), "number": o.number - 1000, "order_number": o.number,
		"email": nullable(o.email), "contact_email": nullable(o.email), "phone": nil,
		"created_at": s.ts(o.createdAt), "processed_at": s.ts(o.createdAt), "updated_at": s.ts(o.updatedAt),
		"cancelled_at": s.ts(o.cancelled), "cancel_reason": nullable(o.cancelReas), "closed_at": s.ts(o.closed),
		"currency": o.currency, "presentment_currency": o.currency,
		"financial_status": o.financial, "fulfillment_status": fulfillment, "confirmed": true, "test": true,
		"subtotal_price": money(total), "total_price": money(total), "total_line_items_price": money(total),
		"current_subtotal_price": money(current), "current_total_price": money(current),
		"total_price_set": moneySet(money(total), o.currency), "current_total_price_set": moneySet(money(current), o.currency),
		"total_discounts": "0.00", "total_tax": "0.00", "current_total_tax": "0.00", "taxes_included": true,
		"total_outstanding": "0.00", "total_weight": 0, "tags": "", "note": nil, "note_attributes": []any{},
		"source_name": "web", "payment_gateway_names": []any{"bogus"}, "discount_codes": []any{}, "tax_lines": []any{},
		"customer_locale": "en", "buyer_accepts_marketing": false,
		"customer": cust, "line_items": lines, "refunds": refunds, "fulfillments": []any{}, "shipping_lines": []any{},
	}
}

func moneySet(amount, currency string) map[string]any {
	m := map[string]any{"amount": amount, "currency_code": currency}
	return map[string]any{"shop_money": m, "presentment_money": m}
}

// OrderLine is a line of an order a test places.
type OrderLine struct {
	Title    string
	Quantity int64
	Price    string // decimal, e.g. "19.99"
}

// buyer is who places an order or opens a checkout: the customer by id
// (0 or empty: a guest) and the email, the customer's when none is given.
// Call with the emulator's lock held.
func (s *store) buyer(customerID, email string) (int64, string, error) {
	cid, _ := strconv.ParseInt(customerID, 10, 64)
	if cid == 0 {
		return 0, email, nil
	}
	c := s.customers[cid]
	if c == nil {
		return 0, "", fmt.Errorf("shopifytest: no customer %s", customerID)
	}
	if email == "" {
		email = c.email
	}
	return cid, email, nil
}

// CreateOrder places an order for a customer (0: a guest with email) as a
// storefront checkout would: paid (financial "paid") or pending (payment
// on invoice). It sends orders/create, and orders/paid for a paid order.
func (e *Emulator) CreateOrder(customerID string, email, currency string, paid bool, lines ...OrderLine) (string, error) {
	e.mu.Lock()
	cid, email, err := e.st.buyer(customerID, email)
	if err != nil {
		e.mu.Unlock()
		return "", err
	}
	if currency == "" {
		currency = "USD"
	}
	b := e.st.orders
	now := e.st.stamp(e.opts.Now())
	o := &order{id: b.nextID, number: b.nextNum, customerID: cid, email: email, currency: currency, createdAt: now, updatedAt: now, financial: "pending"}
	if paid {
		o.financial = "paid"
	}
	b.nextID++
	b.nextNum++
	for _, l := range lines {
		p, ok := new(big.Rat).SetString(l.Price)
		if !ok {
			e.mu.Unlock()
			return "", fmt.Errorf("shopifytest: price %q", l.Price)
		}
		o.lines = append(o.lines, orderLine{id: b.nextSub, title: l.Title, quantity: max(l.Quantity, 1), price: p})
		b.nextSub++
	}
	b.seq++
	o.seq = b.seq
	b.byID[o.id] = o
	body := mustJSON(e.st.renderOrder(o))
	e.mu.Unlock()
	e.enqueue("orders/create", body)
	if paid {
		e.enqueue("orders/paid", body)
	}
	return strconv.FormatInt(o.id, 10), nil
}

// CancelOrder cancels an order as a merchant does in the admin, refunding
// what was paid when refund is set. It sends orders/cancelled and
// orders/updated (and refunds/create for a refund).
func (e *Emulator) CancelOrder(id string, refund bool) error {
	return e.changeOrder(id, func(o *order, now int64) []string {
		topics := []string{"orders/cancelled", "orders/updated"}
		o.cancelled, o.cancelReas = now, "customer"
		if refund && (o.financial == "paid" || o.financial == "partially_refunded") {
			e.addRefund(o, new(big.Rat).Sub(o.total(), o.refunded()), now, "cancelled")
			topics = append([]string{"refunds/create"}, topics...)
		} else if o.financial == "pending" || o.financial == "authorized" {
			o.financial = "voided"
		}
		return topics
	})
}

// RefundOrder refunds amount of a paid order. It sends refunds/create and
// orders/updated.
func (e *Emulator) RefundOrder(id, amount string) error {
	a, ok := new(big.Rat).SetString(amount)
	if !ok {
		return fmt.Errorf("shopifytest: amount %q", amount)
	}
	var err error
	cerr := e.changeOrder(id, func(o *order, now int64) []string {
		if left := new(big.Rat).Sub(o.total(), o.refunded()); a.Cmp(left) > 0 {
			err = fmt.Errorf("shopifytest: refund %s exceeds the %s left on order %s", amount, money(left), id)
			return nil
		}
		e.addRefund(o, a, now, "")
		return []string{"refunds/create", "orders/updated"}
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// MarkOrderPaid captures the payment of a pending order (an invoice paid).
// It sends orders/paid and orders/updated.
func (e *Emulator) MarkOrderPaid(id string) error {
	return e.changeOrder(id, func(o *order, _ int64) []string {
		if o.financial != "pending" && o.financial != "authorized" {
			return nil
		}
		o.financial = "paid"
		return []string{"orders/paid", "orders/updated"}
	})
}

func (e *Emulator) addRefund(o *order, amount *big.Rat, now int64, note string) {
	b := e.st.orders
	o.refunds = append(o.refunds, refund{id: b.nextSub, createdAt: now, amount: amount, note: note})
	b.nextSub += 2 // the refund and its transaction
	if o.refunded().Cmp(o.total()) >= 0 {
		o.financial = "refunded"
	} else {
		o.financial = "partially_refunded"
	}
}

// changeOrder applies fn to an order; fn returns the topics to send (none:
// nothing changed). A change bumps updated_at like every Shopify write.
func (e *Emulator) changeOrder(id string, fn func(o *order, now int64) []string) error {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	o := e.st.orders.byID[n]
	if o == nil {
		e.mu.Unlock()
		return fmt.Errorf("shopifytest: no order %s", id)
	}
	now := e.st.stamp(e.opts.Now())
	topics := fn(o, now)
	if len(topics) == 0 {
		e.mu.Unlock()
		return nil
	}
	o.updatedAt = now
	e.st.orders.seq++
	o.seq = e.st.orders.seq
	body := mustJSON(e.st.renderOrder(o))
	var refundBody []byte
	if len(o.refunds) > 0 {
		r := e.st.renderOrder(o)["refunds"].([]any)
		refundBody = mustJSON(r[len(r)-1])
	}
	e.mu.Unlock()
	for _, t := range topics {
		if t == "refunds/create" {
			e.enqueue(t, refundBody) // the refund object, not the order
			continue
		}
		e.enqueue(t, body)
	}
	return nil
}

// Order returns an order as the REST API renders it.
func (e *Emulator) Order(id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orders.byID[n]
	if o == nil {
		return nil, false
	}
	return e.st.renderOrder(o), true
}

// ---- REST: GET orders.json, orders/{id}.json, orders/count.json ----

// orderFilter is a first page's filters; page_info tokens carry them.
type orderFilter struct {
	Status  string  `json:"status"`
	UpdMin  int64   `json:"updated_at_min,omitempty"`
	UpdMax  int64   `json:"updated_at_max,omitempty"`
	CrMin   int64   `json:"created_at_min,omitempty"`
	SinceID int64   `json:"since_id,omitempty"`
	IDs     []int64 `json:"ids,omitempty"`
	ByUpd   bool    `json:"by_updated,omitempty"`
	Desc    bool    `json:"desc,omitempty"`
}

type orderPageInfo struct {
	Filter orderFilter `json:"filter"`
	// After is the sort key of the last record of the page the token was
	// made on; Prev tokens hold the first record's and scan backwards.
	After [2]int64 `json:"after"`
	Prev  bool     `json:"prev,omitempty"`
}

func (f *orderFilter) match(o *order) bool {
	switch f.Status {
	case "open":
		if o.cancelled != 0 || o.closed != 0 {
			return false
		}
	case "closed":
		if o.closed == 0 {
			return false
		}
	case "cancelled":
		if o.cancelled == 0 {
			return false
		}
	}
	if f.UpdMin != 0 && o.updatedAt < f.UpdMin || f.UpdMax != 0 && o.updatedAt > f.UpdMax || f.CrMin != 0 && o.createdAt < f.CrMin {
		return false
	}
	if f.SinceID != 0 && o.id <= f.SinceID {
		return false
	}
	if len(f.IDs) > 0 {
		for _, id := range f.IDs {
			if id == o.id {
				return true
			}
		}
		return false
	}
	return true
}

// key sorts by (updated_at, seq) or by id.
func (f *orderFilter) key(o *order) [2]int64 {
	if f.ByUpd {
		return [2]int64{o.updatedAt, int64(o.seq)}
	}
	return [2]int64{o.id, 0}
}

func less(a, b [2]int64) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

func (e *Emulator) listOrders(w http.ResponseWriter, r *http.Request, version string) {
	q := r.URL.Query()
	var p orderPageInfo
	limit, paged, ok := pageRequest(w, q, &p, func(q url.Values) (bad string) {
		p.Filter, bad = parseOrderQuery(q)
		return bad
	}, "limit", "fields")
	if !ok {
		return
	}
	f := &p.Filter
	e.mu.RLock()
	var all []*order
	for _, o := range e.st.orders.byID {
		if f.match(o) {
			all = append(all, o)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if f.Desc {
			return less(f.key(all[j]), f.key(all[i]))
		}
		return less(f.key(all[i]), f.key(all[j]))
	})
	// after reports whether o comes after the token's key in list order.
	after := func(o *order) bool {
		if f.Desc {
			return less(f.key(o), p.After)
		}
		return less(p.After, f.key(o))
	}
	var page []*order
	more := false
	switch {
	case !paged:
		page = all
	case !p.Prev:
		i := sort.Search(len(all), func(i int) bool { return after(all[i]) })
		page = all[i:]
	default:
		i := sort.Search(len(all), func(i int) bool { return after(all[i]) || f.key(all[i]) == p.After })
		start := max(i-limit, 0)
		page, more = all[start:i], start > 0
	}
	hasPrev := paged && (!p.Prev || more)
	if !p.Prev && len(page) > limit {
		page, more = page[:limit], true
	}
	hasNext := !p.Prev && more || p.Prev
	fields := q.Get("fields")
	out := make([]any, len(page))
	for i, o := range page {
		out[i] = filterFields(e.st.renderOrder(o), fields)
	}
	e.mu.RUnlock()
	var links []string
	if len(page) > 0 {
		base := linkBase(r, version, "orders.json", limit, fields)
		if hasPrev {
			t := orderPageInfo{Filter: *f, After: f.key(page[0]), Prev: true}
			links = append(links, "<"+base+url.QueryEscape(encodeToken(t))+`>; rel="previous"`)
		}
		if hasNext {
			t := orderPageInfo{Filter: *f, After: f.key(page[len(page)-1])}
			links = append(links, "<"+base+url.QueryEscape(encodeToken(t))+`>; rel="next"`)
		}
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": out})
}

// parseOrderQuery reads a first page's filters; Shopify lists only open
// orders unless told status=any.
func parseOrderQuery(q url.Values) (orderFilter, string) {
	f := orderFilter{Status: "open"}
	if s := q.Get("status"); s != "" {
		switch s {
		case "open", "closed", "cancelled", "any":
			f.Status = s
		default:
			return f, "status"
		}
	}
	for name, dst := range map[string]*int64{"updated_at_min": &f.UpdMin, "updated_at_max": &f.UpdMax, "created_at_min": &f.CrMin} {
		if v := q.Get(name); v != "" {
			t, ok := parseTime(v)
			if !ok {
				return f, name
			}
			*dst = max(t.Unix(), 1)
		}
	}
	if v := q.Get("since_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, "since_id"
		}
		f.SinceID = n
	}
	var err error
	if f.IDs, err = parseIDs(q.Get("ids")); err != nil {
		return f, "ids"
	}
	var ok bool
	if f.ByUpd, f.Desc, ok = parseSort(q.Get("order")); !ok {
		return f, "order"
	}
	if strings.TrimSpace(q.Get("order")) == "" {
		f.Desc = true // Shopify lists the newest orders first by default
	}
	return f, ""
}

func (e *Emulator) orderHTTP(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodGet {
		notFound(w)
		return
	}
	o, ok := e.Order(id)
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": filterFields(o, r.URL.Query().Get("fields"))})
}

func (e *Emulator) countOrders(w http.ResponseWriter, r *http.Request) {
	f, bad := parseOrderQuery(r.URL.Query())
	if bad != "" {
		writeErr(w, http.StatusBadRequest, map[string]any{bad: "Invalid value."})
		return
	}
	e.mu.RLock()
	n := 0
	for _, o := range e.st.orders.byID {
		if f.match(o) {
			n++
		}
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"count": n})
}

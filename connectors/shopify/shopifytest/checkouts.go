package shopifytest

import (
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Checkouts: the REST checkout as Shopify's checkouts/* webhooks and the
// abandoned checkouts endpoint (GET checkouts.json) render it — id, token,
// cart_token, email, customer, line_items with variant prices as decimal
// strings, total_price, currency and presentment_currency,
// abandoned_checkout_url, created_at/updated_at/completed_at in the shop's
// zone. checkouts.json takes since_id, created_at_min/max,
// updated_at_min/max, status (open, the default: not completed; closed)
// and limit, sorts by id and pages by Link header.

type checkout struct {
	id, customerID int64
	token          string
	email          string
	currency       string
	createdAt      int64
	updatedAt      int64
	completedAt    int64
	orderID        int64
	lines          []OrderLine
}

// CheckoutLine is a line of a checkout a test opens (price per unit).
type CheckoutLine = OrderLine

func (s *store) renderCheckout(c *checkout, shop string) map[string]any {
	total := new(big.Rat)
	lines := make([]any, len(c.lines))
	for i, l := range c.lines {
		p, _ := new(big.Rat).SetString(l.Price)
		q := max(l.Quantity, 1)
		line := new(big.Rat).Mul(p, big.NewRat(q, 1))
		total.Add(total, line)
		lines[i] = map[string]any{
			"key": strconv.Itoa(i + 1), "title": l.Title, "presentment_title": l.Title, "quantity": q,
			"price": money(p), "line_price": money(line), "sku": "SKU-" + strconv.Itoa(i+1),
			"product_id": 8000000000000 + int64(i), "variant_id": 8100000000000 + int64(i),
			"variant_title": "", "vendor": "shophub-dev", "requires_shipping": true, "taxable": true, "gift_card": false,
			"grams": 0, "fulfillment_service": "manual", "tax_lines": []any{}, "applied_discounts": []any{}, "discount_codes": []any{},
		}
	}
	out := map[string]any{
		"id": c.id, "token": c.token, "cart_token": "c1-" + c.token, "email": nullable(c.email),
		"gateway": nil, "buyer_accepts_marketing": false, "created_at": s.ts(c.createdAt), "updated_at": s.ts(c.updatedAt),
		"landing_site": "/", "note": nil, "note_attributes": []any{}, "referring_site": "", "shipping_lines": []any{},
		"taxes_included": false, "total_weight": 0, "currency": c.currency, "presentment_currency": c.currency,
		"completed_at": s.ts(c.completedAt), "closed_at": nil, "user_id": nil, "location_id": nil,
		"source_identifier": nil, "source_url": nil, "device_id": nil, "phone": nil, "customer_locale": "en",
		"line_items": lines, "name": "#" + strconv.FormatInt(c.id, 10), "source": nil,
		"abandoned_checkout_url": "https://" + shop + "/" + strconv.FormatInt(c.id, 10) + "/checkouts/" + c.token + "/recover?key=" + c.token[:8],
		"discount_codes":         []any{}, "tax_lines": []any{}, "source_name": "web", "buyer_accepts_sms": false, "sms_marketing_phone": nil,
		"total_discounts": "0.00", "total_line_items_price": money(total), "total_price": money(total), "total_tax": "0.00",
		"subtotal_price": money(total), "total_duties": nil, "billing_address": nil, "shipping_address": nil, "customer": nil,
	}
	if c.customerID != 0 {
		if cu := s.customers[c.customerID]; cu != nil {
			out["customer"] = map[string]any{"id": cu.id, "email": nullable(cu.email), "first_name": nullable(cu.firstName), "last_name": nullable(cu.lastName)}
		}
	}
	return out
}

// CreateCheckout opens a checkout as a storefront does once the buyer gave
// an email: for a customer (0: a guest with email). It sends
// checkouts/create.
func (e *Emulator) CreateCheckout(customerID, email, currency string, lines ...CheckoutLine) (string, error) {
	e.mu.Lock()
	cid, email, err := e.st.buyer(customerID, email)
	if err != nil {
		e.mu.Unlock()
		return "", err
	}
	for _, l := range lines {
		if _, ok := new(big.Rat).SetString(l.Price); !ok {
			e.mu.Unlock()
			return "", fmt.Errorf("shopifytest: price %q", l.Price)
		}
	}
	if currency == "" {
		currency = "USD"
	}
	if e.st.checkouts == nil {
		e.st.checkouts = map[int64]*checkout{}
		e.st.nextCheckout = 3000000000001
	}
	now := e.st.stamp(e.opts.Now())
	co := &checkout{id: e.st.nextCheckout, customerID: cid, token: newUUID()[:32], email: email, currency: currency,
		createdAt: now, updatedAt: now, lines: append([]OrderLine(nil), lines...)}
	co.token = strings.ReplaceAll(co.token, "-", "")
	e.st.nextCheckout++
	e.st.checkouts[co.id] = co
	body := mustJSON(e.st.renderCheckout(co, e.opts.ShopDomain))
	e.mu.Unlock()
	e.enqueue("checkouts/create", body)
	return strconv.FormatInt(co.id, 10), nil
}

// UpdateCheckout replaces a checkout's lines (the buyer edited the cart)
// and sends checkouts/update.
func (e *Emulator) UpdateCheckout(id string, lines ...CheckoutLine) error {
	return e.changeCheckout(id, func(co *checkout, now int64) error {
		co.lines = append([]OrderLine(nil), lines...)
		return nil
	})
}

// CompleteCheckout turns a checkout into a paid order: the order is
// created (orders/create, orders/paid) and the checkout gets completed_at
// (checkouts/update). It returns the order id.
func (e *Emulator) CompleteCheckout(id string) (string, error) {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.RLock()
	co := e.st.checkouts[n]
	var cust, email, cur string
	var lines []OrderLine
	if co != nil {
		if co.customerID != 0 {
			cust = strconv.FormatInt(co.customerID, 10)
		}
		email, cur, lines = co.email, co.currency, co.lines
	}
	e.mu.RUnlock()
	if co == nil {
		return "", fmt.Errorf("shopifytest: no checkout %s", id)
	}
	oid, err := e.CreateOrder(cust, email, cur, true, lines...)
	if err != nil {
		return "", err
	}
	o, _ := strconv.ParseInt(oid, 10, 64)
	return oid, e.changeCheckout(id, func(co *checkout, now int64) error {
		co.completedAt, co.orderID = now, o
		return nil
	})
}

func (e *Emulator) changeCheckout(id string, fn func(co *checkout, now int64) error) error {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	co := e.st.checkouts[n]
	if co == nil {
		e.mu.Unlock()
		return fmt.Errorf("shopifytest: no checkout %s", id)
	}
	now := e.st.stamp(e.opts.Now())
	if err := fn(co, now); err != nil {
		e.mu.Unlock()
		return err
	}
	co.updatedAt = now
	body := mustJSON(e.st.renderCheckout(co, e.opts.ShopDomain))
	e.mu.Unlock()
	e.enqueue("checkouts/update", body)
	return nil
}

// Checkout returns a checkout as the REST API renders it.
func (e *Emulator) Checkout(id string) (map[string]any, bool) {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.RLock()
	defer e.mu.RUnlock()
	co := e.st.checkouts[n]
	if co == nil {
		return nil, false
	}
	return e.st.renderCheckout(co, e.opts.ShopDomain), true
}

type checkoutQuery struct {
	SinceID    int64  `json:"since_id,omitempty"`
	Status     string `json:"status,omitempty"`
	CreatedMin int64  `json:"cmin,omitempty"`
	CreatedMax int64  `json:"cmax,omitempty"`
	UpdatedMin int64  `json:"umin,omitempty"`
	UpdatedMax int64  `json:"umax,omitempty"`
	After      int64  `json:"after,omitempty"`
}

func parseCheckoutQuery(q url.Values) (checkoutQuery, string) {
	var f checkoutQuery
	if v := q.Get("since_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, "since_id"
		}
		f.SinceID = n
	}
	f.Status = q.Get("status")
	if f.Status != "" && f.Status != "open" && f.Status != "closed" {
		return f, "status"
	}
	for k, dst := range map[string]*int64{"created_at_min": &f.CreatedMin, "created_at_max": &f.CreatedMax,
		"updated_at_min": &f.UpdatedMin, "updated_at_max": &f.UpdatedMax} {
		if v := q.Get(k); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, k
			}
			*dst = t.Unix()
		}
	}
	return f, ""
}

func (f checkoutQuery) match(c *checkout) bool {
	closed := c.completedAt != 0
	switch {
	case c.id <= f.SinceID || c.id <= f.After:
		return false
	case f.Status == "closed" && !closed, f.Status != "closed" && closed:
		return false
	case f.CreatedMin != 0 && c.createdAt < f.CreatedMin, f.CreatedMax != 0 && c.createdAt > f.CreatedMax:
		return false
	case f.UpdatedMin != 0 && c.updatedAt < f.UpdatedMin, f.UpdatedMax != 0 && c.updatedAt > f.UpdatedMax:
		return false
	}
	return true
}

func (e *Emulator) listCheckouts(w http.ResponseWriter, r *http.Request, version string) {
	q := r.URL.Query()
	var f checkoutQuery
	limit, _, ok := pageRequest(w, q, &f, func(q url.Values) (bad string) {
		f, bad = parseCheckoutQuery(q)
		return bad
	}, "limit")
	if !ok {
		return
	}
	e.mu.RLock()
	var all []*checkout
	for _, c := range e.st.checkouts {
		if f.match(c) {
			all = append(all, c)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	more := len(all) > limit
	if more {
		all = all[:limit]
	}
	out := make([]any, len(all))
	for i, c := range all {
		out[i] = e.st.renderCheckout(c, e.opts.ShopDomain)
	}
	e.mu.RUnlock()
	if more {
		next := f
		next.After = all[len(all)-1].id
		base := linkBase(r, version, "checkouts.json", limit, "")
		w.Header().Set("Link", "<"+base+url.QueryEscape(encodeToken(next))+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkouts": out})
}

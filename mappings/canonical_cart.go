package mappings

import (
	"fmt"
	"strings"
)

// KindCartLines is a list of cart lines, each an object with the keys of
// CartLineKeys.
const KindCartLines Kind = "cart_lines"

// CartLineKeys are the keys of one canonical cart line: sku and title as
// strings, quantity a whole number, price the unit price as a money amount.
var CartLineKeys = []string{"sku", "title", "product_id", "variant_id", "quantity", "price"}

// CartFields is the canonical cart (a checkout or quote the customer has
// not completed yet). The shop is its only writer; the hub keeps the newest
// state and decides, from updated_at and the customer's orders, when it
// counts as abandoned.
var CartFields = []Field{
	{Name: "currency", Kind: KindCurrency, Doc: "ISO 4217 code of the amounts"},
	{Name: "total", Kind: KindMoney, Doc: "the cart's value as the shop shows it"},
	{Name: "lines", Kind: KindCartLines, Doc: "the cart's lines: sku, title, product_id, variant_id, quantity, price (unit)"},
	{Name: "customer_email", Kind: KindEmail},
	{Name: "customer_ref", Kind: KindString, Doc: "the shop's id of the customer (empty for guests)"},
	{Name: "recovery_url", Kind: KindString, Doc: "where the customer resumes the cart, if the shop has such a link"},
	{Name: "created_at", Kind: KindTime},
	{Name: "updated_at", Kind: KindTime, Doc: "the customer's last touch of the cart; abandonment counts from it"},
	{Name: "completed_at", Kind: KindTime, Doc: "set once the cart became an order"},
}

var cartFieldIndex = func() map[string]Field {
	m := make(map[string]Field, len(CartFields))
	for _, f := range CartFields {
		m[f.Name] = f
	}
	return m
}()

// CartField looks up a canonical cart field.
func CartField(name string) (Field, bool) {
	f, ok := cartFieldIndex[name]
	return f, ok
}

func cartFieldNames() []string {
	names := make([]string, len(CartFields))
	for i, f := range CartFields {
		names[i] = f.Name
	}
	return names
}

// NormalizeCart validates a canonical cart doc and returns it in normal
// form, as NormalizeOrder does for orders; lines keep only CartLineKeys,
// with quantity a whole number and price a money amount.
func NormalizeCart(in Doc) (Doc, error) {
	out := make(Doc, len(in))
	for name, v := range in {
		f, ok := cartFieldIndex[name]
		if !ok {
			return nil, &ValidationError{Field: name, Msg: "not a canonical cart field"}
		}
		var nv any
		var err error
		switch f.Kind {
		case KindMoney:
			nv, err = normalizeMoneyValue(f, v)
		case KindCurrency:
			s := strings.ToUpper(ticketString(v))
			if s != "" && (len(s) != 3 || !isASCIILetters(s)) {
				return nil, &ValidationError{Field: name, Value: s, Msg: "want an ISO 4217 code"}
			}
			nv = s
		case KindCartLines:
			nv, err = normalizeCartLines(v)
		default:
			nv, err = normalizeTicketValue(f, v)
		}
		if err != nil {
			return nil, err
		}
		out[name] = nv
	}
	return out, nil
}

func normalizeCartLines(v any) (any, error) {
	if v == nil {
		return []any{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &ValidationError{Field: "lines", Value: fmt.Sprintf("%T", v), Msg: "want a list of lines"}
	}
	out := make([]any, 0, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, &ValidationError{Field: fmt.Sprintf("lines[%d]", i), Msg: "want an object"}
		}
		line := map[string]any{}
		for k, val := range m {
			if !contains(CartLineKeys, k) {
				return nil, &ValidationError{Field: fmt.Sprintf("lines[%d].%s", i, k), Msg: "not a cart line key (want one of " + strings.Join(CartLineKeys, ", ") + ")"}
			}
			var err error
			switch k {
			case "quantity":
				line[k], err = normalizeTicketValue(Field{Name: "lines.quantity", Kind: KindInt}, val)
			case "price":
				line[k], err = normalizeMoneyValue(Field{Name: "lines.price", Kind: KindMoney}, val)
			default:
				line[k] = ticketString(val)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, line)
	}
	return out, nil
}

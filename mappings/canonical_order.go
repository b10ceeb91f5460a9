package mappings

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Order kinds beyond the ticket's.
const (
	// KindMoney is a non-negative decimal amount as a string ("199.65"),
	// the money transform's `out: amount`. Normal form: at least two and at
	// most four fraction digits, no trailing zeros past the second.
	KindMoney Kind = "money"
	// KindCurrency is an ISO 4217 code, upper-cased.
	KindCurrency Kind = "currency"
)

// Canonical order vocabularies. OrderStatuses is where the order is in its
// life (Shopware's order states; Shopify's open/closed/cancelled and
// Magento's states map onto them), OrderFinancialStatuses where its money
// is (Shopify's financial_status values; Shopware's transaction states and
// Magento's invoiced/refunded totals map onto them).
var (
	OrderStatuses          = []string{"open", "in_progress", "completed", "cancelled"}
	OrderFinancialStatuses = []string{"pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"}
	// PaymentMethods is the canonical set a shop's payment method code maps
	// onto. The vendors' vocabularies (Shopify gateway names, Shopware
	// technical names, Magento method codes, OXID oxpayments ids) live in
	// each connector's default mapping, never here.
	PaymentMethods = []string{"invoice", "prepayment", "card", "paypal", "direct_debit", "cash_on_delivery", "bnpl", "other"}
)

// KindLines is an order's line items: a list of objects with the keys of
// OrderLineKeys, each line saying what was bought and how much of it was
// refunded and returned.
const KindLines Kind = "lines"

// OrderLineKeys are the keys of one canonical order line: sku and name
// (strings), quantity, refunded_quantity and returned_quantity (whole
// numbers), total (money: the line's price times quantity, after
// discounts) and refunded (money paid back for the line).
var OrderLineKeys = []string{"sku", "name", "quantity", "total", "refunded_quantity", "returned_quantity", "refunded"}

// OrderFields is the canonical order. The shop is the only writer of its
// orders; the hub keeps the newest state of each and links it to the
// customer through customer_ref (the shop's customer id, resolved through
// the hub's links of the same instance) or customer_email.
var OrderFields = []Field{
	{Name: "number", Kind: KindString, Doc: "the order number customers and agents quote (#1001, 10023)"},
	{Name: "status", Kind: KindEnum, Enum: OrderStatuses},
	{Name: "financial_status", Kind: KindEnum, Enum: OrderFinancialStatuses},
	{Name: "currency", Kind: KindCurrency, Doc: "ISO 4217 code of the amounts"},
	{Name: "total", Kind: KindMoney, Doc: "what the customer was charged, taxes and shipping included, before refunds"},
	{Name: "refunded", Kind: KindMoney, Doc: "what was paid back so far"},
	{Name: "line_items", Kind: KindInt, Doc: "number of line items"},
	{Name: "lines", Kind: KindLines, Doc: "the line items with what was refunded and returned of each: sku, name, quantity, total, refunded_quantity, returned_quantity, refunded"},
	{Name: "payment_method", Kind: KindEnum, Enum: PaymentMethods, Doc: "the shop's payment method mapped to the canonical set"},
	{Name: "shipping_country", Kind: KindString, Doc: "ISO 3166-1 alpha-2 code of the shipping address"},
	{Name: "customer_email", Kind: KindEmail},
	{Name: "customer_ref", Kind: KindString, Doc: "the shop's id of the customer (empty for guest orders)"},
	{Name: "placed_at", Kind: KindTime},
	{Name: "cancelled_at", Kind: KindTime},
	{Name: "updated_at", Kind: KindTime},
}

var orderFieldIndex = func() map[string]Field {
	m := make(map[string]Field, len(OrderFields))
	for _, f := range OrderFields {
		m[f.Name] = f
	}
	return m
}()

// OrderField looks up a canonical order field.
func OrderField(name string) (Field, bool) {
	f, ok := orderFieldIndex[name]
	return f, ok
}

func orderFieldNames() []string {
	names := make([]string, len(OrderFields))
	for i, f := range OrderFields {
		names[i] = f.Name
	}
	return names
}

// NormalizeOrder validates a canonical order doc and returns it in normal
// form: unknown fields rejected, enums lower-cased, currency upper-cased,
// amounts as decimal strings in normal form, times in UTC. null and ""
// stay "" (the shop says the value is empty, e.g. cancelled_at of a live
// order).
func NormalizeOrder(in Doc) (Doc, error) {
	out := make(Doc, len(in))
	for name, v := range in {
		f, ok := orderFieldIndex[name]
		if !ok {
			return nil, &ValidationError{Field: name, Msg: "not a canonical order field"}
		}
		var nv any
		var err error
		switch f.Kind {
		case KindMoney:
			nv, err = normalizeMoneyValue(f, v)
		case KindLines:
			nv, err = normalizeLines(f, v)
		case KindCurrency:
			s := strings.ToUpper(ticketString(v))
			if s != "" && (len(s) != 3 || !isASCIILetters(s)) {
				return nil, &ValidationError{Field: name, Value: s, Msg: "want an ISO 4217 code"}
			}
			nv = s
		default:
			nv, err = normalizeTicketValue(f, v)
		}
		if err != nil {
			return nil, err
		}
		if name == "shipping_country" {
			s, _ := nv.(string)
			if s = strings.ToUpper(strings.TrimSpace(s)); s != "" && (len(s) != 2 || !isASCIILetters(s)) {
				return nil, &ValidationError{Field: name, Value: s, Msg: "want an ISO 3166-1 alpha-2 code"}
			}
			nv = strings.ToUpper(strings.TrimSpace(s))
		}
		out[name] = nv
	}
	return out, nil
}

// normalizeLines validates an order's lines: a list (nil: none) of objects
// with OrderLineKeys only; quantities whole numbers ≥ 0, amounts money.
func normalizeLines(f Field, v any) (any, error) {
	if v == nil {
		return []any{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &ValidationError{Field: f.Name, Msg: "want a list of line objects"}
	}
	out := make([]any, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, &ValidationError{Field: fmt.Sprintf("%s.%d", f.Name, i), Msg: "want an object"}
		}
		line := make(map[string]any, len(OrderLineKeys))
		for k, x := range m {
			sub := Field{Name: fmt.Sprintf("%s.%d.%s", f.Name, i, k)}
			var nv any
			var err error
			switch k {
			case "sku", "name":
				nv = ticketString(x)
			case "quantity", "refunded_quantity", "returned_quantity":
				sub.Kind = KindInt
				nv, err = normalizeTicketValue(sub, x)
			case "total", "refunded":
				sub.Kind = KindMoney
				nv, err = normalizeMoneyValue(sub, x)
			default:
				return nil, &ValidationError{Field: sub.Name, Msg: "not a line key (want one of " + strings.Join(OrderLineKeys, ", ") + ")"}
			}
			if err != nil {
				return nil, err
			}
			line[k] = nv
		}
		out = append(out, line)
	}
	return out, nil
}

func normalizeMoneyValue(f Field, v any) (any, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return "", nil
	case map[string]any: // the money transform's default {amount, currency}
		s = ticketString(x["amount"])
	case json.Number, float64, int, int64, string:
		s = ticketString(x)
	default:
		return nil, &ValidationError{Field: f.Name, Value: fmt.Sprint(v), Msg: "want a decimal amount"}
	}
	if s == "" {
		return "", nil
	}
	u, err := MoneyUnits(s)
	if err != nil {
		return nil, &ValidationError{Field: f.Name, Value: s, Msg: err.Error()}
	}
	if u < 0 {
		return nil, &ValidationError{Field: f.Name, Value: s, Msg: "want an amount ≥ 0"}
	}
	return FormatMoneyUnits(u), nil
}

// MoneyScale is the number of fraction digits money units carry: four
// covers every ISO 4217 currency (most have two, a few three, CLF four).
const MoneyScale = 4

const moneyUnit = 10000 // 10^MoneyScale

// MoneyUnits parses a plain decimal amount ("199.65", "-5", "0.125") into
// whole units of 10^-MoneyScale, so sums are exact integer arithmetic in
// Go and in SQL alike. More fraction digits than MoneyScale, exponents,
// grouping characters and amounts beyond ±900 billion are errors.
func MoneyUnits(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	ip, fp, hasPoint := strings.Cut(s, ".")
	if ip == "" || !allDigits(ip) || (hasPoint && (fp == "" || !allDigits(fp))) {
		return 0, fmt.Errorf("want a decimal amount like 199.65")
	}
	if len(fp) > MoneyScale {
		if strings.TrimRight(fp[MoneyScale:], "0") != "" {
			return 0, fmt.Errorf("more than %d fraction digits", MoneyScale)
		}
		fp = fp[:MoneyScale]
	}
	ip = strings.TrimLeft(ip, "0")
	if len(ip) > 12 {
		return 0, fmt.Errorf("amount too large")
	}
	fp += strings.Repeat("0", MoneyScale-len(fp))
	n, err := strconv.ParseInt(ip+fp, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a decimal amount like 199.65")
	}
	if neg {
		n = -n
	}
	return n, nil
}

// FormatMoneyUnits renders units of 10^-MoneyScale as a decimal string with
// at least two fraction digits: 1996500 → "199.65", 1250 → "0.125".
func FormatMoneyUnits(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	ip, fp := n/moneyUnit, n%moneyUnit
	frac := fmt.Sprintf("%0*d", MoneyScale, fp)
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + strconv.FormatInt(ip, 10) + "." + frac
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

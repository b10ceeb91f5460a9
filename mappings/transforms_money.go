package mappings

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Money is decimal: amounts travel as decimal strings ("1234.56") and all
// arithmetic (rounding, minor units) is done on their digits, so no binary
// floating point ever rounds a price. A JSON number is read by its shortest
// decimal form (199.65 → "199.65").

// decimal is a parsed amount: sign, integer digits (no leading zeros, at
// least "0") and fraction digits as written.
type decimal struct {
	neg       bool
	int, frac string
}

func (d decimal) String() string {
	var b strings.Builder
	if d.neg && !d.zero() {
		b.WriteByte('-')
	}
	b.WriteString(d.int)
	if d.frac != "" {
		b.WriteByte('.')
		b.WriteString(d.frac)
	}
	return b.String()
}

func (d decimal) zero() bool {
	return strings.Trim(d.int, "0") == "" && strings.Trim(d.frac, "0") == ""
}

// round rounds half away from zero to scale fraction digits (padding with
// zeros when there are fewer).
func (d decimal) round(scale int) decimal {
	if len(d.frac) <= scale {
		d.frac += strings.Repeat("0", scale-len(d.frac))
		return d
	}
	up := d.frac[scale] >= '5'
	digits := []byte(d.int + d.frac[:scale])
	if up {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		} else {
			digits[i]++
		}
	}
	n := len(digits) - scale
	return decimal{neg: d.neg, int: trimInt(string(digits[:n])), frac: string(digits[n:])}
}

// shift moves the decimal point: shift(-2) turns minor units into units.
func (d decimal) shift(places int) decimal {
	digits := d.int + d.frac
	point := len(d.int) + places
	for point <= 0 {
		digits, point = "0"+digits, point+1
	}
	for point > len(digits) {
		digits += "0"
	}
	return decimal{neg: d.neg, int: trimInt(digits[:point]), frac: digits[point:]}
}

func trimInt(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

// currencySymbols maps symbols and local abbreviations to ISO 4217 codes.
// "$" means USD: shops in other dollar countries send their code.
var currencySymbols = map[string]string{
	"€": "EUR", "$": "USD", "us$": "USD", "£": "GBP", "¥": "JPY", "fr.": "CHF", "sfr.": "CHF",
	"zł": "PLN", "kč": "CZK", "ft": "HUF", "₹": "INR", "₽": "RUB", "₺": "TRY",
}

// currencyOf turns a symbol or code into an ISO 4217 code.
func currencyOf(tok string) (string, error) {
	tok = strings.TrimSpace(tok)
	if c, ok := currencySymbols[strings.ToLower(tok)]; ok {
		return c, nil
	}
	if len(tok) == 3 && isASCIILetters(tok) {
		return strings.ToUpper(tok), nil
	}
	return "", fmt.Errorf("unknown currency %q", tok)
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// parseMoneyText reads "1.234,56 €", "EUR 1234.56", "-12,5", "1'234.50 CHF".
// sep is the decimal separator ('.' or ','); 0 decides from the text: with
// both present the last one is decimal; one that occurs once is decimal,
// one that occurs more often groups thousands.
func parseMoneyText(s string, sep byte) (decimal, string, error) {
	s = strings.TrimSpace(s)
	start := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	end := strings.LastIndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if start < 0 {
		return decimal{}, "", errors.New("not an amount")
	}
	// ".50" and "€,50" start with the separator; "Fr.50" does not.
	if start > 0 && (s[start-1] == '.' || s[start-1] == ',') {
		if r, _ := utf8.DecodeLastRuneInString(s[:start-1]); start == 1 || !unicode.IsLetter(r) {
			start--
		}
	}
	prefix, num, suffix := s[:start], s[start:end+1], strings.TrimSpace(s[end+1:])
	var d decimal
	prefix = strings.TrimSpace(prefix)
	if p, ok := strings.CutPrefix(prefix, "-"); ok {
		d.neg, prefix = true, p
	} else if p, ok := strings.CutSuffix(prefix, "-"); ok {
		d.neg, prefix = true, p
	}
	prefix = strings.TrimSpace(prefix)
	if s, ok := strings.CutSuffix(suffix, "-"); ok && !d.neg { // SAP style 12.50-
		d.neg, suffix = true, strings.TrimSpace(s)
	}
	var cur string
	switch {
	case prefix != "" && suffix != "":
		return decimal{}, "", errors.New("not an amount: currency on both sides")
	case prefix != "" || suffix != "":
		c, err := currencyOf(prefix + suffix)
		if err != nil {
			return decimal{}, "", err
		}
		cur = c
	}
	// Grouping marks: spaces (also no-break), apostrophes.
	var clean strings.Builder
	for _, r := range num {
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',':
			clean.WriteRune(r)
		case r == ' ', r == '\u00a0', r == '\u202f', r == '\'', r == '’':
		default:
			return decimal{}, "", errors.New("not an amount")
		}
	}
	num = clean.String()
	if sep == 0 {
		dots, commas := strings.Count(num, "."), strings.Count(num, ",")
		switch {
		case dots > 0 && commas > 0:
			sep = num[max(strings.LastIndexByte(num, '.'), strings.LastIndexByte(num, ','))]
		case dots == 1:
			sep = '.'
		case commas == 1:
			sep = ','
		default:
			sep = '.' // no separator, or only grouping
			if dots > 1 {
				sep = ','
			}
		}
	}
	group := byte(',')
	if sep == ',' {
		group = '.'
	}
	num = strings.ReplaceAll(num, string(group), "")
	ip, fp, _ := strings.Cut(num, string(sep))
	if strings.IndexByte(fp, sep) >= 0 || ip+fp == "" {
		return decimal{}, "", errors.New("not an amount")
	}
	d.int, d.frac = trimInt(ip), fp
	return d, cur, nil
}

// moneyOf reads any money value: text, a JSON number, or an object with
// amount (or value, price) and currency (or currency_code, currencyCode).
func moneyOf(v any, sep byte) (decimal, string, error) {
	switch x := v.(type) {
	case string:
		return parseMoneyText(x, sep)
	case json.Number:
		return parseMoneyText(x.String(), '.')
	case map[string]any:
		amount, ok := firstKey(x, "amount", "value", "price")
		if !ok {
			return decimal{}, "", errors.New("money object without amount")
		}
		d, cur, err := moneyOf(amount, 0) // object amounts: "1234.56" or a vendor's own text
		if err != nil {
			return decimal{}, "", err
		}
		if c, ok := firstKey(x, "currency", "currency_code", "currencyCode"); ok && c != nil && c != "" {
			cs, ok := c.(string)
			if !ok {
				return decimal{}, "", errors.New("currency: want a string")
			}
			if cur, err = currencyOf(cs); err != nil {
				return decimal{}, "", err
			}
		}
		return d, cur, nil
	case bool, nil:
		return decimal{}, "", errors.New("not an amount")
	}
	if _, ok := numberOf(v); ok {
		s, err := stringOf(v)
		if err != nil {
			return decimal{}, "", err
		}
		if f, isFloat := v.(float64); isFloat {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		return parseMoneyText(s, '.')
	}
	return decimal{}, "", fmt.Errorf("want an amount, got %s", typeName(v))
}

func firstKey(m map[string]any, keys ...string) (any, bool) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v, true
		}
	}
	return nil, false
}

type moneyOpts struct {
	currency  string // default currency code
	sep       byte   // decimal separator of text input, 0 = decide from the text
	outSep    byte   // decimal separator of text output
	thousands string // grouping of text output
	scale     int    // -1 = keep the digits as written
	in, out   string
}

// buildMoney: {money: {currency: EUR, decimal: ",", scale: 2, in: minor,
// out: object|amount|number|minor|text, out_decimal: ",", thousands: "."}}.
// decimal is the separator of text input (else decided from the text);
// out_decimal and thousands shape out: text. Without argument: any
// written amount → {amount: "1234.56", currency: "EUR"}.
func buildMoney(c *compiler, arg *yaml.Node) (transformFunc, error) {
	o := moneyOpts{scale: -1, in: "auto", out: "object", outSep: '.'}
	err := c.argFields(arg, "{currency, decimal, scale, in, out, out_decimal, thousands}", nil,
		func(key string, v *yaml.Node) (err error) {
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: want a scalar", key)
			}
			switch key {
			case "currency":
				o.currency, err = currencyOf(v.Value)
				return err
			case "decimal", "out_decimal":
				if v.Value != "." && v.Value != "," {
					return fmt.Errorf(`%s: want "." or ","`, key)
				}
				if key == "decimal" {
					o.sep = v.Value[0]
				} else {
					o.outSep = v.Value[0]
				}
			case "thousands":
				if utf8.RuneCountInString(v.Value) > 1 {
					return errors.New("thousands: want one character or \"\"")
				}
				o.thousands = v.Value
			case "scale":
				n, err := strconv.Atoi(v.Value)
				if err != nil || n < 0 || n > 8 {
					return errors.New("scale: want 0…8")
				}
				o.scale = n
			case "in":
				if v.Value != "auto" && v.Value != "minor" {
					return errors.New("in: want auto or minor")
				}
				o.in = v.Value
			case "out":
				switch v.Value {
				case "object", "amount", "number", "minor", "text":
				default:
					return errors.New("out: want object, amount, number, minor or text")
				}
				o.out = v.Value
			default:
				return fmt.Errorf("unknown key %q (want currency, decimal, scale, in, out, out_decimal, thousands)", key)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if o.thousands == string(o.outSep) {
		return nil, errors.New("thousands and decimal separators are the same")
	}
	return func(v any) (any, error) { return moneyT(v, o) }, nil
}

func moneyT(v any, o moneyOpts) (any, error) {
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return "", nil // cleared stays cleared
	}
	d, cur, err := moneyOf(v, o.sep)
	if err != nil {
		return nil, err
	}
	scale := o.scale
	if o.in == "minor" {
		if d.frac != "" {
			return nil, errors.New("minor units must be a whole number")
		}
		d = d.shift(-minorScale(scale))
	}
	if cur == "" {
		cur = o.currency
	}
	if scale >= 0 {
		d = d.round(scale)
	}
	switch o.out {
	case "amount":
		return d.String(), nil
	case "number":
		f, err := strconv.ParseFloat(d.String(), 64)
		if err != nil {
			return nil, err
		}
		return f, nil
	case "minor":
		m := d.round(minorScale(scale))
		n, err := strconv.ParseInt(m.int+m.frac, 10, 64)
		if err != nil || n > 1<<53 {
			return nil, errors.New("amount too large for minor units")
		}
		if m.neg {
			n = -n
		}
		return float64(n), nil
	case "text":
		return formatMoneyText(d, cur, o), nil
	}
	out := map[string]any{"amount": d.String()}
	if cur != "" {
		out["currency"] = cur
	}
	return out, nil
}

// minorScale: the scale of minor units, 2 unless given.
func minorScale(scale int) int {
	if scale < 0 {
		return 2
	}
	return scale
}

func formatMoneyText(d decimal, cur string, o moneyOpts) string {
	var b strings.Builder
	if d.neg && !d.zero() {
		b.WriteByte('-')
	}
	for i := 0; i < len(d.int); i++ {
		if i > 0 && o.thousands != "" && (len(d.int)-i)%3 == 0 {
			b.WriteString(o.thousands)
		}
		b.WriteByte(d.int[i])
	}
	if d.frac != "" {
		b.WriteByte(o.outSep)
		b.WriteString(d.frac)
	}
	if cur != "" {
		b.WriteByte(' ')
		b.WriteString(cur)
	}
	return b.String()
}

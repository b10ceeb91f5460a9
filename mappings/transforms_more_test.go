package mappings

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type transformCase struct {
	pipeline string
	in       any
	want     any // nil: want an error
}

func checkTransforms(t *testing.T, tests []transformCase) {
	t.Helper()
	for _, tc := range tests {
		got, err := runTransform(t, tc.pipeline, tc.in, Options{})
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("%s(%#v) = %#v, want an error", tc.pipeline, tc.in, got)
		case tc.want != nil && err != nil:
			t.Errorf("%s(%#v): %v", tc.pipeline, tc.in, err)
		case tc.want != nil:
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s(%#v): %s", tc.pipeline, tc.in, diff)
			}
		}
	}
}

func TestGenderTransform(t *testing.T) {
	tests := []transformCase{
		// vendor → canonical
		{"[gender]", 1.0, "male"}, // numeric codes of a registered vocabulary
		{"[gender]", "2", "female"},
		{"[gender]", 3.0, "unknown"},
		{"[gender]", "mr", "male"}, // salutation keys
		{"[gender]", "mrs", "female"},
		{"[gender]", "not_specified", "unknown"},
		{"[gender]", "MR", "male"},
		{"[gender]", "MRS", "female"},
		{"[gender]", " Herr ", "male"}, // German
		{"[gender]", "Frau", "female"},
		{"[gender]", "Divers", "diverse"},
		{"[gender]", "Ms.", "female"},
		{"[gender]", "female", "female"},
		{"[gender]", "", ""},
		{"[gender]", "Dr.", nil},
		{"[{gender: {table: {Dr: unknown, hr: male}}}]", "dr", "unknown"},
		{"[{gender: {table: {hr: male}}}]", "Hr.", "male"},
		// canonical (or any known word) → vendor
		{"[{gender: testnumbers}]", "female", 2.0},
		{"[{gender: {to: testnumbers}}]", "diverse", 3.0},
		{"[{gender: testkeys}]", "male", "mr"},
		{"[{gender: testkeys}]", "diverse", "not_specified"},
		{"[{gender: testupper}]", "female", "MRS"},
		{"[{gender: testupper}]", "unknown", ""},
		{"[{gender: de}]", "male", "Herr"},
		{"[{gender: en}]", "diverse", "Mx"},
		{"[{gender: {to: testupper, table: {diverse: MX}}}]", "diverse", "MX"},
		{"[{gender: de}]", "Mr", "Herr"},
		{"[{gender: de}]", "", ""},
	}
	checkTransforms(t, tests)
}

func TestMoneyTransform(t *testing.T) {
	obj := func(amount, cur string) map[string]any {
		m := map[string]any{"amount": amount}
		if cur != "" {
			m["currency"] = cur
		}
		return m
	}
	tests := []transformCase{
		{"[money]", "1.234,56 €", obj("1234.56", "EUR")},
		{"[money]", "1234.56", obj("1234.56", "")},
		{"[money]", "EUR 1,234.56", obj("1234.56", "EUR")},
		{"[money]", "1'234.50 CHF", obj("1234.50", "CHF")},
		{"[money]", "Fr. 12.50", obj("12.50", "CHF")},
		{"[money]", "-12,5 €", obj("-12.5", "EUR")},
		{"[money]", "€ -0,99", obj("-0.99", "EUR")},
		{"[money]", "12.50-", obj("-12.50", "")},
		{"[money]", "$.50", obj("0.50", "USD")},
		{"[money]", "1.234.567", obj("1234567", "")},
		{"[money]", "1 234 567,8 zł", obj("1234567.8", "PLN")},
		{"[money]", 199.65, obj("199.65", "")},
		{"[money]", 0.1, obj("0.1", "")},
		{"[money]", 1e21, obj("1000000000000000000000", "")},
		{"[money]", map[string]any{"amount": "19.99", "currency_code": "usd"}, obj("19.99", "USD")},
		{"[money]", map[string]any{"value": 5.0}, obj("5", "")},
		{"[{money: {currency: EUR}}]", "5", obj("5", "EUR")},
		{"[{money: {currency: EUR}}]", "5 USD", obj("5", "USD")},
		{"[{money: {decimal: '.'}}]", "1,234", obj("1234", "")},
		{"[money]", "1,234", obj("1.234", "")},
		{"[{money: {scale: 2}}]", "0.105", obj("0.11", "")},
		{"[{money: {scale: 2}}]", "-9.995", obj("-10.00", "")},
		{"[{money: {scale: 2}}]", "7", obj("7.00", "")},
		{"[{money: {scale: 0}}]", "99.5", obj("100", "")},
		{"[{money: {out: amount}}]", "1.234,56 €", "1234.56"},
		{"[{money: {out: number}}]", "1.234,56 €", 1234.56},
		{"[{money: {out: minor}}]", "1.234,56 €", 123456.0},
		{"[{money: {out: minor}}]", 0.29, 29.0}, // 0.29*100 is 28.999999999999996 in floats
		{"[{money: {out: minor, scale: 0}}]", "1234", 1234.0},
		{"[{money: {in: minor, currency: EUR}}]", 123456.0, obj("1234.56", "EUR")},
		{"[{money: {in: minor}}]", 5.0, obj("0.05", "")},
		{"[{money: {in: minor}}]", "1.5", nil},
		{"[{money: {out: text, out_decimal: ',', thousands: '.'}}]", map[string]any{"amount": "1234567.5", "currency": "EUR"}, "1.234.567,5 EUR"},
		{"[{money: {out: text}}]", "-0.5", "-0.5"},
		{"[money]", "", ""},
		{"[money]", "abc", nil},
		{"[money]", "12 € USD", nil},
		{"[money]", "1,2,3.4.5", nil},
		{"[money]", "12 XY", nil},
		{"[money]", true, nil},
		{"[{money: {decimal: ',', out: text, out_decimal: ','}}]", "1.234,5", "1234,5"},
		{"[{money: {decimal: ','}}]", map[string]any{"amount": "1234.5"}, obj("1234.5", "")},
	}
	checkTransforms(t, tests)
}

func TestDecimalRoundTrip(t *testing.T) {
	// in: minor and out: minor are exact inverses for every whole amount.
	for _, s := range []string{"0.01", "0.29", "1.10", "19.99", "1234567.89", "-4.35", "90071992547409.91"} {
		d, _, err := parseMoneyText(s, '.')
		if err != nil {
			t.Fatal(err)
		}
		m := d.round(2)
		back := decimal{neg: m.neg, int: trimInt(m.int + m.frac)}.shift(-2)
		if back.String() != s {
			t.Errorf("%s → minor → %s", s, back)
		}
	}
}

func TestLookupTables(t *testing.T) {
	src := `version: 1
resources:
  thing:
    inbound:
      fields:
        g: {from: g, transform: [{lookup: genders}]}
        h: {from: h, transform: [{map: {table: genders, default: x}}]}
        r: {from: r, transform: [{lookup: {table: genders, reverse: true}}]}
        d: {from: d, transform: [{lookup: {table: genders, default: other}}]}
        l: {from: l, transform: [{lookup: genders}]}
tables:
  genders: {1: male, 2: female}
`
	m := mustCompile(t, src, Options{})
	got, err := m.Inbound("thing", map[string]any{"g": 1.0, "h": "9", "r": "female", "d": "7", "l": []any{"2", 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	want := Doc{"g": "male", "h": "x", "r": "2", "d": "other", "l": []any{"female", "male"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if _, err := m.Inbound("thing", map[string]any{"g": "5"}); err == nil || !strings.Contains(err.Error(), "mapping.yaml:6: field g (from g = 5): no mapping for this value") {
		t.Errorf("unmatched: %v", err)
	}

	bad := []struct{ src, want string }{
		{"tables: {t: {a: 1}}\n" + fieldsYAML("a: {from: a, transform: [{lookup: nope}]}"), `mapping.yaml:7: field a: transform lookup: unknown table "nope" (want one of t)`},
		{fieldsYAML("a: {from: a, transform: [{map: {table: nope}}]}"), `unknown table "nope" (the file defines none)`},
		{"tables: {t: {a: 1, b: 1}}\n" + fieldsYAML("a: {from: a, transform: [{lookup: {table: t, reverse: true}}]}"), `table "t" cannot be reversed: "a" and "b" both map to "1"`},
		{"tables: {t: [a]}\n" + fieldsYAML("a: a"), "mapping.yaml:1: field tables.t: want a table"},
		{fieldsYAML("a: {from: a, transform: [lookup]}"), "needs a table name"},
		{"tables: {t: {a: 1}}\n" + fieldsYAML("a: {from: a, transform: [{lookup: {table: t, revers: true}}]}"), `unknown key "revers"`},
	}
	for _, tc := range bad {
		_, err := Compile("mapping.yaml", []byte(tc.src), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func TestGenderCanonicalField(t *testing.T) {
	m := mustCompile(t, `version: 1
resources:
  customer:
    inbound:
      fields:
        gender: {from: salutation, transform: [gender]}
    outbound:
      fields:
        salutationKey: {from: gender, transform: [{gender: testkeys}]}
`, Options{})
	doc, err := m.Inbound("customer", map[string]any{"salutation": "Frau"})
	if err != nil {
		t.Fatal(err)
	}
	if doc["gender"] != "female" {
		t.Errorf("gender %v", doc["gender"])
	}
	out, err := m.Outbound("customer", doc)
	if err != nil || out["salutationKey"] != "mrs" {
		t.Errorf("outbound %v %v", out, err)
	}
	if _, err := NormalizeCustomer(Doc{"gender": "Frau"}); err == nil {
		t.Error("gender outside the vocabulary: want a validation error")
	}
}

package mappings

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRules(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		record string
		opts   Options
		want   Doc
	}{
		{"from", "a: {from: x.y}", `{"x":{"y":"v"}}`, Options{}, Doc{"a": "v"}},
		{"shorthand", "a: x.y", `{"x":{"y":"v"}}`, Options{}, Doc{"a": "v"}},
		{"list index", "a: {from: l.1.c}", `{"l":[{"c":"0"},{"c":"1"}]}`, Options{}, Doc{"a": "1"}},
		{"index out of range is absent", "a: {from: l.5.c}", `{"l":[{"c":"0"}]}`, Options{}, Doc{}},
		{"absent", "a: {from: missing}", `{}`, Options{}, Doc{}},
		{"through null is absent", "a: {from: x.y}", `{"x":null}`, Options{}, Doc{}},
		{"null clears", "a: {from: x}", `{"x":null}`, Options{}, Doc{"a": ""}},
		{"empty clears", "a: {from: x}", `{"x":""}`, Options{}, Doc{"a": ""}},
		{"number kept", "a: {from: x}", `{"x":5}`, Options{}, Doc{"a": 5.0}},
		{"fallback first non-empty", "a: {from: [x, y, z]}", `{"x":"","y":null,"z":"z"}`, Options{}, Doc{"a": "z"}},
		{"fallback all empty clears", "a: {from: [x, y, z]}", `{"x":"","y":null}`, Options{}, Doc{"a": ""}},
		{"fallback all absent", "a: {from: [x, y]}", `{}`, Options{}, Doc{}},
		{"const", "a: {const: 7}\nb: {const: [x, 1]}\nc: {const: null}", `{}`, Options{}, Doc{"a": 7.0, "b": []any{"x", 1.0}, "c": nil}},
		{"default on absent", "a: {from: x, default: d}", `{}`, Options{}, Doc{"a": "d"}},
		{"default on null", "a: {from: x, default: d}", `{"x":null}`, Options{}, Doc{"a": "d"}},
		{"default not on value", "a: {from: x, default: d}", `{"x":"v"}`, Options{}, Doc{"a": "v"}},
		{"default alone", "a: {default: 1}", `{}`, Options{}, Doc{"a": 1.0}},
		{"default then transform", "a: {from: x, default: ' d ', transform: [trim]}", `{}`, Options{}, Doc{"a": "d"}},
		{"expr vars", `a: {expr: "first + ' ' + last"}`, `{"first":"A","last":"B"}`, Options{}, Doc{"a": "A B"}},
		{"expr source", `a: {expr: "source.x * 2"}`, `{"x":2}`, Options{}, Doc{"a": 4.0}},
		{"expr value", `a: {from: x, expr: "value + '!'"}`, `{"x":"hi"}`, Options{}, Doc{"a": "hi!"}},
		{"expr value absent skips", `a: {from: x, expr: "value + '!'"}`, `{}`, Options{}, Doc{}},
		{"expr settings", `a: {expr: "settings.shop"}`, `{}`, Options{Settings: map[string]any{"shop": "s1"}}, Doc{"a": "s1"}},
		{"expr builtin-named keys", `a: {expr: "first + ' ' + last + ' ' + type"}`, `{"first":"A","last":"B","type":"C"}`, Options{}, Doc{"a": "A B C"}},
		{"expr builtin call", `a: {expr: "upper(first(l)) + string(len(l))"}`, `{"l":["x","y"]}`, Options{}, Doc{"a": "X2"}},
		{"expr nil is absent", `a: {expr: "nope"}`, `{}`, Options{}, Doc{}},
		{"expr nil then default", `a: {expr: "nope", default: d}`, `{}`, Options{}, Doc{"a": "d"}},
		{"when true", `a: {from: x, when: "y == 1"}`, `{"x":"v","y":1}`, Options{}, Doc{"a": "v"}},
		{"when false", `a: {from: x, when: "y == 1"}`, `{"x":"v","y":2}`, Options{}, Doc{}},
		{"when sees value", `a: {from: x, when: "value != ''"}`, `{"x":""}`, Options{}, Doc{}},
		{"when false beats default", `a: {from: x, default: d, when: "false"}`, `{}`, Options{}, Doc{}},
		{"transform pipeline", "a: {from: x, transform: [trim, upper]}", `{"x":" ab "}`, Options{}, Doc{"a": "AB"}},
		{"transform single", "a: {from: x, transform: lower}", `{"x":"AB"}`, Options{}, Doc{"a": "ab"}},
		{"transform not on absent", "a: {from: x, transform: [email]}", `{}`, Options{}, Doc{}},
		{"object", "a:\n  object:\n    p: x\n    q: {const: 1}", `{"x":"v"}`, Options{}, Doc{"a": map[string]any{"p": "v", "q": 1.0}}},
		{"object relative", "a:\n  from: o\n  object:\n    p: x", `{"o":{"x":"v"},"x":"top"}`, Options{}, Doc{"a": map[string]any{"p": "v"}}},
		{"object all absent", "a:\n  from: o\n  object:\n    p: x", `{"o":{}}`, Options{}, Doc{}},
		{"object from absent", "a:\n  from: o\n  object:\n    p: {const: 1}", `{}`, Options{}, Doc{}},
		{"object from null clears", "a:\n  from: o\n  object:\n    p: x", `{"o":null}`, Options{}, Doc{"a": nil}},
		{"object drops absent keys", "a:\n  object:\n    p: x\n    q: y", `{"x":"v"}`, Options{}, Doc{"a": map[string]any{"p": "v"}}},
		{"nested object", "a:\n  from: o\n  object:\n    in:\n      from: i\n      object:\n        z: z", `{"o":{"i":{"z":"deep"}}}`, Options{}, Doc{"a": map[string]any{"in": map[string]any{"z": "deep"}}}},
		{"each", "a:\n  from: l\n  each:\n    object:\n      n: name", `{"l":[{"name":"x"},{"other":1},{"name":"y"}]}`, Options{}, Doc{"a": []any{map[string]any{"n": "x"}, map[string]any{"n": "y"}}}},
		{"each item itself", "a:\n  from: l\n  each: {transform: [upper]}", `{"l":["a","b"]}`, Options{}, Doc{"a": []any{"A", "B"}}},
		{"each from", "a:\n  from: l\n  each: {from: name}", `{"l":[{"name":"x"},{}]}`, Options{}, Doc{"a": []any{"x"}}},
		{"each when", "a:\n  from: l\n  each: {from: n, when: \"ok\"}", `{"l":[{"n":1,"ok":true},{"n":2,"ok":false}]}`, Options{}, Doc{"a": []any{1.0}}},
		{"each empty list", "a:\n  from: l\n  each: {from: n}", `{"l":[]}`, Options{}, Doc{"a": []any{}}},
		{"each php empty object", "a:\n  from: l\n  each: {from: n}", `{"l":{}}`, Options{}, Doc{"a": []any{}}},
		{"each null clears", "a:\n  from: l\n  each: {from: n}", `{"l":null}`, Options{}, Doc{"a": nil}},
		{"pick first", "a:\n  from: l\n  pick: first\n  object:\n    c: city", `{"l":[{"city":"A"},{"city":"B"}]}`, Options{}, Doc{"a": map[string]any{"c": "A"}}},
		{"pick expr", "a:\n  from: l\n  pick: \"default == true\"\n  object:\n    c: city", `{"l":[{"city":"A"},{"city":"B","default":true}]}`, Options{}, Doc{"a": map[string]any{"c": "B"}}},
		{"pick item var", "a:\n  from: l\n  pick: \"item.k == 'x'\"\n  transform: [{join: '-'}]", `{"l":[["a"],{"k":"x"}]}`, Options{}, nil},
		{"pick none is absent", "a:\n  from: l\n  pick: \"default\"\n  object:\n    c: city", `{"l":[{"city":"A"}]}`, Options{}, Doc{}},
		{"pick scalar list", "a:\n  from: l\n  pick: first\n  transform: [upper]", `{"l":["x","y"]}`, Options{}, Doc{"a": "X"}},
		{"list", "a:\n  list:\n    - x\n    - {const: c}\n    - missing", `{"x":"v"}`, Options{}, Doc{"a": []any{"v", "c"}}},
		{"list flattens", "a:\n  list:\n    - {from: t, transform: [split]}\n    - {const: shop}", `{"t":"a, b"}`, Options{}, Doc{"a": []any{"a", "b", "shop"}}},
		{"list all absent", "a:\n  list:\n    - x\n    - y", `{}`, Options{}, Doc{}},
		{"required present", "a: {from: x, required: true}", `{"x":""}`, Options{}, Doc{"a": ""}},
		{"yaml anchors", "a: {from: x, transform: &t [trim, upper]}\nb: {from: y, transform: *t}", `{"x":" p ","y":" q "}`, Options{}, Doc{"a": "P", "b": "Q"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustCompile(t, fieldsYAML(tc.fields), tc.opts)
			got, err := m.Inbound("thing", decodeJSON(t, tc.record))
			if tc.want == nil {
				if err == nil {
					t.Fatalf("want an error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	m := mustCompile(t, fieldsYAML("id: {from: [id, uuid], required: true}"), Options{})
	_, err := m.Inbound("thing", map[string]any{})
	var me *Error
	if !errors.As(err, &me) || !errors.Is(err, errRequired) {
		t.Fatalf("want required *Error, got %v", err)
	}
	if want := "mapping.yaml:6: field id: required value is absent"; err.Error() != want {
		t.Errorf("got %q want %q", err, want)
	}
}

func TestSkipWhen(t *testing.T) {
	src := "version: 1\nresources:\n  thing:\n    inbound:\n      skip_when: \"kind == 'test'\"\n      fields:\n        a: x\n"
	m := mustCompile(t, src, Options{})
	if _, err := m.Inbound("thing", map[string]any{"kind": "test"}); !errors.Is(err, ErrSkip) {
		t.Errorf("want ErrSkip, got %v", err)
	}
	if _, err := m.Inbound("thing", map[string]any{"kind": "real", "x": 1.0}); err != nil {
		t.Error(err)
	}
	if _, err := m.Inbound("other", nil); err == nil {
		t.Error("unknown resource: want error")
	}
	if _, err := m.Outbound("thing", Doc{}); err == nil {
		t.Error("no outbound: want error")
	}
}

func TestOutboundPaths(t *testing.T) {
	src := `version: 1
resources:
  thing:
    outbound:
      fields:
        a.b.c: x
        a.b.d: {const: 1}
        a.e: {from: missing}
        top: {from: y, transform: [upper]}
`
	m := mustCompile(t, src, Options{})
	got, err := m.Outbound("thing", Doc{"x": "v", "y": "w"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": map[string]any{"b": map[string]any{"c": "v", "d": 1.0}}, "top": "W"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCustomerValidationWrapped(t *testing.T) {
	src := "version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        preferred_channel: {from: ch}\n        billing_address:\n          object:\n            country: {from: cc}\n"
	m := mustCompile(t, src, Options{})
	for _, tc := range []struct {
		rec   string
		field string
		line  int
	}{
		{`{"ch":"fax"}`, "preferred_channel", 6},
		{`{"cc":"DEU"}`, "billing_address.country", 9},
	} {
		_, err := m.Inbound("customer", decodeJSON(t, tc.rec))
		var me *Error
		var ve *ValidationError
		if !errors.As(err, &me) || !errors.As(err, &ve) {
			t.Fatalf("want *Error wrapping *ValidationError, got %T %v", err, err)
		}
		if me.Field != tc.field || me.Line != tc.line {
			t.Errorf("%s: got field %q line %d, want %q %d (%v)", tc.rec, me.Field, me.Line, tc.field, tc.line, err)
		}
	}
}

// Const values are shared by every record: the in-place normalization of
// Inbound must never write into them, nor into the caller's record.
func TestInboundDoesNotMutateSharedValues(t *testing.T) {
	src := "version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        billing_address: {const: {city: ' Berlin ', zip: ''}}\n        shipping_address: {from: addr}\n"
	m := mustCompile(t, src, Options{})
	rec := decodeJSON(t, `{"addr":{"city":" Bonn ","zip":null}}`)
	for i := 0; i < 2; i++ {
		doc, err := m.Inbound("customer", rec)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Doc{"billing_address": map[string]any{"city": "Berlin"}, "shipping_address": map[string]any{"city": "Bonn"}}, doc); diff != "" {
			t.Fatal(diff)
		}
	}
	if diff := cmp.Diff(decodeJSON(t, `{"addr":{"city":" Bonn ","zip":null}}`), rec); diff != "" {
		t.Errorf("record mutated: %s", diff)
	}
}

package mappings

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFastExprMatchesVM: wherever the native evaluator answers, it answers
// what expr's VM answers (value, or that there is an error).
func TestFastExprMatchesVM(t *testing.T) {
	exprs := []string{
		"source.a != nil", "source.a == nil", "nil == source.a", "source.a == 'x'", "source.a != 'x'",
		"'x' == source.a", "source.a == true", "source.a.b != nil", "source.a?.b == nil", "source?.a?.b.c",
		"a == 'x'", "a != nil && b == 'y'", "a == nil || b == nil", "!(a == nil)", "not (a == 'x')",
		"a", "source.a", "a.b", "a?.b", "value != 'n/a'", "value == nil", "settings.s == true",
		"settings.missing == nil", "first == 'x'", "type == nil", "a && b", "a || b", "!a",
		"source.a == source.b", "a == b", "item.a == 'x'", "item == nil",
		"a == nil ? 'x' : b", "hasPrefix(a, 'x')", "hasSuffix(a, b)", "a != nil && hasPrefix(a, 'x') ? a + 'z' : nil",
		"a == 'x' || len(b) > 0", "a == nil && b + 1 > 0", "a ? 'y' : 'n'",
		"value != nil && hasPrefix(value, 'ERP customer number: ') ? trim(value[21:]) : nil",
	}
	values := []any{nil, "x", "y", "", "xz", "ERP customer number: 7", true, false, 1.0, 0.0, map[string]any{"b": "x", "c": nil}, map[string]any{}, []any{"x"}, []string(nil), Doc{"b": nil}}
	m := &Mapping{settings: map[string]any{"s": true}}
	st := &state{env: map[string]any{}}
	n := 0
	for _, itemScope := range []bool{false, true} {
		for _, text := range exprs {
			p, err := compileExpr(text, 1, itemScope)
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			if p.fast == nil {
				continue
			}
			for _, a := range values {
				for _, b := range values {
					src := map[string]any{"a": a, "b": b, "first": a, "type": b}
					for _, vars := range []any{src, a} {
						want, werr := m.runVM(st, p, vars, src, b, true)
						st.fe = fastEnv{m: m, vars: vars, src: src, value: b, hasValue: true}
						got, ok := p.fast(&st.fe)
						if !ok {
							continue
						}
						n++
						if werr != nil {
							t.Errorf("%s (item %v) a=%#v b=%#v: fast says %#v, VM errs %v", text, itemScope, a, b, got, werr)
							continue
						}
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("%s (item %v) a=%#v b=%#v: fast %#v, VM %#v", text, itemScope, a, b, got, want)
						}
					}
				}
			}
		}
	}
	if n < 1000 {
		t.Errorf("only %d fast answers compared", n)
	}
	for _, text := range []string{"source.a != nil", "a == 'x' && !(b == nil)", "settings.x == nil", "a == nil ? nil : len(a)", "a == nil || len(a) > 0"} {
		if p, _ := compileExpr(text, 1, false); p.fast == nil {
			t.Errorf("%s: want a fast evaluator", text)
		}
	}
	for _, text := range []string{"a + 'x'", "len(a) > 0", "$env.a == nil", "a ?? 'x'"} {
		if p, _ := compileExpr(text, 1, false); p.fast != nil {
			t.Errorf("%s: unexpected fast evaluator", text)
		}
	}
}

// The `source.key` rewrite keeps the old behaviour where the source is not
// an object: the member access is an error there, as expr reports it.
func TestSourceMemberRewrite(t *testing.T) {
	m := mustCompile(t, fieldsYAML(`
a: {from: l, each: {expr: "source.x + 'y'"}}
b: {expr: "source.x + source['y']"}
c: {expr: "(let source = {x: 'let'}; source.x)"}
`), Options{})
	doc, err := m.Inbound("thing", map[string]any{"x": "1", "y": "2", "l": []any{map[string]any{"x": "i"}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Doc{"a": []any{"iy"}, "b": "12", "c": "let"}, doc); diff != "" {
		t.Error(diff)
	}
	if _, err := m.Inbound("thing", map[string]any{"x": "1", "y": "2", "l": []any{"scalar"}}); err == nil {
		t.Error("source.x on a scalar item: want an error")
	}
}

package mappings

import (
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Running expr's VM costs far more than the conditions most mappings write
// (`source.default_address != nil`, `state == 'disabled'`, `a && !b`). For
// that small family (plus `?:`, hasPrefix and hasSuffix) the compiled AST
// is also turned into a tree of Go closures; a branch or right-hand side
// outside it sends only the records that reach it to the VM. Like fastE164, a fast evaluator either answers exactly what the
// VM would, or says "ask the VM" (ok=false) — never something else.
// TestFastExprMatchesVM checks that on a table of expressions and values.

// fastEnv is what a native evaluation sees; the same bindings run() gives
// the VM.
type fastEnv struct {
	m        *Mapping
	vars     any // object whose keys are variables
	src      any // `source`
	value    any
	hasValue bool
}

type fastFn func(e *fastEnv) (v any, ok bool)

// compileFast returns nil when the expression is outside the family.
func compileFast(n ast.Node, itemScope bool) fastFn {
	switch x := n.(type) {
	case *ast.NilNode:
		return func(*fastEnv) (any, bool) { return nil, true }
	case *ast.BoolNode:
		b := any(x.Value)
		return func(*fastEnv) (any, bool) { return b, true }
	case *ast.StringNode:
		s := any(x.Value)
		return func(*fastEnv) (any, bool) { return s, true }
	case *ast.ChainNode:
		return compileFast(x.Node, itemScope)
	case *ast.IdentifierNode:
		return fastIdent(x.Value, itemScope)
	case *ast.MemberNode:
		key, ok := x.Property.(*ast.StringNode)
		if !ok || x.Method {
			return nil
		}
		base := compileFast(x.Node, itemScope)
		if base == nil {
			return nil
		}
		k, optional := key.Value, x.Optional
		return func(e *fastEnv) (any, bool) {
			b, ok := base(e)
			if !ok {
				return nil, false
			}
			switch o := b.(type) {
			case map[string]any:
				return o[k], true
			case Doc:
				return o[k], true
			case nil:
				if optional {
					return nil, true
				}
			}
			return nil, false // errors and other kinds: the VM decides
		}
	case *ast.UnaryNode:
		if x.Operator != "!" && x.Operator != "not" {
			return nil
		}
		sub := compileFast(x.Node, itemScope)
		if sub == nil {
			return nil
		}
		return func(e *fastEnv) (any, bool) {
			v, ok := sub(e)
			b, isBool := v.(bool)
			if !ok || !isBool {
				return nil, false
			}
			return !b, true
		}
	case *ast.ConditionalNode:
		// cond ? a : b — a branch outside the family sends only the
		// records that take it to the VM.
		cond := compileFast(x.Cond, itemScope)
		a, b := compileFast(x.Exp1, itemScope), compileFast(x.Exp2, itemScope)
		if cond == nil || (a == nil && b == nil) {
			return nil
		}
		return func(e *fastEnv) (any, bool) {
			c, ok := cond(e)
			yes, isBool := c.(bool)
			if !ok || !isBool {
				return nil, false
			}
			branch := b
			if yes {
				branch = a
			}
			if branch == nil {
				return nil, false
			}
			return branch(e)
		}
	case *ast.BuiltinNode:
		if (x.Name != "hasPrefix" && x.Name != "hasSuffix") || len(x.Arguments) != 2 {
			return nil
		}
		sf, af := compileFast(x.Arguments[0], itemScope), compileFast(x.Arguments[1], itemScope)
		if sf == nil || af == nil {
			return nil
		}
		suffix := x.Name == "hasSuffix"
		return func(e *fastEnv) (any, bool) {
			sv, ok1 := sf(e)
			av, ok2 := af(e)
			s, isStr1 := sv.(string)
			a, isStr2 := av.(string)
			if !ok1 || !ok2 || !isStr1 || !isStr2 {
				return nil, false // the VM reports the type error
			}
			if suffix {
				return strings.HasSuffix(s, a), true
			}
			return strings.HasPrefix(s, a), true
		}
	case *ast.BinaryNode:
		l, r := compileFast(x.Left, itemScope), compileFast(x.Right, itemScope)
		if l == nil {
			return nil
		}
		if r == nil && x.Operator != "&&" && x.Operator != "and" && x.Operator != "||" && x.Operator != "or" {
			return nil
		}
		switch x.Operator {
		case "==", "!=":
			neg := x.Operator == "!="
			return func(e *fastEnv) (any, bool) {
				a, ok := l(e)
				if !ok {
					return nil, false
				}
				b, ok := r(e)
				if !ok {
					return nil, false
				}
				eq, ok := fastEqual(a, b)
				if !ok {
					return nil, false
				}
				return eq != neg, true
			}
		case "&&", "and", "||", "or":
			or := x.Operator == "||" || x.Operator == "or"
			return func(e *fastEnv) (any, bool) {
				a, ok := l(e)
				ab, isBool := a.(bool)
				if !ok || !isBool {
					return nil, false
				}
				if ab == or { // true || …, false && …
					return ab, true
				}
				if r == nil {
					return nil, false // the right side needs the VM
				}
				b, ok := r(e)
				if _, isBool := b.(bool); !ok || !isBool {
					return nil, false
				}
				return b, true
			}
		}
	}
	return nil
}

func fastIdent(name string, itemScope bool) fastFn {
	switch {
	case name == "source":
		return func(e *fastEnv) (any, bool) { return e.src, true }
	case name == "settings":
		return func(e *fastEnv) (any, bool) { return e.m.settings, true }
	case name == "value" && !itemScope:
		return func(e *fastEnv) (any, bool) {
			if e.hasValue {
				return e.value, true
			}
			return nil, true
		}
	case name == "item" && itemScope:
		return func(e *fastEnv) (any, bool) { return e.vars, true }
	case name == "$env":
		return nil
	}
	if key, ok := cutPrefix(name, srcPrefix); ok {
		return func(e *fastEnv) (any, bool) { return fieldOf(e.src, key) }
	}
	key, _ := cutPrefix(name, recPrefix)
	return func(e *fastEnv) (any, bool) {
		v, _ := fieldOf(e.vars, key)
		return v, true // run() binds nothing for a non-object: undefined is nil
	}
}

// fieldOf reads a key of an object; ok is false for non-objects.
func fieldOf(o any, key string) (any, bool) {
	switch x := o.(type) {
	case map[string]any:
		return x[key], true
	case Doc:
		return x[key], true
	}
	return nil, false
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

// fastEqual is runtime.Equal for the cases that need no reflection: nil
// against anything, string against string, bool against bool, and a
// string or bool against a value of another kind.
func fastEqual(a, b any) (bool, bool) {
	if a == nil {
		return runtime.IsNil(b), true
	}
	if b == nil {
		return runtime.IsNil(a), true
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y, isPlainScalar(b)
	case bool:
		y, ok := b.(bool)
		return ok && x == y, isPlainScalar(b)
	}
	switch b.(type) {
	case string, bool:
		return false, isPlainScalar(a)
	}
	return false, false
}

// isPlainScalar: values whose equality with a string or bool is decided by
// their type alone (numbers never equal a string in expr).
func isPlainScalar(v any) bool {
	switch v.(type) {
	case string, bool, float64, int, int64, map[string]any, []any, []string:
		return true
	}
	return false
}

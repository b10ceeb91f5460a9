package mappings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm"
)

// program is a compiled expression plus the variables it reads, so that a
// run binds only those instead of copying the whole record into an env.
type program struct {
	text   string
	line   int
	prog   *vm.Program
	idents []string // env names of the variables read from the current source (or item)
	keys   []string // the source keys they come from (idents minus recPrefix)
	source bool     // uses `source`
	value  bool     // uses `value`
	item   bool     // uses `item`
	sets   bool     // uses `settings`
	dollar bool     // uses `$env`: gets a private, complete env

	// srcIdents are variables standing for `source.<key>` (srcKeys): the
	// compiler rewrote the member access into a variable so that a run
	// binds it with one map lookup instead of expr's reflective Fetch,
	// which allocates. fallback is the unrewritten program, run when the
	// source is not an object (where `source.x` must fail as before).
	srcIdents []string
	srcKeys   []string
	fallback  *vm.Program
	fast      fastFn // native evaluation of simple conditions, see fastexpr.go
}

type identCollector struct{ names map[string]bool }

// recPrefix renames record keys that collide with expr builtins (first,
// last, date, type, …): the record's key wins over the builtin, because the
// grammar promises every top-level key as a variable. Calls keep the
// builtin: `first(tags)` still works.
const recPrefix = "__rec_"

var builtinNames = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range builtin.Builtins {
		m[f.Name] = true
	}
	return m
}()

// calleeCollector finds identifiers used as callees and let-bound names;
// builtinRenamer then renames the other builtin-named identifiers.
type calleeCollector struct {
	callees map[ast.Node]bool
	lets    map[string]bool
}

func (c *calleeCollector) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.CallNode:
		c.callees[x.Callee] = true
	case *ast.VariableDeclaratorNode:
		c.lets[x.Name] = true
	}
}

type builtinRenamer struct{ c *calleeCollector }

func (r builtinRenamer) Visit(n *ast.Node) {
	id, ok := (*n).(*ast.IdentifierNode)
	if !ok || !builtinNames[id.Value] || r.c.callees[*n] || r.c.lets[id.Value] {
		return
	}
	ast.Patch(n, &ast.IdentifierNode{Value: recPrefix + id.Value})
}

// srcPrefix names the variables that stand for `source.<key>`.
const srcPrefix = "__src_"

// sourceMemberRewriter turns `source.key` (and `source?.key`,
// `source["key"]`) into the variable __src_key.
type sourceMemberRewriter struct{ c *calleeCollector }

func (r sourceMemberRewriter) Visit(n *ast.Node) {
	m, ok := (*n).(*ast.MemberNode)
	if !ok || m.Method || r.c.callees[*n] || r.c.lets["source"] {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || id.Value != "source" {
		return
	}
	key, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	ast.Patch(n, &ast.IdentifierNode{Value: srcPrefix + key.Value})
}

func (c *identCollector) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		c.names[id.Value] = true
	}
}

// compileExpr compiles once; every record then only runs the bytecode.
func compileExpr(text string, line int, itemScope bool) (p *program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("expression %q: %v", text, r)
		}
	}()
	compile := func(rewrite bool) (*vm.Program, error) {
		cc := &calleeCollector{callees: map[ast.Node]bool{}, lets: map[string]bool{}}
		opts := []expr.Option{expr.Env(map[string]any{}), expr.AllowUndefinedVariables(),
			expr.Patch(cc), expr.Patch(builtinRenamer{cc})}
		if rewrite {
			opts = append(opts, expr.Patch(sourceMemberRewriter{cc}))
		}
		return expr.Compile(text, opts...)
	}
	// $env must see `source` itself, so such expressions stay unrewritten.
	rewrite := !strings.Contains(text, "$env")
	prog, err := compile(rewrite)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", text, err)
	}
	p = &program{text: text, line: line, prog: prog}
	c := &identCollector{names: map[string]bool{}}
	node := prog.Node()
	ast.Walk(&node, c)
	for _, name := range sortedKeys(c.names) {
		if key, ok := strings.CutPrefix(name, srcPrefix); ok {
			p.srcIdents = append(p.srcIdents, name)
			p.srcKeys = append(p.srcKeys, key)
			continue
		}
		switch name {
		case "source":
			p.source = true
		case "value":
			if !itemScope {
				p.value = true
				continue
			}
			p.idents = append(p.idents, name)
		case "item":
			if itemScope {
				p.item = true
				continue
			}
			p.idents = append(p.idents, name)
		case "settings":
			p.sets = true
		case "$env":
			p.dollar = true
		default:
			p.idents = append(p.idents, name)
		}
	}
	if len(p.srcIdents) > 0 {
		if p.fallback, err = compile(false); err != nil {
			return nil, fmt.Errorf("expression %q: %w", text, err)
		}
	}
	if !p.dollar {
		p.fast = compileFast(prog.Node(), itemScope)
	}
	sort.Strings(p.idents)
	p.keys = make([]string, len(p.idents))
	for i, id := range p.idents {
		p.keys[i] = strings.TrimPrefix(id, recPrefix)
	}
	return p, nil
}

// run evaluates p. vars is the object whose keys are variables (the current
// source, or the item for pick); src is bound as `source`, value as `value`
// and vars as `item` when the program is in item scope.
func (m *Mapping) run(st *state, p *program, vars, src, value any, hasValue bool) (any, error) {
	if p.fast != nil {
		st.fe = fastEnv{m: m, vars: vars, src: src, value: value, hasValue: hasValue}
		v, ok := p.fast(&st.fe)
		st.fe = fastEnv{}
		if ok {
			return v, nil
		}
	}
	return m.runVM(st, p, vars, src, value, hasValue)
}

func (m *Mapping) runVM(st *state, p *program, vars, src, value any, hasValue bool) (any, error) {
	env := st.env
	if p.dollar {
		env = make(map[string]any, 8)
		if mv, ok := vars.(map[string]any); ok {
			for k, v := range mv {
				env[k] = v
			}
		}
	}
	if mv, ok := vars.(map[string]any); ok {
		for i, k := range p.keys {
			if v, ok := mv[k]; ok {
				env[p.idents[i]] = v
			}
		}
	} else if d, ok := vars.(Doc); ok {
		for i, k := range p.keys {
			if v, ok := d[k]; ok {
				env[p.idents[i]] = v
			}
		}
	}
	prog := p.prog
	if len(p.srcIdents) > 0 {
		switch s := src.(type) {
		case map[string]any:
			bindKeys(env, s, p.srcIdents, p.srcKeys)
		case Doc:
			bindKeys(env, s, p.srcIdents, p.srcKeys)
		default:
			prog = p.fallback
			env["source"] = src
		}
	}
	if p.source || p.dollar {
		env["source"] = src
	}
	if (p.value || p.dollar) && hasValue {
		env["value"] = value
	}
	if p.item || p.dollar {
		env["item"] = vars
	}
	if p.sets || p.dollar {
		env["settings"] = m.settings
	}
	out, err := st.vm.Run(prog, env)
	if !p.dollar {
		clear(env)
	}
	return out, err
}

func bindKeys[M ~map[string]any](env map[string]any, src M, idents, keys []string) {
	for i, k := range keys {
		if v, ok := src[k]; ok {
			env[idents[i]] = v
		}
	}
}

func (m *Mapping) runBool(st *state, p *program, src, value any, hasValue bool) (bool, error) {
	out, err := m.run(st, p, src, src, value, hasValue)
	if err != nil {
		return false, err
	}
	return truth(out)
}

func truth(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case nil:
		return false, nil
	}
	return false, fmt.Errorf("condition returned %s, want a boolean", typeName(v))
}

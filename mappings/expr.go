package mappings

import (
	"fmt"
	"sort"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// program is a compiled expression plus the variables it reads, so that a
// run binds only those instead of copying the whole record into an env.
type program struct {
	text   string
	line   int
	prog   *vm.Program
	idents []string // identifiers looked up in the current source (or item)
	source bool     // uses `source`
	value  bool     // uses `value`
	item   bool     // uses `item`
	sets   bool     // uses `settings`
	dollar bool     // uses `$env`: gets a private, complete env
}

type identCollector struct{ names map[string]bool }

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
	prog, err := expr.Compile(text, expr.Env(map[string]any{}), expr.AllowUndefinedVariables())
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", text, err)
	}
	p = &program{text: text, line: line, prog: prog}
	c := &identCollector{names: map[string]bool{}}
	node := prog.Node()
	ast.Walk(&node, c)
	for _, name := range sortedKeys(c.names) {
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
	sort.Strings(p.idents)
	return p, nil
}

// run evaluates p. vars is the object whose keys are variables (the current
// source, or the item for pick); src is bound as `source`, value as `value`
// and vars as `item` when the program is in item scope.
func (m *Mapping) run(st *state, p *program, vars, src, value any, hasValue bool) (any, error) {
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
		for _, id := range p.idents {
			if v, ok := mv[id]; ok {
				env[id] = v
			}
		}
	} else if d, ok := vars.(Doc); ok {
		for _, id := range p.idents {
			if v, ok := d[id]; ok {
				env[id] = v
			}
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
	out, err := st.vm.Run(p.prog, env)
	if !p.dollar {
		clear(env)
	}
	return out, err
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

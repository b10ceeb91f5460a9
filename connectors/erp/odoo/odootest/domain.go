package odootest

import (
	"fmt"
	"sort"
	"strings"
)

// A domain is Odoo's prefix-notation filter: terms [field, op, value] and
// the operators "&", "|" (binary) and "!" (unary); consecutive terms
// without an operator are joined by an implicit "&".
type node interface {
	match(m *model, r record) (bool, error)
}

type term struct {
	field, op string
	value     any
}

type and struct{ a, b node }
type or struct{ a, b node }
type not struct{ a node }
type always struct{}

func (always) match(*model, record) (bool, error) { return true, nil }

func (n and) match(m *model, r record) (bool, error) {
	a, err := n.a.match(m, r)
	if err != nil || !a {
		return false, err
	}
	return n.b.match(m, r)
}

func (n or) match(m *model, r record) (bool, error) {
	a, err := n.a.match(m, r)
	if err != nil || a {
		return a, err
	}
	return n.b.match(m, r)
}

func (n not) match(m *model, r record) (bool, error) {
	a, err := n.a.match(m, r)
	return !a, err
}

// parseDomain turns a decoded JSON domain into a tree. It also reports
// whether the domain names the active field (Odoo's active_test then no
// longer hides archived records).
func parseDomain(raw any) (node, bool, error) {
	list, ok := raw.([]any)
	if raw == nil {
		return always{}, false, nil
	}
	if !ok {
		return nil, false, fmt.Errorf("Invalid domain: %v", raw)
	}
	mentionsActive := false
	pos := 0
	var parse func() (node, error)
	parse = func() (node, error) {
		if pos >= len(list) {
			return nil, fmt.Errorf("Invalid domain: operator without enough operands")
		}
		el := list[pos]
		pos++
		if s, ok := el.(string); ok {
			switch s {
			case "&", "|":
				a, err := parse()
				if err != nil {
					return nil, err
				}
				b, err := parse()
				if err != nil {
					return nil, err
				}
				if s == "&" {
					return and{a, b}, nil
				}
				return or{a, b}, nil
			case "!":
				a, err := parse()
				if err != nil {
					return nil, err
				}
				return not{a}, nil
			}
			return nil, fmt.Errorf("Invalid domain term %q", s)
		}
		t, ok := el.([]any)
		if !ok || len(t) != 3 {
			return nil, fmt.Errorf("Invalid domain term %v", el)
		}
		f, ok1 := t[0].(string)
		op, ok2 := t[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("Invalid domain term %v", el)
		}
		op = strings.ToLower(op)
		if !knownOps[op] {
			return nil, fmt.Errorf("Invalid operator %q in domain term %v", op, el)
		}
		if f == "active" {
			mentionsActive = true
		}
		return term{field: f, op: op, value: t[2]}, nil
	}
	var root node = always{}
	first := true
	for pos < len(list) {
		n, err := parse()
		if err != nil {
			return nil, false, err
		}
		if first {
			root, first = n, false
		} else {
			root = and{root, n}
		}
	}
	return root, mentionsActive, nil
}

var knownOps = map[string]bool{"=": true, "!=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true,
	"in": true, "not in": true, "like": true, "ilike": true, "not like": true, "not ilike": true, "=like": true, "=ilike": true}

func (t term) match(m *model, r record) (bool, error) {
	f, ok := m.fields[t.field]
	if !ok {
		return false, fmt.Errorf("Invalid field %s.%s in leaf %v", m.name, t.field, []any{t.field, t.op, t.value})
	}
	v := comparable(f, r[t.field])
	want := t.value
	switch t.op {
	case "=":
		return equal(v, want), nil
	case "!=", "<>":
		return !equal(v, want), nil
	case "<", "<=", ">", ">=":
		if v == nil || v == false || want == nil || want == false {
			return false, nil
		}
		c, err := compare(v, want)
		if err != nil {
			return false, err
		}
		switch t.op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "in", "not in":
		list, ok := want.([]any)
		if !ok {
			return false, fmt.Errorf("Invalid value for operator %q: want a list", t.op)
		}
		in := false
		if vs, ok := v.([]int64); ok { // many2many: any id in the list
			for _, id := range vs {
				for _, w := range list {
					if equal(id, w) {
						in = true
					}
				}
			}
		} else {
			for _, w := range list {
				if equal(v, w) {
					in = true
				}
			}
		}
		return in == (t.op == "in"), nil
	default: // like family
		s, _ := v.(string)
		p := fmt.Sprint(want)
		ci := strings.Contains(t.op, "ilike")
		if ci {
			s, p = strings.ToLower(s), strings.ToLower(p)
		}
		var hit bool
		if strings.HasPrefix(t.op, "=") {
			hit = likeMatch(s, p)
		} else {
			hit = strings.Contains(s, p)
		}
		if strings.HasPrefix(t.op, "not") {
			return !hit, nil
		}
		return hit, nil
	}
}

// comparable reduces a stored value to what a domain compares: the id of
// a many2one, the id list of a many2many.
func comparable(f fieldDef, v any) any {
	switch f.kind {
	case kindMany2one:
		if id, ok := v.(int64); ok && id > 0 {
			return id
		}
		return false
	case kindMany2many:
		ids, _ := v.([]int64)
		return ids
	}
	return v
}

func equal(v, w any) bool {
	switch x := v.(type) {
	case int64:
		switch y := w.(type) {
		case float64:
			return float64(x) == y
		case int64:
			return x == y
		case int:
			return x == int64(y)
		}
		return false
	case []int64:
		if w == false || w == nil {
			return len(x) == 0
		}
		for _, id := range x {
			if equal(id, w) {
				return true
			}
		}
		return false
	case bool:
		if x == false && (w == nil || w == false) {
			return true
		}
		return w == x
	case nil:
		return w == nil || w == false || w == ""
	case string:
		if x == "" && (w == false || w == nil) {
			return true
		}
		s, ok := w.(string)
		return ok && s == x
	}
	return v == w
}

func compare(v, w any) (int, error) {
	switch x := v.(type) {
	case string:
		s, ok := w.(string)
		if !ok {
			return 0, fmt.Errorf("cannot compare %q with %v", x, w)
		}
		return strings.Compare(x, s), nil
	case float64:
		y, ok := w.(float64)
		if !ok {
			return 0, fmt.Errorf("cannot compare %v with %v", x, w)
		}
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
		return 0, nil
	case int64:
		var y float64
		switch n := w.(type) {
		case float64:
			y = n
		case int64:
			y = float64(n)
		default:
			return 0, fmt.Errorf("cannot compare %d with %v", x, w)
		}
		switch {
		case float64(x) < y:
			return -1, nil
		case float64(x) > y:
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("cannot compare %v", v)
}

// likeMatch implements PostgreSQL's LIKE with % and _, and the backslash
// as its default escape character (\% is a literal %).
func likeMatch(s, p string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '\\':
		if len(p) > 1 {
			return s != "" && s[0] == p[1] && likeMatch(s[1:], p[2:])
		}
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(s[i:], p[1:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeMatch(s[1:], p[1:])
	}
	return s != "" && s[0] == p[0] && likeMatch(s[1:], p[1:])
}

// sortRecords orders by an Odoo order spec ("write_date asc, id asc");
// id asc is always the final tie-break, as in Odoo.
func sortRecords(m *model, recs []record, order string) error {
	type key struct {
		field string
		desc  bool
	}
	var keys []key
	if strings.TrimSpace(order) != "" {
		for part := range strings.SplitSeq(order, ",") {
			fs := strings.Fields(part)
			if len(fs) == 0 || len(fs) > 2 {
				return fmt.Errorf("Invalid \"order\" specified (%s)", order)
			}
			if _, ok := m.fields[fs[0]]; !ok {
				return fmt.Errorf("Invalid \"order\" specified (%s): unknown field %s", order, fs[0])
			}
			desc := false
			if len(fs) == 2 {
				switch strings.ToLower(fs[1]) {
				case "asc":
				case "desc":
					desc = true
				default:
					return fmt.Errorf("Invalid \"order\" specified (%s)", order)
				}
			}
			keys = append(keys, key{fs[0], desc})
		}
	}
	keys = append(keys, key{"id", false})
	sort.SliceStable(recs, func(i, j int) bool {
		for _, k := range keys {
			a, b := comparable(m.fields[k.field], recs[i][k.field]), comparable(m.fields[k.field], recs[j][k.field])
			c := cmpLoose(a, b)
			if c != 0 {
				if k.desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
	return nil
}

// cmpLoose orders values of one field; false/nil sort first.
func cmpLoose(a, b any) int {
	empty := func(v any) bool { return v == nil || v == false || v == "" }
	switch {
	case empty(a) && empty(b):
		return 0
	case empty(a):
		return -1
	case empty(b):
		return 1
	}
	if c, err := compare(a, b); err == nil {
		return c
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

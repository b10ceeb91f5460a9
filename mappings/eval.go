package mappings

import (
	"errors"
	"fmt"
)

var errRequired = errors.New("required value is absent")

// eval runs one rule against the current source. ok=false means absent: the
// field says nothing and is left out.
func (m *Mapping) eval(st *state, r *rule, src any) (v any, ok bool, err error) {
	if r.plain {
		v, ok = r.from[0].lookup(src)
		if ok && v == nil {
			v = "" // the source cleared the value
		}
		return v, ok, nil
	}
	which := -1
	switch {
	case r.from != nil:
		v, ok, which = selectFrom(r.from, src)
		if ok && v == nil && !r.structural() {
			v = "" // the source cleared the value
		}
	case r.hasConst:
		v, ok = r.constVal, true
	case r.self:
		v, ok = src, true
	}
	path := ""
	if which >= 0 {
		path = r.from[which].text
	}

	if r.when != nil {
		keep, err := m.runBool(st, r.when, src, v, ok)
		if err != nil {
			return nil, false, m.runErr(r, path, v, fmt.Errorf("when: %w", err))
		}
		if !keep {
			return nil, false, nil
		}
	}

	if r.pick != nil && ok && v != nil {
		v, ok, err = m.pickItem(st, r, src, v, path)
		if err != nil {
			return nil, false, err
		}
	}

	if r.expr != nil && (r.from == nil || ok) {
		out, err := m.run(st, r.expr, src, src, v, ok)
		if err != nil {
			return nil, false, m.runErr(r, path, v, err)
		}
		v, ok = out, out != nil
	}

	switch {
	case r.object != nil:
		v, ok, err = m.buildObject(st, r, src, v, ok, path)
	case r.each != nil:
		if ok && v != nil {
			v, err = m.buildEach(st, r, v, path)
		}
	case r.list != nil:
		v, ok, err = m.buildList(st, r, src)
	}
	if err != nil {
		return nil, false, err
	}

	if r.hasDefault && (!ok || isEmpty(v)) {
		v, ok = r.def, true
	}

	if ok && len(r.steps) > 0 {
		for i := range r.steps {
			s := &r.steps[i]
			var out any
			switch {
			case s.withRegion != nil && st.region != "":
				out, err = s.withRegion(v, st.region)
			case s.withPrev != nil && len(st.prev) > 0:
				out, err = s.withPrev(v, st.prev)
			default:
				out, err = s.fn(v)
			}
			if err != nil {
				return nil, false, m.runErr(r, path, v, err)
			}
			v = out
		}
	}

	if !ok && r.required {
		return nil, false, m.runErr(r, path, nil, errRequired)
	}
	return v, ok, nil
}

func (m *Mapping) runErr(r *rule, path string, v any, err error) *Error {
	e := &Error{File: m.file, Line: r.line, Field: r.field, Path: path, Err: err}
	if !errors.Is(err, errRequired) {
		e.Value = describeValue(r.field, path, v)
	}
	return e
}

// nested runs a nested rule and, on error, prefixes the source path of the
// enclosing rule so that the message names the full path.
func (m *Mapping) nested(st *state, sub *rule, src any, prefix string) (any, bool, error) {
	v, ok, err := m.eval(st, sub, src)
	if err != nil && prefix != "" {
		var e *Error
		if errors.As(err, &e) {
			e.Path = joinPath(prefix, e.Path)
		}
	}
	return v, ok, err
}

func (m *Mapping) buildObject(st *state, r *rule, src, v any, ok bool, path string) (any, bool, error) {
	base := src
	if r.from != nil || r.pick != nil {
		if !ok {
			return nil, false, nil
		}
		if isEmpty(v) {
			return nil, true, nil // the source cleared the whole object
		}
		base = v
	} else {
		path = ""
	}
	out := make(map[string]any, len(r.object))
	present := false
	outer := st.region
	defer func() { st.region = outer }()
	for _, sub := range r.object {
		sv, sok, err := m.nested(st, sub, base, path)
		if err != nil {
			return nil, false, err
		}
		if sub.setsRegion && sok {
			if reg := addressRegion(sv); reg != "" {
				st.region = reg // compiled first: the address's phone follows
			}
		}
		if !sok {
			continue
		}
		present = true
		if r.address {
			// NormalizeCustomer's address rules, key by key, so that the
			// finished object needs no second pass.
			v, keep, err := addressValue(r.field, sub.name, sv)
			if err != nil {
				return nil, false, err
			}
			if !keep {
				continue
			}
			sv = v
		}
		out[sub.name] = sv
	}
	if !present {
		return nil, false, nil
	}
	return out, true, nil
}

func (m *Mapping) buildEach(st *state, r *rule, v any, path string) (any, error) {
	items, ok := listOf(v)
	if !ok {
		if mv, isMap := v.(map[string]any); isMap && len(mv) == 0 {
			return []any{}, nil // PHP encodes an empty list as {}
		}
		if isEmpty(v) {
			return nil, nil
		}
		return nil, m.runErr(r, path, v, fmt.Errorf("each: want a list, got %s", typeName(v)))
	}
	out := make([]any, 0, len(items))
	for i, item := range items {
		iv, iok, err := m.nested(st, r.each, item, fmt.Sprintf("%s.%d", path, i))
		if err != nil {
			return nil, err
		}
		if iok {
			out = append(out, iv)
		}
	}
	return out, nil
}

func (m *Mapping) pickItem(st *state, r *rule, src, v any, path string) (any, bool, error) {
	if isEmpty(v) {
		return nil, true, nil
	}
	items, isList := listOf(v)
	if !isList {
		if mv, isMap := v.(map[string]any); isMap && len(mv) == 0 {
			return nil, false, nil
		}
		return nil, false, m.runErr(r, path, v, fmt.Errorf("pick: want a list, got %s", typeName(v)))
	}
	for _, item := range items {
		if r.pick.first {
			if item != nil {
				return item, true, nil
			}
			continue
		}
		out, err := m.run(st, r.pick.cond, item, src, nil, false)
		if err != nil {
			return nil, false, m.runErr(r, path, nil, fmt.Errorf("pick: %w", err))
		}
		yes, err := truth(out)
		if err != nil {
			return nil, false, m.runErr(r, path, nil, fmt.Errorf("pick: %w", err))
		}
		if yes {
			return item, true, nil
		}
	}
	return nil, false, nil
}

// buildList evaluates the rules of `list`; absent results are dropped and a
// rule that yields a list contributes its items. All absent → absent.
func (m *Mapping) buildList(st *state, r *rule, src any) (any, bool, error) {
	var out []any
	present := false
	for _, sub := range r.list {
		v, ok, err := m.eval(st, sub, src)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			continue
		}
		present = true
		if items, isList := listOf(v); isList {
			out = append(out, items...)
			continue
		}
		out = append(out, v)
	}
	if !present {
		return nil, false, nil
	}
	if out == nil {
		out = []any{}
	}
	return out, true, nil
}

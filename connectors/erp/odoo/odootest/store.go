package odootest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shophub/shophub/connectors/emulator"
)

type fieldKind int

const (
	kindChar fieldKind = iota
	kindBool
	kindInt
	kindDatetime
	kindSelection
	kindMany2one
	kindMany2many
	kindFloat // float and monetary fields
)

type fieldDef struct {
	kind     fieldKind
	relation string // comodel of relational fields
	readonly bool
	options  []string // selection values
}

type record map[string]any

// model is one Odoo model with its records.
type model struct {
	name    string
	fields  map[string]fieldDef
	recs    map[int64]record
	nextID  int64
	display func(s *store, r record) string
	// required fields on create
	required []string
}

type store struct {
	models map[string]*model
	// invoiced partners are referred to by journal entries: Odoo refuses
	// to unlink them (Emulator.Invoice).
	invoiced map[int64]bool
}

func charFields(names ...string) map[string]fieldDef {
	m := map[string]fieldDef{}
	for _, n := range names {
		m[n] = fieldDef{kind: kindChar}
	}
	return m
}

func newStore(inventory bool, major int) *store {
	partner := charFields("name", "email", "phone", "mobile", "street", "street2", "zip", "city", "vat", "lang", "ref", "comment", "company_name", "website", "function")
	partner["id"] = fieldDef{kind: kindInt, readonly: true}
	partner["display_name"] = fieldDef{kind: kindChar, readonly: true}
	partner["is_company"] = fieldDef{kind: kindBool}
	partner["active"] = fieldDef{kind: kindBool}
	partner["customer_rank"] = fieldDef{kind: kindInt}
	// Custom fields an operator created for shophub's insights (the
	// connector's insight_fields setting), as Studio or Settings ›
	// Technical › Fields add them.
	for _, f := range []string{"x_shophub_segment", "x_shophub_profitability", "x_shophub_total_spent", "x_shophub_return_rate"} {
		partner[f] = fieldDef{kind: kindChar}
	}
	partner["type"] = fieldDef{kind: kindSelection, options: []string{"contact", "invoice", "delivery", "other"}}
	partner["country_id"] = fieldDef{kind: kindMany2one, relation: "res.country"}
	partner["state_id"] = fieldDef{kind: kindMany2one, relation: "res.country.state"}
	partner["parent_id"] = fieldDef{kind: kindMany2one, relation: "res.partner"}
	partner["category_id"] = fieldDef{kind: kindMany2many, relation: "res.partner.category"}
	partner["create_date"] = fieldDef{kind: kindDatetime, readonly: true}
	partner["write_date"] = fieldDef{kind: kindDatetime, readonly: true}

	country := charFields("name", "code")
	country["id"] = fieldDef{kind: kindInt, readonly: true}
	country["display_name"] = fieldDef{kind: kindChar, readonly: true}
	state := charFields("name", "code")
	state["id"] = fieldDef{kind: kindInt, readonly: true}
	state["display_name"] = fieldDef{kind: kindChar, readonly: true}
	state["country_id"] = fieldDef{kind: kindMany2one, relation: "res.country"}
	category := charFields("name")
	category["id"] = fieldDef{kind: kindInt, readonly: true}
	category["display_name"] = fieldDef{kind: kindChar, readonly: true}
	category["active"] = fieldDef{kind: kindBool}
	for _, m := range []map[string]fieldDef{country, state, category} {
		m["create_date"] = fieldDef{kind: kindDatetime, readonly: true}
		m["write_date"] = fieldDef{kind: kindDatetime, readonly: true}
	}
	name := func(_ *store, r record) string { s, _ := r["name"].(string); return s }
	s := &store{invoiced: map[int64]bool{}, models: map[string]*model{
		"res.partner": {name: "res.partner", fields: partner, recs: map[int64]record{}, nextID: 7, required: []string{"name"},
			display: func(s *store, r record) string {
				n, _ := r["name"].(string)
				if p, ok := r["parent_id"].(int64); ok && p > 0 {
					if pr := s.models["res.partner"].recs[p]; pr != nil {
						return fmt.Sprintf("%s, %s", pr["name"], n)
					}
				}
				return n
			}},
		"res.country":          {name: "res.country", fields: country, recs: map[int64]record{}, nextID: 1, required: []string{"name", "code"}, display: name},
		"res.country.state":    {name: "res.country.state", fields: state, recs: map[int64]record{}, nextID: 1, required: []string{"name", "code", "country_id"}, display: name},
		"res.partner.category": {name: "res.partner.category", fields: category, recs: map[int64]record{}, nextID: 1, required: []string{"name"}, display: name},
	}}
	addSalesModels(s) // sales.go
	if inventory {
		addStockModels(s, major) // stock.go
	}
	// Odoo's base data: every country, and res.country.state for the main
	// markets with the code within the country (HH, ON, CA, 9).
	for _, c := range emulator.Countries() {
		id := s.insert("res.country", record{"name": c.Name, "code": c.ISO2}, "")
		if !slices.Contains(emulator.StateCountries, c.ISO2) {
			continue
		}
		for _, st := range emulator.Subdivisions(c.ISO2) {
			_, code, _ := strings.Cut(st.Code, "-")
			s.insert("res.country.state", record{"name": st.Name, "code": code, "country_id": id}, "")
		}
	}
	return s
}

func (s *store) countryID(code string) int64 {
	for id, r := range s.models["res.country"].recs {
		if r["code"] == code {
			return id
		}
	}
	return 0
}

// insert adds a record without validation (seeding).
func (s *store) insert(modelName string, r record, now string) int64 {
	m := s.models[modelName]
	id := m.nextID
	m.nextID++
	r["id"] = id
	if _, ok := m.fields["active"]; ok {
		if _, set := r["active"]; !set {
			r["active"] = true
		}
	}
	if modelName == "res.partner" {
		if _, set := r["type"]; !set {
			r["type"] = "contact"
		}
		if _, set := r["is_company"]; !set {
			r["is_company"] = false
		}
		if _, set := r["customer_rank"]; !set {
			r["customer_rank"] = int64(0)
		}
	}
	r["create_date"], r["write_date"] = now, now
	m.recs[id] = r
	return id
}

// odooError is an error Odoo answers with: its exception class and status.
type odooError struct {
	status int
	name   string
	msg    string
}

func (e *odooError) Error() string { return e.msg }

func userError(format string, args ...any) *odooError {
	return &odooError{status: 422, name: "odoo.exceptions.UserError", msg: fmt.Sprintf(format, args...)}
}

func valueError(format string, args ...any) *odooError {
	return &odooError{status: 422, name: "builtins.ValueError", msg: fmt.Sprintf(format, args...)}
}

func missingError(m string, ids []int64) *odooError {
	return &odooError{status: 404, name: "odoo.exceptions.MissingError",
		msg: fmt.Sprintf("Record does not exist or has been deleted.\n(Record: %s(%s,), User: 2)", m, joinIDs(ids))}
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}

// applyVals validates vals against the model and sets them on r. It
// reports whether anything changed.
func (s *store) applyVals(m *model, r record, vals map[string]any) (bool, *odooError) {
	changed := false
	keys := slices.Sorted(maps.Keys(vals))
	for _, k := range keys {
		v := vals[k]
		f, ok := m.fields[k]
		if !ok {
			return false, valueError("Invalid field '%s' on model '%s'", k, m.name)
		}
		if f.readonly {
			continue // Odoo silently ignores writes to computed read-only fields
		}
		nv, err := s.coerce(m, k, f, r[k], v)
		if err != nil {
			return false, err
		}
		if !sameStored(r[k], nv) {
			r[k] = nv
			changed = true
		}
	}
	return changed, nil
}

func sameStored(a, b any) bool {
	ai, ok1 := a.([]int64)
	bi, ok2 := b.([]int64)
	if ok1 || ok2 {
		return slices.Equal(ai, bi)
	}
	if a == nil {
		a = ""
	}
	if b == nil {
		b = ""
	}
	return a == b
}

func (s *store) coerce(m *model, name string, f fieldDef, cur, v any) (any, *odooError) {
	bad := func() *odooError {
		return valueError("Wrong value for %s.%s: %v", m.name, name, v)
	}
	switch f.kind {
	case kindChar, kindDatetime:
		switch x := v.(type) {
		case nil, bool:
			if x == true {
				return nil, bad()
			}
			return "", nil
		case string:
			return x, nil
		case float64:
			return fmt.Sprint(x), nil
		}
		return nil, bad()
	case kindSelection:
		sv, _ := v.(string)
		if v == false || v == nil {
			return "", nil
		}
		if !slices.Contains(f.options, sv) {
			return nil, valueError("Wrong value for %s.%s: %q", m.name, name, sv)
		}
		return sv, nil
	case kindBool:
		b, ok := v.(bool)
		if !ok && v != nil {
			return nil, bad()
		}
		return b, nil
	case kindInt:
		n, ok := v.(float64)
		if !ok {
			if v == false || v == nil {
				return int64(0), nil
			}
			return nil, bad()
		}
		return int64(n), nil
	case kindFloat:
		if v == false || v == nil {
			return float64(0), nil
		}
		n, ok := v.(float64)
		if !ok {
			return nil, bad()
		}
		return n, nil
	case kindMany2one:
		if v == false || v == nil {
			return int64(0), nil
		}
		n, ok := v.(float64)
		if !ok {
			return nil, bad()
		}
		id := int64(n)
		if s.models[f.relation].recs[id] == nil {
			return nil, missingError(f.relation, []int64{id})
		}
		return id, nil
	case kindMany2many:
		ids, _ := cur.([]int64)
		ids = slices.Clone(ids)
		list, ok := v.([]any)
		if !ok {
			if v == false || v == nil {
				return []int64{}, nil
			}
			return nil, bad()
		}
		exists := func(id int64) *odooError {
			if s.models[f.relation].recs[id] == nil {
				return missingError(f.relation, []int64{id})
			}
			return nil
		}
		plain := true
		for _, e := range list {
			if _, ok := e.(float64); !ok {
				plain = false
			}
		}
		if plain { // a bare id list replaces the set (Command.set)
			out := []int64{}
			for _, e := range list {
				id := int64(e.(float64))
				if err := exists(id); err != nil {
					return nil, err
				}
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
			slices.Sort(out)
			return out, nil
		}
		for _, e := range list {
			cmd, ok := e.([]any)
			if !ok || len(cmd) == 0 {
				return nil, bad()
			}
			code, _ := cmd[0].(float64)
			arg := func(i int) int64 {
				if len(cmd) > i {
					if n, ok := cmd[i].(float64); ok {
						return int64(n)
					}
				}
				return 0
			}
			switch int(code) {
			case 4: // link
				id := arg(1)
				if err := exists(id); err != nil {
					return nil, err
				}
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			case 3: // unlink
				ids = slices.DeleteFunc(ids, func(x int64) bool { return x == arg(1) })
			case 5: // clear
				ids = ids[:0]
			case 6: // set
				var set []any
				if len(cmd) > 2 {
					set, _ = cmd[2].([]any)
				}
				ids = []int64{}
				for _, x := range set {
					n, ok := x.(float64)
					if !ok {
						return nil, bad()
					}
					if err := exists(int64(n)); err != nil {
						return nil, err
					}
					ids = append(ids, int64(n))
				}
			default:
				return nil, valueError("Unsupported x2many command %v on %s.%s", cmd, m.name, name)
			}
		}
		slices.Sort(ids)
		return slices.Compact(ids), nil
	}
	return nil, bad()
}

// render returns r as search_read does: many2one as [id, name] or false,
// empty char fields as false.
func (s *store) render(m *model, r record, fields []string) map[string]any {
	if len(fields) == 0 {
		fields = slices.Sorted(maps.Keys(m.fields))
	}
	out := map[string]any{"id": r["id"]}
	for _, f := range fields {
		def := m.fields[f]
		v := r[f]
		switch {
		case f == "display_name":
			v = m.display(s, r)
		case def.kind == kindMany2one:
			id, _ := v.(int64)
			rel := s.models[def.relation]
			if id == 0 || rel.recs[id] == nil {
				v = false
			} else {
				v = []any{id, rel.display(s, rel.recs[id])}
			}
		case def.kind == kindMany2many:
			ids, _ := v.([]int64)
			list := make([]any, len(ids))
			for i, id := range ids {
				list[i] = id
			}
			v = list
		case def.kind == kindChar || def.kind == kindDatetime || def.kind == kindSelection:
			if sv, _ := v.(string); sv == "" {
				v = false
			}
		case def.kind == kindBool:
			if v == nil {
				v = false
			}
		case def.kind == kindInt:
			if v == nil {
				v = int64(0)
			}
		case def.kind == kindFloat:
			if v == nil {
				v = float64(0)
			}
		}
		out[f] = v
	}
	return out
}

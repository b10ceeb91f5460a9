package shopwaretest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxLimit is shopware.api.max_limit.
const maxLimit = 500

// criteria is the subset of Shopware's DAL criteria the emulator evaluates.
type criteria struct {
	Page           int                        `json:"page"`
	Limit          *int                       `json:"limit"`
	IDs            []string                   `json:"ids"`
	Filter         []filter                   `json:"filter"`
	PostFilter     []filter                   `json:"post-filter"`
	Sort           []sortSpec                 `json:"sort"`
	Associations   map[string]json.RawMessage `json:"associations"`
	TotalCountMode json.RawMessage            `json:"total-count-mode"`
}

type filter struct {
	set        map[string]bool // equalsAny values, lower-cased, built once
	Type       string          `json:"type"`
	Field      string          `json:"field"`
	Value      any             `json:"value"`
	Operator   string          `json:"operator"`
	Queries    []filter        `json:"queries"`
	Parameters map[string]any  `json:"parameters"`
}

type sortSpec struct {
	Field string `json:"field"`
	Order string `json:"order"`
}

func (c *criteria) validate() error {
	if c.Limit != nil && (*c.Limit < 1 || *c.Limit > maxLimit) {
		return fmt.Errorf("The limit must be between 1 and %d.", maxLimit)
	}
	if c.Page < 0 {
		return fmt.Errorf("The page must be positive.")
	}
	for _, f := range append(append([]filter{}, c.Filter...), c.PostFilter...) {
		if err := f.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (f filter) validate() error {
	switch strings.ToLower(f.Type) {
	case "equals", "equalsany", "contains", "prefix", "suffix", "range":
		if f.Field == "" {
			return fmt.Errorf("Parameter \"field\" for %s filter is missing.", f.Type)
		}
	case "multi", "not":
		for _, q := range f.Queries {
			if err := q.validate(); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("Unsupported filter type: %s", f.Type)
	}
	return nil
}

// totalCountMode reads 0/1/2 or none/exact/next-pages.
func (c *criteria) totalCountMode() int {
	var n int
	if json.Unmarshal(c.TotalCountMode, &n) == nil {
		return n
	}
	var s string
	if json.Unmarshal(c.TotalCountMode, &s) == nil {
		switch s {
		case "exact":
			return 1
		case "next-pages":
			return 2
		}
	}
	return 0
}

// lookup resolves a dotted field path on a rendered record; a leading
// entity name ("customer.email") is allowed as in Shopware.
func lookup(rec map[string]any, entity, path string) any {
	path = strings.TrimPrefix(path, entity+".")
	var cur any = rec
	for _, seg := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[seg]
		case []any:
			// to-many: a match on any item counts; take the first non-nil.
			var found any
			for _, it := range x {
				if m, ok := it.(map[string]any); ok && m[seg] != nil {
					found = m[seg]
					break
				}
			}
			cur = found
		default:
			return nil
		}
	}
	return cur
}

func (f *filter) match(rec map[string]any, entity string) bool {
	switch strings.ToLower(f.Type) {
	case "equals":
		return equalValues(lookup(rec, entity, f.Field), f.Value)
	case "equalsany":
		v := lookup(rec, entity, f.Field)
		if hs, ok := v.(string); ok {
			return f.valueSet()[strings.ToLower(hs)]
		}
		for _, want := range anyList(f.Value) {
			if equalValues(v, want) {
				return true
			}
		}
		return false
	case "contains", "prefix", "suffix":
		v, ok := lookup(rec, entity, f.Field).(string)
		w := strings.ToLower(fmt.Sprint(f.Value))
		if !ok {
			return false
		}
		v = strings.ToLower(v)
		switch strings.ToLower(f.Type) {
		case "prefix":
			return strings.HasPrefix(v, w)
		case "suffix":
			return strings.HasSuffix(v, w)
		}
		return strings.Contains(v, w)
	case "range":
		v := lookup(rec, entity, f.Field)
		if v == nil {
			return false // SQL: NULL compares to nothing
		}
		for op, bound := range f.Parameters {
			c := compareValues(v, bound)
			ok := false
			switch op {
			case "gt":
				ok = c > 0
			case "gte":
				ok = c >= 0
			case "lt":
				ok = c < 0
			case "lte":
				ok = c <= 0
			default:
				ok = true
			}
			if !ok {
				return false
			}
		}
		return true
	case "multi":
		return combine(f.Operator, f.Queries, rec, entity)
	case "not":
		return !combine(f.Operator, f.Queries, rec, entity)
	}
	return false
}

func (f *filter) valueSet() map[string]bool {
	if f.set == nil {
		f.set = map[string]bool{}
		for _, v := range anyList(f.Value) {
			f.set[strings.ToLower(fmt.Sprint(v))] = true
		}
	}
	return f.set
}

func combine(op string, qs []filter, rec map[string]any, entity string) bool {
	if strings.EqualFold(op, "or") {
		for _, q := range qs {
			if q.match(rec, entity) {
				return true
			}
		}
		return len(qs) == 0
	}
	for _, q := range qs {
		if !q.match(rec, entity) {
			return false
		}
	}
	return true
}

func anyList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case string:
		var out []any
		for _, s := range strings.Split(x, "|") {
			out = append(out, s)
		}
		return out
	}
	return []any{v}
}

// equalValues compares like MySQL with a case-insensitive collation.
func equalValues(have, want any) bool {
	if have == nil || want == nil {
		return have == nil && want == nil
	}
	if hs, ok := have.(string); ok {
		return strings.EqualFold(hs, fmt.Sprint(want))
	}
	return compareValues(have, want) == 0
}

// compareValues orders nil first (MySQL ASC), then times, numbers and
// strings.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	as, bs := fmt.Sprint(a), fmt.Sprint(b)
	if ta, err := parseTime(as); err == nil {
		if tb, err := parseTime(bs); err == nil {
			return ta.Compare(tb)
		}
	}
	if fa, err := strconv.ParseFloat(as, 64); err == nil {
		if fb, err := strconv.ParseFloat(bs, 64); err == nil {
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(strings.ToLower(as), strings.ToLower(bs))
}

func parseTime(s string) (time.Time, error) {
	if len(s) < 10 || s[4] != '-' {
		return time.Time{}, fmt.Errorf("not a time")
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.000", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time")
}

// apply filters, sorts and pages rendered records; it returns the page and
// the total the response reports for the criteria's total-count-mode.
func (c *criteria) apply(recs []map[string]any, entity string) ([]map[string]any, int) {
	var ids map[string]bool
	if len(c.IDs) > 0 {
		ids = map[string]bool{}
		for _, id := range c.IDs {
			ids[strings.ToLower(id)] = true
		}
	}
	filters := append(append([]filter{}, c.Filter...), c.PostFilter...)
	var hits []map[string]any
	for _, r := range recs {
		if ids != nil && !ids[fmt.Sprint(r["id"])] {
			continue
		}
		ok := true
		for i := range filters {
			if !filters[i].match(r, entity) {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, r)
		}
	}
	if len(c.Sort) > 0 {
		sort.SliceStable(hits, func(i, j int) bool {
			for _, s := range c.Sort {
				cmp := compareValues(lookup(hits[i], entity, s.Field), lookup(hits[j], entity, s.Field))
				if strings.EqualFold(s.Order, "desc") {
					cmp = -cmp
				}
				if cmp != 0 {
					return cmp < 0
				}
			}
			return false
		})
	}
	total := len(hits)
	limit := maxLimit
	if c.Limit != nil {
		limit = *c.Limit
	}
	page := c.Page
	if page < 1 {
		page = 1
	}
	from := (page - 1) * limit
	if from > len(hits) {
		from = len(hits)
	}
	to := min(from+limit, len(hits))
	out := hits[from:to]
	if c.totalCountMode() == 0 {
		total = len(out)
	}
	return out, total
}

// touchesAssociations reports whether a filter or sort names a dotted path
// below the entity (e.g. tags.name).
func (c *criteria) touchesAssociations() bool {
	var walk func([]filter) bool
	walk = func(fs []filter) bool {
		for _, f := range fs {
			if strings.Contains(strings.TrimPrefix(f.Field, "customer."), ".") || walk(f.Queries) {
				return true
			}
		}
		return false
	}
	for _, s := range c.Sort {
		if strings.Contains(strings.TrimPrefix(s.Field, "customer."), ".") {
			return true
		}
	}
	return walk(c.Filter) || walk(c.PostFilter)
}

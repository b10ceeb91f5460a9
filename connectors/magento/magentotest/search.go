package magentotest

import (
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// criteria is a parsed searchCriteria: filter groups (AND) of filters (OR),
// sort orders, page size and current page.
type criteria struct {
	groups   [][]filter
	sorts    []sortOrder
	pageSize int
	page     int
}

type filter struct {
	Field     string `json:"field"`
	Value     string `json:"value"`
	Condition string `json:"condition_type"`
}

type sortOrder struct {
	Field     string `json:"field"`
	Direction string `json:"direction"`
}

var (
	filterKey = regexp.MustCompile(`^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type|conditionType)\]$`)
	sortKey   = regexp.MustCompile(`^searchCriteria\[sortOrders\]\[(\d+)\]\[(field|direction)\]$`)
)

var conditions = map[string]bool{"eq": true, "neq": true, "gt": true, "gteq": true, "lt": true, "lteq": true,
	"like": true, "nlike": true, "in": true, "nin": true, "null": true, "notnull": true}

// parseCriteria reads Magento's bracket query syntax.
func parseCriteria(q url.Values, o Options) (criteria, *inputError) {
	c := criteria{pageSize: o.DefaultPageSize, page: 1}
	groups := map[int]map[int]*filter{}
	sorts := map[int]*sortOrder{}
	for k, vs := range q {
		if len(vs) == 0 {
			continue
		}
		v := vs[0]
		switch {
		case k == "searchCriteria[pageSize]":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return c, &inputError{Message: `The "%value" value's type is invalid. The "int" type was expected. Verify and try again.`, Parameters: map[string]any{"value": v}}
			}
			c.pageSize = n
		case k == "searchCriteria[currentPage]":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return c, &inputError{Message: `The "%value" value's type is invalid. The "int" type was expected. Verify and try again.`, Parameters: map[string]any{"value": v}}
			}
			c.page = n
		case filterKey.MatchString(k):
			m := filterKey.FindStringSubmatch(k)
			g, _ := strconv.Atoi(m[1])
			i, _ := strconv.Atoi(m[2])
			if groups[g] == nil {
				groups[g] = map[int]*filter{}
			}
			f := groups[g][i]
			if f == nil {
				f = &filter{Condition: "eq"}
				groups[g][i] = f
			}
			switch m[3] {
			case "field":
				f.Field = v
			case "value":
				f.Value = v
			default:
				f.Condition = v
			}
		case sortKey.MatchString(k):
			m := sortKey.FindStringSubmatch(k)
			i, _ := strconv.Atoi(m[1])
			s := sorts[i]
			if s == nil {
				s = &sortOrder{Direction: "ASC"}
				sorts[i] = s
			}
			if m[2] == "field" {
				s.Field = v
			} else {
				s.Direction = strings.ToUpper(v)
			}
		}
	}
	if c.pageSize > o.MaxPageSize {
		return c, &inputError{Message: "Maximum SearchCriteria pageSize is %max", Parameters: map[string]any{"max": o.MaxPageSize}}
	}
	if c.pageSize == 0 {
		c.pageSize = o.DefaultPageSize
	}
	if c.page == 0 {
		c.page = 1
	}
	for _, g := range sortedKeys(groups) {
		var fs []filter
		for _, i := range sortedKeys(groups[g]) {
			f := *groups[g][i]
			if f.Field == "" {
				return c, &inputError{Message: `"%fieldName" is required. Enter and try again.`, Parameters: map[string]any{"fieldName": "field"}}
			}
			if !conditions[f.Condition] {
				return c, &inputError{Message: `Invalid condition type: %type`, Parameters: map[string]any{"type": f.Condition}}
			}
			fs = append(fs, f)
		}
		c.groups = append(c.groups, fs)
	}
	for _, i := range sortedKeys(sorts) {
		s := *sorts[i]
		if s.Direction != "ASC" && s.Direction != "DESC" {
			return c, &inputError{Message: `Sort order "%direction" is not supported`, Parameters: map[string]any{"direction": s.Direction}}
		}
		c.sorts = append(c.sorts, s)
	}
	return c, nil
}

func sortedKeys[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// field reads a searchable field; entity_id is a customer's id (orders
// carry entity_id itself).
func field(c map[string]any, name string) any {
	if v, ok := c[name]; ok || name != "entity_id" {
		return v
	}
	return c["id"]
}

// numeric fields compare as numbers, everything else as strings with
// MySQL's case-insensitive collation (Magento dates compare as text).
var numeric = map[string]bool{"id": true, "entity_id": true, "website_id": true, "group_id": true, "store_id": true, "gender": true,
	"is_active": true, "customer_id": true, "items_count": true}

func compare(name string, a any, b string) int {
	if numeric[name] {
		x, ok1 := toInt(a)
		y, ok2 := toInt(b)
		if ok1 && ok2 {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(strings.ToLower(str(a)), strings.ToLower(b))
}

func (f filter) match(c map[string]any) bool {
	v := field(c, f.Field)
	switch f.Condition {
	case "null":
		return v == nil || str(v) == ""
	case "notnull":
		return v != nil && str(v) != ""
	}
	if v == nil {
		return false // SQL: NULL compares to nothing
	}
	cmp := func() int { return compare(f.Field, v, f.Value) }
	switch f.Condition {
	case "eq":
		return cmp() == 0
	case "neq":
		return cmp() != 0
	case "gt":
		return cmp() > 0
	case "gteq":
		return cmp() >= 0
	case "lt":
		return cmp() < 0
	case "lteq":
		return cmp() <= 0
	case "like", "nlike":
		ok := likeMatch(strings.ToLower(str(v)), strings.ToLower(f.Value))
		return ok == (f.Condition == "like")
	case "in", "nin":
		in := false
		for _, x := range strings.Split(f.Value, ",") {
			if compare(f.Field, v, strings.TrimSpace(x)) == 0 {
				in = true
				break
			}
		}
		return in == (f.Condition == "in")
	}
	return false
}

// likeMatch implements SQL LIKE with % and _.
func likeMatch(s, pattern string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '%':
			re.WriteString(".*")
		case '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	ok, _ := regexp.MatchString(re.String(), s)
	return ok
}

// search runs criteria over the store's customers and returns the page
// Magento would: past the last page, the last page again.
func (s *store) search(c criteria) ([]map[string]any, int) {
	return s.searchIn(s.customers, c, s.render)
}

// searchIn runs criteria over rows (customers, orders) keyed by entity id;
// render renders one hit.
func (s *store) searchIn(rows map[int64]map[string]any, c criteria, render func(int64) map[string]any) ([]map[string]any, int) {
	var hits []int64
	for id, cust := range rows {
		ok := true
		for _, g := range c.groups {
			any := false
			for _, f := range g {
				if f.match(cust) {
					any = true
					break
				}
			}
			if !any {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, id)
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := rows[hits[i]], rows[hits[j]]
		for _, so := range c.sorts {
			name := so.Field
			var d int
			if x := field(b, name); x == nil {
				d = 1
				if field(a, name) == nil {
					d = 0
				}
			} else {
				d = compare(name, field(a, name), str(x))
			}
			if so.Direction == "DESC" {
				d = -d
			}
			if d != 0 {
				return d < 0
			}
		}
		return hits[i] < hits[j] // MySQL's order among ties: primary key
	})
	total := len(hits)
	if total == 0 {
		return []map[string]any{}, 0
	}
	last := (total + c.pageSize - 1) / c.pageSize
	page := c.page
	if page > last {
		page = last // Magento's quirk: past the end, the last page again
	}
	from := (page - 1) * c.pageSize
	to := min(from+c.pageSize, total)
	out := make([]map[string]any, 0, to-from)
	for _, id := range hits[from:to] {
		out = append(out, render(id))
	}
	return out, total
}

func (c criteria) echo() map[string]any {
	groups := make([]any, 0, len(c.groups))
	for _, g := range c.groups {
		fs := make([]any, 0, len(g))
		for _, f := range g {
			fs = append(fs, map[string]any{"field": f.Field, "value": f.Value, "condition_type": f.Condition})
		}
		groups = append(groups, map[string]any{"filters": fs})
	}
	out := map[string]any{"filter_groups": groups, "page_size": c.pageSize, "current_page": c.page}
	if len(c.sorts) > 0 {
		so := make([]any, 0, len(c.sorts))
		for _, s := range c.sorts {
			so = append(so, map[string]any{"field": s.Field, "direction": s.Direction})
		}
		out["sort_orders"] = so
	}
	return out
}

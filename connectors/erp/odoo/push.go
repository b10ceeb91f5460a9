package odoo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// The payload a mapping renders for this Writer is res.partner vals with
// connector conventions for what Odoo keeps as relations:
//
//   - country_code: ISO 3166-1 alpha-2; resolved to country_id.
//   - state_code: the state's code within that country; resolved to
//     state_id (unknown codes clear it rather than fail the push).
//   - category_names: tag names; resolved to category_id, creating
//     missing res.partner.category records.
//   - company: the company's name. An individual is linked to the company
//     partner of that name (parent_id) when one exists, else the name goes
//     to company_name.
//
// Records read from Odoo carry the same keys next to the raw relations, so
// inbound and outbound mappings speak one shape. Odoo's false for an empty
// field is read as null.

// record turns one search_read row into a Record.
func record(row map[string]any) (connectors.Record, error) {
	id, ok := row["id"].(float64)
	if !ok || id <= 0 {
		return connectors.Record{}, fmt.Errorf("partner without id: %v", row["id"])
	}
	wd, _ := row["write_date"].(string)
	at, err := parseDate(wd)
	if err != nil {
		return connectors.Record{}, fmt.Errorf("partner %d: write_date %q: %w", int64(id), wd, err)
	}
	data := make(map[string]any, len(row)+4)
	for k, v := range row {
		if v == false && k != "is_company" && k != "active" {
			v = nil
		}
		data[k] = v
	}
	return connectors.Record{
		Resource:   connectors.ResourceCustomer,
		ExternalID: strconv.FormatInt(int64(id), 10),
		UpdatedAt:  at,
		Deleted:    row["active"] == false,
		Data:       data,
	}, nil
}

// records builds Records and adds country_code, state_code,
// category_names and company to each.
func (c *Connector) records(ctx context.Context, rows []map[string]any) ([]connectors.Record, error) {
	var states, tags []int64
	for _, r := range rows {
		if id := m2oID(r["state_id"]); id > 0 {
			states = append(states, id)
		}
		tags = append(tags, idsOf(r["category_id"])...)
	}
	if err := c.loadRefs(ctx, states, tags); err != nil {
		return nil, err
	}
	out := make([]connectors.Record, 0, len(rows))
	c.refs.mu.Lock()
	defer c.refs.mu.Unlock()
	for _, row := range rows {
		rec, err := record(row)
		if err != nil {
			return nil, err
		}
		d := rec.Data
		d["country_code"] = nil
		if code, ok := c.refs.countries[m2oID(row["country_id"])]; ok {
			d["country_code"] = code
		}
		d["state_code"] = nil
		if st, ok := c.refs.states[m2oID(row["state_id"])]; ok {
			d["state_code"] = st.code
		}
		names := []any{}
		for _, id := range idsOf(row["category_id"]) {
			if n, ok := c.refs.tags[id]; ok {
				names = append(names, n)
			}
		}
		d["category_names"] = names
		d["company"] = d["company_name"]
		if p := m2oName(row["parent_id"]); p != "" {
			d["company"] = p
		}
		out = append(out, rec)
	}
	return out, nil
}

func m2oID(v any) int64 {
	if l, ok := v.([]any); ok && len(l) > 0 {
		if n, ok := l[0].(float64); ok {
			return int64(n)
		}
	}
	if n, ok := v.(float64); ok {
		return int64(n)
	}
	return 0
}

func m2oName(v any) string {
	if l, ok := v.([]any); ok && len(l) > 1 {
		s, _ := l[1].(string)
		return s
	}
	return ""
}

func idsOf(v any) []int64 {
	l, _ := v.([]any)
	out := make([]int64, 0, len(l))
	for _, x := range l {
		if n, ok := x.(float64); ok {
			out = append(out, int64(n))
		}
	}
	return out
}

// loadRefs makes sure every country and the given states and tags are in
// the cache.
func (c *Connector) loadRefs(ctx context.Context, states, tags []int64) error {
	c.refs.mu.Lock()
	needCountries := c.refs.countries == nil
	var missStates, missTags []any
	for _, id := range states {
		if _, ok := c.refs.states[id]; !ok {
			missStates = append(missStates, id)
		}
	}
	for _, id := range tags {
		if _, ok := c.refs.tags[id]; !ok {
			missTags = append(missTags, id)
		}
	}
	c.refs.mu.Unlock()
	if needCountries {
		var rows []map[string]any
		if err := c.rpc.call(ctx, "res.country", "search_read", map[string]any{"domain": []any{}, "fields": []string{"code"}}, &rows); err != nil {
			return fmt.Errorf("read countries: %w", err)
		}
		m := make(map[int64]string, len(rows))
		for _, r := range rows {
			if code, ok := r["code"].(string); ok {
				m[m2oID(r["id"])] = strings.ToUpper(code)
			}
		}
		c.refs.mu.Lock()
		c.refs.countries = m
		c.refs.mu.Unlock()
	}
	if len(missStates) > 0 {
		var rows []map[string]any
		kw := map[string]any{"domain": []any{[]any{"id", "in", missStates}}, "fields": []string{"code", "country_id"}}
		if err := c.rpc.call(ctx, "res.country.state", "search_read", kw, &rows); err != nil {
			return fmt.Errorf("read states: %w", err)
		}
		c.refs.mu.Lock()
		for _, r := range rows {
			code, _ := r["code"].(string)
			c.refs.states[m2oID(r["id"])] = stateRef{code: code, country: m2oID(r["country_id"])}
		}
		c.refs.mu.Unlock()
	}
	if len(missTags) > 0 {
		var rows []map[string]any
		kw := map[string]any{"domain": []any{[]any{"id", "in", missTags}}, "fields": []string{"name"}}
		if err := c.rpc.call(ctx, "res.partner.category", "search_read", kw, &rows); err != nil {
			return fmt.Errorf("read tags: %w", err)
		}
		c.refs.mu.Lock()
		for _, r := range rows {
			name, _ := r["name"].(string)
			c.refs.tags[m2oID(r["id"])] = name
		}
		c.refs.mu.Unlock()
	}
	return nil
}

func (c *Connector) read(ctx context.Context, id int64, scoped bool) (*connectors.Record, error) {
	domain := append([]any{[]any{"id", "=", id}}, archivedToo()...)
	if scoped {
		domain = append(domain, c.scope()...)
	}
	var rows []map[string]any
	if err := c.rpc.call(ctx, "res.partner", "search_read", map[string]any{"domain": domain, "fields": partnerFields, "limit": 1}, &rows); err != nil {
		return nil, fmt.Errorf("odoo: read partner %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("odoo: partner %d (or not a customer this instance syncs): %w", id, connectors.ErrNotFound)
	}
	recs, err := c.records(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("odoo: read partner %d: %w", id, err)
	}
	return &recs[0], nil
}

func parseID(externalID string) (int64, error) {
	id, err := strconv.ParseInt(externalID, 10, 64)
	if err != nil || id <= 0 {
		return 0, connectors.Permanent(fmt.Errorf("odoo: %q is not a partner id", externalID))
	}
	return id, nil
}

// Fetch re-reads one partner, archived ones included (as Deleted).
// Partners outside this instance's scope (a company when only individuals
// sync, a delivery address) are not found.
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	if resource == connectors.ResourceOrder {
		return c.fetchOrder(ctx, externalID) // orders.go
	}
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("odoo: cannot fetch %q", resource))
	}
	id, err := parseID(externalID)
	if err != nil {
		return nil, err
	}
	return c.read(ctx, id, true)
}

// Upsert creates (externalID empty) or updates a partner. An update reads
// the partner first and writes only the values that differ — Odoo stamps
// write_date on every write, changed or not, so a write of nothing would
// come back through polling as a change — or nothing at all.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("odoo: cannot push %q", resource))
	}
	if externalID == "" {
		vals, err := c.vals(ctx, payload, nil)
		if err != nil {
			return nil, err
		}
		if s, _ := vals["name"].(string); strings.TrimSpace(s) == "" {
			// Odoo requires a name; a customer known only by email is
			// named by it, as Odoo's own mail gateway does.
			vals["name"] = payload["email"]
			if vals["name"] == nil || vals["name"] == "" {
				return nil, connectors.Permanent(errors.New("odoo: a new partner needs a name or an email"))
			}
		}
		switch c.settings.Partners {
		case PartnersCompanies:
			vals["is_company"] = true
		case PartnersIndividuals:
			vals["is_company"] = false
		}
		vals["customer_rank"] = 1
		var ids []int64
		if err := c.rpc.call(ctx, "res.partner", "create", map[string]any{"vals_list": []any{vals}}, &ids); err != nil {
			return nil, fmt.Errorf("odoo: create partner: %w", err)
		}
		if len(ids) != 1 {
			return nil, fmt.Errorf("odoo: create partner: answer has %d ids", len(ids))
		}
		return c.read(ctx, ids[0], false)
	}
	return c.update(ctx, externalID, payload, nil)
}

// Update is Upsert of an existing partner whose current state the
// pipeline has just read and merged. Odoo has no conditional write and the
// pipeline sends whole payloads, so a user's save between that read and
// this write would be written over with the hub's older values, and the
// next poll would list ours. The read Upsert makes anyway tells: when the
// partner is no longer what the pipeline read, Update writes nothing and
// returns ErrChanged, and the pipeline merges the user's edit first.
func (c *Connector) Update(ctx context.Context, resource string, current *connectors.Record, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("odoo: cannot push %q", resource))
	}
	return c.update(ctx, current.ExternalID, payload, current)
}

func (c *Connector) update(ctx context.Context, externalID string, payload map[string]any, read *connectors.Record) (*connectors.Record, error) {
	id, err := parseID(externalID)
	if err != nil {
		return nil, err
	}
	cur, err := c.read(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if read != nil && !connectors.SameJSON(cur.Data, read.Data) {
		return nil, fmt.Errorf("odoo: partner %d: %w", id, connectors.ErrChanged)
	}
	vals, err := c.vals(ctx, payload, cur.Data)
	if err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return cur, nil
	}
	if err := c.rpc.call(ctx, "res.partner", "write", map[string]any{"ids": []int64{id}, "vals": vals}, nil); err != nil {
		return nil, fmt.Errorf("odoo: write partner %d: %w", id, err)
	}
	return c.read(ctx, id, false)
}

// vals turns a payload into res.partner vals; with cur (the partner as
// read) only values that differ from it.
func (c *Connector) vals(ctx context.Context, payload, cur map[string]any) (map[string]any, error) {
	vals := map[string]any{}
	set := func(k string, v any, now any) {
		if cur == nil || !sameValue(v, now) {
			vals[k] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(payload)) {
		v := payload[k]
		switch k {
		case "country_code", "state_code", "category_names", "company", "id",
			"write_date", "create_date", "display_name", "country_id", "state_id", "category_id", "parent_id":
			continue // handled below, or read-only
		}
		if v == nil {
			v = false
		}
		set(k, v, curValue(cur, k))
	}
	countryID := m2oID(curValue(cur, "country_id"))
	if code, ok := payload["country_code"]; ok {
		want, err := c.countryID(ctx, str(code))
		if err != nil {
			return nil, err
		}
		countryID = want
		set("country_id", idOrFalse(want), idOrFalse(m2oID(curValue(cur, "country_id"))))
	}
	if code, ok := payload["state_code"]; ok {
		want, err := c.stateID(ctx, countryID, str(code))
		if err != nil {
			return nil, err
		}
		set("state_id", idOrFalse(want), idOrFalse(m2oID(curValue(cur, "state_id"))))
	}
	if names, ok := payload["category_names"]; ok {
		ids, err := c.tagIDs(ctx, names)
		if err != nil {
			return nil, err
		}
		now := idsOf(curValue(cur, "category_id"))
		slices.Sort(now)
		if cur == nil || !slices.Equal(ids, now) {
			list := make([]any, len(ids))
			for i, id := range ids {
				list[i] = id
			}
			vals["category_id"] = []any{[]any{6, 0, list}}
		}
	}
	if company, ok := payload["company"]; ok {
		if err := c.companyVals(ctx, str(company), cur, vals); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

func curValue(cur map[string]any, k string) any {
	if cur == nil {
		return nil
	}
	return cur[k]
}

func idOrFalse(id int64) any {
	if id == 0 {
		return false
	}
	return id
}

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

// sameValue compares a payload value with Odoo's: false, nil and "" are
// one empty value; numbers compare by value.
func sameValue(v, now any) bool {
	empty := func(x any) bool { return x == nil || x == false || x == "" }
	if empty(v) && empty(now) {
		return true
	}
	return fmt.Sprint(v) == fmt.Sprint(now)
}

// companyVals links an individual to the company partner named company,
// or records the name in company_name when Odoo has no such company.
// Companies themselves carry their name in name; company is ignored.
func (c *Connector) companyVals(ctx context.Context, company string, cur, vals map[string]any) error {
	isCompany := c.settings.Partners == PartnersCompanies || (cur != nil && cur["is_company"] == true)
	if isCompany {
		return nil
	}
	if cur != nil && str(cur["company"]) == company {
		return nil
	}
	if company == "" {
		if cur == nil {
			return nil
		}
		if m2oID(cur["parent_id"]) != 0 {
			vals["parent_id"] = false
		}
		if str(cur["company_name"]) != "" {
			vals["company_name"] = false
		}
		return nil
	}
	// The whole name, case aside: =ilike with LIKE's wildcards escaped,
	// so "50% Rabatt AG" or "A_B" name one company, not any. Of several
	// that differ only in case, the exact spelling wins, else none does.
	var rows []map[string]any
	kw := map[string]any{"domain": []any{[]any{"is_company", "=", true}, []any{"name", "=ilike", likeLiteral(company)}},
		"fields": []string{"id", "name"}, "limit": 10, "order": "id asc"}
	if err := c.rpc.call(ctx, "res.partner", "search_read", kw, &rows); err != nil {
		return fmt.Errorf("odoo: find company %q: %w", company, err)
	}
	if len(rows) > 1 {
		rows = slices.DeleteFunc(rows, func(r map[string]any) bool { return str(r["name"]) != company })
	}
	if len(rows) == 1 {
		vals["parent_id"] = m2oID(rows[0]["id"])
		if cur != nil && str(cur["company_name"]) != "" {
			vals["company_name"] = false
		}
		return nil
	}
	if cur != nil && m2oID(cur["parent_id"]) != 0 {
		vals["parent_id"] = false
	}
	vals["company_name"] = company
	return nil
}

func (c *Connector) countryID(ctx context.Context, code string) (int64, error) {
	if code == "" {
		return 0, nil
	}
	if err := c.loadRefs(ctx, nil, nil); err != nil {
		return 0, fmt.Errorf("odoo: %w", err)
	}
	c.refs.mu.Lock()
	defer c.refs.mu.Unlock()
	for id, cc := range c.refs.countries {
		if strings.EqualFold(cc, code) {
			return id, nil
		}
	}
	return 0, connectors.Permanent(fmt.Errorf("odoo: no res.country with code %q", code))
}

func (c *Connector) stateID(ctx context.Context, country int64, code string) (int64, error) {
	if code == "" || country == 0 {
		return 0, nil
	}
	c.refs.mu.Lock()
	for id, st := range c.refs.states {
		if st.country == country && (strings.EqualFold(st.code, code) || strings.EqualFold(st.name, code)) {
			c.refs.mu.Unlock()
			return id, nil
		}
	}
	c.refs.mu.Unlock()
	var rows []map[string]any
	// By code, or by name: shops often hold the region's name ("Berlin").
	kw := map[string]any{"domain": []any{[]any{"country_id", "=", country}, "|", []any{"code", "=ilike", code}, []any{"name", "=ilike", code}},
		"fields": []string{"code", "country_id"}, "limit": 1}
	if err := c.rpc.call(ctx, "res.country.state", "search_read", kw, &rows); err != nil {
		return 0, fmt.Errorf("odoo: find state %q: %w", code, err)
	}
	if len(rows) == 0 {
		return 0, nil // a region Odoo does not know is dropped, not fatal
	}
	id := m2oID(rows[0]["id"])
	c.refs.mu.Lock()
	c.refs.states[id] = stateRef{code: str(rows[0]["code"]), name: code, country: country}
	c.refs.mu.Unlock()
	return id, nil
}

// tagIDs resolves tag names to res.partner.category ids, creating the
// missing ones, and returns them sorted.
func (c *Connector) tagIDs(ctx context.Context, v any) ([]int64, error) {
	var names []string
	switch x := v.(type) {
	case []string:
		names = x
	case []any:
		for _, e := range x {
			if s := str(e); s != "" {
				names = append(names, s)
			}
		}
	case nil, string:
		if s := str(x); s != "" {
			names = []string{s}
		}
	default:
		return nil, connectors.Permanent(fmt.Errorf("odoo: category_names: want a list of names, got %T", v))
	}
	ids := []int64{}
	for _, name := range names {
		id, err := c.tagID(ctx, name)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

func (c *Connector) tagID(ctx context.Context, name string) (int64, error) {
	c.refs.mu.Lock()
	for id, n := range c.refs.tags {
		if n == name {
			c.refs.mu.Unlock()
			return id, nil
		}
	}
	c.refs.mu.Unlock()
	var rows []map[string]any
	kw := map[string]any{"domain": []any{[]any{"name", "=", name}}, "fields": []string{"name"}, "limit": 1}
	if err := c.rpc.call(ctx, "res.partner.category", "search_read", kw, &rows); err != nil {
		return 0, fmt.Errorf("odoo: find tag %q: %w", name, err)
	}
	var id int64
	if len(rows) == 1 {
		id = m2oID(rows[0]["id"])
	} else {
		var ids []int64
		if err := c.rpc.call(ctx, "res.partner.category", "create", map[string]any{"vals_list": []any{map[string]any{"name": name}}}, &ids); err != nil {
			return 0, fmt.Errorf("odoo: create tag %q: %w", name, err)
		}
		if len(ids) != 1 {
			return 0, fmt.Errorf("odoo: create tag %q: answer has %d ids", name, len(ids))
		}
		id = ids[0]
	}
	c.refs.mu.Lock()
	c.refs.tags[id] = name
	c.refs.mu.Unlock()
	return id, nil
}

// Delete unlinks a partner; when Odoo refuses (invoices or orders refer to
// it) it is archived instead, which is how Odoo users retire customers. An
// already deleted partner counts as success.
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("odoo: cannot delete %q", resource))
	}
	id, err := parseID(externalID)
	if err != nil {
		return err
	}
	err = c.rpc.call(ctx, "res.partner", "unlink", map[string]any{"ids": []int64{id}}, nil)
	switch {
	case err == nil, errors.Is(err, connectors.ErrNotFound):
		return nil
	case errors.Is(err, connectors.ErrPermanent):
		if aerr := c.rpc.call(ctx, "res.partner", "write", map[string]any{"ids": []int64{id}, "vals": map[string]any{"active": false}}, nil); aerr != nil {
			return fmt.Errorf("odoo: delete partner %d: %w (archiving failed too: %w)", id, err, aerr)
		}
		return nil
	}
	return fmt.Errorf("odoo: delete partner %d: %w", id, err)
}

// likeLiteral escapes LIKE's wildcards (PostgreSQL's default escape is
// the backslash), so an =ilike domain matches the whole value.
func likeLiteral(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// FindBy looks a partner up by email (case-insensitive; persons only
// unless the instance syncs only companies) or ref, the customer number.
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("odoo: cannot search %q", resource))
	}
	var leaf []any
	value = strings.TrimSpace(value)
	switch key {
	case "email":
		leaf = []any{"email", "=ilike", likeLiteral(value)}
	case "customer_number", "ref":
		leaf = []any{"ref", "=", value}
	default:
		return nil, connectors.Permanent(fmt.Errorf("odoo: cannot find partners by %q (email, customer_number)", key))
	}
	if value == "" {
		return nil, fmt.Errorf("odoo: find partner by empty %s: %w", key, connectors.ErrNotFound)
	}
	domain := append([]any{leaf}, c.scope()...)
	if key == "email" && c.settings.Partners == PartnersAll {
		// A shop's customer is a person: a company partner sharing the
		// address (info@…) is not them, and linking to it would rename
		// the company after the person on the next push.
		domain = append(domain, []any{"is_company", "=", false})
	}
	var rows []map[string]any
	if err := c.rpc.call(ctx, "res.partner", "search_read", map[string]any{"domain": domain, "fields": partnerFields, "limit": 1, "order": "id asc"}, &rows); err != nil {
		return nil, fmt.Errorf("odoo: find partner by %s: %w", key, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("odoo: no partner with that %s: %w", key, connectors.ErrNotFound)
	}
	recs, err := c.records(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("odoo: find partner by %s: %w", key, err)
	}
	return &recs[0], nil
}

var (
	_ connectors.Fetcher = (*Connector)(nil)
	_ connectors.Updater = (*Connector)(nil)
	_ connectors.Writer  = (*Connector)(nil)
	_ connectors.Finder  = (*Connector)(nil)
)

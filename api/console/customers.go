package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/hub"
)

func (c *Console) customers(ctx *gin.Context) {
	q := ctx.Query("q")
	rows, err := c.Store.SearchCustomers(ctx.Request.Context(), q, c.Region, 50)
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	c.render(ctx, http.StatusOK, "customers", map[string]any{"Q": q, "Rows": rows})
}

// fieldRow is one profile field of the 360° view.
type fieldRow struct {
	Field, Value, Source, At string
	Unverified               bool
}

// linkRow is one touchpoint of the 360° view.
type linkRow struct {
	hub.LinkView
	Type, URL string
}

// known sections of hub.View get their own markup; any other the view
// carries (added later) is rendered generically.
var known = map[string]bool{"id": true, "version": true, "profile": true, "provenance": true, "links": true,
	"waiting": true, "recent_changes": true, "tickets": true, "order_figures": true, "orders": true,
	"insights": true, "created_at": true, "updated_at": true}

type section struct {
	Key, Title string
	Value      any
}

func (c *Console) customer(ctx *gin.Context) {
	id, ok := c.idParam(ctx, "customer")
	if !ok {
		return
	}
	v, err := c.Store.View(ctx.Request.Context(), id, 100)
	if !c.loaded(ctx, err, fmt.Sprintf("no customer %d (erased, or never there)", id)) {
		return
	}
	// The view as the API shows it: sections other parts of shophub add
	// to hub.View appear here as they appear in GET /api/customers/:id.
	var whole map[string]any
	if b, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(b, &whole)
	}
	var extra []section
	for _, k := range sortedKeys(whole) {
		if !known[k] && whole[k] != nil {
			extra = append(extra, section{Key: k, Title: title(k), Value: whole[k]})
		}
	}
	links := make([]linkRow, 0, len(v.Links))
	for _, l := range v.Links {
		lr := linkRow{LinkView: l}
		if cn, ok := c.connector(l.Instance); ok {
			lr.Type = cn.Type
			lr.URL = adminURL(cn, l.Resource, l.ExternalID)
		}
		links = append(links, lr)
	}
	orders := make([]map[string]any, 0, len(v.Orders))
	for _, o := range v.Orders {
		url := ""
		if cn, ok := c.connector(o.Instance); ok {
			url = adminURL(cn, "order", o.ExternalID)
		}
		orders = append(orders, map[string]any{"View": o, "URL": url})
	}
	tickets := make([]map[string]any, 0, len(v.Tickets))
	for _, t := range v.Tickets {
		url := ""
		if cn, ok := c.connector(t.Instance); ok {
			url = adminURL(cn, "ticket", t.ExternalID)
		}
		tickets = append(tickets, map[string]any{"View": t, "URL": url})
	}
	changes := make([]map[string]any, 0, len(v.Changes))
	for _, ch := range v.Changes {
		changes = append(changes, map[string]any{"C": ch, "Old": rawText(ch.Old), "New": rawText(ch.New)})
	}
	c.render(ctx, http.StatusOK, "customer", map[string]any{
		"V": v, "Name": displayName(v.Profile), "Fields": profileRows(v), "Links": links,
		"Systems": systems(v.Links), "Orders": orders, "Tickets": tickets, "Changes": changes, "Extra": extra,
		"Insights": c.buildInsightsCard(v),
	})
}

func (c *Console) connector(name string) (Connector, bool) {
	for _, cn := range c.Connectors {
		if cn.Name == name {
			return cn, true
		}
	}
	return Connector{}, false
}

// systems counts the touchpoints holding the person (live links).
func systems(links []hub.LinkView) int {
	seen := map[string]bool{}
	for _, l := range links {
		if l.DeletedAt == "" {
			seen[l.Instance] = true
		}
	}
	return len(seen)
}

func displayName(p map[string]any) string {
	first, _ := p["first_name"].(string)
	last, _ := p["last_name"].(string)
	name := strings.TrimSpace(first + " " + last)
	if name == "" {
		name, _ = p["email"].(string)
	}
	if name == "" {
		name = "(no name)"
	}
	return name
}

// profileRows flattens the profile: one row per field, an address's
// sub-fields each on their own, with the provenance the hub keeps.
func profileRows(v *hub.View) []fieldRow {
	var rows []fieldRow
	addRow := func(path string, val any) {
		r := fieldRow{Field: path, Value: valueText(val)}
		if p, ok := v.Provenance[path]; ok {
			r.Source, r.At, r.Unverified = p.Instance, when(p.At), p.Unverified
		}
		rows = append(rows, r)
	}
	for _, k := range sortedKeys(v.Profile) {
		val := v.Profile[k]
		if m, ok := val.(map[string]any); ok && len(m) > 0 {
			if _, whole := v.Provenance[k]; !whole {
				for _, sk := range sortedKeys(m) {
					addRow(k+"."+sk, m[sk])
				}
				continue
			}
		}
		addRow(k, val)
	}
	return rows
}

func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, valueText(e))
		}
		return strings.Join(parts, ", ")
	case float64, bool:
		return fmt.Sprint(x)
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, k+" "+valueText(x[k]))
		}
		return strings.Join(parts, ", ")
	}
	return jsonText(v)
}

// rawText shows a change's old or new value: a JSON string unquoted, an
// object compact.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	if m, ok := v.(map[string]any); ok {
		keys := sortedKeys(m)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+valueText(m[k]))
		}
		return strings.Join(parts, "\n")
	}
	return valueText(v)
}

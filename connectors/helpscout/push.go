package helpscout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// The payload the outbound mapping renders for a customer (vendor-shaped,
// documented in mapping.yaml):
//
//	firstName, lastName, organization, jobTitle   main fields
//	emails: ["a@b.c" | {type, value}]             added when missing
//	phones: ["+49…" | {type, value}]              the first replaces the first phone
//	address: {city, lines[], state, postalCode, country}
//	<property_key>: {slug: value}                 customer properties
//
// Help Scout keeps sub-entities apart from the customer, so an update reads
// the customer once and writes only what differs: a push that changes one
// phone costs a read and one write, and a repeated push costs the read.
var mainFields = []string{"firstName", "lastName", "organization", "jobTitle"}

// Upsert creates a customer (externalID "") or brings an existing one to
// the payload.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("helpscout: cannot write %q", resource))
	}
	if externalID == "" {
		props, _ := payload[c.settings.PropertyKey].(map[string]any)
		return c.create(ctx, payload, props)
	}
	return c.upsert(ctx, externalID, payload, nil)
}

// Update is Upsert of an existing customer whose current state the
// pipeline has just read and merged. Help Scout has no conditional write,
// and the pipeline sends whole payloads, so an agent's edit between that
// read and this write would be written over with the hub's older value,
// and its webhook would then fetch ours. The read Upsert makes anyway
// tells: when the customer is no longer what the pipeline read, Update
// writes nothing and returns ErrChanged, and the pipeline merges the
// agent's edit first.
func (c *Connector) Update(ctx context.Context, resource string, current *connectors.Record, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("helpscout: cannot write %q", resource))
	}
	return c.upsert(ctx, current.ExternalID, payload, current)
}

func (c *Connector) upsert(ctx context.Context, externalID string, payload map[string]any, read *connectors.Record) (*connectors.Record, error) {
	props, _ := payload[c.settings.PropertyKey].(map[string]any)
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	getCtx, paidWrites := ctx, 0
	if read != nil {
		// The check and every write after it (main fields, phone, email,
		// address, properties) go back to back: paced together, or a wait
		// for a write's units (writes cost 2) would open a window of up to
		// a second after the check, in which an agent's edit is
		// overwritten unseen. The writes are those that bring the read to
		// the payload: the check lets them through only while Help Scout
		// still holds the read. Never more than the bucket holds at once:
		// writes beyond it wait as usual, so the account's rate holds.
		planned, err := writes(id, connectors.CloneJSON(read.Data).(map[string]any), payload, props)
		if err != nil {
			return nil, err
		}
		paidWrites = len(planned)
		if most := c.pace.most(); most > 0 && 1+2*paidWrites > most {
			paidWrites = max(0, (most-1)/2)
		}
		if err := c.pace.Wait(ctx, 1+2*paidWrites); err != nil {
			return nil, fmt.Errorf("helpscout: waiting for rate limit: %w", err)
		}
		getCtx = connectors.WithPaid(ctx)
	}
	var cur map[string]any
	if _, err := c.call(getCtx, "GET", "/customers/"+id, nil, nil, &cur); err != nil {
		return nil, fmt.Errorf("helpscout: read customer %s before update: %w", id, err)
	}
	if read != nil && !connectors.SameJSON(cur, read.Data) {
		return nil, fmt.Errorf("helpscout: customer %s: %w", id, connectors.ErrChanged)
	}
	ws, err := writes(id, cur, payload, props)
	if err != nil {
		return nil, err
	}
	for i, w := range ws {
		wctx := ctx
		if i < paidWrites {
			wctx = connectors.WithPaid(ctx)
		}
		if _, err := c.call(wctx, w.method, w.path, nil, w.body, nil); err != nil {
			return nil, fmt.Errorf("helpscout: %s customer %s: %w", w.what, id, err)
		}
	}
	rec, err := record(connectors.ResourceCustomer, cur)
	if err != nil {
		return nil, err
	}
	rec.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	return rec, nil
}

func (c *Connector) create(ctx context.Context, payload, props map[string]any) (*connectors.Record, error) {
	body := map[string]any{}
	for _, k := range mainFields {
		if v, ok := payload[k]; ok && v != nil {
			body[k] = v
		}
	}
	if e := entries(payload["emails"]); len(e) > 0 {
		body["emails"] = e
	}
	if p := entries(payload["phones"]); len(p) > 0 {
		body["phones"] = p
	}
	if a, ok := payload["address"].(map[string]any); ok && !emptyAddress(a) {
		body["address"] = a
	}
	h, err := c.call(ctx, "POST", "/customers", nil, body, nil)
	if err != nil {
		return nil, fmt.Errorf("helpscout: create customer: %w", err)
	}
	id := h.Get("Resource-ID")
	if id == "" {
		if loc := h.Get("Location"); loc != "" {
			id = loc[strings.LastIndex(loc, "/")+1:]
		}
	}
	if _, err := idPath(id); err != nil {
		return nil, fmt.Errorf("helpscout: create customer: no usable Resource-ID header: %w", err)
	}
	if ops := propertyOps(nil, props); len(ops) > 0 {
		if _, err := c.call(ctx, "PATCH", "/customers/"+id+"/properties", nil, ops, nil); err != nil {
			return nil, fmt.Errorf("helpscout: set properties of new customer %s: %w", id, err)
		}
	}
	return c.Fetch(ctx, connectors.ResourceCustomer, id)
}

// write is one request of an update.
type write struct {
	method, path string
	body         any
	what         string // for the error: "update phone of"
}

// writes lists the requests that bring cur (GET /customers/{id}) to
// payload, and patches cur in place to the state Help Scout holds once
// they are made. A customer already holding the payload needs none.
func writes(id string, cur, payload, props map[string]any) ([]write, error) {
	var out []write
	emb, _ := cur["_embedded"].(map[string]any)
	if emb == nil {
		emb = map[string]any{}
		cur["_embedded"] = emb
	}
	// Main fields: PUT replaces all of them, so unchanged ones are resent.
	main, dirty := map[string]any{}, false
	for _, k := range mainFields {
		main[k] = scalar(cur[k])
		if v, ok := payload[k]; ok && scalar(v) != scalar(cur[k]) {
			main[k], dirty = scalar(v), true
		}
	}
	if dirty {
		out = append(out, write{"PUT", "/customers/" + id, main, "update"})
		maps.Copy(cur, main)
	}
	// Emails: a helpdesk keeps old addresses (conversations hang on them),
	// so a new one is added, none removed.
	have := list(emb["emails"])
	for _, e := range entries(payload["emails"]) {
		if findEntry(have, e["value"].(string), strings.EqualFold) >= 0 {
			continue
		}
		out = append(out, write{"POST", "/customers/" + id + "/emails", e, "add email to"})
		have = append(have, e)
	}
	emb["emails"] = have
	// Phones: the hub knows one phone; it replaces Help Scout's first.
	phones := list(emb["phones"])
	if want := entries(payload["phones"]); len(want) > 0 {
		p := want[0]
		if findEntry(phones, p["value"].(string), sameDigits) < 0 {
			if len(phones) > 0 {
				first, _ := phones[0].(map[string]any)
				pid := connectors.IDString(first["id"])
				if _, err := idPath(pid); err != nil {
					return nil, err
				}
				out = append(out, write{"PUT", "/customers/" + id + "/phones/" + pid, p, "update phone of"})
				phones[0] = map[string]any{"id": first["id"], "type": p["type"], "value": p["value"]}
			} else {
				out = append(out, write{"POST", "/customers/" + id + "/phones", p, "add phone to"})
				phones = append(phones, p)
			}
		}
	}
	emb["phones"] = phones
	// Address: one per customer.
	if a, ok := payload["address"].(map[string]any); ok && !emptyAddress(a) {
		curA, _ := emb["address"].(map[string]any)
		switch {
		case curA == nil:
			out = append(out, write{"POST", "/customers/" + id + "/address", a, "add address to"})
		case addressDiffers(curA, a):
			out = append(out, write{"PUT", "/customers/" + id + "/address", a, "update address of"})
		}
		emb["address"] = a
	}
	// Properties: one PATCH with the ops that change something.
	if ops := propertyOps(list(emb["properties"]), props); len(ops) > 0 {
		out = append(out, write{"PATCH", "/customers/" + id + "/properties", ops, "update properties of"})
	}
	return out, nil
}

// propertyOps are the PATCH /properties ops that bring cur (the embedded
// property list) to want: replace for new or changed values, remove for
// values the hub no longer has. Properties the mapping does not render are
// left alone. Each slug must exist as a customer property definition in
// the Help Scout account.
func propertyOps(cur []any, want map[string]any) []map[string]any {
	have := map[string]string{}
	for _, p := range cur {
		if m, ok := p.(map[string]any); ok {
			have[scalar(m["slug"])] = scalar(m["value"])
		}
	}
	var ops []map[string]any
	for _, slug := range slices.Sorted(maps.Keys(want)) {
		v := scalar(want[slug])
		old, exists := have[slug]
		switch {
		case v == "" && exists:
			ops = append(ops, map[string]any{"op": "remove", "path": "/" + slug})
		case v != "" && (!exists || old != v):
			ops = append(ops, map[string]any{"op": "replace", "path": "/" + slug, "value": v})
		}
	}
	return ops
}

// entries normalizes a payload list of "value" strings or {type, value}
// objects into sub-entity bodies, dropping empty values.
func entries(v any) []map[string]any {
	var out []map[string]any
	for _, it := range list(v) {
		e := map[string]any{"type": "work"}
		switch x := it.(type) {
		case string:
			e["value"] = x
		case map[string]any:
			e["value"] = scalar(x["value"])
			if t := scalar(x["type"]); t != "" {
				e["type"] = t
			}
		default:
			continue
		}
		if e["value"] != "" {
			out = append(out, e)
		}
	}
	return out
}

func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []map[string]any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = x[i]
		}
		return out
	}
	return nil
}

func findEntry(have []any, value string, same func(a, b string) bool) int {
	for i, h := range have {
		if m, ok := h.(map[string]any); ok && same(scalar(m["value"]), value) {
			return i
		}
	}
	return -1
}

func sameDigits(a, b string) bool { return digitsOf(a) == digitsOf(b) }

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func emptyAddress(a map[string]any) bool {
	for k, v := range a {
		if k == "lines" {
			if len(list(v)) > 0 {
				return false
			}
			continue
		}
		if scalar(v) != "" {
			return false
		}
	}
	return true
}

func addressDiffers(cur, want map[string]any) bool {
	for _, k := range []string{"city", "state", "postalCode", "country"} {
		if !strings.EqualFold(scalar(cur[k]), scalar(want[k])) {
			return true
		}
	}
	a, b := list(cur["lines"]), list(want["lines"])
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		if scalar(a[i]) != scalar(b[i]) {
			return true
		}
	}
	return false
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, scalar(p))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// Delete removes a customer; one already gone counts as deleted.
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("helpscout: cannot delete %q", resource))
	}
	id, err := idPath(externalID)
	if err != nil {
		return err
	}
	if _, err := c.call(ctx, "DELETE", "/customers/"+id, nil, nil, nil); err != nil && !errors.Is(err, connectors.ErrNotFound) {
		return fmt.Errorf("helpscout: delete customer %s: %w", id, err)
	}
	return nil
}

// FindBy looks a customer up by email with the list endpoint's query and
// keeps only exact matches.
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("helpscout: cannot search %q", resource))
	}
	if key != "email" {
		return nil, connectors.Permanent(fmt.Errorf("helpscout: cannot find customers by %q (email)", key))
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("helpscout: find customer by empty email: %w", connectors.ErrNotFound)
	}
	q := url.Values{"query": {`(email:"` + strings.ReplaceAll(value, `"`, ``) + `")`}}
	var out halPage
	if _, err := c.call(ctx, "GET", "/customers", q, nil, &out); err != nil {
		return nil, fmt.Errorf("helpscout: find customer by email: %w", err)
	}
	for _, m := range out.Embedded["customers"] {
		emb, _ := m["_embedded"].(map[string]any)
		if findEntry(list(emb["emails"]), value, strings.EqualFold) >= 0 {
			return record(connectors.ResourceCustomer, m)
		}
	}
	return nil, fmt.Errorf("helpscout: no customer with that email: %w", connectors.ErrNotFound)
}

var (
	_ connectors.Writer  = (*Connector)(nil)
	_ connectors.Updater = (*Connector)(nil)
	_ connectors.Finder  = (*Connector)(nil)
)

package rest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Fetch re-reads one customer.
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("%s: cannot fetch %q", c.typ, resource))
	}
	if strings.TrimSpace(externalID) == "" {
		return nil, connectors.Permanent(fmt.Errorf("%s: fetch without an id", c.typ))
	}
	ep := c.profile.Endpoints.Get
	var out any
	if _, err := c.call(ctx, ep.Method, expand(ep.Path, externalID), fixed(ep.Query), nil, &out); err != nil {
		return nil, fmt.Errorf("%s: fetch customer %s: %w", c.typ, externalID, err)
	}
	rec, err := c.record(lookup(out, ep.ItemPath))
	if err != nil {
		return nil, fmt.Errorf("%s: fetch customer %s: %w", c.typ, externalID, err)
	}
	return &rec, nil
}

// Upsert creates (externalID empty) or updates a customer. An update reads
// the customer first: when the payload changes nothing, nothing is
// written (no echo); a PUT sends the whole record with the payload merged
// in — fields shophub does not map survive an ERP that replaces on PUT —
// and a PATCH only the changed fields.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("%s: cannot push %q", c.typ, resource))
	}
	if externalID == "" {
		ep := c.profile.Endpoints.Create
		var out any
		if _, err := c.call(ctx, ep.Method, ep.Path, fixed(ep.Query), payload, &out); err != nil {
			return nil, fmt.Errorf("%s: create customer: %w", c.typ, err)
		}
		return c.answer(ctx, out, ep.ItemPath, "create customer")
	}
	cur, err := c.Fetch(ctx, resource, externalID)
	if err != nil {
		return nil, err
	}
	merged := merge(cur.Data, payload, c.profile.ListMerge)
	if connectors.SameJSON(merged, cur.Data) {
		return cur, nil
	}
	ep := c.profile.Endpoints.Update
	body := merged
	if ep.Method == "PATCH" || ep.Partial {
		body = map[string]any{}
		for k := range payload {
			if !connectors.SameJSON(merged[k], cur.Data[k]) {
				body[k] = merged[k]
			}
		}
	}
	var out any
	if _, err := c.call(ctx, ep.Method, expand(ep.Path, externalID), fixed(ep.Query), body, &out); err != nil {
		return nil, fmt.Errorf("%s: update customer %s: %w", c.typ, externalID, err)
	}
	if lookup(out, ep.ItemPath) == nil {
		return c.Fetch(ctx, resource, externalID)
	}
	return c.answer(ctx, out, ep.ItemPath, "update customer "+externalID)
}

// answer reads the record from a write's answer, or fetches it when the
// ERP answers with less (an id only).
func (c *Connector) answer(ctx context.Context, out any, itemPath, what string) (*connectors.Record, error) {
	item := lookup(out, itemPath)
	if rec, err := c.record(item); err == nil {
		return &rec, nil
	}
	if m, ok := item.(map[string]any); ok {
		if id := lookup(m, c.profile.Records.IDField); id != nil {
			return c.Fetch(ctx, connectors.ResourceCustomer, fmt.Sprint(id))
		}
	}
	return nil, fmt.Errorf("%s: %s: the answer has no record with %s and %s", c.typ, what, c.profile.Records.IDField, c.profile.Records.UpdatedField)
}

// merge applies payload to the current record: objects merge key by key,
// list fields named in listMerge patch the item flagged by their key, and
// everything else replaces.
func merge(cur, payload map[string]any, listMerge map[string]string) map[string]any {
	out := connectors.CloneJSON(cur).(map[string]any)
	for k, v := range payload {
		if flag, ok := listMerge[k]; ok {
			out[k] = mergeList(out[k], v, flag)
			continue
		}
		out[k] = connectors.MergeJSON(out[k], v)
	}
	return out
}

func mergeList(cur, v any, flag string) any {
	list, _ := cur.([]any)
	items, ok := v.([]any)
	if !ok {
		return connectors.CloneJSON(v)
	}
	for _, it := range items {
		im, ok := it.(map[string]any)
		if !ok {
			continue
		}
		patched := false
		if im[flag] == true {
			for _, x := range list {
				if xm, ok := x.(map[string]any); ok && xm[flag] == true {
					maps.Copy(xm, connectors.CloneJSON(im).(map[string]any))
					patched = true
					break
				}
			}
		}
		if !patched {
			list = append(list, connectors.CloneJSON(im))
		}
	}
	if list == nil {
		list = []any{}
	}
	return list
}

// Delete removes a customer; an already deleted one counts as success.
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("%s: cannot delete %q", c.typ, resource))
	}
	ep := c.profile.Endpoints.Delete
	if ep.Path == "" {
		return connectors.Permanent(fmt.Errorf("%s: the profile has no delete endpoint", c.typ))
	}
	if _, err := c.call(ctx, ep.Method, expand(ep.Path, externalID), fixed(ep.Query), nil, nil); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("%s: delete customer %s: %w", c.typ, externalID, err)
	}
	return nil
}

// FindBy looks a customer up with the profile's find endpoint.
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("%s: cannot search %q", c.typ, resource))
	}
	ep := c.profile.Endpoints.Find
	param, ok := ep.Params[key]
	if ep.Path == "" || !ok {
		return nil, connectors.Permanent(fmt.Errorf("%s: the profile cannot find customers by %q", c.typ, key))
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("%s: find customer by empty %s: %w", c.typ, key, connectors.ErrNotFound)
	}
	q := fixed(ep.Query)
	path := ep.Path
	if strings.Contains(path, "{value}") {
		path = strings.ReplaceAll(path, "{value}", url.PathEscape(value))
	} else {
		q.Set(param, value)
	}
	var out any
	if _, err := c.call(ctx, ep.Method, path, q, nil, &out); err != nil {
		if errors.Is(err, connectors.ErrNotFound) && path != ep.Path {
			return nil, fmt.Errorf("%s: no customer with that %s: %w", c.typ, key, connectors.ErrNotFound)
		}
		return nil, fmt.Errorf("%s: find customer by %s: %w", c.typ, key, err)
	}
	var item any
	if path != ep.Path {
		item = lookup(out, ep.ItemPath)
	} else {
		listPath := ep.ListPath
		if listPath == "" {
			listPath = c.profile.Records.ListPath
		}
		items, _ := lookup(out, listPath).([]any)
		if len(items) == 0 {
			return nil, fmt.Errorf("%s: no customer with that %s: %w", c.typ, key, connectors.ErrNotFound)
		}
		item = lookup(items[0], ep.ItemPath)
	}
	// A search hit may carry less than the record (no updated field):
	// answer reads it again by its id then.
	return c.answer(ctx, item, "", "find customer by "+key)
}

var (
	_ connectors.Fetcher = (*Connector)(nil)
	_ connectors.Writer  = (*Connector)(nil)
	_ connectors.Finder  = (*Connector)(nil)
)

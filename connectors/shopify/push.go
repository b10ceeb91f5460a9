package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Fetch re-reads one customer or order.
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	if resource == connectors.ResourceOrder {
		return c.fetchOrder(ctx, externalID) // orders.go
	}
	if resource == connectors.ResourceCart {
		return nil, connectors.Permanent(fmt.Errorf("shopify: checkouts are not fetched one by one; they come whole in checkouts/* webhooks and the abandoned checkouts listing"))
	}
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("shopify: cannot fetch %q", resource))
	}
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	var out struct {
		Customer map[string]any `json:"customer"`
	}
	if _, err := c.call(ctx, "GET", "/customers/"+id+".json", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("shopify: fetch customer %s: %w", id, err)
	}
	return customerRecord(out.Customer, "fetch customer "+id)
}

func customerRecord(data map[string]any, what string) (*connectors.Record, error) {
	if data == nil {
		return nil, fmt.Errorf("shopify: %s: answer has no customer object", what)
	}
	rec, err := record(data)
	if err != nil {
		return nil, fmt.Errorf("shopify: %s: %w", what, err)
	}
	return rec, nil
}

// Upsert creates (externalID empty) or partially updates a customer with a
// payload rendered by the mapping.
//
// Addresses: Shopify's customer PUT treats every address without an id as a
// new one, so pushing the billing address on each update would pile up
// duplicates. The payload's default_address (or a lone id-less entry in
// addresses) is therefore split off: on create it becomes addresses[0], which
// Shopify makes the default; on update the customer is PUT without it and
// then the existing default address is updated in place with
// PUT customers/{id}/addresses/{address_id}.json — only when a field actually
// differs, so an unchanged push causes no write and no echo webhook. A
// customer without a default address gets one via POST addresses.json with
// default=true. Keys missing from the payload's address keep their value in
// Shopify (the mapping sends "" to clear one). addresses lists with ids, or
// with several entries, go to Shopify unchanged.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("shopify: cannot push %q", resource))
	}
	body, addr := splitAddress(payload)
	meta, err := splitMetafields(body) // metafields.go
	if err != nil {
		return nil, err
	}
	if externalID == "" {
		if addr != nil {
			body["addresses"] = []any{addr}
		}
		var out struct {
			Customer map[string]any `json:"customer"`
		}
		if _, err := c.call(ctx, "POST", "/customers.json", nil, map[string]any{"customer": body}, &out); err != nil {
			return nil, fmt.Errorf("shopify: create customer: %w", err)
		}
		rec, err := customerRecord(out.Customer, "create customer")
		if err != nil {
			return nil, err
		}
		if _, err := c.syncMetafields(ctx, rec.ExternalID, meta, true); err != nil {
			return nil, err
		}
		return rec, nil
	}
	return c.update(ctx, resource, externalID, nil, body, addr, meta)
}

// Update is Upsert of an existing customer whose current state the
// pipeline has just read: an address-only change then costs one request.
func (c *Connector) Update(ctx context.Context, resource string, current *connectors.Record, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("shopify: cannot push %q", resource))
	}
	body, addr := splitAddress(payload)
	meta, err := splitMetafields(body)
	if err != nil {
		return nil, err
	}
	return c.update(ctx, resource, current.ExternalID, current, body, addr, meta)
}

// update writes body (a customer PUT, skipped when empty), addr (the
// default address, in place) and meta (metafields, only those that
// differ). current, when known, is the customer as Shopify held it before.
func (c *Connector) update(ctx context.Context, resource, externalID string, current *connectors.Record, body, addr map[string]any, meta map[string]string) (*connectors.Record, error) {
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	if _, err := c.syncMetafields(ctx, id, meta, false); err != nil {
		return nil, err
	}
	dropPartialConsent(body)
	// read is the customer as Shopify holds it before the write: current,
	// or, when the customer is updated without a read (Upsert: the
	// pipeline found them by email, or writes unconditionally) and the
	// tags are all the PUT would carry, read here. The pipeline cannot
	// tell unchanged tags from changed ones (the hub's shophub:* tags are
	// never read back), and a GET is cheaper than a PUT that changes
	// nothing yet counts as a write and brings a customers/update echo.
	read := current
	if _, ok := body["tags"]; ok && read == nil && len(body) == 1 {
		if read, err = c.Fetch(ctx, resource, id); err != nil {
			return nil, err
		}
	}
	if read != nil {
		if t, ok := body["tags"]; ok && sameTags(t, read.Data["tags"]) {
			// The same tags in another order or spacing: a PUT would be a
			// write and an echo for nothing.
			delete(body, "tags")
		}
	}
	rec := current
	if len(body) == 0 {
		// Only the address changed (the pipeline sends changed keys
		// only): no customer PUT, which would be a write and an echo of
		// its own; the address write needs the current default address.
		if rec == nil {
			rec = read
		}
		if rec == nil {
			if rec, err = c.Fetch(ctx, resource, id); err != nil {
				return nil, err
			}
		}
		if addr == nil {
			return rec, nil
		}
	} else {
		body["id"] = json.Number(id)
		var out struct {
			Customer map[string]any `json:"customer"`
		}
		if _, err := c.call(ctx, "PUT", "/customers/"+id+".json", nil, map[string]any{"customer": body}, &out); err != nil {
			return nil, fmt.Errorf("shopify: update customer %s: %w", id, err)
		}
		rec, err = customerRecord(out.Customer, "update customer "+id)
		if err != nil || addr == nil {
			return rec, err
		}
	}
	changed, err := c.syncDefaultAddress(ctx, id, rec.Data, addr)
	if err != nil || !changed || current != nil {
		return rec, err
	}
	// The address write bumped the customer's updated_at: return the state
	// Shopify now holds (Update's caller needs only the id).
	return c.Fetch(ctx, resource, id)
}

// dropPartialConsent leaves out a marketing consent object without its
// state: Shopify takes a consent as state plus details, and a payload
// reduced to changed keys carries only a changed consent_updated_at when
// the state itself stayed (Shopify stamps that time itself anyway).
func dropPartialConsent(body map[string]any) {
	for _, k := range []string{"email_marketing_consent", "sms_marketing_consent"} {
		if m, ok := body[k].(map[string]any); ok {
			if _, has := m["state"]; !has {
				delete(body, k)
			}
		}
	}
}

// splitAddress copies payload's top level without the address the writer
// handles itself.
func splitAddress(payload map[string]any) (map[string]any, map[string]any) {
	body := make(map[string]any, len(payload)+1)
	for k, v := range payload {
		body[k] = v
	}
	if a, ok := body["default_address"].(map[string]any); ok {
		delete(body, "default_address")
		return body, a
	}
	delete(body, "default_address") // read-only in Shopify; null or junk is dropped
	if list, ok := body["addresses"].([]any); ok && len(list) == 1 {
		if a, ok := list[0].(map[string]any); ok && a["id"] == nil {
			delete(body, "addresses")
			return body, a
		}
	}
	return body, nil
}

// syncDefaultAddress brings the customer's default address to addr and
// reports whether it wrote anything.
func (c *Connector) syncDefaultAddress(ctx context.Context, id string, customer map[string]any, addr map[string]any) (bool, error) {
	current, _ := customer["default_address"].(map[string]any)
	aid := ""
	if current != nil {
		aid = connectors.IDString(current["id"])
	}
	if aid == "" {
		if allEmpty(addr) {
			return false, nil // nothing to clear and nothing worth creating
		}
		body := withKey(addr, "default", true)
		if _, err := c.call(ctx, "POST", "/customers/"+id+"/addresses.json", nil, map[string]any{"address": body}, nil); err != nil {
			return false, fmt.Errorf("shopify: add default address to customer %s: %w", id, err)
		}
		return true, nil
	}
	if !addressDiffers(current, addr) {
		return false, nil
	}
	if _, err := idPath(aid); err != nil {
		return false, err
	}
	body := withKey(addr, "id", json.Number(aid))
	if _, err := c.call(ctx, "PUT", "/customers/"+id+"/addresses/"+aid+".json", nil, map[string]any{"address": body}, nil); err != nil {
		return false, fmt.Errorf("shopify: update default address %s of customer %s: %w", aid, id, err)
	}
	return true, nil
}

// withKey returns a copy of m with k set to v; the mapping's payload is
// never modified.
func withKey(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for mk, mv := range m {
		out[mk] = mv
	}
	out[k] = v
	return out
}

// addressDiffers reports whether writing want would change current; null and
// "" are the same, country codes compare case-insensitively.
func addressDiffers(current, want map[string]any) bool {
	for k, v := range want {
		a, b := scalar(current[k]), scalar(v)
		if k == "country_code" || k == "country" {
			if !strings.EqualFold(a, b) {
				return true
			}
			continue
		}
		if a != b {
			return true
		}
	}
	return false
}

func allEmpty(m map[string]any) bool {
	for _, v := range m {
		if scalar(v) != "" {
			return false
		}
	}
	return true
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	if s := connectors.IDString(v); s != "" {
		return s
	}
	return fmt.Sprint(v)
}

// Delete removes a customer. An already deleted customer counts as success,
// so a retried delete task does not fail forever. Shopify refuses to delete
// customers with orders (422, permanent).
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("shopify: cannot delete %q", resource))
	}
	id, err := idPath(externalID)
	if err != nil {
		return err
	}
	if _, err := c.call(ctx, "DELETE", "/customers/"+id+".json", nil, nil, nil); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("shopify: delete customer %s: %w", id, err)
	}
	return nil
}

// FindBy looks a customer up by email or phone through customers/search.json
// and keeps only exact matches (Shopify's search also matches prefixes).
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("shopify: cannot search %q", resource))
	}
	value = strings.TrimSpace(value)
	var same func(map[string]any) bool
	switch key {
	case "email":
		same = func(m map[string]any) bool { return strings.EqualFold(scalar(m["email"]), value) }
	case "phone":
		same = func(m map[string]any) bool { return digitsOf(scalar(m["phone"])) == digitsOf(value) }
	default:
		return nil, connectors.Permanent(fmt.Errorf("shopify: cannot find customers by %q (email, phone)", key))
	}
	if value == "" {
		return nil, fmt.Errorf("shopify: find customer by empty %s: %w", key, connectors.ErrNotFound)
	}
	q := url.Values{"query": {key + `:"` + value + `"`}, "limit": {"10"}}
	var out struct {
		Customers []map[string]any `json:"customers"`
	}
	if _, err := c.call(ctx, "GET", "/customers/search.json", q, nil, &out); err != nil {
		return nil, fmt.Errorf("shopify: find customer by %s: %w", key, err)
	}
	for _, m := range out.Customers {
		if same(m) {
			return customerRecord(m, "find customer by "+key)
		}
	}
	return nil, fmt.Errorf("shopify: no customer with that %s: %w", key, connectors.ErrNotFound)
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	_ connectors.Fetcher = (*Connector)(nil)
	_ connectors.Writer  = (*Connector)(nil)
	_ connectors.Updater = (*Connector)(nil)
	_ connectors.Finder  = (*Connector)(nil)
)

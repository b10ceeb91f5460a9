package magento

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Fetch re-reads one customer, order or cart.
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	switch resource {
	case connectors.ResourceOrder:
		return c.fetchOrder(ctx, externalID) // orders.go
	case connectors.ResourceCart:
		return c.fetchCart(ctx, externalID) // carts.go
	}
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("magento: cannot fetch %q", resource))
	}
	data, err := c.get(ctx, externalID)
	if err != nil {
		return nil, err
	}
	return customerRecord(data, "fetch customer "+externalID)
}

func (c *Connector) get(ctx context.Context, externalID string) (map[string]any, error) {
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := c.call(ctx, "GET", "/customers/"+id, nil, nil, &out); err != nil {
		return nil, fmt.Errorf("magento: fetch customer %s: %w", id, err)
	}
	return out, nil
}

// Upsert creates (externalID empty) or updates a customer with a payload
// rendered by the mapping.
//
// Magento's PUT /V1/customers/{id} saves the whole object: whatever the
// body leaves out is lost (custom attributes, dob, gender, group). So an
// update reads the customer first, merges the payload into what Magento
// holds (see mergeCustomer), and PUTs the complete record — or nothing at
// all when the merge changes nothing, so a repeated push costs one GET and
// causes no write and no echo. The read-modify-write is not atomic: an
// admin edit between the GET and the PUT is overwritten; the hub's push
// lock keeps shophub's own writes to one customer serial.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("magento: cannot push %q", resource))
	}
	if err := c.resolveRegions(ctx, payload); err != nil { // directory.go
		return nil, err
	}
	payload, waiting := c.definedAttributes(ctx, payload) // attributes.go
	if payload == nil {
		return nil, waiting
	}
	if externalID == "" {
		body := map[string]any{"customer": newCustomer(payload, c.settings)}
		var out map[string]any
		if err := c.call(ctx, "POST", "/customers", nil, body, &out); err != nil {
			return nil, fmt.Errorf("magento: create customer: %w", err)
		}
		rec, err := customerRecord(out, "create customer")
		if err != nil {
			return nil, err
		}
		return rec, waiting
	}
	current, err := c.get(ctx, externalID)
	if err != nil {
		return nil, err
	}
	rec, err := c.update(ctx, externalID, current, payload)
	if err != nil {
		return nil, err
	}
	return rec, waiting
}

// Update is Upsert of an existing customer whose current state the
// pipeline has just read and merged. Magento has no conditional write and
// its PUT saves the whole customer, so an admin's save between that read
// and our PUT would be reverted, and its webhook would then fetch our
// values: the edit lost everywhere. Update reads the customer again right
// before the PUT and writes only when it is still what the pipeline read;
// otherwise it writes nothing and returns ErrChanged, and the pipeline
// merges the new state first. The window left is one GET's answer to the
// PUT's arrival.
func (c *Connector) Update(ctx context.Context, resource string, current *connectors.Record, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("magento: cannot push %q", resource))
	}
	if _, err := idPath(current.ExternalID); err != nil {
		return nil, err
	}
	// Regions as Upsert resolves them, before the check: a directory
	// lookup between the check and the PUT would widen the window.
	if err := c.resolveRegions(ctx, payload); err != nil { // directory.go
		return nil, err
	}
	payload, waiting := c.definedAttributes(ctx, payload) // attributes.go; before the check too
	if payload == nil {
		return nil, waiting
	}
	fresh, err := c.get(ctx, current.ExternalID)
	if err != nil {
		return nil, err
	}
	if !sameCustomer(fresh, current.Data) {
		return nil, fmt.Errorf("magento: customer %s: %w", current.ExternalID, connectors.ErrChanged)
	}
	rec, err := c.update(ctx, current.ExternalID, fresh, payload)
	if err != nil {
		return nil, err
	}
	return rec, waiting
}

// sameCustomer: a and b hold the same customer, whatever their updated_at.
func sameCustomer(a, b map[string]any) bool {
	strip := func(m map[string]any) any {
		out := connectors.CloneJSON(m).(map[string]any)
		for _, k := range readOnly {
			delete(out, k)
		}
		return out
	}
	return connectors.SameJSON(strip(a), strip(b))
}

// update merges payload into current and PUTs the result, or nothing when
// the merge changes nothing.
func (c *Connector) update(ctx context.Context, externalID string, current, payload map[string]any) (*connectors.Record, error) {
	merged := mergeCustomer(current, payload, c.settings.PlaceholderTelephone)
	unchanged := connectors.CloneJSON(current).(map[string]any)
	for _, k := range readOnly {
		delete(unchanged, k)
	}
	if connectors.SameJSON(merged, unchanged) {
		return customerRecord(current, "update customer "+externalID)
	}
	var out map[string]any
	if err := c.call(ctx, "PUT", "/customers/"+externalID, nil, map[string]any{"customer": merged}, &out); err != nil {
		return nil, fmt.Errorf("magento: update customer %s: %w", externalID, err)
	}
	return customerRecord(out, "update customer "+externalID)
}

// Delete removes a customer. An already deleted customer counts as success,
// so a retried delete task does not fail forever.
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("magento: cannot delete %q", resource))
	}
	id, err := idPath(externalID)
	if err != nil {
		return err
	}
	if err := c.call(ctx, "DELETE", "/customers/"+id, nil, nil, nil); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("magento: delete customer %s: %w", id, err)
	}
	return nil
}

// FindBy looks a customer up by email in the configured website (Magento
// keeps emails unique per website). Phones live on addresses, which the
// customer search cannot filter on, so email is the only key.
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("magento: cannot search %q", resource))
	}
	if key != "email" {
		return nil, connectors.Permanent(fmt.Errorf("magento: cannot find customers by %q (email only)", key))
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("magento: find customer by empty email: %w", connectors.ErrNotFound)
	}
	q := searchQuery{
		groups: [][]searchFilter{
			{{"email", "eq", value}},
			{{"website_id", "eq", strconv.Itoa(c.settings.WebsiteID)}},
		},
		size: 10,
		page: 1,
	}
	res, err := c.search(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("magento: find customer by email: %w", err)
	}
	for _, m := range res.Items {
		if s, _ := m["email"].(string); strings.EqualFold(strings.TrimSpace(s), value) {
			return customerRecord(m, "find customer by email")
		}
	}
	return nil, fmt.Errorf("magento: no customer with that email: %w", connectors.ErrNotFound)
}

var (
	_ connectors.Fetcher = (*Connector)(nil)
	_ connectors.Writer  = (*Connector)(nil)
	_ connectors.Updater = (*Connector)(nil)
	_ connectors.Finder  = (*Connector)(nil)
)

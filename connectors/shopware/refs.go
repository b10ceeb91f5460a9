package shopware

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// createRefs are the ids a new customer needs besides its own data.
type createRefs struct {
	salesChannel, group, salutation, paymentMethod, language string
}

// createDefaults returns the configured ids, resolving empty ones to the
// first the shop lists. Resolved once per connector; a failure is retried
// on the next create.
func (c *Connector) createDefaults(ctx context.Context) (createRefs, error) {
	c.refsMu.Lock()
	defer c.refsMu.Unlock()
	if c.refs != nil {
		return *c.refs, nil
	}
	s := c.settings
	r := createRefs{salesChannel: s.SalesChannelID, group: s.GroupID, salutation: s.SalutationID, paymentMethod: s.DefaultPaymentMethodID, language: s.LanguageID}
	if r.language == "" {
		r.language = systemLanguageID
	}
	active := []any{map[string]any{"type": "equals", "field": "active", "value": true}}
	lookups := []struct {
		dst    *string
		entity string
		filter []any
		sort   string
	}{
		{&r.salesChannel, "sales-channel", active, "createdAt"},
		{&r.group, "customer-group", nil, "createdAt"},
		{&r.paymentMethod, "payment-method", active, "position"},
		{&r.salutation, "salutation", []any{map[string]any{"type": "equals", "field": "salutationKey", "value": "not_specified"}}, "createdAt"},
	}
	for _, l := range lookups {
		if *l.dst != "" {
			continue
		}
		crit := map[string]any{"limit": 1, "sort": []any{map[string]any{"field": l.sort, "order": "ASC"}}, "total-count-mode": 0}
		if l.filter != nil {
			crit["filter"] = l.filter
		}
		data, err := c.search(ctx, l.entity, crit)
		if err == nil && len(data) == 0 && l.filter != nil {
			delete(crit, "filter")
			data, err = c.search(ctx, l.entity, crit)
		}
		if err != nil {
			return createRefs{}, fmt.Errorf("shopware: resolve default %s: %w", l.entity, err)
		}
		if len(data) == 0 {
			if l.entity == "salutation" {
				continue // optional since 6.5
			}
			return createRefs{}, connectors.Permanent(fmt.Errorf("shopware: the shop has no %s; set it in the settings", l.entity))
		}
		*l.dst, _ = data[0]["id"].(string)
	}
	c.refs = &r
	return r, nil
}

// countryID resolves an ISO-2 code, cached for the connector's life.
func (c *Connector) countryID(ctx context.Context, iso string) (string, error) {
	iso = strings.ToUpper(strings.TrimSpace(iso))
	if len(iso) != 2 {
		return "", connectors.Permanent(fmt.Errorf("shopware: country %q is not an ISO 3166-1 alpha-2 code", iso))
	}
	c.countryMu.Lock()
	defer c.countryMu.Unlock()
	if id, ok := c.countries[iso]; ok {
		return id, nil
	}
	data, err := c.search(ctx, "country", map[string]any{
		"limit":  1,
		"filter": []any{map[string]any{"type": "equals", "field": "iso", "value": iso}},
	})
	if err != nil {
		return "", fmt.Errorf("shopware: resolve country %s: %w", iso, err)
	}
	if len(data) == 0 {
		return "", connectors.Permanent(fmt.Errorf("shopware: the shop has no country %s", iso))
	}
	id, _ := data[0]["id"].(string)
	c.countries[iso] = id
	return id, nil
}

// countryStateID resolves an ISO 3166-2 code (Shopware's country_state
// shortCode, "DE-HH") to its id, cached for the connector's life. A code
// the shop has no state for (or text that is no code) gives "": the
// address then has no state, which Shopware allows.
func (c *Connector) countryStateID(ctx context.Context, code string) (string, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) < 4 || code[2] != '-' {
		return "", nil
	}
	c.countryMu.Lock()
	defer c.countryMu.Unlock()
	if id, ok := c.countries[code]; ok {
		return id, nil
	}
	data, err := c.search(ctx, "country-state", map[string]any{
		"limit":  1,
		"filter": []any{map[string]any{"type": "equals", "field": "shortCode", "value": code}},
	})
	if err != nil {
		return "", fmt.Errorf("shopware: resolve country state %s: %w", code, err)
	}
	id := ""
	if len(data) > 0 {
		id, _ = data[0]["id"].(string)
	}
	c.countries[code] = id
	return id, nil
}

// tagRefs resolves tag names to [{"id": …}], creating missing tags. Held
// under a mutex so concurrent pushes in one process do not create the same
// tag twice; two processes still can (Shopware does not enforce unique tag
// names), which only costs a duplicate name.
func (c *Connector) tagRefs(ctx context.Context, names []string) ([]any, error) {
	c.tagMu.Lock()
	defer c.tagMu.Unlock()
	var missing []string
	for _, n := range names {
		if _, ok := c.tags[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		data, err := c.search(ctx, "tag", map[string]any{
			"filter": []any{map[string]any{"type": "equalsAny", "field": "name", "value": missing}},
			"sort":   []any{map[string]any{"field": "createdAt", "order": "ASC"}},
			"limit":  maxPageSize,
		})
		if err != nil {
			return nil, fmt.Errorf("shopware: resolve tags: %w", err)
		}
		for _, d := range data {
			name, _ := d["name"].(string)
			id, _ := d["id"].(string)
			if _, ok := c.tags[name]; !ok && slices.Contains(missing, name) {
				c.tags[name] = id
			}
		}
		for _, n := range missing {
			if _, ok := c.tags[n]; ok {
				continue
			}
			id := newID()
			if _, err := c.do(ctx, http.MethodPost, "/api/tag", map[string]any{"id": id, "name": n}, nil); err != nil {
				return nil, fmt.Errorf("shopware: create tag %q: %w", n, err)
			}
			c.tags[n] = id
		}
	}
	out := make([]any, 0, len(names))
	for _, n := range names {
		out = append(out, map[string]any{"id": c.tags[n]})
	}
	return out, nil
}

package odoo

import (
	"context"
	"errors"
	"fmt"

	"github.com/shophub/shophub/connectors"
)

// Erase removes a partner for an erasure and says what really happened.
// Asked to delete, it unlinks the partner; Odoo refuses when invoices or
// orders refer to it, and archiving alone would keep every personal field,
// so the partner is then anonymized (and archived) instead and the outcome
// says anonymized. Asked to anonymize, it overwrites the partner and its
// child contacts (delivery and invoice addresses are partners under it)
// with placeholders and archives them. An unknown partner is gone.
func (c *Connector) Erase(ctx context.Context, resource, externalID, mode, token string) (string, error) {
	if resource != connectors.ResourceCustomer {
		return "", connectors.Permanent(fmt.Errorf("odoo: cannot erase %q", resource))
	}
	id, err := parseID(externalID)
	if err != nil {
		return "", err
	}
	if mode == connectors.EraseDelete {
		err := c.rpc.call(ctx, "res.partner", "unlink", map[string]any{"ids": []int64{id}}, nil)
		switch {
		case err == nil:
			return connectors.ErasedDeleted, nil
		case errors.Is(err, connectors.ErrNotFound):
			return connectors.ErasedGone, nil
		case !errors.Is(err, connectors.ErrPermanent):
			return "", fmt.Errorf("odoo: delete partner %d: %w", id, err)
		}
		// Refused (referenced by invoices): anonymize below.
	}
	ids := []int64{id}
	var children []struct {
		ID int64 `json:"id"`
	}
	// Archived children too: "active in (true, false)" lifts Odoo's
	// implicit active filter.
	domain := []any{[]any{"parent_id", "=", id}, []any{"active", "in", []any{true, false}}}
	if err := c.rpc.call(ctx, "res.partner", "search_read", map[string]any{"domain": domain, "fields": []string{"id"}}, &children); err != nil {
		return "", fmt.Errorf("odoo: contacts of partner %d: %w", id, err)
	}
	for _, ch := range children {
		ids = append(ids, ch.ID)
	}
	vals := map[string]any{"name": "Erased Customer", "email": "erased-" + token + "@example.invalid", "active": false}
	for _, f := range []string{"phone", "mobile", "street", "street2", "zip", "city", "vat", "comment", "company_name", "website", "function"} {
		vals[f] = false
	}
	err = c.rpc.call(ctx, "res.partner", "write", map[string]any{"ids": ids, "vals": vals}, nil)
	if errors.Is(err, connectors.ErrNotFound) {
		return connectors.ErasedGone, nil
	}
	if err != nil {
		return "", fmt.Errorf("odoo: anonymize partner %d: %w", id, err)
	}
	return connectors.ErasedAnonymized, nil
}

var _ connectors.Eraser = (*Connector)(nil)

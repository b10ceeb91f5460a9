package magento

import (
	"context"
	"errors"
	"fmt"

	"github.com/shophub/shophub/connectors"
)

// Orders are read, never written: Magento owns them. They are polled
// (Magento Open Source has no webhooks) with the customers' keyset cursor
// over GET /V1/orders?searchCriteria, and re-read with GET /V1/orders/{id}.
// The admin user needs Magento_Sales::actions_view besides the customer
// resources.

// lister is where a resource is searched and how a hit becomes a record.
type lister struct {
	path   string
	record func(map[string]any) (*connectors.Record, error)
}

var listers = map[string]lister{
	connectors.ResourceCustomer: {path: "/customers/search", record: record},
	connectors.ResourceOrder:    {path: "/orders", record: orderRecord},
	connectors.ResourceCart:     {path: "/carts/search", record: cartRecord}, // carts.go
}

// orderRecord turns a REST sales order into a vendor record.
func orderRecord(data map[string]any) (*connectors.Record, error) {
	id := connectors.IDString(data["entity_id"])
	if id == "" {
		return nil, errors.New("order without entity_id")
	}
	rec := &connectors.Record{Resource: connectors.ResourceOrder, ExternalID: id, Data: data}
	if s, ok := data["updated_at"].(string); ok && s != "" {
		t, err := parseDate(s)
		if err != nil {
			return nil, fmt.Errorf("order %s: updated_at %q: %w", id, s, err)
		}
		rec.UpdatedAt = t
	}
	return rec, nil
}

// fetchOrder re-reads one order.
func (c *Connector) fetchOrder(ctx context.Context, externalID string) (*connectors.Record, error) {
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := c.call(ctx, "GET", "/orders/"+id, nil, nil, &out); err != nil {
		return nil, fmt.Errorf("magento: fetch order %s: %w", id, err)
	}
	rec, err := orderRecord(out)
	if err != nil {
		return nil, fmt.Errorf("magento: fetch order %s: %w", id, err)
	}
	return rec, nil
}

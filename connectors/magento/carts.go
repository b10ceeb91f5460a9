package magento

import (
	"context"
	"errors"
	"fmt"

	"github.com/shophub/shophub/connectors"
)

// Carts are Magento's quotes, polled through the admin carts search
// (GET /V1/carts/search, Magento\Quote\Api\CartRepositoryInterface::getList;
// the admin user needs Magento_Cart::manage) with the customers' keyset
// cursor over the quote table's updated_at and entity_id, and re-read
// with GET /V1/carts/{id}. The listing is not filtered by is_active: the
// save that deactivates a quote when its order is placed moves updated_at
// (the column is ON UPDATE CURRENT_TIMESTAMP), and that change is how
// the hub learns the cart was completed.
//
// What a quote gives: its lines (CartItemInterface: sku, name, qty, unit
// price — only while the quote is active; Magento loads no items for an
// inactive one), the currency (currency.quote_currency_code), the
// customer (the customer record for a customer's quote; for a guest's,
// an empty one and the email on billing_address), created_at and
// updated_at in whole seconds (UTC), is_active and reserved_order_id.
// What it does not give: a total (CartInterface has no total getter, so
// the search renders none though it can filter by grand_total; the
// default mapping sums the lines' prices, before shipping, tax and
// discounts — GET /V1/carts/{id}/totals would cost a request per cart and
// answers only for active quotes) and a recovery URL (Magento has no
// link that restores a quote; the customer finds the cart again by
// signing in, a guest not at all).

// cartRecord turns a rendered quote into a vendor record.
func cartRecord(data map[string]any) (*connectors.Record, error) {
	id := connectors.IDString(data["id"])
	if id == "" {
		return nil, errors.New("cart without id")
	}
	rec := &connectors.Record{Resource: connectors.ResourceCart, ExternalID: id, Data: data}
	if s, ok := data["updated_at"].(string); ok && s != "" {
		t, err := parseDate(s)
		if err != nil {
			return nil, fmt.Errorf("cart %s: updated_at %q: %w", id, s, err)
		}
		rec.UpdatedAt = t
	}
	return rec, nil
}

// fetchCart re-reads one quote.
func (c *Connector) fetchCart(ctx context.Context, externalID string) (*connectors.Record, error) {
	id, err := idPath(externalID)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := c.call(ctx, "GET", "/carts/"+id, nil, nil, &out); err != nil {
		return nil, fmt.Errorf("magento: fetch cart %s: %w", id, err)
	}
	rec, err := cartRecord(out)
	if err != nil {
		return nil, fmt.Errorf("magento: fetch cart %s: %w", id, err)
	}
	return rec, nil
}

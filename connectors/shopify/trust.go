package shopify

import "github.com/shophub/shophub/connectors"

// Verified rates a Shopify customer: unverified when verified_email is
// false — a storefront sign-up nobody confirmed, or a checkout that typed
// an address. Customers created in the admin or through the API are
// verified by Shopify's default. The account state is not used: a
// customer the merchant entered without inviting them is "disabled" (no
// account), yet the merchant vouches for them.
func (c *Connector) Verified(resource string, data map[string]any) bool {
	if resource != connectors.ResourceCustomer {
		return true
	}
	v, ok := data["verified_email"].(bool)
	return !ok || v
}

var _ connectors.Truster = (*Connector)(nil)

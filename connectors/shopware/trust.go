package shopware

import "github.com/shophub/shophub/connectors"

// Verified rates a Shopware customer: a guest account (guest: true, made
// by a checkout without registering) is unverified, since anyone can
// check out under any email address.
func (c *Connector) Verified(resource string, data map[string]any) bool {
	if resource != connectors.ResourceCustomer {
		return true
	}
	guest, _ := data["guest"].(bool)
	return !guest
}

var _ connectors.Truster = (*Connector)(nil)

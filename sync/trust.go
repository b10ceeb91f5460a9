package sync

import (
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
)

// unverified reports whether nobody vouched for a vendor record's
// identity: by the instance's trust setting, else as its connector rates
// the record (connectors.Truster; unrated connectors are verified).
//
// The hub lets such a record link to the person its email names and fill
// empty fields, but never overwrite fields verified sources set
// (hub.merger.mayOverwrite), and pushes nothing into it (Push): a guest
// checkout under someone else's email must neither rewrite that person
// everywhere nor receive their data. Keeping it as a separate identity was
// the alternative; it would break the hub's one-customer-per-email rule
// and leave a real guest's order history apart from their account.
func (tp *Touchpoint) unverified(resource string, data map[string]any) bool {
	switch tp.Config.TrustLevel() {
	case config.TrustVerified:
		return false
	case config.TrustUnverified:
		return true
	}
	if r, ok := tp.Conn.(connectors.Truster); ok {
		return !r.Verified(resource, data)
	}
	return false
}

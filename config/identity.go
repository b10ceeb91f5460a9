package config

// What follows a vendor's deletion of a record (connectors[].on_delete).
// The deletion itself is always recorded on the hub's link, with its time
// and source, and shown in the 360° view and the change log.
const (
	// OnDeleteUnlink (the default): the link is marked deleted, the person
	// stays in the hub and the other touchpoints, and no push ever creates
	// the record at this instance again. Someone deleted it on purpose.
	OnDeleteUnlink = "unlink"
	// OnDeletePropagate: the deletion is an erasure of the person — every
	// other touchpoint deletes or anonymizes its record per its erasure
	// mode, and the hub forgets them (audited like a GDPR erasure).
	OnDeletePropagate = "propagate"
	// OnDeleteRecreate: the link is dropped and the next change of the
	// person creates the record at this instance anew.
	OnDeleteRecreate = "recreate"
)

// DeletePolicy is the instance's on_delete, OnDeleteUnlink when unset.
func (c Connector) DeletePolicy() string {
	if c.OnDelete == "" {
		return OnDeleteUnlink
	}
	return c.OnDelete
}

// Trust levels of an instance's records (connectors[].trust). A verified
// record can merge into a person and overwrite fields by the merge policy;
// an unverified one (a guest checkout, an email nobody confirmed) may link
// to a person and fill empty fields, but never overwrites fields held from
// verified sources, and its record gets no pushes: the hub's person is
// never written into a stranger's account.
const (
	// TrustAuto (the default): each record as its connector rates it
	// (Shopify: verified_email; Shopware: guest accounts); connectors that
	// do not rate records are verified.
	TrustAuto = "auto"
	// TrustVerified: every record of the instance is verified.
	TrustVerified = "verified"
	// TrustUnverified: no record of the instance is (e.g. a helpdesk
	// whose customers are whoever wrote in).
	TrustUnverified = "unverified"
)

// TrustLevel is the instance's trust, TrustAuto when unset.
func (c Connector) TrustLevel() string {
	if c.Trust == "" {
		return TrustAuto
	}
	return c.Trust
}

// identity checks the trust and on_delete settings of a connector.
func (v *validator) identity(p string, c Connector) {
	switch c.Trust {
	case "", TrustAuto, TrustVerified, TrustUnverified:
	default:
		v.errorf(p+".trust", "must be %s, %s or %s, got %q", TrustAuto, TrustVerified, TrustUnverified, c.Trust)
	}
	switch c.OnDelete {
	case "", OnDeleteUnlink, OnDeletePropagate, OnDeleteRecreate:
	default:
		v.errorf(p+".on_delete", "must be %s, %s or %s, got %q", OnDeleteUnlink, OnDeletePropagate, OnDeleteRecreate, c.OnDelete)
	}
}

// Match keys (hub.match_keys), tried in order after a record's link to
// find the customer it belongs to. email_name matches by email as email
// does, but a record whose first or last name differs from the customer's
// is an unverified match (linked, never overwriting verified fields, no
// pushes to it); it satisfies the rule that email be a key.
const (
	MatchKeyEmail          = "email"
	MatchKeyEmailName      = "email_name"
	MatchKeyPhone          = "phone"
	MatchKeyCustomerNumber = "customer_number"
)

func knownMatchKey(k string) bool {
	switch k {
	case MatchKeyEmail, MatchKeyEmailName, MatchKeyPhone, MatchKeyCustomerNumber:
		return true
	}
	return false
}

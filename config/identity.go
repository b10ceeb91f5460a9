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

func (v *validator) onDelete(p string, c Connector) {
	switch c.OnDelete {
	case "", OnDeleteUnlink, OnDeletePropagate, OnDeleteRecreate:
	default:
		v.errorf(p+".on_delete", "must be %s, %s or %s, got %q", OnDeleteUnlink, OnDeletePropagate, OnDeleteRecreate, c.OnDelete)
	}
}

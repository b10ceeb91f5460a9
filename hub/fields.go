package hub

import "sort"

// merger applies one inbound doc to a customer's state in memory.
type merger struct {
	pol  Policy
	in   Inbound
	data map[string]any
	prov map[string]Provenance
	// baseline is the source's previous record. Only fields that changed
	// against it are the source's new assertions: a record re-sent because
	// something unmapped changed (a login) asserts nothing.
	baseline map[string]any
	// pushed is what the hub last pushed to this record: a value equal to
	// it is our own write coming back, not an edit at the source.
	pushed map[string]any
	// emailTaken reports whether another customer holds an email.
	emailTaken func(email string) bool
	changes    []Change
	refused    []Change
	stale      bool
	conflicts  []string
}

func (m *merger) apply(custID uint64, created bool) {
	fields := make([]string, 0, len(m.in.Doc))
	for f := range m.in.Doc {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		nv := m.in.Doc[f]
		cv, has := m.data[f]
		equal := has && jsonEqual(cv, nv)
		old, hadOld := m.baseline[f]
		if !equal && hadOld && jsonEqual(old, nv) {
			continue // unchanged at the source since its last record
		}
		if p, ok := m.pushed[f]; ok && !equal && jsonEqual(p, nv) {
			// The echo of an earlier push, arriving after a newer edit and
			// stamped later than it: not an edit, must not revert it.
			continue
		}
		if !equal && isEmpty(nv) && (!hadOld || isEmpty(old)) {
			// Empty from a source that never held a value is no clearing:
			// a vendor that cannot store a field (Shopware keeps phones only
			// on addresses) sends it empty with every record, newer than
			// the value it never had.
			continue
		}
		if !m.pol.Allowed(f, m.in.Instance) {
			if !equal {
				m.stale = true
				m.refused = append(m.refused, m.change(custID, f, cv, has, nv, "owned by "+m.pol.Owners[f]))
			}
			continue
		}
		cur := m.prov[f]
		if !m.pol.Wins(f, m.in.Instance, m.in.SourceAt, cur) {
			if !equal {
				m.stale = true
			}
			continue
		}
		p := Provenance{Instance: m.in.Instance, At: m.in.SourceAt}
		if equal {
			// Provenance keeps the edit that set the value, not the systems
			// that later repeated it: an echo of our own push is nobody's
			// edit, and a delayed but genuinely later edit elsewhere must
			// still win over it.
			continue
		}
		if f == "email" && !created {
			if e, _ := nv.(string); e != "" && m.emailTaken(e) {
				m.conflicts = append(m.conflicts, f)
				continue
			}
		}
		m.changes = append(m.changes, m.change(custID, f, cv, has, nv, ""))
		m.data[f] = nv
		m.prov[f] = p
	}
}

func (m *merger) change(custID uint64, f string, cv any, has bool, nv any, rejected string) Change {
	return Change{CustomerID: custID, Field: f, OldValue: jsonOrEmpty(cv, has), NewValue: mustJSON(nv),
		Instance: m.in.Instance, EventID: m.in.EventID, SourceAt: m.in.SourceAt, Rejected: rejected}
}

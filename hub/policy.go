package hub

import "time"

// Policy decides which source wins a field (or an address sub-field:
// entries for "billing_address" apply to each of its sub-fields unless
// "billing_address.city" has its own). Newer source time wins; ties go
// to the more trusted instance (Priority), and among equals to the later
// arrival. Many vendors stamp whole seconds, so edits in two systems within
// one second are common; the one that reached the hub last is the edit a
// user most likely made last, and an operator who wants a fixed answer
// lists a priority. Owners restrict a field to one instance outright ("the
// ERP owns billing addresses").
type Policy struct {
	// Priority maps a canonical field, or "*" for all, to instance names,
	// most trusted first.
	Priority map[string][]string
	// MatchKeys are hub.match_keys: the keys that find a record's customer
	// when it has no link yet, in order (identity.go; nil = [email]).
	MatchKeys []string
	// Owners maps a canonical field to the only instance that may set it.
	Owners map[string]string
}

// Allowed reports whether instance may change field at all.
func (p Policy) Allowed(field, instance string) bool {
	owner := p.owner(field)
	return owner == "" || owner == instance
}

// owner is the instance that owns a field or sub-field, "" if none.
func (p Policy) owner(path string) string {
	if owner, ok := p.Owners[path]; ok {
		return owner
	}
	if top := topField(path); top != path {
		return p.Owners[top]
	}
	return ""
}

func (p Policy) rank(field, instance string) int {
	list, ok := p.Priority[field]
	if !ok {
		list, ok = p.Priority[topField(field)]
	}
	if !ok {
		list = p.Priority["*"]
	}
	for i, name := range list {
		if name == instance {
			return i
		}
	}
	return len(list)
}

// Wins reports whether a value from instance at time at replaces the value
// currently held with provenance cur.
func (p Policy) Wins(field, instance string, at time.Time, cur Provenance) bool {
	if cur.Instance == "" {
		return true
	}
	if !at.Equal(cur.At) {
		return at.After(cur.At)
	}
	return p.rank(field, instance) <= p.rank(field, cur.Instance)
}

// Provenance says which instance set a field and at what source time.
type Provenance struct {
	Instance string    `json:"instance"`
	At       time.Time `json:"at"`
	// Unverified: set by a record whose identity nobody vouched for (a
	// guest checkout, an unconfirmed email); a verified source may
	// replace it whenever (see merger.mayOverwrite).
	Unverified bool `json:"unverified,omitempty"`
}

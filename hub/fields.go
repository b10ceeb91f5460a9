package hub

import (
	"sort"
	"strings"
	"time"

	"github.com/shophub/shophub/internal/jsonx"
	"github.com/shophub/shophub/mappings"
)

// merger applies one inbound doc to a customer's state in memory.
//
// The unit of merge is a path: a canonical field, or one sub-field of an
// address ("billing_address.city"), each with its own provenance. A record
// speaks only for the paths its touchpoint covers (Inbound.Coverage): a
// vendor without regions never clears the hub's region, and one edit of a
// city never rewrites another system's phone on the same address.
type merger struct {
	pol  Policy
	in   Inbound
	data map[string]any
	prov map[string]Provenance
	// baseline is the source's previous record. Only paths that changed
	// against it are the source's new assertions: a record re-sent because
	// something unmapped changed (a login) asserts nothing.
	baseline map[string]any
	// pushed is what the hub last pushed to this record: a value equal to
	// it is our own write coming back, not an edit at the source.
	pushed map[string]any
	// filled is what the target filled in for that push where the hub
	// holds nothing (FilledKey), by path: as the target holds our write,
	// it stands for the pushed value there.
	filled map[string]any
	// pushedAt is when that push was recorded (zero when unknown).
	pushedAt time.Time
	// baselineAt is the baseline's source time (the link's last inbound
	// time; zero when unknown).
	baselineAt time.Time
	// baselineReadAt is when shophub read the baseline from the source
	// (Link.LastInboundReadAt; zero for a webhook's body or when unknown).
	baselineReadAt time.Time
	// emailTaken reports whether another customer holds an email.
	emailTaken func(email string) bool
	// linked: the source's link existed before this record (a new link
	// may be the first sight of a record a push is creating right now,
	// read before the push could record it).
	linked  bool
	created bool
	changes []Change
	// createdValues holds the new value of each change while created:
	// their NewValue is left empty until the creation's row is made.
	createdValues []any
	refused       []Change
	// changed lists the top-level fields changed, each once, in order.
	changed   []string
	stale     bool
	conflicts []string
	// vouched: a verified record took over an unverified value's
	// provenance (vouch): the customer's provenance changed though its
	// data did not.
	vouched bool
	// readBefore: a path was passed over as read before our last push
	// (readBeforePush); the record does not become the source's baseline.
	readBefore bool
}

// slot is one path's values as the merge compares them: the hub's current
// value, the source's previous one and the one last pushed to it.
type slot struct {
	path, field string
	cur         any
	has         bool
	old         any
	hadOld      bool
	pushed      any
	hadPushed   bool
	// filled: pushed is the target's fill for our empty value (FilledKey).
	filled bool
}

func (m *merger) apply(custID uint64, created bool) {
	m.created = created
	fields := make([]string, 0, len(m.in.Doc))
	for f := range m.in.Doc {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		nv := m.in.Doc[f]
		if isAddress(f) {
			m.applyAddress(custID, f, nv)
			continue
		}
		s := slot{path: f, field: f}
		s.cur, s.has = m.data[f]
		s.old, s.hadOld = m.baseline[f]
		s.pushed, s.hadPushed = m.pushed[f]
		m.fill(&s)
		if m.decide(custID, s, nv) {
			m.data[f] = nv
		}
	}
}

// applyAddress merges an address sub-field by sub-field, over the keys the
// source covers. A key the record's address lacks is empty there (the
// canonical form drops blank keys); an address that is not an object at
// all was cleared as a whole.
func (m *merger) applyAddress(custID uint64, f string, nv any) {
	na, _ := nv.(map[string]any)
	ca, _ := m.data[f].(map[string]any)
	ba, hadBase := m.baseline[f].(map[string]any)
	pa, hadPushed := m.pushed[f].(map[string]any)
	own := false
	if len(ca) == 0 && m.filledUnder(f) && m.wholeFill(f, ba) {
		if m.sharedFill(f, na) {
			return
		}
		// No longer the other address: an address of its own given at
		// the target, every key of it, whatever the copy held.
		own, hadBase, hadPushed = true, false, false
	}
	paths := addressPaths[f]
	for i, k := range mappings.AddressKeys {
		if m.in.Coverage != nil && m.in.Coverage.Assert(paths[i]) == mappings.AssertNone {
			continue
		}
		s := slot{path: paths[i], field: f, hadOld: hadBase, hadPushed: hadPushed}
		s.cur, s.has = ca[k]
		s.old, s.pushed = subValue(ba, k), subValue(pa, k)
		if !own {
			m.fill(&s)
		}
		v := subValue(na, k)
		if !m.decide(custID, s, v) {
			continue
		}
		if ca == nil {
			// A fresh object: never one shared with an inbound doc.
			ca = make(map[string]any, len(mappings.AddressKeys))
			m.data[f] = ca
		}
		if isEmpty(v) {
			delete(ca, k)
		} else {
			ca[k] = v
		}
	}
}

// sharedFill: of an address f the hub holds none of and the target filled
// in for our write, the record's f is another of its addresses as it stands
// (Shopware's default shipping address, made the billing address itself
// for a customer without one). An edit of that address at the target is
// an edit of the other one; f says nothing a person gave, only that the
// two are one entity there.
func (m *merger) sharedFill(f string, na map[string]any) bool {
	if len(na) == 0 {
		return true // nothing to give
	}
	for g, v := range m.in.Doc {
		if g != f && isAddress(g) && jsonEqual(v, na) {
			return true
		}
	}
	return false
}

// wholeFill: the target's last record (its address f: base) held nothing
// there but its fills, so the whole address was its copy; an address the
// hub cleared keeps what the target held of its own as before.
func (m *merger) wholeFill(f string, base map[string]any) bool {
	for i, k := range mappings.AddressKeys {
		if v := subValue(base, k); !isEmpty(v) {
			if _, ok := m.filled[addressPaths[f][i]]; !ok {
				return false
			}
		}
	}
	return true
}

// filledUnder: a path of address f is a fill (FilledKey).
func (m *merger) filledUnder(f string) bool {
	for _, p := range addressPaths[f] {
		if _, ok := m.filled[p]; ok {
			return true
		}
	}
	return false
}

// fill puts the target's fill in place of the pushed value where it filled
// the path in.
func (m *merger) fill(s *slot) {
	if v, ok := m.filled[s.path]; ok {
		s.pushed, s.hadPushed, s.filled = v, true, true
	}
}

// subValue is an address key's value, "" when absent.
func subValue(a map[string]any, k string) any {
	if v, ok := a[k]; ok && v != nil {
		return v
	}
	return ""
}

// decide merges one path: it records the change (or the refusal) and
// reports whether nv is to be stored.
func (m *merger) decide(custID uint64, s slot, nv any) bool {
	equal := s.has && jsonEqual(s.cur, nv) || !s.has && s.path != s.field && isEmpty(nv)
	if equal {
		// Provenance keeps the edit that set the value, not the systems
		// that later repeated it: an echo of our own push is nobody's
		// edit, and a delayed but genuinely later edit elsewhere must
		// still win over it. Only its trust may change (vouch).
		m.vouch(s, nv)
		return false
	}
	if s.filled && (!s.has || isEmpty(s.cur)) && jsonEqual(s.pushed, nv) {
		// What the target made of our write where the hub holds nothing
		// (FilledKey): nobody's value, and no reason to push again.
		return false
	}
	back := m.changedBack(s, nv)
	if s.hadOld && jsonEqual(s.old, nv) && !back {
		return false // unchanged at the source since its last record
	}
	if s.hadPushed && jsonEqual(s.pushed, nv) {
		// The echo of an earlier push, arriving after a newer edit and
		// stamped later than it: not an edit, must not revert it. The
		// source may still hold that older value (a push computed before
		// the newer edit, written after it): it gets the hub's values again.
		m.stale = true
		return false
	}
	if m.readBeforePush(s, nv) {
		// Listed before our last write there landed, merged after it was
		// recorded: an older state of the source, not an edit (see
		// readBeforePush). The source gets the hub's values again, and
		// that push's read-before-write reads it anew. The record is no
		// baseline either (merger.readBefore): an edit it may hold, which
		// that push's read-before-write would already have seen, must
		// still count when read again.
		m.stale, m.readBefore = true, true
		return false
	}
	if isEmpty(nv) && (!s.hadOld || isEmpty(s.old)) {
		// Empty from a source that never held a value is no clearing: a
		// record can reach the hub before the push that fills the field
		// there, and is newer than the value it never had.
		return false
	}
	if !m.asserts(s) {
		return false
	}
	cur := m.provOf(s.path, s.field)
	after := m.afterPush(s, nv)
	at := m.in.SourceAt
	recoveredAt, recovered := m.in.Recovered[s.path]
	if recovered {
		// An edit older than the record (Inbound.Recovered): ordered by
		// its own time against the hub's value, whatever our push.
		at, after = recoveredAt.UTC().Truncate(time.Microsecond), false
	} else if m.readAfterPush(s, nv) {
		// Edited at the source after our push landed there, whatever the
		// record's stamp says: it is at least as new as the push, and
		// newer than the value the push carried while the hub still holds
		// that value.
		if m.pushedAt.After(at) {
			at = m.pushedAt
		}
		if s.has && jsonEqual(s.cur, s.pushed) {
			after = true
		}
	}
	if !recovered && m.unstamped(s) && m.in.AnnouncedAt.After(at) {
		at = m.in.AnnouncedAt.UTC().Truncate(time.Microsecond)
	}
	if ok, reason := m.mayOverwrite(s.path, cur, at, after); !ok {
		m.stale = true
		if reason != "" {
			m.refused = append(m.refused, m.change(custID, s.path, s.cur, s.has, nv, reason))
		}
		return false
	}
	if s.path == "email" && !m.created {
		if e, _ := nv.(string); e != "" && m.emailTaken(e) {
			m.conflicts = append(m.conflicts, s.path)
			return false
		}
	}
	var c Change
	if m.created {
		// A creation's changes become one row holding every initial
		// value (mergeBatchOnce): a value is encoded only if it stays
		// alone (createdValue).
		c = Change{CustomerID: custID, Field: s.path, Instance: m.in.Instance, EventID: m.in.EventID, SourceAt: m.in.SourceAt}
		m.createdValues = append(m.createdValues, nv)
	} else {
		c = m.change(custID, s.path, s.cur, s.has, nv, "")
	}
	if recovered {
		c.SourceAt = at
	}
	m.changes = append(m.changes, c)
	if n := len(m.changed); n == 0 || m.changed[n-1] != s.field {
		m.changed = append(m.changed, s.field)
	}
	if after && cur.At.After(at) {
		// The edit came after our push of the value it replaces, so it is
		// at least as new as that value's own edit: a late record from
		// elsewhere stamped in between must not take it back.
		at = cur.At
	}
	m.prov[s.path] = Provenance{Instance: m.in.Instance, At: at, Unverified: m.in.Unverified}
	if back {
		// The source gets the hub's values again: that push writes
		// nothing (the source holds them) and records them as pushed, so
		// the record, listed again, is a duplicate and not weighed anew
		// against a push it has already answered.
		m.stale = true
	}
	return true
}

// vouch marks a value the hub holds from an unverified record as
// verified when a verified record asserts the same value: the account
// holder says it too. Without it a guest who registers later with the
// names and address they typed at checkout (the usual case) would leave
// all of them unverified, equal values changing nothing: the person would
// count as unverified (verifiedPerson, so the next stranger's guest order
// could overwrite them) and, once any field came verified, their own
// names would be left out of every push (Shareable); the email, which
// every record of the customer carries, always so.
//
// The edit's time stays the one that set the value (see decide), only
// the source that answers for it changes. Only a record we never pushed
// to vouches: one we did may hold our own write of the guest's value (a
// shop that rates every account it holds verified would hand it back
// verified), and not only the last push's, which leaves the unverified
// values out (Shareable) and so cannot tell an older write from the
// account's own. Nor does a path the source only fills
// (mappings.AssertFill): it repeats another field.
func (m *merger) vouch(s slot, nv any) {
	cur := m.provOf(s.path, s.field)
	if m.in.Unverified || !s.has || !cur.Unverified || m.in.Coverage.Assert(s.path) != mappings.AssertFull ||
		m.pushed != nil || len(m.filled) > 0 {
		return
	}
	m.prov[s.path] = Provenance{Instance: m.in.Instance, At: cur.At}
	m.vouched = true
}

// afterPush: the source holds nv, unlike what we last pushed to it, in a
// record stamped no earlier than that push's whole second, while the hub
// still holds the pushed value. A vendor stamping whole seconds (Magento,
// OXID, Help Scout) gives an admin's edit made in the second of our push
// a time before the push, often before the hub's edit we pushed; yet the
// record cannot predate the push (it would hold the pushed value, or an
// older push's one, which the stale-echo rule above takes): it is an edit
// at the vendor after our write and wins over the value it replaced.
func (m *merger) afterPush(s slot, nv any) bool {
	return s.hadPushed && !m.pushedAt.IsZero() && s.has && jsonEqual(s.cur, s.pushed) &&
		!jsonEqual(s.pushed, nv) && !m.in.SourceAt.Before(m.pushedAt.Truncate(time.Second))
}

// readAfterPush: shophub read the record (ReadAt) after recording its last
// push there, so the record holds that push's write or something written
// after it; a value unlike the one pushed (and unlike the source's
// previous record, which decide has ruled out) was written at the source
// after our push: an edit there, not an echo and not a late delivery.
// Vendors whose stamp does not move with every field (Magento's
// updated_at stays on an address-only edit, customer_entity's ON UPDATE)
// give such a record a time before the push, often before the hub's
// value the push carried; ordered by that stamp it would lose, and the
// push that answers it would write the old value back.
//
// Only a read counts: a webhook body may describe any older state, and a
// value equal to the last push is our own write (the stale-echo rule
// takes it). A value equal to an older push cannot be a stale echo here:
// a read after the last push sees the state after that push's write.
func (m *merger) readAfterPush(s slot, nv any) bool {
	return s.hadPushed && !m.pushedAt.IsZero() && !m.in.ReadAt.IsZero() && m.in.ReadAt.After(m.pushedAt) &&
		!jsonEqual(s.pushed, nv)
}

// unstamped: the record's stamp has not moved since the source's last
// record, yet this path changed there: the vendor's stamp does not cover
// it (Magento's customer_entity.updated_at stays on an address-only save,
// magento/magento2 #5013), and the edit is dated by the webhook that
// announced it (Inbound.AnnouncedAt), made no later than it arrived.
// Dated by the stamp it would lie before every edit since the source's
// last row save: an edit elsewhere made before it, and pushed there while
// it was made, would win, and its push would write the older value over
// it (convergence seed 16: a Magento street lost to an older Shopware
// street). Our last push dates it no better when that push landed before
// the edit elsewhere (merger.readAfterPush). A record no webhook named (a
// poll, a read before write) keeps its stamp: nothing bounds its edits
// from above but the read.
func (m *merger) unstamped(s slot) bool {
	// The baseline's time is kept in milliseconds (links.last_inbound_at).
	return s.hadOld && !m.in.AnnouncedAt.IsZero() && !m.baselineAt.IsZero() &&
		!m.in.SourceAt.Truncate(time.Millisecond).After(m.baselineAt)
}

// changedBack: a record read after our last push landed holds the
// source's previous value (its baseline) where the push wrote another.
// Our write was there, so somebody wrote the old value back after it: an
// edit at the source (Odoo city Kiel, our push writes Ulm, a user sets
// Kiel again before any poll saw Ulm). decide lets readAfterPush pass the
// baseline rule for exactly this: nv equals the baseline and differs from
// the value pushed, so the push changed the field. The values compared
// are canonical (the mapping's reading of the vendor's, as everywhere in
// the merge): a vendor value our push left alone because it renders the
// hub's equally (a phone's format, an email's case, a street split) reads
// back as the pushed value, not as an edit, and where two canonical
// values render alike (Odoo's one name field) the mapping reads the hub's
// or the pushed split back (sync previousDoc). An empty value stays no
// clearing (the rule after the stale-echo one), as from any source that
// never held one: a target that took only part of a write (a Magento
// attribute the store lacks) reads back without it. Before, the record counted as
// unchanged at the source and the hub kept our value: the user's edit
// was lost, and the source held it alone.
func (m *merger) changedBack(s slot, nv any) bool {
	return s.hadOld && jsonEqual(s.old, nv) && !jsonEqual(s.pushed, s.old) &&
		baselineBefore(m.baselineAt, m.baselineReadAt, m.pushedAt) && m.readAfterPush(s, nv)
}

// baselineBefore: the source's last record (stamped baselineAt, read at
// readAt, zero when a webhook carried it) is older than our last push
// there, so the push overwrote what it held. A record newer than the push
// and unlike it is a value the source held after our write that the hub
// did not take (refused as older than the hub's) or took and then lost
// to an edit elsewhere: the same value read again is unchanged there, not
// written back (convergence seed 6: an OXID first name refused as older
// than Help Scout's, read again by the next push's read before write,
// came back as an edit).
//
// The record's stamp alone cannot say so where it does not move with
// every field: Magento's updated_at stays at the customer's last row save
// on an address-only edit (magento/magento2 #5013), so an admin's city
// read after our push still looked older than it, and once Shopify had
// set the city back to the one we pushed, that city, read again by the
// push carrying Shopify's, passed for written back over it and took the
// hub back (TestMagentoOldValueIsNoSetBack). A record read after the push
// was recorded holds the state after our write, whatever its stamp. A
// read in the push's own millisecond (the times are kept in milliseconds,
// links.last_inbound_read_at) counts as before it: the push's own read
// before write often lands there against a fast target, and taking it for
// after would miss a value written back over our write, which the source
// would then hold alone; a read after the push in that millisecond would
// need an edit within it to matter (TestTakenValueReadAgainIsNoSetBack).
func baselineBefore(baselineAt, readAt, pushedAt time.Time) bool {
	return !baselineAt.IsZero() && baselineAt.Before(pushedAt) && (readAt.IsZero() || !readAt.After(pushedAt))
}

// storedReadAt is a record's read time as the link keeps it, nil when
// nobody read it (a webhook's body). It is cut to the column's
// milliseconds here: MySQL 8 rounds a finer time, and a read rounded up
// into a later millisecond could pass for one after our push
// (baselineBefore).
func storedReadAt(readAt time.Time) *time.Time {
	if readAt.IsZero() {
		return nil
	}
	t := readAt.UTC().Truncate(time.Millisecond)
	return &t
}

// timeOrZero is *t, the zero time for nil.
func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// changedBackPossible: the merge may find a value written back at the
// source (merger.changedBack) in in, so in is no duplicate of the source's
// last record even where it equals it: it was read after our last push
// there (the link l's last push), the source's last record (l's last
// inbound) is older than that push, and it differs from what that push
// wrote on a path it asserts in full. An empty value is left out (no
// clearing, see changedBack), and so is a path the source only fills
// (Shopware's billing phone, always its customer phone): it differs from
// the pushed address phone on every read, and would cost every push's
// read before write a merge. MergeBatch's duplicate rule and its cheaper copies
// (Store.SaidBefore, Store.Applied) ask it.
func changedBackPossible(in Inbound, l *Link) bool {
	if in.ReadAt.IsZero() || l.LastPushedAt == nil || l.LastInboundAt == nil || l.LastPushedDoc == "" || !in.ReadAt.After(*l.LastPushedAt) ||
		!baselineBefore(*l.LastInboundAt, timeOrZero(l.LastInboundReadAt), *l.LastPushedAt) {
		return false
	}
	var pushed map[string]any
	if jsonx.Unmarshal([]byte(l.LastPushedDoc), &pushed) != nil {
		return false
	}
	pushed, fills := PushedFills(pushed)
	for f, nv := range in.Doc {
		pv, ok := pushed[f]
		if !isAddress(f) {
			if fv, filled := fills[f]; filled {
				pv, ok = fv, true
			}
			if ok && in.Coverage.Assert(f) == mappings.AssertFull && !isEmpty(nv) && !jsonEqual(pv, nv) {
				return true
			}
			continue
		}
		pa, isMap := pv.(map[string]any)
		if !isMap && len(fills) == 0 {
			continue
		}
		na, _ := nv.(map[string]any)
		for i, k := range mappings.AddressKeys {
			path := addressPaths[f][i]
			if in.Coverage.Assert(path) != mappings.AssertFull {
				continue
			}
			was, filled := fills[path]
			if !filled {
				if !isMap {
					continue
				}
				was = subValue(pa, k)
			}
			if v := subValue(na, k); !isEmpty(v) && !jsonEqual(was, v) {
				return true
			}
		}
	}
	return false
}

// readBeforePush: shophub read the record (ReadAt) before its last push
// there was recorded, and the record holds a value unlike that push's.
// A poll's listing is read without the record's lock, so it can merge
// after a push that wrote the record after the listing read it: the
// record then shows the state before our write, typically the echo of an
// older push (convergence seeds 13, 17, 20: Odoo or OXID listed with the
// value of the push before, stamped at the listing's read, reverted a
// newer edit from elsewhere). It holds no edit the push did not see:
// the push read the record before writing (read-before-write, merged
// first) and the writers without conditional writes checked it again
// right before the write (connectors.ErrChanged), so an edit made after
// the push's read stopped the write and left the push unrecorded. Only a
// read counts; the record's own stamp says nothing here.
func (m *merger) readBeforePush(s slot, nv any) bool {
	return s.hadPushed && !m.pushedAt.IsZero() && !m.in.ReadAt.IsZero() && m.in.ReadAt.Before(m.pushedAt) &&
		!jsonEqual(s.pushed, nv)
}

// asserts applies the source's coverage: a path it cannot hold apart from
// another field (Shopware's one phone, written from the customer phone,
// comes back as the billing address phone too) only fills a gap, and only
// while the source is the record's origin: the record creates the
// customer, or the hub knows no value yet and the record is known from
// before and was never pushed to, so its field cannot hold our own write
// of another field (nor a value the vendor made up for a record a push
// created, like OXID's own customer number). A source the hub never
// writes to has a coverage without fill-only paths
// (mappings.Coverage.AsSource).
func (m *merger) asserts(s slot) bool {
	switch m.in.Coverage.Assert(s.path) {
	case mappings.AssertNone:
		return false
	case mappings.AssertFill:
		return m.created || (!s.has || isEmpty(s.cur)) && m.linked && m.pushed == nil
	}
	return true
}

// mayOverwrite is the one place that decides whether this source may set a
// path whose current value has provenance cur, by a record of time at;
// afterPush says the record is an edit made after our push of the current
// value (merger.afterPush, merger.readAfterPush).
// A refusal with a reason is logged in the change log; one without (an
// older edit) is not.
func (m *merger) mayOverwrite(path string, cur Provenance, at time.Time, afterPush bool) (ok bool, reason string) {
	if !m.pol.Allowed(path, m.in.Instance) {
		return false, "owned by " + m.pol.owner(path)
	}
	// Trust: anyone can type anyone's email at a guest checkout. An
	// unverified record changes nothing of a person a verified source
	// vouched for — not even a field the hub lacks, which the fan-out
	// would write into the person's other accounts — and links only. It
	// merges normally into a person known only from unverified records. A
	// verified source replaces what an unverified one said, older or not.
	switch {
	case m.in.Unverified && m.verifiedPerson():
		return false, "unverified " + m.in.Instance + " record of a verified person"
	case !m.in.Unverified && cur.Unverified, afterPush:
		return true, ""
	}
	return m.pol.Wins(path, m.in.Instance, at, cur), ""
}

// verifiedPerson: a verified source set one of the customer's fields.
func (m *merger) verifiedPerson() bool { return vouchedFor(m.prov) }

// provOf is the provenance of a path (provenanceOf).
func (m *merger) provOf(path, field string) Provenance { return provenanceOf(m.prov, path, field) }

func (m *merger) change(custID uint64, f string, cv any, has bool, nv any, rejected string) Change {
	return Change{CustomerID: custID, Field: f, OldValue: jsonOrEmpty(cv, has), NewValue: mustJSON(nv),
		Instance: m.in.Instance, EventID: m.in.EventID, SourceAt: m.in.SourceAt, Rejected: rejected}
}

// addressPaths holds each address field's sub-field paths in AddressKeys
// order, built once: the merge looks them up for every record.
var addressPaths = func() map[string][]string {
	out := map[string][]string{}
	for _, f := range mappings.CustomerFields {
		if f.Kind != mappings.KindAddress {
			continue
		}
		for _, k := range mappings.AddressKeys {
			out[f.Name] = append(out[f.Name], f.Name+"."+k)
		}
	}
	return out
}()

func isAddress(field string) bool {
	_, ok := addressPaths[field]
	return ok
}

// topField is the canonical field a path belongs to.
func topField(path string) string {
	f, _, _ := strings.Cut(path, ".")
	return f
}

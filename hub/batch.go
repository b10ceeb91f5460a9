package hub

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shophub/shophub/internal/jsonx"
	"github.com/shophub/shophub/mappings"
)

// custState is a customer while a batch works on it.
type custState struct {
	row  Customer
	data map[string]any
	prov map[string]Provenance
	// dataJSON is data's JSON while it is known without encoding data
	// again ("" otherwise): a customer a record created as it came is
	// that record's doc, encoded once for its hash and baseline, and the
	// creation's change-log row holds the same text.
	dataJSON string
	email    string
	isNew    bool
	dirty    bool // data, provenance or version to write
	changed  bool // version bumped
}

type linkKey struct{ instance, resource, externalID string }

type linkState struct {
	row   Link
	cust  *custState
	isNew bool
	dirty bool
}

// pending rows whose customer id is known only after new customers are
// inserted.
type pendingChange struct {
	Change
	cust *custState
}

type pendingEvent struct {
	ev     OutboxEvent
	cust   *custState
	result int
}

const batchSize = 500

func (s *Store) mergeBatchOnce(ctx context.Context, ins []Inbound, docs []encodedDoc, pol Policy) ([]Result, error) {
	results := make([]Result, len(ins))
	resultCust := make([]*custState, len(ins))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		links, err := loadLinks(tx, ins)
		if err != nil {
			return err
		}
		byID, byEmail, err := lockCustomers(tx, ins, links)
		if err != nil {
			return err
		}
		keys, err := lockByKeys(tx, ins, pol, byID, byEmail) // identity.go
		if err != nil {
			return err
		}
		// Read after the locks: an erasure holding one of them has
		// committed its tombstones by the time they are granted.
		erased, err := s.erasedRecords(tx, ins)
		if err != nil {
			return err
		}

		pending, err := s.pushingTo(ctx, ins, links, keys, pol, byEmail)
		if err != nil {
			return err
		}

		var changes []pendingChange
		var events []pendingEvent
		for i, in := range ins {
			key := linkKey{in.Instance, in.Resource, in.ExternalID}
			if erased[key] {
				// A record of an erased person, from a touchpoint that
				// still holds them: never merged, or they would be back.
				results[i].Erased = true
				continue
			}
			if pending[i] {
				results[i].Pending = true
				continue
			}
			ls := links[key]
			restored := false
			if ls != nil && ls.row.VendorDeletedAt != nil {
				if !in.SourceAt.After(*ls.row.VendorDeletedAt) {
					// A version from before the vendor deleted the record
					// (a late webhook, a listing that raced the deletion):
					// it must not bring the record back.
					results[i].VendorDeleted = true
					resultCust[i] = ls.cust
					if ls.cust == nil {
						resultCust[i] = &custState{row: Customer{ID: ls.row.CustomerID}}
					}
					continue
				}
				// Newer than the deletion: the vendor restored the record
				// (Odoo unarchived the partner). It is linked and merged again.
				restored = true
			}
			// Nothing to do when this source already said exactly this, or
			// when this is an older version of a record whose newer version
			// the hub has seen: the source itself has moved on. Said
			// exactly this, but read after our push wrote something else
			// there, it may hold a value written back since (changedBackPossible).
			// A record whose trust changed (the email was confirmed) is no
			// duplicate: its link must learn it.
			// A record linked as a stranger under email_name (other names,
			// the person's email) stays unverified while its names differ.
			if ls != nil && ls.cust != nil && ls.row.Unverified && !in.Unverified && pol.NameMismatch(in.Doc, ls.cust.data) {
				in.Unverified = true
			}
			if ls != nil && !restored && ls.row.Unverified == in.Unverified && ls.row.LastInboundAt != nil &&
				(ls.row.LastInboundHash == docs[i].hash && !changedBackPossible(in, &ls.row) ||
					in.SourceAt.Before(*ls.row.LastInboundAt)) {
				results[i].Duplicate = true
				resultCust[i] = ls.cust
				if ls.cust == nil { // linked customer is gone; nothing to say
					resultCust[i] = &custState{row: Customer{ID: ls.row.CustomerID}}
				}
				continue
			}
			var cs *custState
			if ls != nil {
				cs = ls.cust
			}
			email, _ := in.Doc["email"].(string)
			// An unverified link whose record now comes verified under
			// another email was never this person's (a sign-up that typed
			// their address, corrected and confirmed since): the record is
			// matched anew, as a first sighting, and its link moves.
			relinked := ls != nil && cs != nil && ls.row.Unverified && !in.Unverified && email != "" && email != cs.email
			if relinked {
				cs = nil
			}
			if cs == nil {
				var stranger bool
				cs, stranger = keys.match(pol, in.Doc, byEmail) // identity.go
				if stranger {
					in.Unverified = true
				}
			}
			created := false
			if cs == nil {
				cs = &custState{isNew: true, dirty: true, data: map[string]any{}, prov: map[string]Provenance{}}
				if email != "" {
					cs.email = email
					byEmail[email] = cs
				}
				created = true
			}
			if ls == nil {
				ls = &linkState{row: Link{Instance: in.Instance, Resource: in.Resource, ExternalID: in.ExternalID}, isNew: true}
				links[key] = ls
			}
			ls.cust, ls.dirty = cs, true
			if restored {
				changes = append(changes, pendingChange{Change{Field: DeletedField, OldValue: mustJSON(Deletion{ExternalID: in.ExternalID,
					Resource: in.Resource, By: ls.row.VendorDeletedBy}), NewValue: "null", Instance: in.Instance, EventID: in.EventID,
					SourceAt: in.SourceAt, Version: cs.row.Version}, cs})
				ls.row.VendorDeletedAt, ls.row.VendorDeletedBy = nil, ""
			}

			m := merger{pol: pol, in: in, data: cs.data, prov: cs.prov, linked: !ls.isNew && !relinked,
				emailTaken: func(e string) bool { o := byEmail[e]; return o != nil && o != cs }}
			if relinked {
				// What it said and was sent under the other person is no
				// baseline for this one.
				ls.row.LastInboundDoc, ls.row.LastPushedDoc = "", ""
			}
			if !ls.isNew && ls.row.LastInboundDoc != "" {
				if err := jsonx.Unmarshal([]byte(ls.row.LastInboundDoc), &m.baseline); err != nil {
					return fmt.Errorf("link %d baseline: %w", ls.row.ID, err)
				}
			}
			if !ls.isNew && ls.row.LastPushedDoc != "" {
				if err := jsonx.Unmarshal([]byte(ls.row.LastPushedDoc), &m.pushed); err != nil {
					return fmt.Errorf("link %d pushed doc: %w", ls.row.ID, err)
				}
				m.pushed, m.filled = PushedFills(m.pushed)
				if ls.row.LastPushedAt != nil {
					m.pushedAt = *ls.row.LastPushedAt
				}
				if ls.row.LastInboundAt != nil {
					m.baselineAt = *ls.row.LastInboundAt
				}
				m.baselineReadAt = timeOrZero(ls.row.LastInboundReadAt)
			}
			m.apply(cs.row.ID, created)
			keys.remember(cs)
			if m.vouched {
				cs.dirty = true // the provenance only: no version, no event
			}
			if len(m.changes) > 0 {
				cs.dataJSON = ""
				if created && sameJSON(cs.data, in.Doc) {
					cs.dataJSON = docs[i].json
				}
				cs.row.Version++
				cs.dirty, cs.changed = true, true
				if e, _ := cs.data["email"].(string); e != cs.email {
					if byEmail[cs.email] == cs {
						delete(byEmail, cs.email)
					}
					cs.email = e
					if e != "" {
						byEmail[e] = cs
					}
				}
			}
			fields := m.changed
			if fields == nil {
				fields = []string{}
			}
			if created && len(m.changes) > 1 {
				// One lineage row for a creation, holding every initial value;
				// per-field provenance says the same, and a backfill of a
				// million customers writes a million rows, not six million.
				initial := make(map[string]any, len(fields))
				for _, f := range fields {
					initial[f] = cs.data[f]
				}
				c := Change{Field: CreatedField, Instance: in.Instance, EventID: in.EventID, SourceAt: in.SourceAt}
				if len(initial) == len(cs.data) {
					// Every field the customer has: the text data is stored as.
					if cs.dataJSON == "" {
						cs.dataJSON = mustJSON(cs.data)
					}
					c.NewValue = cs.dataJSON
				} else {
					c.NewValue = mustJSON(initial)
				}
				m.changes = []Change{c}
			} else if created && len(m.changes) == 1 {
				m.changes[0].NewValue = mustJSON(m.createdValues[0])
			}
			for _, c := range m.changes {
				c.Version = cs.row.Version
				changes = append(changes, pendingChange{c, cs})
			}
			for _, c := range m.refused {
				c.Version = cs.row.Version
				changes = append(changes, pendingChange{c, cs})
			}
			results[i] = Result{Created: created, Linked: ls.isNew && !created, Version: cs.row.Version, Conflicts: m.conflicts, OriginStale: m.stale}
			if len(fields) > 0 {
				results[i].Changed = fields
			}
			resultCust[i] = cs
			if (len(m.changes) > 0 && !in.NoFanout) || (m.stale && !in.NoEcho) {
				events = append(events, pendingEvent{cust: cs, result: i, ev: OutboxEvent{Version: cs.row.Version,
					Resource: in.Resource, Origin: in.Instance, Fields: mustJSON(fields), OriginStale: m.stale}})
			}
			if !m.readBefore && len(in.Recovered) == 0 && len(m.conflicts) == 0 {
				// A record passed over as read before our last push stays
				// out of the baseline: read again after the push, its
				// values count as what the source holds then. A record
				// with recovered paths shows an older state of the source
				// than the record fetched before it (Inbound.Recovered).
				// A record with a value refused for another customer's
				// (an email that one still held) stays out too: sent
				// again once that one has moved on (later in the same
				// batch, say), it is no duplicate and its value is taken.
				t := in.SourceAt
				ls.row.LastInboundAt, ls.row.LastInboundHash, ls.row.LastInboundDoc = &t, docs[i].hash, docs[i].json
				ls.row.LastInboundReadAt = storedReadAt(in.ReadAt)
			}
			ls.row.Unverified = in.Unverified
		}

		if err := writeCustomers(tx, byID, byEmail, links); err != nil {
			return err
		}
		if err := writeLinks(tx, links); err != nil {
			return err
		}
		if len(changes) > 0 {
			rows := make([]Change, len(changes))
			for i, c := range changes {
				rows[i] = c.Change
				rows[i].CustomerID = c.cust.row.ID
			}
			if err := insertChanges(tx, rows); err != nil {
				return err
			}
		}
		return writeEvents(tx, events, results)
	})
	if err != nil {
		return nil, err
	}
	for i, cs := range resultCust {
		if cs != nil {
			results[i].CustomerID = cs.row.ID
			if results[i].Duplicate {
				results[i].Version = cs.row.Version
			}
		}
	}
	return results, nil
}

// loadLinks reads and locks the links of every record in the batch. The
// merge writes each link back whole (its baseline, its deletion mark): read
// unlocked, a deletion marked (MarkDeleted) or a newer record of the same
// link merged while this batch waited for its customers' locks would be
// overwritten by what the batch read before, the deletion undone and the
// older baseline written back. Links are locked before customers; an
// erasure locks the other way round, and a deadlock between them is retried.
func loadLinks(tx *gorm.DB, ins []Inbound) (map[linkKey]*linkState, error) {
	keys := make([][]any, 0, len(ins))
	seen := map[linkKey]bool{}
	for _, in := range ins {
		k := linkKey{in.Instance, in.Resource, in.ExternalID}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, []any{in.Instance, in.Resource, in.ExternalID})
		}
	}
	var rows []Link
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("(instance, resource, external_id) IN ?", keys).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[linkKey]*linkState, len(ins))
	for _, l := range rows {
		out[linkKey{l.Instance, l.Resource, l.ExternalID}] = &linkState{row: l}
	}
	return out, nil
}

// lockCustomers locks every customer the batch may touch: those linked, and
// those holding any email the records carry (identity matches and email
// conflicts are decided on these).
func lockCustomers(tx *gorm.DB, ins []Inbound, links map[linkKey]*linkState) (map[uint64]*custState, map[string]*custState, error) {
	var ids []uint64
	for _, l := range links {
		ids = append(ids, l.row.CustomerID)
	}
	var emails []string
	seen := map[string]bool{}
	for _, in := range ins {
		if e, _ := in.Doc["email"].(string); e != "" && !seen[e] {
			seen[e] = true
			emails = append(emails, e)
		}
	}
	// An email a customer locked by id holds already needs no read of its
	// own: that row cannot give it up, nor can another take it, while we
	// hold it. Mostly a record carries its linked customer's email, and the
	// batch locks with one read.
	rows, err := lockEach(tx, lockBy{"id", lockValues(ids)},
		lockBy{"email", func(locked []Customer) (any, int) {
			held := make(map[string]bool, len(locked))
			for _, c := range locked {
				if c.Email != nil {
					held[*c.Email] = true
				}
			}
			var rest []string
			for _, e := range emails {
				if !held[e] {
					rest = append(rest, e)
				}
			}
			return rest, len(rest)
		}})
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[uint64]*custState, len(rows))
	byEmail := make(map[string]*custState, len(rows))
	for _, r := range rows {
		data, prov, err := decodeState(&r)
		if err != nil {
			return nil, nil, err
		}
		cs := &custState{row: r, data: data, prov: prov}
		if r.Email != nil {
			cs.email = *r.Email
			byEmail[cs.email] = cs
		}
		byID[r.ID] = cs
	}
	for _, l := range links {
		l.cust = byID[l.row.CustomerID] // nil if the customer was deleted
	}
	return byID, byEmail, nil
}

// lockBy names the customers whose column holds one of the values (n of
// them) it gives, told the rows the reads before it locked.
type lockBy struct {
	column string
	values func(locked []Customer) (values any, n int)
}

// lockValues is a lockBy's values whatever was locked before.
func lockValues[T any](vs []T) func([]Customer) (any, int) {
	return func([]Customer) (any, int) { return vs, len(vs) }
}

// lockEach locks and reads the customers each condition names, one
// locking read per condition, and returns each row once, in id order.
// Each read is a range of one index, and a locking read through an index
// locks only the rows it returns. One statement joining the conditions
// with OR is read through both indexes only when the optimizer picks an
// index merge; planned otherwise (with an ORDER BY id under stale
// statistics, see BENCHMARKS.md) it scans the table and locks every row it
// passes, so every other merge waits for this one to commit, whichever
// customers it is about. No ORDER BY either, for that reason: the rows are
// sorted here. Two batches locking shared customers in other orders may
// deadlock, which MergeBatch retries.
func lockEach(tx *gorm.DB, conds ...lockBy) ([]Customer, error) {
	var out []Customer
	seen := map[uint64]bool{}
	for _, c := range conds {
		values, n := c.values(out)
		if n == 0 {
			continue
		}
		var rows []Customer
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where(c.column+" IN ?", values).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b Customer) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// writeCustomers inserts new customers and updates changed ones. Ids of
// rows inserted in one multi-row statement are read back by email, never
// trusted from the driver (MySQL may interleave auto-increment values);
// customers without email are inserted one by one.
func writeCustomers(tx *gorm.DB, byID map[uint64]*custState, byEmail map[string]*custState, links map[linkKey]*linkState) error {
	var fresh []*custState
	seen := map[*custState]bool{}
	for _, l := range links {
		if cs := l.cust; cs != nil && cs.isNew && !seen[cs] {
			seen[cs] = true
			fresh = append(fresh, cs)
		}
	}
	var withEmail []Customer
	var order []*custState
	for _, cs := range fresh {
		fill(cs)
		if cs.row.Email == nil {
			if err := tx.Create(&cs.row).Error; err != nil {
				return err
			}
			continue
		}
		withEmail = append(withEmail, cs.row)
		order = append(order, cs)
	}
	if len(withEmail) > 0 {
		if err := insertCustomers(tx, withEmail); err != nil {
			return err
		}
		emails := make([]string, len(order))
		for i, cs := range order {
			emails[i] = *cs.row.Email
		}
		var ids []struct {
			ID    uint64
			Email string
		}
		if err := tx.Model(&Customer{}).Select("id, email").Where("email IN ?", emails).Find(&ids).Error; err != nil {
			return err
		}
		got := make(map[string]uint64, len(ids))
		for _, r := range ids {
			got[r.Email] = r.ID
		}
		for _, cs := range order {
			if cs.row.ID = got[*cs.row.Email]; cs.row.ID == 0 {
				return fmt.Errorf("inserted customer not found by its email")
			}
		}
	}
	var same []Customer
	var moved []*custState
	var gaveUp []uint64
	for _, cs := range byID {
		if !cs.dirty || cs.isNew {
			continue
		}
		before := cs.row.Email
		fill(cs)
		kept := sameEmail(before, cs.row.Email)
		if cs.changed && kept {
			same = append(same, cs.row)
			continue
		}
		moved = append(moved, cs)
		if !kept && before != nil {
			gaveUp = append(gaveUp, cs.row.ID)
		}
	}
	if len(gaveUp) > 0 {
		// A customer of the batch may take the email another one gives
		// up (the merge saw it freed): every old email is let go first,
		// so the order of the writes below cannot meet its old holder.
		if err := tx.Model(&Customer{}).Where("id IN ?", gaveUp).Update("email", nil).Error; err != nil {
			return err
		}
	}
	for _, cs := range moved {
		upd := map[string]any{"data": cs.row.Data, "provenance": cs.row.Provenance}
		if cs.changed {
			upd["version"], upd["email"] = cs.row.Version, cs.row.Email
			upd["first_name"], upd["last_name"], upd["phone"] = cs.row.FirstName, cs.row.LastName, cs.row.Phone
			upd["customer_number"] = cs.row.CustomerNumber
		}
		if err := tx.Model(&Customer{}).Where("id = ?", cs.row.ID).Updates(upd).Error; err != nil {
			return err
		}
	}
	return updateCustomers(tx, same)
}

func sameEmail(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// fill copies a customer's state into its row's columns.
func fill(cs *custState) {
	cs.row.Data = cs.dataJSON
	if cs.row.Data == "" {
		cs.row.Data = mustJSON(cs.data)
	}
	cs.row.Provenance = encodeProvenance(cs.prov)
	cs.row.Email = nil
	if cs.email != "" {
		e := cs.email
		cs.row.Email = &e
	}
	cs.row.FirstName, _ = cs.data["first_name"].(string)
	cs.row.LastName, _ = cs.data["last_name"].(string)
	cs.row.Phone, _ = cs.data["phone"].(string)
	cs.row.CustomerNumber = customerNumber(cs.data)
	if mappings.IsRawPhone(cs.row.Phone) {
		cs.row.Phone = "" // the column indexes numbers; the doc keeps the text
	}
}

// writeLinks inserts new links (a concurrent insert of the same link fails
// on its unique key and the batch retries) and updates changed ones in one
// upsert keyed by id.
func writeLinks(tx *gorm.DB, links map[linkKey]*linkState) error {
	var fresh, changed []Link
	for _, l := range links {
		if !l.dirty || l.cust == nil {
			continue
		}
		l.row.CustomerID = l.cust.row.ID
		if l.isNew {
			fresh = append(fresh, l.row)
		} else {
			changed = append(changed, l.row)
		}
	}
	if len(fresh) > 0 {
		if err := insertLinks(tx, fresh); err != nil {
			return err
		}
	}
	if len(changed) > 0 {
		if err := updateLinks(tx, changed); err != nil {
			return err
		}
	}
	return nil
}

// writeEvents inserts outbox events and reads their ids back by a random
// key (not trusting driver-reported ids of a multi-row insert).
func writeEvents(tx *gorm.DB, events []pendingEvent, results []Result) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]OutboxEvent, len(events))
	keys := make([]string, len(events))
	for i, e := range events {
		rows[i] = e.ev
		rows[i].CustomerID = e.cust.row.ID
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		rows[i].Key = hex.EncodeToString(b)
		keys[i] = rows[i].Key
	}
	if err := tx.Omit("id").CreateInBatches(rows, batchSize).Error; err != nil {
		return err
	}
	var ids []struct {
		ID  uint64
		Key string
	}
	if err := tx.Model(&OutboxEvent{}).Select("id, `key`").Where("`key` IN ?", keys).Find(&ids).Error; err != nil {
		return err
	}
	got := make(map[string]uint64, len(ids))
	for _, r := range ids {
		got[r.Key] = r.ID
	}
	for i, e := range events {
		results[e.result].OutboxID = got[keys[i]]
	}
	return nil
}

// PushKey names a customer's pushes to one touchpoint's resource.
type PushKey struct {
	CustomerID uint64
	Instance   string
	Resource   string
}

// Pushing reports, for each key, whether such a push runs right now.
type Pushing func(ctx context.Context, keys []PushKey) ([]bool, error)

// SetPushing tells the store how to learn which pushes run (the sync
// layer's push locks). Call once at startup, before merging.
func (s *Store) SetPushing(f Pushing) { s.pushing = f }

// pushingTo names the records (by index) a running push may be creating:
// those without a link whose keys match a customer being pushed to their
// touchpoint right now. A vendor that makes the record's id itself may
// send its echo before the create has even answered (Adobe Commerce's
// webhooks run inside the save): merged then, the record would be a
// stranger's first sighting, and what the vendor filled in for our write
// (names, a placeholder telephone) the person's new values. Only first
// sightings of a known customer are asked about, in one call per batch.
func (s *Store) pushingTo(ctx context.Context, ins []Inbound, links map[linkKey]*linkState, keys *keyIndex, pol Policy,
	byEmail map[string]*custState) (map[int]bool, error) {
	if s.pushing == nil {
		return nil, nil
	}
	var idx []int
	var asks []PushKey
	for i, in := range ins {
		if links[linkKey{in.Instance, in.Resource, in.ExternalID}] != nil {
			continue
		}
		if cs, _ := keys.match(pol, in.Doc, byEmail); cs != nil && !cs.isNew {
			idx = append(idx, i)
			asks = append(asks, PushKey{CustomerID: cs.row.ID, Instance: in.Instance, Resource: in.Resource})
		}
	}
	if len(asks) == 0 {
		return nil, nil
	}
	busy, err := s.pushing(ctx, asks)
	if err != nil {
		return nil, fmt.Errorf("running pushes: %w", err)
	}
	out := make(map[int]bool, len(idx))
	for j, b := range busy {
		if b {
			out[idx[j]] = true
		}
	}
	return out, nil
}

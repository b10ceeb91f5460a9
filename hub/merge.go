package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Inbound is one canonical record from one touchpoint.
type Inbound struct {
	Instance   string
	Resource   string
	ExternalID string
	EventID    string
	// SourceAt is the vendor's modification time of the record.
	SourceAt time.Time
	Doc      map[string]any
}

// Result says what a merge did.
type Result struct {
	CustomerID uint64
	Created    bool
	Version    int64
	Changed    []string
	// OutboxID is the event to fan out, 0 when nothing needs pushing.
	OutboxID uint64
	// Duplicate: the same content from the same record was merged before.
	Duplicate bool
	// Conflicts lists fields not taken because they would break identity
	// (an email already held by another customer).
	Conflicts []string
}

// ErrNotFound is returned for missing hub rows.
var ErrNotFound = errors.New("not found in hub")

// MergeCustomer resolves the customer the record belongs to (by link, then
// normalized email, else a new one), merges it field by field, and commits
// customer, link, change log and outbox in one transaction. It is safe under
// any number of concurrent callers: the customer row is locked, and a lost
// race on a unique key (two first sightings of one email) retries and finds
// the winner's row.
func (s *Store) MergeCustomer(ctx context.Context, in Inbound, pol Policy) (Result, error) {
	hash := HashDoc(in.Doc)
	in.SourceAt = in.SourceAt.UTC().Truncate(time.Microsecond)
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		res, err := s.mergeOnce(ctx, in, hash, pol)
		if err == nil {
			return res, nil
		}
		if !isRetryable(err) || ctx.Err() != nil {
			return Result{}, fmt.Errorf("merge %s %s/%s: %w", in.Instance, in.Resource, in.ExternalID, err)
		}
		lastErr = err
		if werr := sleepCtx(ctx, time.Duration(attempt+1)*5*time.Millisecond); werr != nil {
			return Result{}, werr
		}
	}
	return Result{}, fmt.Errorf("merge %s %s/%s: still conflicting after retries: %w", in.Instance, in.Resource, in.ExternalID, lastErr)
}

func (s *Store) mergeOnce(ctx context.Context, in Inbound, hash string, pol Policy) (Result, error) {
	var res Result
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var link Link
		hasLink := true
		if err := tx.Where("instance = ? AND resource = ? AND external_id = ?", in.Instance, in.Resource, in.ExternalID).
			Take(&link).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			hasLink = false
		} else if err != nil {
			return err
		}
		if hasLink && link.LastInboundHash == hash && link.LastInboundAt != nil && !in.SourceAt.After(*link.LastInboundAt) {
			res = Result{CustomerID: link.CustomerID, Duplicate: true}
			return nil
		}

		email, _ := in.Doc["email"].(string)
		var cust Customer
		found := false
		if hasLink {
			if err := lockCustomer(tx, link.CustomerID, &cust); err == nil {
				found = true
			} else if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
		}
		if !found && email != "" {
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("email = ?", email).Take(&cust).Error; err == nil {
				found = true
			} else if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
		}
		if !found {
			cust = Customer{Data: "{}", Provenance: "{}"}
			if email != "" {
				cust.Email = &email
			}
			// A concurrent first sighting of the same email loses here on the
			// unique key and retries, finding this row.
			if err := tx.Create(&cust).Error; err != nil {
				return err
			}
			res.Created = true
		}
		if !hasLink {
			link = Link{CustomerID: cust.ID, Instance: in.Instance, Resource: in.Resource, ExternalID: in.ExternalID}
			if err := tx.Create(&link).Error; err != nil {
				return err
			}
		} else if link.CustomerID != cust.ID {
			link.CustomerID = cust.ID
		}

		data, prov, err := decodeState(&cust)
		if err != nil {
			return err
		}
		m := merger{pol: pol, in: in, data: data, prov: prov}
		// An older record than the newest seen from this source is compared
		// with nothing: its values lose on time anyway.
		newest := link.LastInboundAt == nil || !in.SourceAt.Before(*link.LastInboundAt)
		if hasLink && newest && link.LastInboundDoc != "" {
			if err := json.Unmarshal([]byte(link.LastInboundDoc), &m.baseline); err != nil {
				return fmt.Errorf("link %d baseline: %w", link.ID, err)
			}
		}
		if err := m.apply(tx, cust.ID, email, res.Created); err != nil {
			return err
		}
		res.CustomerID, res.Conflicts = cust.ID, m.conflicts
		originStale := m.stale

		if len(m.changes) > 0 || m.provChanged || res.Created {
			upd := map[string]any{"data": mustJSON(m.data), "provenance": mustJSON(m.prov)}
			if len(m.changes) > 0 {
				cust.Version++
				upd["version"] = cust.Version
				first, _ := m.data["first_name"].(string)
				last, _ := m.data["last_name"].(string)
				phone, _ := m.data["phone"].(string)
				upd["first_name"], upd["last_name"], upd["phone"] = first, last, phone
				if e, _ := m.data["email"].(string); e != "" {
					upd["email"] = e
				} else {
					upd["email"] = nil
				}
			}
			if err := tx.Model(&Customer{}).Where("id = ?", cust.ID).Updates(upd).Error; err != nil {
				return err
			}
		}
		res.Version = cust.Version
		for i := range m.changes {
			m.changes[i].Version = cust.Version
		}
		for i := range m.refused {
			m.refused[i].Version = cust.Version
		}
		if len(m.refused) > 0 {
			if err := tx.Create(&m.refused).Error; err != nil {
				return err
			}
		}
		if len(m.changes) > 0 {
			if err := tx.Create(&m.changes).Error; err != nil {
				return err
			}
			res.Changed = make([]string, len(m.changes))
			for i, c := range m.changes {
				res.Changed[i] = c.Field
			}
		}
		if len(m.changes) > 0 || originStale {
			ev := OutboxEvent{CustomerID: cust.ID, Version: cust.Version, Resource: in.Resource, Origin: in.Instance,
				Fields: mustJSON(res.Changed), OriginStale: originStale}
			if err := tx.Create(&ev).Error; err != nil {
				return err
			}
			res.OutboxID = ev.ID
		}

		upd := map[string]any{"customer_id": link.CustomerID}
		if newest {
			t := in.SourceAt
			upd["last_inbound_at"], upd["last_inbound_hash"], upd["last_inbound_doc"] = &t, hash, mustJSON(in.Doc)
		}
		return tx.Model(&Link{}).Where("id = ?", link.ID).Updates(upd).Error
	})
	return res, err
}

func lockCustomer(tx *gorm.DB, id uint64, c *Customer) error {
	return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(c).Error
}

// merger applies one inbound doc to a customer's state.
type merger struct {
	pol  Policy
	in   Inbound
	data map[string]any
	prov map[string]Provenance
	// baseline is the source's previous record. Only fields that changed
	// against it are the source's new assertions: a record re-sent because
	// something unmapped changed (a login) asserts nothing.
	baseline    map[string]any
	changes     []Change
	refused     []Change
	provChanged bool
	stale       bool
	conflicts   []string
}

func (m *merger) apply(tx *gorm.DB, custID uint64, email string, created bool) error {
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
				m.refused = append(m.refused, Change{CustomerID: custID, Field: f, OldValue: jsonOrEmpty(cv, has),
					NewValue: mustJSON(nv), Instance: m.in.Instance, EventID: m.in.EventID, SourceAt: m.in.SourceAt,
					Rejected: "owned by " + m.pol.Owners[f]})
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
			// Same value, newer assertion: remember the newer time so a late,
			// older delivery of a different value cannot win afterwards.
			if p.At.After(cur.At) {
				m.prov[f] = p
				m.provChanged = true
			}
			continue
		}
		if f == "email" && email != "" && !created {
			var other int64
			if err := tx.Model(&Customer{}).Where("email = ? AND id <> ?", email, custID).Count(&other).Error; err != nil {
				return err
			}
			if other > 0 {
				m.conflicts = append(m.conflicts, f)
				continue
			}
		}
		m.changes = append(m.changes, Change{
			CustomerID: custID, Field: f, OldValue: jsonOrEmpty(cv, has), NewValue: mustJSON(nv),
			Instance: m.in.Instance, EventID: m.in.EventID, SourceAt: m.in.SourceAt,
		})
		m.data[f] = nv
		m.prov[f] = p
	}
	return nil
}

// isEmpty: "", null, {} and [] carry no value.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

func decodeState(c *Customer) (map[string]any, map[string]Provenance, error) {
	data := map[string]any{}
	prov := map[string]Provenance{}
	if c.Data != "" {
		if err := json.Unmarshal([]byte(c.Data), &data); err != nil {
			return nil, nil, fmt.Errorf("customer %d data: %w", c.ID, err)
		}
	}
	if c.Provenance != "" {
		if err := json.Unmarshal([]byte(c.Provenance), &prov); err != nil {
			return nil, nil, fmt.Errorf("customer %d provenance: %w", c.ID, err)
		}
	}
	return data, prov, nil
}

// HashDoc fingerprints a canonical doc. encoding/json sorts map keys, so
// equal docs hash equally whatever order their fields arrived in.
func HashDoc(doc map[string]any) string {
	sum := sha256.Sum256([]byte(mustJSON(doc)))
	return hex.EncodeToString(sum[:16])
}

func jsonEqual(a, b any) bool { return mustJSON(a) == mustJSON(b) }

func jsonOrEmpty(v any, has bool) string {
	if !has {
		return ""
	}
	return mustJSON(v)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Docs hold only JSON-decoded values; anything else is a bug.
		panic(fmt.Sprintf("hub: value not JSON-encodable: %v", err))
	}
	return string(b)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

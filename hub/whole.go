package hub

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shophub/shophub/internal/jsonx"
)

// Orders, tickets and carts are whole-record entities: one system writes
// each, and the newest state it sends wins as a whole (orders.go,
// tickets.go, carts.go). Their merges share the steps below; what a row
// holds and what a merge reports are each kind's own.

// lockWhole reads the stored row of record (instance, externalID) of kind
// into row, locked for update, unless that record or the customer record
// its doc's customer_ref names was erased: then erased is true and nothing
// may be written. isNew: there is no row yet (row is left as it was).
func (s *Store) lockWhole(tx *gorm.DB, kind, instance, externalID string, doc map[string]any, row any) (erased, isNew bool, err error) {
	// The row first, then the tombstones: an erasure deleting the row
	// holds its lock, so this read waits for it and the tombstone check
	// after it sees the erasure's tombstones (READ COMMITTED reads each
	// statement anew). Checked before, an erasure committing in between
	// left this merge to insert the erased record again, the person's
	// email and address in it.
	err = tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("instance = ? AND external_id = ?", instance, externalID).Take(row).Error
	isNew = errors.Is(err, gorm.ErrRecordNotFound)
	if err != nil && !isNew {
		return false, false, err
	}
	keys := []RecordKey{{instance, kind, externalID}}
	if ref := stringField(doc, "customer_ref"); ref != "" {
		keys = append(keys, RecordKey{instance, "customer", ref})
	}
	if hit, err := s.erasedRecordKeys(tx, keys); err != nil {
		return false, false, err
	} else if len(hit) > 0 {
		return true, false, nil
	}
	return false, isNew, nil
}

// mergeFields lays doc over a row's stored data and provenance (JSON, ""
// for none) and returns the result, doc's fields in order, and one lineage
// change (made by change) per field whose value differs, each now
// attributed to instance at at. kind and id name the row in errors.
func mergeFields[C any](kind string, id uint64, storedData, storedProv string, doc map[string]any, instance string, at time.Time,
	change func(field, oldValue, newValue string) C) (data map[string]any, prov map[string]Provenance, fields []string, changes []C, err error) {
	data, prov = map[string]any{}, map[string]Provenance{}
	if storedData != "" {
		if err := jsonx.Unmarshal([]byte(storedData), &data); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("%s %d data: %w", kind, id, err)
		}
	}
	if storedProv != "" {
		if err := jsonx.Unmarshal([]byte(storedProv), &prov); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("%s %d provenance: %w", kind, id, err)
		}
	}
	fields = make([]string, 0, len(doc))
	for f := range doc {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		nv := doc[f]
		ov, had := data[f]
		if had && jsonEqual(ov, nv) {
			continue
		}
		data[f] = nv
		prov[f] = Provenance{Instance: instance, At: at}
		changes = append(changes, change(f, jsonOrEmpty(ov, had), mustJSON(nv)))
	}
	return data, prov, fields, changes, nil
}

// createdValue is the lineage value of a creation (one row, as for
// customers): the new record's fields.
func createdValue(fields []string, data map[string]any) string {
	initial := make(map[string]any, len(fields))
	for _, f := range fields {
		initial[f] = data[f]
	}
	return mustJSON(initial)
}

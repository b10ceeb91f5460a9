package hub

import (
	"context"
	"encoding/json"
	"strings"
)

// HeldBefore reports whether the change log of a customer shows value at
// path (a field, or an address sub-field "billing_address.city") at any
// time: as a value taken or replaced, a value refused, or among the
// values the customer was created with. A vendor's record that shows a
// value the hub never saw there holds an edit the hub has not merged yet
// (sync's recovery of an edit our write overwrote); one the hub saw is
// old news, whatever the record's age.
func (s *Store) HeldBefore(ctx context.Context, customerID uint64, path string, value any) (bool, error) {
	top, sub, isSub := strings.Cut(path, ".")
	fields := []string{path, CreatedField}
	if isSub {
		fields = append(fields, top) // logged as a whole address before per-sub-field provenance
	}
	var rows []Change
	if err := s.db.WithContext(ctx).Select("field", "old_value", "new_value").
		Where("customer_id = ? AND field IN ?", customerID, fields).Find(&rows).Error; err != nil {
		return false, err
	}
	at := func(raw, field string) (any, bool) {
		if raw == "" {
			return nil, false
		}
		var v any
		if json.Unmarshal([]byte(raw), &v) != nil {
			return nil, false
		}
		if field == CreatedField {
			m, _ := v.(map[string]any)
			if m == nil {
				return nil, false
			}
			v = m[top]
			if !isSub {
				return v, true
			}
			field = top
		}
		if isSub && field == top {
			m, _ := v.(map[string]any)
			if m == nil {
				return nil, false
			}
			return m[sub], true
		}
		return v, true
	}
	for _, r := range rows {
		for _, raw := range []string{r.OldValue, r.NewValue} {
			if v, ok := at(raw, r.Field); ok && v != nil && jsonEqual(v, value) {
				return true, nil
			}
		}
	}
	return false, nil
}

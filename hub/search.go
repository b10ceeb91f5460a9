package hub

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shophub/shophub/mappings"
)

// CustomerHit is one customer a search found, with what matched.
type CustomerHit struct {
	ID        uint64    `json:"id"`
	Email     string    `json:"email,omitempty"`
	FirstName string    `json:"first_name,omitempty"`
	LastName  string    `json:"last_name,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// MatchedBy says which key found the customer: "hub id", "email",
	// "name", "phone" or "<instance> id".
	MatchedBy string `json:"matched_by"`
}

// SearchCustomers finds customers by what an operator types: a hub id, an
// email (or its beginning), a name (first, last, or both, each by its
// beginning), a phone (as typed there; region reads numbers without a
// country code) or a touchpoint's id of the record. Every query is one
// index range (customers' email, name, first name and phone indexes,
// links' external id), so it stays fast on a large hub. An empty query
// lists the newest customers.
func (s *Store) SearchCustomers(ctx context.Context, q, region string, limit int) ([]CustomerHit, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	db := s.db.WithContext(ctx)
	q = strings.TrimSpace(q)
	matched := map[uint64]string{}
	var order []uint64
	add := func(ids []uint64, by string) {
		for _, id := range ids {
			if _, ok := matched[id]; !ok {
				matched[id] = by
				order = append(order, id)
			}
		}
	}
	pluck := func(by string, where string, args ...any) error {
		if len(order) >= limit {
			return nil
		}
		var ids []uint64
		if err := db.Model(&Customer{}).Where(where, args...).Order("id").Limit(limit).Pluck("id", &ids).Error; err != nil {
			return err
		}
		add(ids, by)
		return nil
	}
	if q == "" {
		var rows []Customer
		if err := db.Select("id, email, first_name, last_name, phone, updated_at").Order("id desc").Limit(limit).Find(&rows).Error; err != nil {
			return nil, err
		}
		return hits(rows, nil), nil
	}
	if id, err := strconv.ParseUint(q, 10, 64); err == nil {
		if err := pluck("hub id", "id = ?", id); err != nil {
			return nil, err
		}
	}
	// A vendor's id of the record, in any touchpoint.
	var links []Link
	if err := db.Select("customer_id, instance").Where("external_id = ?", q).Limit(limit).Find(&links).Error; err != nil {
		return nil, err
	}
	for _, l := range links {
		add([]uint64{l.CustomerID}, l.Instance+" id")
	}
	email := mappings.NormalizeEmail(q)
	if strings.Contains(email, "@") {
		if err := pluck("email", "email = ?", email); err != nil {
			return nil, err
		}
	}
	if !strings.ContainsAny(email, " ") {
		if err := pluck("email", "email >= ? AND email < ?", email, prefixEnd(email)); err != nil {
			return nil, err
		}
	}
	if digits := countDigits(q); digits >= 6 && digits*2 >= len(q) {
		if e164, ok := mappings.PhoneE164(q, region); ok {
			if err := pluck("phone", "phone = ?", e164); err != nil {
				return nil, err
			}
		}
	}
	if words := strings.Fields(q); len(words) > 0 && countDigits(q) == 0 && !strings.Contains(q, "@") {
		if len(words) == 1 {
			for _, v := range caseVariants(words[0]) {
				if err := pluck("name", "last_name >= ? AND last_name < ?", v, prefixEnd(v)); err != nil {
					return nil, err
				}
				if err := pluck("name", "first_name >= ? AND first_name < ?", v, prefixEnd(v)); err != nil {
					return nil, err
				}
			}
		} else {
			first, last := strings.Join(words[:len(words)-1], " "), words[len(words)-1]
			for _, f := range caseVariants(first) {
				for _, l := range caseVariants(last) {
					if err := pluck("name", "last_name >= ? AND last_name < ? AND first_name >= ? AND first_name < ?", l, prefixEnd(l), f, prefixEnd(f)); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	if len(order) == 0 {
		return []CustomerHit{}, nil
	}
	if len(order) > limit {
		order = order[:limit]
	}
	var rows []Customer
	if err := db.Select("id, email, first_name, last_name, phone, updated_at").Where("id IN ?", order).Find(&rows).Error; err != nil {
		return nil, err
	}
	pos := map[uint64]int{}
	for i, id := range order {
		pos[id] = i
	}
	sort.Slice(rows, func(i, j int) bool { return pos[rows[i].ID] < pos[rows[j].ID] })
	return hits(rows, matched), nil
}

func hits(rows []Customer, matched map[uint64]string) []CustomerHit {
	out := make([]CustomerHit, 0, len(rows))
	for _, r := range rows {
		h := CustomerHit{ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone, UpdatedAt: r.UpdatedAt, MatchedBy: matched[r.ID]}
		if r.Email != nil {
			h.Email = *r.Email
		}
		out = append(out, h)
	}
	return out
}

// prefixEnd bounds the values starting with s: s ≤ v < prefixEnd(s).
// A range, not LIKE: SQLite's LIKE ignores case and so no index, while the
// hub's columns compare byte for byte (utf8mb4_bin, SQLite's BINARY) and
// a range is an index scan on both.
func prefixEnd(s string) string { return s + "\U0010FFFF" }

// caseVariants: names are compared byte for byte (the hub's columns are
// binary-collated), so a search tries what was typed, its lower case and
// its capitalized form: "müller" finds "Müller".
func caseVariants(s string) []string {
	lower := strings.ToLower(s)
	capital := []rune(lower)
	up := true
	for i, r := range capital {
		if up {
			capital[i] = unicode.ToUpper(r)
		}
		up = r == ' ' || r == '-'
	}
	out := []string{s}
	for _, v := range []string{lower, string(capital)} {
		dup := false
		for _, o := range out {
			dup = dup || o == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// Package keyset is the polling cursor the ERP connectors share: the newest
// source time returned so far plus the ids already returned at exactly that
// time. A poll re-reads that instant, because more records may have been
// saved in it after it was read, and returns only ids not seen there — so a
// record written in the cursor's second (or millisecond) is neither skipped
// nor returned again and again.
package keyset

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cursor is a lister's position, stored by the pipeline as JSON.
type Cursor struct {
	// Since is the newest source time returned so far (RFC 3339, UTC).
	Since string `json:"since,omitempty"`
	// Seen lists the ids returned whose time is exactly Since: numeric ids
	// as ranges ("7-9,12"), others as they are, comma-separated.
	Seen string `json:"seen,omitempty"`
	// After is the last id read in a listing still in progress (keyset
	// paging on (time, id), for APIs that can filter on ids).
	After string `json:"after,omitempty"`
	// Page is how many full pages of records at Since the listing in
	// progress has passed (page/offset paging for APIs that cannot).
	Page int `json:"page,omitempty"`
	// Token is the vendor's own next-page token or URL while a listing
	// follows one.
	Token string `json:"token,omitempty"`
}

// Parse reads a stored cursor; "" is a full backfill.
func Parse(s string) (Cursor, error) {
	var c Cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, err)
	}
	if c.Since != "" {
		if _, err := time.Parse(time.RFC3339Nano, c.Since); err != nil {
			return Cursor{}, fmt.Errorf("cursor %q: since: %w", s, err)
		}
	}
	if c.Page < 0 {
		return Cursor{}, fmt.Errorf("cursor %q: negative page", s)
	}
	return c, nil
}

func (c Cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// SinceTime is Since as a time; zero for a backfill.
func (c Cursor) SinceTime() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, c.Since)
	return t
}

// Format writes a source time as a cursor's Since.
func Format(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Tracker follows one page of records in (time, id) order and decides which
// are new, keeping the high-water mark and the ids seen at it.
type Tracker struct {
	since time.Time
	seen  map[string]struct{}
	// Advanced reports that the high-water mark moved during this page.
	Advanced bool
	// AtSince counts records of this page whose time equals the final mark.
	AtSince int
}

// NewTracker starts from a cursor.
func NewTracker(c Cursor) (*Tracker, error) {
	seen, err := ParseIDs(c.Seen)
	if err != nil {
		return nil, err
	}
	return &Tracker{since: c.SinceTime(), seen: seen}, nil
}

// Offer reports whether the record (id, at) is new; it is recorded either
// way. Records older than the mark are new only if never seen (the caller
// asked for them, e.g. a backfill without a filter).
func (t *Tracker) Offer(id string, at time.Time) bool {
	at = at.UTC()
	switch {
	case at.After(t.since):
		t.since, t.seen = at, map[string]struct{}{id: {}}
		t.Advanced = true
		t.AtSince = 1
		return true
	case at.Equal(t.since):
		t.AtSince++
		if _, dup := t.seen[id]; dup {
			return false
		}
		t.seen[id] = struct{}{}
		return true
	}
	return true
}

// Cursor is the tracker's state as a cursor (without paging fields).
func (t *Tracker) Cursor() Cursor {
	if t.since.IsZero() {
		return Cursor{}
	}
	return Cursor{Since: Format(t.since), Seen: FormatIDs(t.seen)}
}

// ParseIDs reads "1-5,9,abc".
func ParseIDs(s string) (map[string]struct{}, error) {
	set := map[string]struct{}{}
	if s == "" {
		return set, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.ParseUint(lo, 10, 64)
		b, err2 := strconv.ParseUint(hi, 10, 64)
		if !isRange || err1 != nil || err2 != nil {
			set[part] = struct{}{}
			continue
		}
		if b < a || b-a > 10_000_000 {
			return nil, fmt.Errorf("seen ids: bad range %q", part)
		}
		for id := a; id <= b; id++ {
			set[strconv.FormatUint(id, 10)] = struct{}{}
		}
	}
	return set, nil
}

// FormatIDs writes a set sorted, numeric runs as ranges: ids saved in one
// second are mostly consecutive (a mass action, an import).
func FormatIDs(set map[string]struct{}) string {
	var nums []uint64
	var other []string
	for id := range set {
		if n, err := strconv.ParseUint(id, 10, 64); err == nil && strconv.FormatUint(n, 10) == id {
			nums = append(nums, n)
		} else {
			other = append(other, id)
		}
	}
	slices.Sort(nums)
	slices.Sort(other)
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", nums[i], nums[j]))
		} else {
			parts = append(parts, strconv.FormatUint(nums[i], 10))
		}
		i = j + 1
	}
	parts = append(parts, other...)
	return strings.Join(parts, ",")
}

// Package keyset is the polling cursor the ERP connectors share: the newest
// source time returned so far, and where a listing in progress stands. A
// new poll lists again from a look-back before that time, the time itself
// included, because more records may have been saved at it after it was
// read, a record saved twice within the vendor's time resolution keeps
// its time, and a transaction's stamp can be older than its commit. What
// was already applied comes back unchanged and the pipeline drops it by
// content; nothing is remembered by id, which would lose the second edit
// of a record made in the instant it was read.
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
	// Resume marks a listing in progress: its next page continues from
	// Since (and After, Page or Token) without looking back.
	Resume bool `json:"resume,omitempty"`
	// After is the last id read in a listing still in progress (keyset
	// paging on (time, id), for APIs that can filter on ids).
	After string `json:"after,omitempty"`
	// Page is how many full pages the listing in progress has passed with
	// one "changed since" filter (page/offset paging for APIs that cannot
	// filter on ids); Low is that filter's bound when it is not Since.
	Page int    `json:"page,omitempty"`
	Low  string `json:"low,omitempty"`
	// Token is the vendor's own next-page token or URL while a listing
	// follows one.
	Token string `json:"token,omitempty"`
	// Seen lists the ids a listing in progress returned at exactly Since
	// (numeric ids as ranges, "7-9,12"): page/offset paging restarts its
	// filter at Since when the mark moves, and these are not returned
	// twice in one listing. A finished listing forgets them — the next
	// poll lists Since again whole, so an id edited again in that instant
	// is never skipped.
	Seen string `json:"seen,omitempty"`
}

// Parse reads a stored cursor; "" is a full backfill. Cursors of earlier
// versions (with a "seen" id list) read as a poll from their Since.
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
	if c.Low != "" {
		if _, err := time.Parse(time.RFC3339Nano, c.Low); err != nil {
			return Cursor{}, fmt.Errorf("cursor %q: low: %w", s, err)
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

// From is the lower bound of this page's "changed since" filter: Low or
// Since while a listing is in progress, else the look-back before Since.
// Zero for a backfill.
func (c Cursor) From(lookback time.Duration) time.Time {
	if c.Resume && c.Low != "" {
		if t, err := time.Parse(time.RFC3339Nano, c.Low); err == nil {
			return t
		}
	}
	t := c.SinceTime()
	if t.IsZero() || c.Resume {
		return t
	}
	return t.Add(-lookback)
}

// Format writes a source time as a cursor's Since.
func Format(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Tracker follows one page of records in (time, id) order, keeping the
// high-water mark and, while a listing is in progress, the ids returned at
// it.
type Tracker struct {
	since time.Time
	seen  map[string]struct{}
	// Advanced reports that the high-water mark moved during this page.
	Advanced bool
	// AtSince counts records of this page whose time equals the final mark.
	AtSince int
}

// NewTracker starts from a cursor; the ids it remembers count only while
// its listing is in progress.
func NewTracker(c Cursor) (*Tracker, error) {
	seen := map[string]struct{}{}
	if c.Resume {
		var err error
		if seen, err = ParseIDs(c.Seen); err != nil {
			return nil, err
		}
	}
	return &Tracker{since: c.SinceTime(), seen: seen}, nil
}

// Offer records a listed record and reports whether this listing has not
// returned it at the mark already.
func (t *Tracker) Offer(id string, at time.Time) bool {
	at = at.UTC()
	switch {
	case at.After(t.since):
		t.since, t.seen = at, map[string]struct{}{id: {}}
		t.Advanced = true
		t.AtSince = 1
	case at.Equal(t.since):
		t.AtSince++
		if _, dup := t.seen[id]; dup {
			return false
		}
		t.seen[id] = struct{}{}
	}
	return true
}

// Cursor is the tracker's state as the cursor of a listing in progress
// (without paging fields); a finished listing keeps only Since.
func (t *Tracker) Cursor(done bool) Cursor {
	if t.since.IsZero() {
		return Cursor{}
	}
	if done {
		return Cursor{Since: Format(t.since)}
	}
	return Cursor{Since: Format(t.since), Seen: FormatIDs(t.seen), Resume: true}
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

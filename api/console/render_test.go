package console

import (
	"strconv"
	"testing"
	"time"
)

// when and ago read their value through one timeOf; what each shows for a
// value that is no time, or no time yet, differs and is pinned here.
func TestWhenAndAgo(t *testing.T) {
	var nilTime *time.Time
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	recent := time.Now().Add(-90 * time.Second)
	future := time.Now().Add(time.Hour)
	days := strconv.Itoa(int(time.Since(at).Hours() / 24))
	format := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }
	for _, c := range []struct {
		v         any
		when, ago string
	}{
		{at, "2026-03-04 04:06:07", days + " days ago"},
		{&at, "2026-03-04 04:06:07", days + " days ago"},
		{"2026-03-04T05:06:07+01:00", "2026-03-04 04:06:07", days + " days ago"},
		{recent, format(recent), "1 min ago"},
		{recent.Format(time.RFC3339Nano), format(recent), "1 min ago"},
		{future, format(future), "just now"},
		{time.Time{}, "", "never"},
		{nilTime, "", "never"},
		{"", "", ""},
		{"pending", "pending", "pending"},
		{42, "42", "never"},
		{nil, "<nil>", "never"},
	} {
		if got := when(c.v); got != c.when {
			t.Errorf("when(%#v) = %q, want %q", c.v, got, c.when)
		}
		if got := ago(c.v); got != c.ago {
			t.Errorf("ago(%#v) = %q, want %q", c.v, got, c.ago)
		}
	}
}

package sync

import (
	"testing"
	"time"
)

func TestSourceTime(t *testing.T) {
	sec := time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC)
	ms := sec.Add(250 * time.Millisecond)
	for _, tc := range []struct {
		name          string
		updated, read time.Time
		want          time.Time
	}{
		{"whole second read long after: the second's end", sec, sec.Add(time.Hour), sec.Add(time.Second - time.Microsecond)},
		{"whole second read within it: the read time", sec, sec.Add(400 * time.Millisecond), sec.Add(400 * time.Millisecond)},
		{"vendor clock ahead of ours: the vendor's time", sec, sec.Add(-time.Second), sec},
		{"sub-second vendor time is kept", ms, sec.Add(time.Hour), ms},
		{"no time stays none", time.Time{}, sec, time.Time{}},
	} {
		if got := sourceTime(tc.updated, tc.read); !got.Equal(tc.want) {
			t.Errorf("%s: sourceTime(%s, %s) = %s, want %s", tc.name, tc.updated, tc.read, got, tc.want)
		}
	}
}

package sync

import (
	"testing"
	"time"
)

func TestNextBirthday(t *testing.T) {
	day := func(s string) time.Time {
		d, _ := time.Parse(time.DateOnly, s)
		return d
	}
	for _, c := range []struct{ birthday, today, want string }{
		{"1990-12-04", "2026-12-01", "2026-12-04"},
		{"1990-12-01", "2026-12-01", "2026-12-01"},
		{"1990-01-03", "2026-12-30", "2027-01-03"},
		{"1992-02-29", "2027-02-20", "2027-02-28"}, // common year
		{"1992-02-29", "2028-02-20", "2028-02-29"},
	} {
		got, ok := NextBirthday(c.birthday, day(c.today))
		if !ok || got.Format(time.DateOnly) != c.want {
			t.Errorf("NextBirthday(%s, %s) = %s, want %s", c.birthday, c.today, got.Format(time.DateOnly), c.want)
		}
	}
	if _, ok := NextBirthday("not a date", day("2026-12-01")); ok {
		t.Error("a bad date gave a birthday")
	}
}

func TestMarketingConsent(t *testing.T) {
	for _, c := range []struct {
		doc  map[string]any
		want bool
	}{
		{map[string]any{}, false},
		{map[string]any{"email_marketing": map[string]any{"subscribed": false}}, false},
		{map[string]any{"email_marketing": map[string]any{"subscribed": true}}, true},
		{map[string]any{"sms_marketing": map[string]any{"subscribed": true}}, true},
	} {
		if got := MarketingConsent(c.doc); got != c.want {
			t.Errorf("MarketingConsent(%v) = %v", c.doc, got)
		}
	}
}

package emulator

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	c := Clock{Base: func() time.Time { return base }}
	if got := c.Now(); !got.Equal(base) {
		t.Fatalf("running: %v, want Base %v", got, base)
	}
	c.Advance(time.Hour)
	if got := c.Now(); !got.Equal(base) {
		t.Errorf("Advance moved a running clock to %v", got)
	}
	stop := base.Add(24 * time.Hour)
	c.SetNow(stop)
	c.Advance(time.Second)
	if got := c.Now(); !got.Equal(stop.Add(time.Second)) {
		t.Errorf("stopped and advanced: %v, want %v", got, stop.Add(time.Second))
	}
	c.SetNow(time.Time{})
	if got := c.Now(); !got.Equal(base) {
		t.Errorf("running again: %v, want %v", got, base)
	}
	var zero Clock
	if time.Since(zero.Now()) > time.Minute {
		t.Errorf("zero Clock is not the wall clock: %v", zero.Now())
	}
}

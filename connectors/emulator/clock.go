package emulator

import (
	"sync"
	"time"
)

// Clock is an emulator's clock. Tests stop it with SetNow so that any
// number of writes share one vendor timestamp second, which is how
// listings that page by updated_at meet ties; the zero time lets it run
// again. Emulators embed it, so Now, SetNow and Advance become theirs.
type Clock struct {
	// Base is the running clock (nil: time.Now).
	Base func() time.Time

	mu    sync.Mutex
	fixed time.Time // non-zero: the clock stands still here
}

// Now is the stopped time, or Base's while the clock runs.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		return c.fixed
	}
	if c.Base == nil {
		return time.Now()
	}
	return c.Base()
}

// SetNow stops the clock at t; the zero time lets it run again.
func (c *Clock) SetNow(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed = t
}

// Advance moves a stopped clock forward by d (no-op while it runs).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		c.fixed = c.fixed.Add(d)
	}
}

package sync

import (
	"context"
	gosync "sync"
	"time"

	"github.com/shophub/shophub/hub"
)

// knownFacts is what a push renders of the hub's knowledge beyond the
// customer's fields and links: ticket counts, order figures, insights.
// Treated as read-only once loaded (shared by the pushes of a version).
type knownFacts struct {
	tickets, open int64
	orders        hub.OrderFigures
	insights      hub.Indicators
}

// knownCache shares the knowledge read for one customer version among that
// version's pushes: a change fans out to every target at once, and each
// push read the same four statements (tickets twice, orders, insights)
// within milliseconds of the others. The first push of a version reads,
// concurrent ones wait for its read, later ones take it while it is young.
//
// Why a version's facts may be reused although tickets, orders and
// insights change without a new customer version: every such change is
// followed by a knowledge refresh (refreshKnowledge, Refresh, the score
// run), whose pushes are forced and read fresh (they also replace the
// entry). A push that rendered older facts either ran before the refresh
// on its target (the refresh, serialised behind it by the push lock,
// writes the new facts after it) or is a plain fan-out push of a version
// the refresh already recorded there, which writes nothing
// (LastPushedVersion ≥ version). Forced pushes of the same version (an
// origin that holds stale values, a push again after being overtaken)
// read fresh too, so none of them can write older facts over a refresh.
// Links (_hub.shops) are not cached: a new link brings no refresh.
type knownCache struct {
	mu      gosync.Mutex
	entries map[knownKey]*knownEntry
	order   []knownKey // insertion order, for the bound
}

type knownKey struct {
	customer uint64
	version  int64
}

type knownEntry struct {
	ready chan struct{} // closed when facts and err are set
	at    time.Time
	facts knownFacts
	err   error
}

const (
	// knownMax bounds the entries: at 500 changes/s about 10 s of them.
	knownMax = 4096
	// knownTTL: a version's pushes run within a second of each other
	// unless the queues are long; older entries are read again.
	knownTTL = 10 * time.Second
)

// get returns the facts of a customer version, loading them with load
// unless a young entry exists or another caller is loading them; fresh
// always loads (and replaces the entry).
func (c *knownCache) get(ctx context.Context, customer uint64, version int64, fresh bool, load func() (knownFacts, error)) (knownFacts, error) {
	key := knownKey{customer, version}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[knownKey]*knownEntry{}
	}
	if e, ok := c.entries[key]; ok && !fresh {
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return knownFacts{}, ctx.Err()
		}
		if e.err == nil && time.Since(e.at) < knownTTL {
			return e.facts, nil
		}
		// Failed or old: read ourselves, replacing it.
		c.mu.Lock()
		if c.entries[key] != e {
			c.mu.Unlock()
			return load() // someone else replaced it already; no need to share ours
		}
	}
	e := &knownEntry{ready: make(chan struct{})}
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
	}
	c.entries[key] = e
	for len(c.order) > knownMax {
		old := c.order[0]
		c.order = c.order[1:]
		delete(c.entries, old)
	}
	c.mu.Unlock()
	e.facts, e.err = load()
	e.at = time.Now()
	close(e.ready)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.facts, e.err
}

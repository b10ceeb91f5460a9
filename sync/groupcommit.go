package sync

import (
	"context"
	gosync "sync"
	"time"
)

// groups enqueues items by group commit, per queue: an item for a quiet
// queue is flushed at once, alone; an item for a busy one (an item added
// within its pacing's busyWithin) waits linger for the items behind it,
// and the items arriving while a flush of their queue is under way wait
// for the next flush. Each task saved costs Redis an enqueue, a dequeue and
// a done script, and a worker a lease and its heartbeat; the wait is paid
// only under load. Pushes (pushbatch.go) and the receiver's ingests
// (ingestgroup.go) are enqueued through one.
type groups[T any] struct {
	mu     gosync.Mutex
	queues map[string]*groupQueue[T]
}

// pacing is when a queue counts as busy and how long an item for a busy
// one waits for others.
type pacing struct {
	busyWithin, linger time.Duration
	// met: a queue is busy only while its items meet, that is, one
	// arrived during another's flush or linger within busyWithin. A caller
	// sending one item after the other (a vendor's webhook worker on one
	// connection) then never waits: it would add linger to each item and
	// bring no item to share it with.
	met bool
	// gap, when set, ends the wait early once no item has joined for this
	// long. Senders that wait for their answer before sending again (the
	// webhook receiver's HTTP clients) have all joined by then, and a
	// plain linger would cap them at their number per linger.
	gap time.Duration
	// most, when set, ends the wait once the group holds this many: under
	// a flood the group is full long before linger, and waiting longer
	// would only hold its senders, who would not send meanwhile.
	most int
}

// groupQueue is one queue's state: the group being flushed, and the one
// gathering the items that arrived meanwhile.
type groupQueue[T any] struct {
	inflight, next *group[T]
	last           time.Time // the last item added
	met            time.Time // the last item that joined another's group
}

type group[T any] struct {
	items []T
	full  chan struct{} // closed when it holds pacing.most items
	done  chan struct{}
	err   error
}

// add flushes item with the items of its queue that arrive while it
// lingers or while a flush of that queue is under way, and returns once
// that flush is done, with its error.
func (g *groups[T]) add(ctx context.Context, queue string, pace pacing, item T, flush func(context.Context, []T) error) error {
	g.mu.Lock()
	if g.queues == nil {
		g.queues = map[string]*groupQueue[T]{}
	}
	q := g.queues[queue]
	if q == nil {
		q = &groupQueue[T]{}
		g.queues[queue] = q
	}
	if grp := q.next; grp != nil {
		q.last = time.Now()
		q.met = q.last
		grp.items = append(grp.items, item)
		if len(grp.items) == pace.most {
			close(grp.full)
		}
		g.mu.Unlock()
		<-grp.done // its first member flushes it
		return grp.err
	}
	grp := &group[T]{items: []T{item}, full: make(chan struct{}), done: make(chan struct{})}
	now := time.Now()
	busy := now.Sub(q.last) < pace.busyWithin
	if pace.met {
		busy = now.Sub(q.met) < pace.busyWithin
	}
	q.last = now
	if prev := q.inflight; prev != nil || busy {
		q.next = grp // the items arriving until prev is flushed join grp
		g.mu.Unlock()
		if prev != nil {
			<-prev.done
		}
		if busy {
			g.wait(grp, pace)
		}
		g.mu.Lock()
		q.next = nil
	}
	q.inflight = grp
	items := grp.items
	g.mu.Unlock()
	grp.err = flush(ctx, items)
	g.mu.Lock()
	if q.inflight == grp {
		q.inflight = nil
	}
	g.mu.Unlock()
	close(grp.done)
	return grp.err
}

// wait lingers for the items joining grp: pace.linger, or less with a
// gap or a most.
func (g *groups[T]) wait(grp *group[T], pace pacing) {
	if pace.gap <= 0 && pace.most <= 0 {
		time.Sleep(pace.linger)
		return
	}
	step := pace.linger
	if pace.gap > 0 {
		step = pace.gap
	}
	deadline := time.Now().Add(pace.linger)
	g.mu.Lock()
	n := len(grp.items)
	g.mu.Unlock()
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		t := time.NewTimer(min(step, left))
		select {
		case <-grp.full:
			t.Stop()
			return
		case <-t.C:
		}
		g.mu.Lock()
		grown := len(grp.items)
		g.mu.Unlock()
		if pace.gap > 0 && grown == n {
			return
		}
		n = grown
	}
}

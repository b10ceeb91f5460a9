// Package trace lets a benchmark see where a change spends its time on its
// way through the pipeline (webhook → ingest → merge → fan-out → push →
// echo). The pipeline marks its steps with Mark; nothing listens in
// production, where a mark is one atomic load. Only `shophub bench` sets a
// sink (propagate's per-hop breakdown).
package trace

import (
	"sync/atomic"
	"time"
)

// Step is one point on a change's path.
type Step uint8

// The steps, in path order.
const (
	// WebhookReceived: a webhook's body was read and verified (Instance,
	// ExternalID, Key: the event id).
	WebhookReceived Step = iota
	// IngestEnqueued: its ingest task is in Redis (the enqueue returned).
	IngestEnqueued
	// IngestStarted: an ingest task's handler started.
	IngestStarted
	// IngestReady: the record is claimed (dedupe), read (an id-only
	// event's fetch, under the record's lock) and mapped; its merge is
	// handed over now.
	IngestReady
	// Merged: the record's merge committed (CustomerID, Version).
	Merged
	// PushEnqueued: the fan-out enqueued a push (Instance, CustomerID,
	// Version: the task's).
	PushEnqueued
	// PushStarted: a push task's handler started (Version: the task's).
	PushStarted
	// PushLocked: the push holds its slot and the customer's push lock.
	PushLocked
	// PushRead: the read before write is done (under the record's lock).
	PushRead
	// PushWritten: the vendor answered the write (ExternalID: the target's
	// record, Version: the customer version rendered).
	PushWritten
	// PushRecorded: the write is recorded on the link; the push's locks go.
	PushRecorded
	// BatchMerged: a merge transaction of the ingest batcher committed
	// (N: its records, Took: how long it ran).
	BatchMerged
	// PageListed: a poll listed one page (N: its records, Took: the
	// vendor's listing and its decoding).
	PageListed
	// PageMerged: a poll page's merge transaction committed (N: records
	// merged, Took: how long it ran).
	PageMerged
	// PageApplied: a poll page is applied (N: its records, Took: mapping,
	// the applied-content check, the record locks and the merge).
	PageApplied
	// PageStored: a poll page's cursor is stored (Key: the cursor stored,
	// Took: how long that took).
	PageStored
	steps
)

var names = [steps]string{"webhook received", "ingest enqueued", "ingest started", "ingest ready", "merged", "push enqueued",
	"push started", "push locked", "push read", "push written", "push recorded", "batch merged",
	"page listed", "page merged", "page applied", "page stored"}

func (s Step) String() string {
	if s < steps {
		return names[s]
	}
	return "?"
}

// Event is one mark.
type Event struct {
	Step       Step
	At         time.Time
	Instance   string
	ExternalID string
	// Key is the vendor's event id, where there is one: it ties a
	// webhook to its ingest and merge.
	Key        string
	CustomerID uint64
	Version    int64
	N          int
	Took       time.Duration
}

var sink atomic.Pointer[func(Event)]

// Set makes f receive every mark until the returned restore is called.
// f runs on the pipeline's goroutines and must be quick and safe for
// concurrent use.
func Set(f func(Event)) (restore func()) {
	old := sink.Swap(&f)
	return func() { sink.Store(old) }
}

// On reports whether anybody listens, for a caller whose mark would cost
// more than the check.
func On() bool { return sink.Load() != nil }

// Mark records e at the current time when somebody listens.
func Mark(e Event) {
	if f := sink.Load(); f != nil {
		e.At = time.Now()
		(*f)(e)
	}
}

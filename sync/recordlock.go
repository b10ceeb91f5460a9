package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
)

// A vendor record is read and then merged (an id-only webhook's fetch, a
// push's read before write), and a push writes it and then records what it
// wrote. Interleaved, an ingest could read the record between a push's
// write and its record of it — or read an older push's write and merge it
// after a newer push was recorded — and take our own older write for an
// edit at the vendor. Per record, these run one at a time.

const (
	// ingestLockWait is how long an ingest waits for a push of its record
	// before it steps aside and is retried soon.
	ingestLockWait = 2 * time.Second
	// pushLockWait is the same for a push waiting for an ingest.
	pushLockWait = 2 * time.Second
	// recordLockTTL outlives a push's read, write and record.
	recordLockTTL = 45 * time.Second
)

// lockRecord takes the lock of one vendor record; release frees it.
func (h *Handlers) lockRecord(ctx context.Context, instance, resource, externalID string, wait time.Duration) (release func(), err error) {
	lease, err := h.recordLease(ctx, instance, resource, externalID, wait)
	if err != nil {
		return nil, err
	}
	return func() { lease.Release(context.WithoutCancel(ctx)) }, nil
}

// recordLockName is the lock of one vendor record (lockRecord).
func recordLockName(instance, resource, externalID string) string {
	return "record:" + instance + ":" + resource + ":" + externalID
}

// recordLease is lockRecord's lease, for a caller that gives it up with
// others in one round trip (Queue.ReleaseAll).
func (h *Handlers) recordLease(ctx context.Context, instance, resource, externalID string, wait time.Duration) (*Lease, error) {
	lease, ok, err := h.Queue.Lock(ctx, recordLockName(instance, resource, externalID), recordLockTTL, wait)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s %s %s is being read or written by another task: %w", instance, resource, externalID, errBusy)
	}
	return lease, nil
}

// deferHeld takes out of a listed page the records a push (or a fetching
// ingest) holds the lock of right now, and has each fetched anew by an
// id-only ingest task, which waits for the lock: it reads the record once
// the push has recorded what it wrote. A listing reads without the
// records' locks, so it may have read our write after it landed but
// before the push recorded it; merged before that record, the write
// would compare with the push before it, count as an edit read after that
// push (hub merger.readAfterPush) and revert a newer hub value the stale
// push did not carry (convergence, under -race at load 45). The check
// runs after the listing: a push whose write the listing can hold took
// the lock before writing and gives it up only after recording, so at
// the check it either holds it still or has recorded. A record listed
// before a push's write and merged after its record is the hub's to
// recognise (merger.readBeforePush). One round trip per page; a
// touchpoint that cannot fetch merges what it listed, as before.
//
// The listed record goes along as the task's snapshot: a vendor edit it
// shows that the push's write then overwrote (an OXID admin's save after
// the writer's check) is recovered from it as from a webhook's record
// (recoverOverwritten): the fetch finds our write, the listing a value
// the hub never held. Our own write in the listing is a value the hub
// held, and recovers nothing; so is the state the push's read before
// write found (the source's last record, IngestPayload.Listed).
func (h *Handlers) deferHeld(ctx context.Context, tp *Touchpoint, resource string, records []connectors.Record, ins []hub.Inbound, from []int) ([]hub.Inbound, []int, error) {
	if _, ok := tp.Conn.(connectors.Fetcher); !ok || len(ins) == 0 {
		return ins, from, nil
	}
	names := make([]string, len(ins))
	for i, in := range ins {
		names[i] = recordLockName(tp.Name, resource, in.ExternalID)
	}
	held, err := h.Queue.Held(ctx, names...)
	if err != nil {
		return ins, from, err
	}
	keep, keepFrom := ins[:0], from[:0]
	for i, in := range ins {
		if !held[i] {
			keep, keepFrom = append(keep, in), append(keepFrom, from[i])
			continue
		}
		if err := h.fetchLater(ctx, tp, resource, records[from[i]], in); err != nil {
			return ins, from, err
		}
		logx.Logger(ctx, h.Log).Debug("listed record locked by a push; fetched again after it",
			"connector", tp.Name, "resource", resource, "external_id", in.ExternalID)
	}
	return keep, keepFrom, nil
}

// fetchLater hands a listed record to an id-only ingest task, which
// fetches it once whatever holds it now is done; the listing goes along
// as the task's snapshot (IngestPayload.Listed). A touchpoint that cannot
// fetch gets the listed record itself merged later.
func (h *Handlers) fetchLater(ctx context.Context, tp *Touchpoint, resource string, rec connectors.Record, in hub.Inbound) error {
	snap, err := json.Marshal(rec.Data)
	if err != nil {
		return err
	}
	readAt := rec.ReadAt
	if readAt.IsZero() {
		readAt = time.Now() // the page was read before now
	}
	p := IngestPayload{Instance: tp.Name, Resource: resource, ExternalID: in.ExternalID, SourceAt: in.SourceAt,
		Snapshot: snap, Listed: true, ReceivedAt: readAt}
	if _, ok := tp.Conn.(connectors.Fetcher); !ok {
		p.Body, p.Snapshot, p.Listed = snap, nil, false // merged as listed
	}
	task, err := NewIngestTask(p, h.MaxRetry)
	if err != nil {
		return err
	}
	return h.Queue.Enqueue(ctx, task)
}

// PushesRunning says, for each key, whether a push of that customer to
// that touchpoint runs right now (its push lock is held): the hub's
// merge asks before it links a first sighting (hub.Store.SetPushing).
func (h *Handlers) PushesRunning(ctx context.Context, keys []hub.PushKey) ([]bool, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = pushLockName(PushPayload{Instance: k.Instance, Resource: k.Resource, CustomerID: k.CustomerID})
	}
	return h.Queue.Held(ctx, names...)
}

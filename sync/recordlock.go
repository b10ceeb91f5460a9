package sync

import (
	"context"
	"fmt"
	"time"
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

// recordLease is lockRecord's lease, for a caller that gives it up with
// others in one round trip (Queue.ReleaseAll).
func (h *Handlers) recordLease(ctx context.Context, instance, resource, externalID string, wait time.Duration) (*Lease, error) {
	lease, ok, err := h.Queue.Lock(ctx, "record:"+instance+":"+resource+":"+externalID, recordLockTTL, wait)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s %s %s is being read or written by another task: %w", instance, resource, externalID, errBusy)
	}
	return lease, nil
}

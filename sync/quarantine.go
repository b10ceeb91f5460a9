package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shophub/shophub/mappings"
)

// ReplayQuarantine re-runs quarantined records of one connector instance
// ("" for all) through mapping and merge, after the mapping was fixed. A
// record that maps now is merged by the ingest path and marked replayed;
// one that still fails keeps its row with the new reason.
func (h *Handlers) ReplayQuarantine(ctx context.Context, connector string) (replayed, failed int, err error) {
	var after uint64
	for {
		rows, err := h.Store.PendingQuarantine(ctx, connector, after, 200)
		if err != nil {
			return replayed, failed, err
		}
		for _, q := range rows {
			after = q.ID
			log := h.Log.With("task", "quarantine:replay", "connector", q.Instance, "external_id", q.ExternalID, "quarantine_id", q.ID)
			tp, ok := h.Points.Get(q.Instance)
			if !ok {
				failed++
				if err := h.Store.QuarantineFailed(ctx, q.ID, fmt.Sprintf("connector instance %q is not configured", q.Instance)); err != nil {
					return replayed, failed, err
				}
				continue
			}
			// Map first: ingest would quarantine a failure again as a new
			// row; this row is the one to update.
			var record map[string]any
			reason := ""
			if len(q.Payload) == 0 {
				// Quarantined after a fetch: ingest fetches it again (and
				// quarantines it anew should the mapping still fail).
			} else if err := json.Unmarshal(q.Payload, &record); err != nil {
				reason = "record is not a JSON object: " + err.Error()
			} else if _, err := tp.Mapping.Inbound(q.Resource, record); err != nil && !errors.Is(err, mappings.ErrSkip) {
				reason = err.Error()
			}
			if reason == "" {
				// Connectors connect lazily; the CLI starts no worker to do it.
				if err := tp.Ready(ctx); err != nil {
					reason = err.Error()
				}
			}
			if reason == "" {
				p := IngestPayload{Instance: q.Instance, Resource: q.Resource, ExternalID: q.ExternalID, EventID: q.EventID,
					SourceAt: q.SourceAt, Body: q.Payload}
				if err := h.ingest(ctx, tp, p, log, true); err != nil {
					reason = "merge: " + err.Error()
				}
			}
			if reason != "" {
				failed++
				log.Warn("quarantined record still fails", "reason", reason)
				if err := h.Store.QuarantineFailed(ctx, q.ID, reason); err != nil {
					return replayed, failed, err
				}
				continue
			}
			replayed++
			if err := h.Store.QuarantineReplayed(ctx, q.ID); err != nil {
				return replayed, failed, err
			}
		}
		if len(rows) < 200 {
			return replayed, failed, nil
		}
	}
}

// RunQuarantinePurge deletes quarantined records older than retention,
// at start-up and hourly, until ctx ends.
func (h *Handlers) RunQuarantinePurge(ctx context.Context, retention time.Duration) {
	if retention <= 0 {
		return
	}
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := h.Store.PurgeQuarantine(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			h.Log.Warn("quarantine purge", "err", err)
		} else if n > 0 {
			h.Log.Info("quarantined payloads past retention purged", "records", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

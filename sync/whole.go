package sync

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/mappings"
)

// Orders, tickets and carts are whole-record entities: one system writes
// each, and the hub keeps its newest state as a whole (orders.go,
// tickets.go, carts.go). They share the way from a vendor record to the
// store; what a merge means afterwards is each kind's own.

// mergeFunc merges one vendor record of a whole-record entity.
type mergeFunc func(ctx context.Context, tp *Touchpoint, p IngestPayload, record map[string]any, at time.Time, log *slog.Logger) error

// ingestWhole reads the record of an ingest task (its body, or a fetch)
// and merges it.
func (h *Handlers) ingestWhole(ctx context.Context, tp *Touchpoint, p IngestPayload, log *slog.Logger, merge mergeFunc) error {
	rec, err := h.recordOf(ctx, tp, p, log)
	if rec == nil {
		return err
	}
	return merge(ctx, tp, p, rec.Data, rec.UpdatedAt, log)
}

// mergeWhole maps record with tp's inbound mapping, normalizes it and
// hands the document to store. ok is false when nothing was stored: the
// mapping skipped the record, or it was quarantined (it does not map or
// normalize, or a value is too long for the hub); err is then a failed
// quarantine. A store error other than hub.ErrTooLong is returned as is.
func mergeWhole[R any](ctx context.Context, h *Handlers, tp *Touchpoint, p IngestPayload, record map[string]any, log *slog.Logger,
	normalize func(mappings.Doc) (mappings.Doc, error), store func(doc mappings.Doc) (R, error)) (res R, ok bool, err error) {
	doc, err := tp.Mapping.Inbound(p.Resource, record)
	if errors.Is(err, mappings.ErrSkip) {
		log.Debug(p.Resource + " skipped by mapping")
		return res, false, nil
	}
	if err == nil {
		doc, err = normalize(doc)
	}
	if err != nil {
		return res, false, h.quarantineRecord(ctx, p, record, err)
	}
	res, err = store(doc)
	if errors.Is(err, hub.ErrTooLong) {
		return res, false, h.quarantineRecord(ctx, p, record, err)
	}
	return res, err == nil, err
}

// quarantineRecord quarantines p with reason, keeping record as its body
// when the task carried none (a fetched or listed record).
func (h *Handlers) quarantineRecord(ctx context.Context, p IngestPayload, record map[string]any, reason error) error {
	if p.fullBody(); p.Body == nil {
		p.Body, _ = json.Marshal(record)
	}
	return h.quarantine(ctx, p, reason)
}

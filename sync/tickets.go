package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/mappings"
)

// Tickets (helpdesk conversations) have their own path through the
// pipeline: the helpdesk is the only writer of its tickets, so the newest
// state is merged as a whole into hub.Ticket — no field policy, no
// fan-out. What a ticket changes for other systems is the customer's hub
// knowledge (open tickets), which reaches them through pushes of the
// customer.

// ingestTicket maps and merges one ticket of an ingest task.
func (h *Handlers) ingestTicket(ctx context.Context, tp *Touchpoint, p IngestPayload, log *slog.Logger) error {
	if p.Deleted {
		// The hub keeps the service history of a conversation deleted at
		// the helpdesk.
		log.Info("ticket deleted at the helpdesk; the hub keeps its history")
		return nil
	}
	return h.ingestWhole(ctx, tp, p, log, h.mergeTicket)
}

// applyTicketPage merges a listed page of tickets one by one.
func (h *Handlers) applyTicketPage(ctx context.Context, tp *Touchpoint, records []connectors.Record) error {
	return h.applyEach(ctx, tp, connectors.ResourceTicket, records, h.mergeTicket)
}

// applyEach merges a listed page of whole-record entities (tickets,
// orders) one record at a time with merge; a record that cannot be mapped
// or merged is quarantined and the page completes.
func (h *Handlers) applyEach(ctx context.Context, tp *Touchpoint, resource string, records []connectors.Record,
	merge mergeFunc) error {
	log := logx.Logger(ctx, h.Log).With("connector", tp.Name, "resource", resource)
	for _, r := range records {
		if r.Deleted {
			continue
		}
		p := IngestPayload{Instance: tp.Name, Resource: resource, ExternalID: r.ExternalID, SourceAt: r.UpdatedAt}
		if err := merge(ctx, tp, p, r.Data, r.UpdatedAt, log.With("external_id", r.ExternalID)); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.Body, _ = json.Marshal(r.Data)
			if err := h.quarantine(ctx, p, fmt.Errorf("merge: %w", err)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *Handlers) mergeTicket(ctx context.Context, tp *Touchpoint, p IngestPayload, record map[string]any, at time.Time, log *slog.Logger) error {
	res, ok, err := mergeWhole(ctx, h, tp, p, record, log, mappings.NormalizeTicket, func(doc mappings.Doc) (hub.TicketResult, error) {
		return h.Store.MergeTicket(ctx, hub.TicketInbound{Instance: p.Instance, ExternalID: p.ExternalID, EventID: p.EventID, SourceAt: at, Doc: doc})
	})
	if !ok {
		return err
	}
	if len(res.Changed) == 0 {
		return nil
	}
	log.Debug("ticket changed", "ticket_id", res.TicketID, "customer_id", res.CustomerID, "version", res.Version, "fields", res.Changed)
	if res.CustomerID != 0 && (res.Created || slices.Contains(res.Changed, "status")) {
		h.refreshKnowledge(ctx, res.CustomerID, log)
	}
	return nil
}

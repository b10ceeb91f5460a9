package sync

import (
	"context"
	"log/slog"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/mappings"
)

// Carts have their own path through the pipeline, like orders: the shop
// is their only writer, the newest state is kept as a whole in hub.Cart,
// nothing is fanned out. What a cart means for others is an event
// (cart_abandoned), which the event engine computes from the carts held
// (events.go).

func (h *Handlers) ingestCart(ctx context.Context, tp *Touchpoint, p IngestPayload, log *slog.Logger) error {
	if !takesCarts(tp) {
		log.Debug("cart event dropped: the instance does not take carts (resources or mapping)")
		return nil
	}
	if p.Deleted {
		log.Debug("cart deleted at the shop; the hub keeps its last state")
		return nil
	}
	return h.ingestWhole(ctx, tp, p, log, h.mergeCart)
}

func (h *Handlers) applyCartPage(ctx context.Context, tp *Touchpoint, records []connectors.Record) error {
	if !takesCarts(tp) {
		return nil
	}
	return h.applyEach(ctx, tp, connectors.ResourceCart, records, h.mergeCart)
}

func (h *Handlers) mergeCart(ctx context.Context, tp *Touchpoint, p IngestPayload, record map[string]any, at time.Time, log *slog.Logger) error {
	res, ok, err := mergeWhole(ctx, h, tp, p, record, log, mappings.NormalizeCart, func(doc mappings.Doc) (hub.CartResult, error) {
		return h.Store.MergeCart(ctx, hub.CartInbound{Instance: p.Instance, ExternalID: p.ExternalID, SourceAt: at, Doc: doc})
	})
	if !ok {
		return err
	}
	if res.Changed {
		log.Debug("cart changed", "cart_id", res.CartID, "customer_id", res.CustomerID)
	}
	return nil
}

func takesCarts(tp *Touchpoint) bool {
	return tp.Handles(connectors.ResourceCart) && tp.Mapping.HasInbound(connectors.ResourceCart)
}

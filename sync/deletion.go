package sync

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
)

// How the hub learnt of a vendor's deletion, as the link, the change log
// and the 360° view name it.
const (
	deletedByWebhook = "webhook"
	deletedBySweep   = "sweep: gone at the vendor"
	deletedByPoll    = "poll: archived or deactivated"
	deletedByFetch   = "fetch: archived or deactivated"
	deletedByPush    = "push: not found at the vendor"
)

// deletedBy names the source of a deletion an ingest task reports: a
// webhook (the task carries its request), else the polling sweep that
// found the record gone.
func deletedBy(p IngestPayload) string {
	if p.RequestID != "" {
		return deletedByWebhook
	}
	return deletedBySweep
}

// vendorDeleted applies a vendor's deletion of a customer record. The
// deletion is recorded on the link (time and source) and in the change
// log whatever follows; then the instance's on_delete policy decides:
//
//   - unlink (default): nothing more. The person stays in the hub and at
//     the other touchpoints; Push never re-creates the record here.
//   - propagate: the person is erased through the erasure machinery —
//     every other touchpoint deletes or anonymizes its record per its
//     erasure mode, the hub forgets them, and the privacy audit names the
//     deletion as the request's source. A record that is gone gets no
//     step; an archived one is erased like the others.
//   - recreate: the link is dropped, so the next change of the person
//     creates the record here anew (shophub's behaviour before on_delete).
//
// A record the hub never linked is nobody's: nothing happens.
func (h *Handlers) vendorDeleted(ctx context.Context, tp *Touchpoint, resource, externalID string, at time.Time, by string, log *slog.Logger) error {
	// An archived or deactivated record still holds the person's data, so
	// an erasure deletes or anonymizes it like the others; a record that
	// is gone gets no step.
	gone := by != deletedByPoll && by != deletedByFetch
	if at.IsZero() {
		at = time.Now()
	}
	custID, found, marked, err := h.Store.MarkDeleted(ctx, tp.Name, resource, externalID, at, by)
	if err != nil {
		return err
	}
	if !found {
		log.Info("record deleted at the vendor was never linked; nothing to do", "deleted_by", by)
		return nil
	}
	policy := tp.Config.DeletePolicy()
	if marked {
		log.Info("record deleted at the vendor", "customer_id", custID, "deleted_by", by, "on_delete", policy)
	}
	switch policy {
	case config.OnDeleteRecreate:
		return h.Store.Unlink(ctx, tp.Name, resource, externalID)
	case config.OnDeletePropagate:
		// Run again on a retry even when the link was marked before: the
		// erasure may be what failed. Once it succeeded the link is gone
		// and found is false.
		// The audit's source column holds 64 characters; every by fits.
		req := hub.EraseRequest{Source: tp.Config.Type + " deletion (" + by + ")", Instance: tp.Name}
		var err error
		if gone {
			_, err = h.eraseCustomerExcept(ctx, custID, req, tp.Name, resource)
		} else {
			_, err = h.EraseCustomer(ctx, custID, req)
		}
		if errors.Is(err, hub.ErrNotFound) {
			return nil // erased meanwhile
		}
		return err
	}
	return nil
}

// eraseCustomerExcept erases a person like EraseCustomer, with no step at
// the record the vendor deleted itself.
func (h *Handlers) eraseCustomerExcept(ctx context.Context, custID uint64, req hub.EraseRequest, instance, resource string) (*hub.PrivacyRequest, error) {
	req.Action = func(in, res string) string {
		if in == instance && res == resource {
			return hub.ActionNone
		}
		return h.erasureAction(in, res)
	}
	return h.EraseCustomer(ctx, custID, req)
}

// recreatesDeleted: the instance's policy re-creates records the vendor
// deleted (on_delete: recreate, possibly set after a deletion was
// recorded under another policy).
func (tp *Touchpoint) recreatesDeleted() bool {
	return tp.Config.DeletePolicy() == config.OnDeleteRecreate
}

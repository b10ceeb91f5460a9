package sync

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
)

// recoverOverwritten looks for an edit a write of ours overwrote while it
// was on its way. A vendor without conditional writes (Magento saves the
// whole customer on PUT) takes an admin's save made after the writer's
// last check and before our write lands, and then our write reverts it:
// the record fetched for the save's webhook already holds our values, so
// the edit would be lost everywhere. The webhook's own record, taken when
// the admin saved (connectors.Event.Snapshot), still shows it.
//
// A path is recovered when the record fetched now holds exactly what we
// last pushed there, the snapshot holds something else, and the hub never
// held that value for the customer: neither taken, replaced, refused nor
// created with (hub.Store.HeldBefore). A late snapshot of an older state
// shows a value the hub saw; a snapshot of our own write shows what we
// pushed. The recovered record is the fetched one with those paths as the
// snapshot has them, merged as the vendor's edit as of the fetch (and no
// earlier than our push was recorded): it was made while that push was on
// its way, after the values the push carried. The vendor then gets the
// hub's values back.
//
// seen, for a snapshot a poll listed while our push held the record
// (deferHeld), is the source's last record before the fetch: a value it
// holds at a path is the state the push's read before write found and
// weighed (an edit older than the hub's value is refused, unlogged), not
// an edit made while the write was on its way, and is not recovered
// (convergence seed 6: an OXID first name the push's read refused as
// older than Help Scout's came back from the listing).
func (h *Handlers) recoverOverwritten(ctx context.Context, tp *Touchpoint, p IngestPayload, customerID uint64, fetched map[string]any, fetchedAt time.Time, seen map[string]any, log *slog.Logger) error {
	if customerID == 0 || fetched == nil {
		return nil
	}
	link, err := h.Store.Link(ctx, customerID, tp.Name, p.Resource)
	if err != nil || link.ExternalID != p.ExternalID || link.LastPushedAt == nil {
		return nil // never pushed to: nothing of ours could overwrite an edit
	}
	pushed := decodeLinkDoc(link.LastPushedDoc)
	if pushed == nil {
		return nil
	}
	var data map[string]any
	if err := json.Unmarshal(p.Snapshot, &data); err != nil || data == nil {
		return nil // not a record: nothing to recover from
	}
	snap := h.canonical(ctx, tp, p.Resource, &connectors.Record{Resource: p.Resource, ExternalID: p.ExternalID, Data: data})
	if snap == nil {
		return nil
	}
	cov := tp.Mapping.Coverage(p.Resource)
	if cov == nil {
		return nil
	}
	var recovered []string
	doc := cloneDoc(fetched)
	for _, path := range cov.Holds {
		was, ok := valueAtPath(pushed, path)
		if !ok || !sameJSON(valueOrNil(fetched, path), was) {
			continue // not what we wrote, or not written by us
		}
		v := valueOrNil(snap, path)
		if v == nil || sameJSON(v, was) {
			continue
		}
		if sv, ok := valueAtPath(seen, path); ok && sameJSON(sv, v) {
			continue
		}
		held, err := h.Store.HeldBefore(ctx, customerID, path, v)
		if err != nil {
			return err
		}
		if held {
			continue
		}
		setPath(doc, path, v)
		recovered = append(recovered, path)
	}
	if len(recovered) == 0 {
		return nil
	}
	// The record is merged as of the fetch (never older than the record
	// just merged, or the hub takes it for an old version), its recovered
	// paths as of the edit: no later than shophub had the snapshot. The
	// edit was made while a push of ours was on its way, so after the
	// value that push carried; but not after everything pushed since:
	// the event can wait for the record's lock while an edit elsewhere
	// is merged and pushed there, and stamped as of that later push the
	// older edit took it back (convergence seed 6, Help Scout then
	// Shopware). The snapshot's own stamp may be older than the edit
	// (Magento's updated_at stays on an address-only save).
	at := fetchedAt
	if link.LastPushedAt.After(at) {
		at = *link.LastPushedAt
	}
	editAt := p.ReceivedAt
	if editAt.IsZero() {
		editAt = p.SourceAt // a task from before ReceivedAt: the event's time
	}
	if editAt.IsZero() || editAt.After(at) {
		editAt = at
	}
	in := h.inbound(tp, p.Resource, p.ExternalID, p.EventID, at, doc)
	in.Unverified = link.Unverified
	in.Recovered = make(map[string]time.Time, len(recovered))
	for _, path := range recovered {
		in.Recovered[path] = editAt
	}
	res, err := h.Store.MergeCustomer(ctx, in, h.Policy)
	if err != nil {
		return err
	}
	log.Info("an edit our write overwrote on its way, recovered from the event's record", "customer_id", customerID,
		"paths", recovered, "taken", res.Changed)
	if res.OutboxID != 0 {
		ev := eventOf(in, res)
		ev.OriginStale = true // the vendor holds our write: it gets the edit back
		h.dispatchLogged(ctx, []hub.OutboxEvent{ev})
	}
	return nil
}

// valueAtPath reads a field or an address sub-field of a canonical doc.
func valueAtPath(doc map[string]any, path string) (any, bool) {
	top, sub, isSub := strings.Cut(path, ".")
	v, ok := doc[top]
	if !isSub || !ok {
		return v, ok
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil, false
	}
	v, ok = m[sub]
	return v, ok
}

func valueOrNil(doc map[string]any, path string) any {
	v, _ := valueAtPath(doc, path)
	if s, ok := v.(string); ok && s == "" {
		return nil
	}
	return v
}

// setPath sets a field or an address sub-field of doc, copying the
// address it changes.
func setPath(doc map[string]any, path string, v any) {
	top, sub, isSub := strings.Cut(path, ".")
	if !isSub {
		doc[top] = v
		return
	}
	m, _ := doc[top].(map[string]any)
	c := make(map[string]any, len(m)+1)
	for k, x := range m {
		c[k] = x
	}
	c[sub] = v
	doc[top] = c
}

func cloneDoc(d map[string]any) map[string]any {
	out := make(map[string]any, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}

// sameJSON compares canonical values as JSON does (numbers, lists, maps).
func sameJSON(a, b any) bool {
	if a == nil || b == nil {
		return valueNil(a) && valueNil(b)
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return reflect.DeepEqual(a, b)
	}
	return string(ja) == string(jb)
}

func valueNil(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

// baseline is the source's last record of a linked record (the link's
// last inbound doc), nil when there is none.
func (h *Handlers) baseline(ctx context.Context, instance, resource, externalID string) (map[string]any, error) {
	id, err := h.Store.CustomerByRecord(ctx, instance, resource, externalID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := h.Store.Link(ctx, id, instance, resource)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeLinkDoc(l.LastInboundDoc), nil
}

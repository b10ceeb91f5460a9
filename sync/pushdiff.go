package sync

import (
	"context"
	"errors"
	"fmt"
	"github.com/shophub/shophub/internal/jsonx"
	"maps"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
)

// A push writes only what the hub changed. The writer gets a payload
// reduced to the vendor keys whose rendering differs between what the hub
// holds now and what the target holds (its current record read back
// through the inbound mapping, so a value equal after normalization —
// email case, phone format, a street split — renders equally and is left
// alone). Diffing two renders of one mapping in the vendor's shape needs
// no knowledge of which canonical field feeds which vendor key.

// baseDoc is what the target holds in canonical form: its current record
// (cur, mapped in) for the fields the target maps in, and what was last
// pushed for the fields it only receives (nobody can read those back).
// Without a current record the last push stands for all fields; nil when
// neither is known.
func baseDoc(cur, last map[string]any, inbound []string) map[string]any {
	if cur == nil && last == nil {
		return nil
	}
	out := make(map[string]any, len(last)+len(cur))
	for k, v := range last {
		out[k] = v
	}
	if cur == nil {
		return out
	}
	for _, f := range inbound {
		if v, ok := cur[f]; ok {
			out[f] = v
		} else {
			delete(out, f)
		}
	}
	return out
}

// wantDoc is the hub's doc completed by base where the hub knows nothing:
// a field (or an address key) the hub never held is no clearing, so the
// target keeps its value. A field the hub holds empty is a value and is
// written.
func wantDoc(doc, base map[string]any) map[string]any {
	out := maps.Clone(doc)
	for k, bv := range base {
		dv, ok := out[k]
		if !ok {
			out[k] = bv
			continue
		}
		dm, dok := dv.(map[string]any)
		bm, bok := bv.(map[string]any)
		if !dok || !bok {
			continue
		}
		var merged map[string]any
		for sk, sv := range bm {
			if _, has := dm[sk]; !has {
				if merged == nil {
					merged = maps.Clone(dm)
				}
				merged[sk] = sv
			}
		}
		if merged != nil {
			out[k] = merged
		}
	}
	return out
}

// diffPayload keeps the keys of want that base renders differently.
// Objects are compared key by key, so an address carries only its changed
// keys; lists and scalars are whole values. A key base lacks is kept; a
// key only base has is not sent (the mapping chose not to render it).
func diffPayload(want, base map[string]any) map[string]any {
	out := map[string]any{}
	for k, wv := range want {
		bv, ok := base[k]
		if !ok {
			out[k] = wv
			continue
		}
		wm, wok := wv.(map[string]any)
		bm, bok := bv.(map[string]any)
		if wok && bok {
			if sub := diffPayload(wm, bm); len(sub) > 0 {
				out[k] = sub
			}
			continue
		}
		if !connectors.SameJSON(wv, bv) {
			out[k] = wv
		}
	}
	return out
}

// readTarget reads what the target holds now and merges it into the hub
// before anything is written there: an edit at the target that the hub
// has not seen yet (its webhook still on the way) is merged like any
// record from it, so the push that follows carries it instead of
// reverting it. It returns the record in canonical form (nil when it
// cannot be read or mapped; the write then finds out what happened), the
// vendor record itself, and whether the merge changed the hub; when the target said exactly
// this before (nothing merged), also the hub's customer version read
// after the target (0: not read).
func (h *Handlers) readTarget(ctx context.Context, tp *Touchpoint, p PushPayload, extID string) (map[string]any, *connectors.Record, bool, int64, error) {
	f, ok := tp.Conn.(connectors.Fetcher)
	if !ok {
		return nil, nil, false, 0, nil
	}
	readAt := time.Now()
	rec, err := f.Fetch(ctx, p.Resource, extID)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil, nil, false, 0, nil
	}
	if err != nil {
		return nil, nil, false, 0, pushError(p, fmt.Errorf("read before write: %w", err))
	}
	if rec.Deleted {
		return nil, rec, false, 0, nil // archived or deactivated: Push records the deletion
	}
	cur := h.canonical(ctx, tp, p.Resource, rec)
	if cur == nil || rec.UpdatedAt.IsZero() {
		// Without the vendor's time the record cannot be ordered against
		// the hub's fields; it still tells what the write may leave out.
		return cur, rec, false, 0, nil
	}
	in := h.inbound(tp, p.Resource, extID, "", sourceTime(rec.UpdatedAt, readAt), cur)
	in.ReadAt = readAt
	in.Unverified = tp.unverified(p.Resource, rec.Data)
	// Mostly the target holds what its last record said (the echo of
	// the previous push): a merge would write nothing, and one indexed
	// read says so without a transaction locking the customer.
	if said, v, err := h.Store.SaidBeforeVersion(ctx, in, p.CustomerID); err != nil {
		return nil, nil, false, 0, err
	} else if said {
		return cur, rec, false, v, nil
	}
	res, err := h.Store.MergeCustomer(ctx, in, h.Policy)
	if err != nil {
		return nil, nil, false, 0, err
	}
	if res.OutboxID != 0 {
		ev := eventOf(in, res)
		ev.OriginStale = false // this push is the answer to what the target lacks
		h.dispatchLogged(ctx, []hub.OutboxEvent{ev})
	}
	return cur, rec, len(res.Changed) > 0, 0, nil
}

// canonical maps a vendor record in (knowing the hub's doc where the
// mapping wants it, see previousDoc), nil when the mapping skips or
// refuses it.
func (h *Handlers) canonical(ctx context.Context, tp *Touchpoint, resource string, rec *connectors.Record) map[string]any {
	doc, err := tp.Mapping.InboundWith(resource, rec.Data, h.previousDoc(ctx, tp, resource, rec.ExternalID, rec.Data)...)
	if err != nil {
		return nil
	}
	return doc
}

// changes is the write that brings the target from what it holds (cur,
// else what was last pushed) to the hub's doc: for a writer that patches,
// only the vendor keys that render differently; for one that saves whole
// records, the whole payload, keeping the target's values where the hub
// knows nothing. changed is false when the target holds everything.
// Without anything known of the target, it is the full payload.
func (h *Handlers) changes(tp *Touchpoint, resource string, doc, cur, last, payload map[string]any) (write map[string]any, changed bool) {
	base := baseDoc(cur, last, tp.Mapping.Fields(resource))
	if base == nil {
		return payload, true
	}
	wantP, err := tp.Mapping.Outbound(resource, wantDoc(doc, base))
	if err != nil {
		return payload, true
	}
	baseP, err := tp.Mapping.Outbound(resource, base)
	if err != nil {
		return wantP, true
	}
	diff := diffPayload(wantP, baseP)
	if len(diff) == 0 {
		return nil, false
	}
	if tp.Conn.Capabilities().Patch {
		return diff, true
	}
	return wantP, true
}

// decodeLinkDoc decodes a doc a link stores (the last pushed, the last
// inbound); nil when there is none.
func decodeLinkDoc(s string) map[string]any {
	doc, _ := decodePushedDoc(s)
	return doc
}

// decodePushedDoc is a link's pushed doc and, apart, the target's fills
// recorded with it (hub.FilledKey).
func decodePushedDoc(s string) (doc, fills map[string]any) {
	if s == "" {
		return nil, nil
	}
	if jsonx.Unmarshal([]byte(s), &doc) != nil {
		return nil, nil
	}
	return hub.PushedFills(doc)
}

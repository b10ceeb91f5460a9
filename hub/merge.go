package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/shophub/shophub/internal/jsonx"
	"github.com/shophub/shophub/mappings"
)

// Inbound is one canonical record from one touchpoint.
type Inbound struct {
	Instance   string
	Resource   string
	ExternalID string
	EventID    string
	// SourceAt is the vendor's modification time of the record.
	SourceAt time.Time
	// ReadAt is when shophub asked the vendor for the record (a fetch or
	// a listing; connectors.Record.ReadAt): it holds the vendor's state of
	// that moment or later. Zero for a record a webhook carried.
	ReadAt time.Time
	// AnnouncedAt is when the webhook that named the record reached
	// shophub (sync.IngestPayload.ReceivedAt; zero for polls and reads):
	// every edit the webhook announced was made before. It dates what the
	// vendor's stamp leaves undated (merger.unstamped).
	AnnouncedAt time.Time
	Doc         map[string]any
	// Coverage is what the source's mapping covers of the resource: the
	// record speaks only for those fields and address sub-fields. nil: for
	// every field it carries (callers without a mapping, tests).
	Coverage *mappings.Coverage
	// NoFanout and NoEcho say that no other touchpoint, or not the origin
	// itself, takes pushes of this resource: then a change (or a rejected
	// value) needs no outbox event, and a backfill into a hub with nobody
	// to tell writes none.
	NoFanout bool
	NoEcho   bool
	// Unverified: nobody vouched for the record's identity (a guest
	// checkout, an email not confirmed). It may link to the person its
	// email names and fill empty fields, but never overwrites fields held
	// from verified sources, and its link takes no pushes (Link.Unverified).
	Unverified bool
	// Recovered holds paths whose value is an edit older than the record,
	// each with its own time: a vendor edit that our write overwrote on
	// its way, taken from the vendor's own record of the edit (sync
	// recoverOverwritten). The record is the one fetched after our write
	// with those paths as the edit had them; the path is weighed as an
	// edit of its time, not the record's and not as an edit after our
	// push, or it would beat an edit elsewhere made after it (convergence
	// seed 6: a Help Scout first name whose webhook waited for the record
	// lock came back stamped after a later Shopware edit and won). Such a
	// record is no baseline of the source: the record fetched before it
	// is what the source holds.
	Recovered map[string]time.Time
}

// Result says what a merge did.
type Result struct {
	CustomerID uint64
	Created    bool
	// Linked: the record was linked to an existing customer by this merge
	// (its first record from that system). Records that named it by its
	// id before it arrived (orders, tickets) can be adopted now.
	Linked  bool
	Version int64
	Changed []string
	// OutboxID is the event to fan out, 0 when nothing needs pushing.
	OutboxID uint64
	// OriginStale: the source sent values the hub rejected and should get
	// the hub's values back.
	OriginStale bool
	// Duplicate: the same content from the same record was merged before.
	Duplicate bool
	// Erased: the record belongs to an erased person and was dropped.
	Erased bool
	// VendorDeleted: the record's link says the vendor deleted it after
	// this version was made; nothing was merged.
	VendorDeleted bool
	// Pending: the record has no link yet and its customer is being
	// pushed to its touchpoint right now (Store.SetPushing): the push may
	// be creating this very record. Nothing was merged; merged once the
	// push has recorded it, the record is recognised as our write.
	Pending bool
	// Conflicts lists fields not taken because they would break identity
	// (an email already held by another customer).
	Conflicts []string
}

// ErrNotFound is returned for missing hub rows.
var ErrNotFound = errors.New("not found in hub")

// MergeCustomer merges one record: MergeBatch of one.
func (s *Store) MergeCustomer(ctx context.Context, in Inbound, pol Policy) (Result, error) {
	res, err := s.MergeBatch(ctx, []Inbound{in}, pol)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// MergeBatch resolves the customer each record belongs to (by link, then
// normalized email, else a new one), merges the records in order field by
// field, and commits customers, links, change log and outbox in one
// transaction with a handful of multi-row statements. Records of one
// customer within a batch apply in order, as if merged one by one.
//
// It is safe under any number of concurrent callers: the records' links
// and every customer the batch may touch are locked (links first, then
// customers in id order), and a lost race on a unique key (two first
// sightings of one email, one link) or a deadlock fails the transaction,
// which retries and finds the winner's row.
func (s *Store) MergeBatch(ctx context.Context, ins []Inbound, pol Policy) ([]Result, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	docs := make([]encodedDoc, len(ins))
	for i := range ins {
		if err := ins[i].tooLong(); err != nil {
			return nil, fmt.Errorf("merge %s: %w", describe(ins[i:i+1]), err)
		}
		ins[i].SourceAt = ins[i].SourceAt.UTC().Truncate(time.Microsecond)
		// The event id is lineage, not identity: a long one is cut, not refused.
		ins[i].EventID = truncate(ins[i].EventID, MaxExternalID)
		docs[i] = encodeDoc(ins[i].Doc)
	}
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		res, err := s.mergeBatchOnce(ctx, ins, docs, pol)
		if err == nil {
			return res, nil
		}
		if !isRetryable(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("merge %s: %w", describe(ins), asTooLong(err))
		}
		lastErr = err
		if werr := sleepCtx(ctx, time.Duration(attempt+1)*5*time.Millisecond); werr != nil {
			return nil, werr
		}
	}
	return nil, fmt.Errorf("merge %s: still conflicting after retries: %w", describe(ins), lastErr)
}

func describe(ins []Inbound) string {
	if len(ins) == 1 {
		return ins[0].Instance + " " + ins[0].Resource + "/" + ins[0].ExternalID
	}
	return fmt.Sprintf("batch of %d records", len(ins))
}

// isEmpty: "", null, {} and [] carry no value.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

func decodeState(c *Customer) (map[string]any, map[string]Provenance, error) {
	data, err := decodeData("customer", c.ID, c.Data)
	if err != nil {
		return nil, nil, err
	}
	prov, err := decodeProvenance(c.Provenance)
	if err != nil {
		return nil, nil, fmt.Errorf("customer %d provenance: %w", c.ID, err)
	}
	return data, prov, nil
}

// HashDoc fingerprints a canonical doc. encoding/json sorts map keys, so
// equal docs hash equally whatever order their fields arrived in.
func HashDoc(doc map[string]any) string { return hashJSON(mustJSON(doc)) }

func hashJSON(js string) string {
	sum := sha256.Sum256([]byte(js))
	return hex.EncodeToString(sum[:16])
}

// encodedDoc is an inbound doc's JSON (the link's new baseline) and its
// hash, encoded once per merge.
type encodedDoc struct{ json, hash string }

func encodeDoc(doc map[string]any) encodedDoc {
	js := mustJSON(doc)
	return encodedDoc{json: js, hash: hashJSON(js)}
}

// jsonEqual reports whether a and b encode to the same JSON. Most canonical
// fields are strings; equal strings encode equally, and different valid
// UTF-8 strings differently, so those skip the encoder.
func jsonEqual(a, b any) bool {
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			if as == bs {
				return true
			}
			if utf8.ValidString(as) && utf8.ValidString(bs) {
				return false
			}
		}
	}
	return mustJSON(a) == mustJSON(b)
}

func jsonOrEmpty(v any, has bool) string {
	if !has {
		return ""
	}
	return mustJSON(v)
}

func mustJSON(v any) string {
	b, err := jsonx.Marshal(v) // encoding/json's bytes
	if err != nil {
		// Docs hold only JSON-decoded values; anything else is a bug.
		panic(fmt.Sprintf("hub: value not JSON-encodable: %v", err))
	}
	return string(b)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// decodeData decodes a row's JSON doc column ("" is an empty doc).
func decodeData(kind string, id uint64, data string) (map[string]any, error) {
	doc := map[string]any{}
	if data != "" {
		if err := jsonx.Unmarshal([]byte(data), &doc); err != nil {
			return nil, fmt.Errorf("%s %d data: %w", kind, id, err)
		}
	}
	return doc, nil
}

// sameJSON reports whether a and b are the same JSON-decoded value, of the
// same Go types throughout, so that both encode to the same text. Types
// it does not know count as different.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		// By bits: 0 and -0 are equal numbers and encode differently.
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case int:
		y, ok := b.(int)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case []string:
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return false
}

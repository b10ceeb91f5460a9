package hub

import (
	"fmt"
	"maps"
	"strings"
)

// Shareable is a customer's doc as the hub may write it to the person's
// accounts (pushes, events for marketing tools): once a verified source
// has set one of the customer's fields, every value only an unverified
// record gave (Provenance.Unverified) is left out. Anyone can type
// someone's email at a guest checkout; the phone or address typed there
// may be a stranger's, and rendered out it would be written into the real
// account holder's accounts at every shop. merger.mayOverwrite keeps such
// a record from changing a verified person, but not a value it set while
// the person was unknown (the guest came first), which a verified record
// without that field never replaces.
//
// Left out is not cleared: a push fills what the hub does not give with
// the target's own value (wantDoc), so the person's accounts keep what
// they hold. The hub keeps the value with its provenance: it is evidence,
// shown in the 360° view, and a verified record asserting it vouches for
// it (merger.vouch), after which it is written out like any other.
//
// A customer only unverified records know (a guest, nobody else) is
// written out whole, as it always was: there is no other person whose
// data it could overwrite, and the shops, ERP and helpdesk still want the
// guest's order history and contact details. The email is always written:
// it is how the person's accounts are found, and the customer is this
// email's by construction (a verified record was matched to it).
func Shareable(c *Customer, doc map[string]any) (map[string]any, error) {
	return ShareableWith(c, doc, false)
}

// ShareableWith is Shareable, with vouched saying that a verified source
// the hub has not merged yet stands for the person: the account a push
// found at its target by the person's email. Written there, a guest's
// values would overwrite that account's own, as they would have been kept
// out of it had its record reached the hub first.
func ShareableWith(c *Customer, doc map[string]any, vouched bool) (map[string]any, error) {
	if !mayHoldUnverified(c.Provenance) {
		return doc, nil
	}
	prov, err := decodeProvenance(c.Provenance)
	if err != nil {
		return nil, fmt.Errorf("customer %d provenance: %w", c.ID, err)
	}
	if !vouched && !vouchedFor(prov) {
		return doc, nil
	}
	return withoutUnverified(doc, prov), nil
}

// mayHoldUnverified: the stored provenance may mark a path unverified, so
// it must be decoded. The compact form marks them with "!", which its
// instance names and paths never hold (compactToken); the JSON form with
// an "unverified" key. Most customers have neither, and a push need not
// decode their provenance.
func mayHoldUnverified(stored string) bool {
	return strings.IndexByte(stored, '!') >= 0 || strings.Contains(stored, `"unverified"`)
}

// withoutUnverified is doc without the paths prov marks unverified; doc
// itself when nothing is left out. An address left with no key is left
// out whole: an empty one would clear the target's.
func withoutUnverified(doc map[string]any, prov map[string]Provenance) map[string]any {
	out, copied := doc, false
	drop := func(f string, keep map[string]any) {
		if !copied {
			out, copied = maps.Clone(doc), true
		}
		if keep == nil {
			delete(out, f)
		} else {
			out[f] = keep
		}
	}
	for f, v := range doc {
		if f == "email" {
			continue
		}
		a, isMap := v.(map[string]any)
		if !isAddress(f) || !isMap {
			if p := prov[f]; p.Unverified {
				drop(f, nil)
			}
			continue
		}
		var kept map[string]any
		for k := range a {
			if provenanceOf(prov, f+"."+k, f).Unverified {
				if kept == nil {
					kept = maps.Clone(a)
				}
				delete(kept, k)
			}
		}
		switch {
		case kept == nil:
		case len(kept) == 0:
			drop(f, nil)
		default:
			drop(f, kept)
		}
	}
	return out
}

// vouchedFor: a verified source set one of the customer's fields.
func vouchedFor(prov map[string]Provenance) bool {
	for _, p := range prov {
		if p.Instance != "" && !p.Unverified {
			return true
		}
	}
	return false
}

// provenanceOf is a path's provenance; an address sub-field merged
// before provenance was kept per sub-field falls back to its address's.
func provenanceOf(prov map[string]Provenance, path, field string) Provenance {
	if p, ok := prov[path]; ok || path == field {
		return p
	}
	return prov[field]
}

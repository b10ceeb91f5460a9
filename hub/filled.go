package hub

import (
	"strings"

	"github.com/shophub/shophub/mappings"
)

// FilledKey is the key of a pushed doc (Link.LastPushedDoc) under which a
// push records what the target filled in where the hub holds no value:
// path → the value the target holds there after our write.
//
// Some vendors cannot hold an empty value: Shopware needs names on every
// address and a default shipping address, so its connector gives a new
// address the customer's names and makes the billing address the
// shipping one. The read-back then holds values no person gave. Taken as
// the target's edits, they became the hub's and reached every other shop
// (a Shopify address without names got the customer's). Recorded as
// fills, a record equal to them asserts nothing while the hub holds no
// value there; a different value is an edit made at the target.
const FilledKey = "_filled"

// TargetFills returns the paths (top-level fields and address sub-fields)
// the target holds (writes and reads back: cov) where it holds a value,
// read back after our write (after), and the hub's pushed view (pushed)
// holds none, while the write created the
// record (created), or the target held no value there before the write
// (before; nil when it was not read), or the path was its fill at the
// previous push already (prev): a fill follows what our writes make of it
// (Shopware's shipping address copies the billing address the hub
// changed). A value the target held before is its own, never a fill, and
// so is one on a path our writes never cover (an ERP's own customer
// number).
func TargetFills(cov *mappings.Coverage, pushed, after, prev, before map[string]any, created bool) map[string]any {
	var out map[string]any
	add := func(path string, v, was any) {
		if !cov.HoldsPath(path) {
			return
		}
		if _, filled := prev[path]; !filled && !created && (before == nil || !isEmpty(was)) {
			return
		}
		if out == nil {
			out = map[string]any{}
		}
		out[path] = v
	}
	for f, av := range after {
		if strings.HasPrefix(f, "_") {
			continue
		}
		paths, ok := addressPaths[f]
		if !ok {
			if !isEmpty(av) && isEmpty(pushed[f]) {
				add(f, av, before[f])
			}
			continue
		}
		aa, _ := av.(map[string]any)
		pa, _ := pushed[f].(map[string]any)
		ba, _ := before[f].(map[string]any)
		for i, k := range mappings.AddressKeys {
			if v := subValue(aa, k); !isEmpty(v) && isEmpty(subValue(pa, k)) {
				add(paths[i], v, subValue(ba, k))
			}
		}
	}
	return out
}

// PushedFills splits a pushed doc's fills (FilledKey) off: pushed without
// them, and the fills by path (nil when there are none).
func PushedFills(pushed map[string]any) (map[string]any, map[string]any) {
	fills, ok := pushed[FilledKey].(map[string]any)
	if !ok {
		return pushed, nil
	}
	delete(pushed, FilledKey)
	return pushed, fills
}

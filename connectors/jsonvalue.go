package connectors

import (
	"reflect"

	"github.com/shophub/shophub/internal/jsonx"
)

// CloneJSON deep-copies a decoded JSON value (maps and slices), so that a
// merge can edit the copy of a vendor record while the original stays what
// the vendor holds. A []string, as mappings render lists, becomes []any,
// the type JSON decoding gives.
func CloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = CloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = CloneJSON(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	}
	return v
}

// MergeJSON merges v into cur the way a partial update does: objects
// merge key by key, recursively, so keys v does not name keep the vendor's
// value; anything else v holds replaces cur as a copy. It edits cur in
// place (pass a CloneJSON copy) and returns the merged value.
func MergeJSON(cur, v any) any {
	cm, ok1 := cur.(map[string]any)
	vm, ok2 := v.(map[string]any)
	if !ok1 || !ok2 {
		return CloneJSON(v)
	}
	for k, x := range vm {
		cm[k] = MergeJSON(cm[k], x)
	}
	return cm
}

// JSONForm is v as it reads back from JSON: numbers of any Go type become
// float64, typed slices []any, structs maps.
func JSONForm(v any) any {
	raw, _ := jsonx.Marshal(v)
	var out any
	_ = jsonx.Unmarshal(raw, &out)
	return out
}

// SameJSON compares by JSON form, so that json.Number("1") from a vendor
// equals 1 from a mapping and a push that changes nothing is seen as such.
func SameJSON(a, b any) bool { return reflect.DeepEqual(JSONForm(a), JSONForm(b)) }

package hub

import (
	"bytes"
	"encoding/json"

	"github.com/bytedance/sonic"
)

// marshalJSON is encoding/json's Marshal, byte for byte, in less than half
// the time: stored docs, provenance and change values are compared and
// hashed as encoding/json wrote them, so the bytes must not move.
//
// sonic configured as encoding/json (ConfigStd: sorted map keys, HTML
// escaping, invalid UTF-8 replaced by U+FFFD) writes the same bytes for
// every value TestMarshalAsEncodingJSON and FuzzMarshalAsEncodingJSON try
// but for two control characters: since Go 1.22 encoding/json escapes
// backspace and form feed as \b and \f, sonic as \u0008 and \u000c. Output
// carrying either (or the same six characters as escaped text, which is
// harmless) is encoded again by encoding/json. Encoding a Shopify
// customer's canonical doc takes 2.2 times less time, and 5 allocations
// against 50 (BenchmarkMarshalDoc); the doc's encoding was about a
// twentieth of the merge worker's CPU (bench merge profile, session 11).
func marshalJSON(v any) ([]byte, error) {
	b, err := sonic.ConfigStd.Marshal(v)
	if err != nil || bytes.Contains(b, escBackspace) || bytes.Contains(b, escFormFeed) {
		return json.Marshal(v)
	}
	return b, nil
}

var (
	escBackspace = []byte(`\u0008`)
	escFormFeed  = []byte(`\u000c`)
)

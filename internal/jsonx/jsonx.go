// Package jsonx is encoding/json's Marshal and Unmarshal with
// encoding/json's results, in about half the time: sonic configured as
// encoding/json (ConfigStd: sorted map keys, HTML escaping, invalid UTF-8
// replaced by U+FFFD, case-insensitive field names) does the work, and
// encoding/json takes over wherever the two were found to differ.
//
// Stored docs, provenance and change values are compared and hashed as
// encoding/json wrote them, and records decode into what they did, so
// neither the bytes nor the values may move: TestMarshalAsEncodingJSON,
// TestUnmarshalAsEncodingJSON and the fuzz targets hold the two side by
// side.
package jsonx

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/bytedance/sonic"
)

// Marshal is json.Marshal. The one difference found: since Go 1.22
// encoding/json escapes backspace and form feed as \b and \f, sonic as
// \u0008 and \u000c; output carrying either (or the same six characters as
// escaped text, which is harmless) is encoded again by encoding/json.
// A Shopify customer's canonical doc encodes 2.2 times faster, with 5
// allocations against 50 (BenchmarkMarshalDoc).
func Marshal(v any) ([]byte, error) {
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

// Unmarshal is json.Unmarshal for a target that holds nothing yet (a new
// value, a zero struct, a nil or empty map). Where the input is valid the
// two decode the same values, into existing values the same way; on
// invalid input they part (sonic stops at other places, with other
// partial results and messages), so when sonic fails the target is reset
// to its zero value and encoding/json decodes again: its result and its
// error are what the caller gets.
func Unmarshal(data []byte, v any) error {
	if err := sonic.ConfigStd.Unmarshal(data, v); err == nil {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero()
	}
	return json.Unmarshal(data, v)
}

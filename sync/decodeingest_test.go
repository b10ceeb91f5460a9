package sync

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// decodeIngestStd is decodeIngest with encoding/json alone: what every
// payload decoded to before sonic took the first pass.
func decodeIngestStd(b []byte) (IngestPayload, error) {
	var w ingestWire
	if err := json.Unmarshal(b, &w); err == nil {
		p := w.IngestPayload
		if w.Body != nil {
			p.body, p.raw = w.Body, b
		}
		return p, nil
	}
	var p IngestPayload
	err := json.Unmarshal(b, &p)
	return p, err
}

// Every payload, the vendors' awkward ones included, decodes exactly as
// encoding/json decodes it: same fields, same body map (numbers, escapes,
// duplicate keys, invalid UTF-8), same errors.
func TestDecodeIngestAsEncodingJSON(t *testing.T) {
	customer, err := NewIngestTask(IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: "7100000001",
		EventID: "b8f0c2e4-1d3a-4c5e-9f7a-0123456789ab", SourceAt: time.Date(2026, 11, 30, 10, 0, 0, 0, time.FixedZone("", 3600)),
		ReceivedAt: time.Date(2026, 11, 30, 9, 0, 0, 123456789, time.UTC), RequestID: "req-1",
		Body: json.RawMessage(`{"id":7100000001,"email":"greta.gast@example.com","first_name":"Greta","tags":"vip, b2b",` +
			`"addresses":[{"id":9800000001,"address1":"Alexanderplatz 1","default":true,"company":null}],"total_spent":"123.45"}`),
		Snapshot: json.RawMessage(`{"id": 7100000001, "note": "kept as sent"}`)}, 3)
	if err != nil {
		t.Fatal(err)
	}
	head := `{"instance":"shopware","resource":"customer","external_id":"0a1b","source_at":"2026-11-30T10:00:00.5+01:00","body":`
	for _, tc := range []struct {
		name    string
		payload string
	}{
		{"Shopify customer", string(customer.Payload())},
		{"id-only event", `{"instance":"shopware","resource":"customer","external_id":"0a1b","source_at":"0001-01-01T00:00:00Z","received_at":"2026-11-30T10:00:00Z","delivery":"x1"}`},
		{"escapes", head + `{"name":"Andr\u00e9 \ud83d\ude00","html":"<b>&amp;</b> \u003c\u003e","tab":"a\tb\/c","quote":"\"q\"","nul":"\u0000"}}`},
		{"lone surrogate", head + `{"name":"x\ud800y"}}`},
		{"invalid UTF-8", head + "{\"name\":\"M\xfcller \xff\xfe\"}}"},
		{"numbers", head + `{"big":12345678901234567890,"neg0":-0,"frac":3.141592653589793238462643383279,"tiny":1e-320,"exp":1E+5,"int":42}}`},
		{"number out of float64 range", head + `{"huge":1e400}}`},
		{"duplicate keys", head + `{"email":"a@example.com","email":"b@example.com","x":{"y":1},"x":{"z":2}}}`},
		{"nested and null", head + `{"a":[[],[null,{"b":[true,false]}],{}],"c":null}}`},
		{"body null", head + `null}`},
		{"body a list", head + `[1,2]}`},
		{"body a string", head + `"text"}`},
		{"body empty object", head + `{}}`},
		{"keys in other case", `{"Instance":"shopify","RESOURCE":"customer","External_ID":"9","Body":{"id":9}}`},
		{"unknown keys", head + `{"id":1},"later_field":{"x":[1]},"deleted":true}`},
		{"whitespace", " {\n \"instance\" : \"s\" ,\t\"body\" : { \"id\" : 1 } } \n"},
		{"truncated", head + `{"id":1`},
		{"not JSON", `<html>502</html>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, gerr := decodeIngest([]byte(tc.payload))
			want, werr := decodeIngestStd([]byte(tc.payload))
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("error %v, encoding/json's %v", gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded\n %#v\nencoding/json\n %#v", got, want)
			}
		})
	}
}

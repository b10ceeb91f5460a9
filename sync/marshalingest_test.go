package sync

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// A body known to be valid is carried as it came, and the payload decodes
// to what json.Marshal's would: every field, the record, and the body as
// sent for a quarantine.
func TestMarshalIngestAppendsAValidBodyAsIs(t *testing.T) {
	body := []byte(`{"id": 7, "note": "<b>&</b>", "tags": ["a", "b"]}`)
	p := IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: "7", EventID: "e", Delivery: "d",
		SourceAt: time.Unix(1700000000, 5).UTC(), Body: body, RequestID: "r"}
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	p.BodyValid = true
	got, err := marshalIngest(p)
	if err != nil {
		t.Fatal(err)
	}
	w, err := decodeIngest(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := decodeIngest(got)
	if err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	g.raw, w.raw = nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", g, w)
	}
	g, _ = decodeIngest(got)
	g.fullBody()
	if string(g.Body) != string(body) {
		t.Fatalf("body as sent: %s, want %s", g.Body, body)
	}
}

// marshalIngest writes what json.Marshal writes, byte for byte, the valid
// body appended as is in place of its own encoding: the hand-written
// fields must not drift from the struct's tags, and every string, raw
// message and time it cannot write as encoding/json does goes to
// encoding/json.
func TestMarshalIngestAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 4, 5, 120000000, time.FixedZone("CET", 3600))
	body := json.RawMessage(`{"id": 7, "note": "<b>&</b>"}`)
	base := IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: "7", SourceAt: at}
	tests := map[string]func(p *IngestPayload){
		"least":     func(p *IngestPayload) {},
		"zero time": func(p *IngestPayload) { p.SourceAt = time.Time{} },
		"every field": func(p *IngestPayload) {
			*p = IngestPayload{Instance: "a", Resource: "order", ExternalID: "x-1", EventID: "e", Deleted: true, SourceAt: at.UTC(), Listed: true, Unlisted: true, ReceivedAt: at, RequestID: "r1", Delivery: "d2"}
		},
		"valid body":           func(p *IngestPayload) { p.Body, p.BodyValid = body, true },
		"body not known valid": func(p *IngestPayload) { p.Body = body },
		"snapshot":             func(p *IngestPayload) { p.Snapshot = json.RawMessage(` {"a": "<"} `) },
		"html in id":           func(p *IngestPayload) { p.ExternalID = "a<b>&c" },
		"quote and backslash":  func(p *IngestPayload) { p.EventID = `e"\` },
		"control":              func(p *IngestPayload) { p.Delivery = "d\n\t\x00" },
		"unicode":              func(p *IngestPayload) { p.ExternalID = "Müller\u2028" },
		"invalid utf-8":        func(p *IngestPayload) { p.RequestID = "r\xff" },
		"year past 9999":       func(p *IngestPayload) { p.SourceAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"year before 0":        func(p *IngestPayload) { p.ReceivedAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) },
		"offset with seconds":  func(p *IngestPayload) { p.SourceAt = time.Date(1850, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 3208)) },
		"offset of a day":      func(p *IngestPayload) { p.SourceAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 24*3600)) },
		"nanoseconds, location": func(p *IngestPayload) {
			p.ReceivedAt = time.Unix(1700000000, 1).In(time.FixedZone("NPT", 5*3600+45*60))
		},
	}
	for name, mod := range tests {
		t.Run(name, func(t *testing.T) {
			p := base
			mod(&p)
			q := p
			if q.BodyValid {
				q.Body = nil
			}
			want, wantErr := json.Marshal(q)
			if wantErr == nil && p.BodyValid {
				want = append(append(append(want[:len(want)-1], `,"body":`...), p.Body...), '}')
			}
			got, err := marshalIngest(p)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, encoding/json's %v", err, wantErr)
			}
			if string(got) != string(want) {
				t.Errorf("wrote\n%s\nencoding/json\n%s", got, want)
			}
		})
	}
}

func BenchmarkMarshalIngest(b *testing.B) {
	p := IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: "1000001", EventID: "bench-1", Delivery: "3v2n0d8z1",
		SourceAt: time.Now(), Body: json.RawMessage(`{"id":1000001,"email":"kunde1@example.com"}`), BodyValid: true, RequestID: "0f1e2d3c4b5a6978"}
	b.ReportAllocs()
	for range b.N {
		if _, err := marshalIngest(p); err != nil {
			b.Fatal(err)
		}
	}
}

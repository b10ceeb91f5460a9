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

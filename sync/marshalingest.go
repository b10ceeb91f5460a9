package sync

import (
	"encoding/json"
	"time"
)

// marshalIngest is json.Marshal of p, except that a Body known to be valid
// (BodyValid) is appended as it came: encoding/json would scan and copy
// the record once more (compacting it, escaping HTML), about a third of
// a webhook's work in the receiver besides the enqueue.
//
// The fields around it are written by appendIngestFields, byte for byte
// what encoding/json writes, without its reflection: the receiver builds
// one payload per webhook, and json.Marshal's walk of the struct was a
// twentieth of the request's CPU beside the enqueue.
func marshalIngest(p IngestPayload) ([]byte, error) {
	if len(p.Body) > 0 && !p.BodyValid {
		return json.Marshal(p) // compacted and escaped as encoding/json does
	}
	body := p.Body
	p.Body = nil
	out, ok := appendIngestFields(make([]byte, 0, 256+len(body)), &p)
	if !ok {
		var err error
		if out, err = json.Marshal(p); err != nil {
			return nil, err
		}
		out = out[:len(out)-1] // without its closing brace
	}
	if len(body) > 0 {
		out = append(out, `,"body":`...)
		out = append(out, body...)
	}
	return append(out, '}'), nil
}

// appendIngestFields appends p's fields but the body, as json.Marshal
// orders and writes them, with the object's opening brace and without its
// closing one. It reports false, having written nothing that counts, for
// what only encoding/json writes right: a string to escape, a raw message
// to compact, a time it formats otherwise or refuses.
func appendIngestFields(b []byte, p *IngestPayload) ([]byte, bool) {
	if len(p.Snapshot) > 0 {
		return b, false
	}
	for _, s := range [...]string{p.Instance, p.Resource, p.ExternalID, p.EventID, p.RequestID, p.Delivery} {
		if !plainJSON(s) {
			return b, false
		}
	}
	b = appendField(b, `{"instance":`, p.Instance)
	b = appendField(b, `,"resource":`, p.Resource)
	b = appendField(b, `,"external_id":`, p.ExternalID)
	if p.EventID != "" {
		b = appendField(b, `,"event_id":`, p.EventID)
	}
	if p.Deleted {
		b = append(b, `,"deleted":true`...)
	}
	var ok bool
	if b, ok = appendTime(append(b, `,"source_at":`...), p.SourceAt); !ok {
		return b, false
	}
	if p.Listed {
		b = append(b, `,"listed":true`...)
	}
	if p.Unlisted {
		b = append(b, `,"unlisted":true`...)
	}
	if !p.ReceivedAt.IsZero() {
		if b, ok = appendTime(append(b, `,"received_at":`...), p.ReceivedAt); !ok {
			return b, false
		}
	}
	if p.RequestID != "" {
		b = appendField(b, `,"request_id":`, p.RequestID)
	}
	if p.Delivery != "" {
		b = appendField(b, `,"delivery":`, p.Delivery)
	}
	return b, true
}

func appendField(b []byte, key, s string) []byte {
	b = append(b, key...)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSON says whether encoding/json writes s as it is between quotes:
// printable ASCII that it neither escapes nor, for HTML, replaces.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// appendTime writes t as time.Time's MarshalJSON does, for the times it
// writes in RFC 3339 without complaint: years 0–9999 and offsets of
// whole minutes under a day.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	_, off := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

package webhooks

import (
	"encoding/json"
	"strconv"

	"github.com/shophub/shophub/connectors"
)

// Answer is the JSON body of every webhook response.
type Answer struct {
	Accepted int `json:"accepted"`
	// Duplicates counts re-deliveries of events still queued on their own.
	// One queued in a group with other webhooks (sync.Queue.EnqueueReceived)
	// is counted as accepted; its ingest drops it by its event id.
	Duplicates int `json:"duplicates"`
	Ignored    int `json:"ignored"`
	// Rejected counts privacy requests refused (see enqueue).
	Rejected int    `json:"rejected,omitempty"`
	Error    string `json:"error,omitempty"`
}

// appendJSON appends a as encoding/json writes it (TestAnswerJSON):
// an accepted webhook is answered thousands of times a second, and gin's
// c.JSON encoded this small struct by reflection into a new buffer each
// time.
func (a Answer) appendJSON(b []byte) []byte {
	if a.Error != "" {
		out, _ := json.Marshal(a)
		return append(b, out...)
	}
	b = strconv.AppendInt(append(b, `{"accepted":`...), int64(a.Accepted), 10)
	b = strconv.AppendInt(append(b, `,"duplicates":`...), int64(a.Duplicates), 10)
	b = strconv.AppendInt(append(b, `,"ignored":`...), int64(a.Ignored), 10)
	if a.Rejected != 0 {
		b = strconv.AppendInt(append(b, `,"rejected":`...), int64(a.Rejected), 10)
	}
	return append(b, '}')
}

// count adds one enqueued event to the answer.
func (a *Answer) count(ev connectors.Event, dup bool) {
	switch {
	case ev.Privacy != nil && ev.Privacy.Rejected != "":
		a.Rejected++
	case dup:
		a.Duplicates++
	default:
		a.Accepted++
	}
}

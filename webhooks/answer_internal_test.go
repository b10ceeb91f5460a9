package webhooks

import (
	"encoding/json"
	"testing"
)

// An answer is written as encoding/json writes it, for every field and
// the ones it omits.
func TestAnswerJSON(t *testing.T) {
	for _, a := range []Answer{
		{},
		{Accepted: 1},
		{Duplicates: 1},
		{Ignored: 1},
		{Accepted: 9999, Duplicates: 12, Ignored: 3, Rejected: 2},
		{Rejected: 1},
		{Accepted: -1},
		{Error: `body too large "<&>"`},
		{Accepted: 2, Error: "x"},
	} {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.appendJSON(nil); string(got) != string(want) {
			t.Errorf("%+v: wrote %s, encoding/json %s", a, got, want)
		}
	}
}

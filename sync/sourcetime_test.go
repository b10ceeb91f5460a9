package sync

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
)

func TestSourceTime(t *testing.T) {
	sec := time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC)
	ms := sec.Add(250 * time.Millisecond)
	for _, tc := range []struct {
		name          string
		updated, read time.Time
		want          time.Time
	}{
		{"whole second read long after: the second's end", sec, sec.Add(time.Hour), sec.Add(time.Second - time.Microsecond)},
		{"whole second read within it: the read time", sec, sec.Add(400 * time.Millisecond), sec.Add(400 * time.Millisecond)},
		{"vendor clock ahead of ours: the vendor's time", sec, sec.Add(-time.Second), sec},
		{"sub-second vendor time is kept", ms, sec.Add(time.Hour), ms},
		{"no time stays none", time.Time{}, sec, time.Time{}},
		{"not read by us (a webhook body): the vendor's second", sec, time.Time{}, sec},
	} {
		if got := sourceTime(tc.updated, tc.read); !got.Equal(tc.want) {
			t.Errorf("%s: sourceTime(%s, %s) = %s, want %s", tc.name, tc.updated, tc.read, got, tc.want)
		}
	}
}

type pageLister connectors.Page

func (l pageLister) List(context.Context, string, string) (connectors.Page, error) {
	p := connectors.Page(l)
	p.Records = append([]connectors.Record(nil), p.Records...)
	return p, nil
}

// TestListPageStampsReadAt: every record of a listed page carries the
// moment the listing was asked for, so the merge knows it was read after a
// push recorded before (hub merger.readAfterPush) and orders its
// whole-second stamp like a fetched record's.
func TestListPageStampsReadAt(t *testing.T) {
	sec := time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC)
	before := time.Now()
	page, err := listPage(context.Background(), pageLister{Records: []connectors.Record{
		{ExternalID: "1", UpdatedAt: sec}, {ExternalID: "2", UpdatedAt: sec, ReadAt: sec},
	}}, "customer", "")
	if err != nil {
		t.Fatal(err)
	}
	if r := page.Records[0].ReadAt; r.Before(before) || r.After(time.Now()) {
		t.Errorf("record 1 read at %s, want the listing's moment (after %s)", r, before)
	}
	if r := page.Records[1].ReadAt; !r.Equal(sec) {
		t.Errorf("record 2 read at %s, want its own %s kept", r, sec)
	}
}

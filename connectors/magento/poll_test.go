package magento_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/magento"
	"github.com/shophub/shophub/connectors/magento/magentotest"
)

// pollAll lists from cursor until Done, as one poll task does.
func pollAll(t *testing.T, l connectors.Lister, cursor string) ([]connectors.Record, string, int) {
	t.Helper()
	var out []connectors.Record
	for pages := 1; pages < 10000; pages++ {
		page, err := l.List(context.Background(), connectors.ResourceCustomer, cursor)
		if err != nil {
			t.Fatalf("List(%s): %v", cursor, err)
		}
		out = append(out, page.Records...)
		cursor = page.Next
		if page.Done {
			return out, cursor, pages
		}
	}
	t.Fatal("listing never reported Done")
	return nil, "", 0
}

// TestSameSecondUpdates: 1,000 customers updated within one second, in
// bursts with polls in between — and some edited again in that second
// after a poll read them — are all listed with their last content: the
// cursor lists its second again rather than remembering ids, and the
// pipeline drops by content what it already applied.
func TestSameSecondUpdates(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	sec := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	emu.SetNow(sec.Add(-time.Hour))
	ids := emu.Seed(1000)
	l := newConnector(t, url, 100).(connectors.Lister)
	_, cursor, _ := pollAll(t, l, "") // backfill: everything stamped an hour ago

	emu.SetNow(sec)            // the clock stands still: every edit shares one second
	latest := map[string]any{} // id → last name as last listed
	poll := func() []connectors.Record {
		recs, next, _ := pollAll(t, l, cursor)
		cursor = next
		for _, r := range recs {
			latest[r.ExternalID] = r.Data["lastname"]
		}
		return recs
	}
	edit := func(from, to int, name string) {
		for _, id := range ids[from:to] {
			if err := emu.UpdateCustomer(id, map[string]any{"lastname": name + id}); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(step string) {
		t.Helper()
		for _, id := range ids {
			c, _ := emu.Customer(id)
			if latest[id] != c["lastname"] {
				t.Fatalf("%s: customer %s last listed as %v, Magento holds %v", step, id, latest[id], c["lastname"])
			}
		}
	}
	// Updated in reverse id order in three bursts with polls in between,
	// all inside the same second; then the first burst again.
	edit(600, 1000, "Mass ")
	poll()
	edit(100, 600, "Mass ")
	poll()
	edit(0, 100, "Mass ")
	poll()
	check("three bursts")
	edit(600, 1000, "Again ")
	poll()
	check("a second edit in the same second")

	// A new edit after the second is picked up; the look-back bounds what
	// is listed again.
	emu.SetNow(sec.Add(time.Minute))
	if err := emu.UpdateCustomer(ids[500], map[string]any{"firstname": "Later"}); err != nil {
		t.Fatal(err)
	}
	poll()
	if c, _ := emu.Customer(ids[500]); latest[ids[500]] != c["lastname"] {
		t.Errorf("the later edit was not listed")
	}
	if recs := poll(); len(recs) != 1 || recs[0].ExternalID != ids[500] || recs[0].Data["firstname"] != "Later" {
		t.Errorf("once past the mass second, a poll returned %d records, want only the newest one again", len(recs))
	}
	if len(cursor) > 100 {
		t.Errorf("cursor is %d bytes: %s", len(cursor), cursor)
	}
}

// TestListingKeysetSurvivesEditsMidListing: a record edited while a listing
// pages through moves to the end; offset paging would then skip the
// record that slides into its place.
func TestListingKeysetSurvivesEditsMidListing(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 12; i++ {
		emu.SetNow(start.Add(time.Duration(i) * time.Second))
		ids = append(ids, emu.Seed(1)...)
	}
	l := newConnector(t, url, 4).(connectors.Lister)
	page, err := l.List(context.Background(), connectors.ResourceCustomer, "")
	if err != nil {
		t.Fatal(err)
	}
	emu.SetNow(start.Add(time.Minute))
	if err := emu.UpdateCustomer(ids[1], map[string]any{"firstname": "Moved"}); err != nil {
		t.Fatal(err)
	}
	rest, _, _ := pollAll(t, l, page.Next)
	got := map[string]int{}
	for _, r := range append(page.Records, rest...) {
		got[r.ExternalID]++
	}
	for _, id := range ids {
		if got[id] == 0 {
			t.Errorf("customer %s skipped by the listing", id)
		}
	}
	if got[ids[1]] != 2 {
		t.Errorf("edited customer returned %d times, want twice (before and after its edit)", got[ids[1]])
	}
}

// TestListingRequests checks the wire format against Magento's bracket
// syntax and that the listing never pages past total_count.
func TestListingRequests(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	emu.Seed(7)
	l := newConnector(t, url, 3).(connectors.Lister)
	_, cursor, pages := pollAll(t, l, "")
	if pages != 3 {
		t.Errorf("7 records in pages of 3 took %d requests, want 3", pages)
	}
	var c struct {
		Since string `json:"since"`
		After uint64 `json:"after"`
	}
	if err := json.Unmarshal([]byte(cursor), &c); err != nil {
		t.Fatal(err)
	}
	if c.After != 0 || len(c.Since) != len("2006-01-02 15:04:05") {
		t.Errorf("cursor %s: want the second only", cursor)
	}
	log := emu.RequestLog()
	for _, want := range []string{
		"searchCriteria%5BsortOrders%5D%5B0%5D%5Bfield%5D=updated_at",
		"searchCriteria%5BsortOrders%5D%5B1%5D%5Bfield%5D=entity_id",
		"searchCriteria%5BpageSize%5D=3",
		"searchCriteria%5BcurrentPage%5D=1",
	} {
		if !strings.Contains(log[0], want) {
			t.Errorf("first request %s lacks %s", log[0], want)
		}
	}
	if !strings.Contains(log[1], "condition_type%5D=gteq") || !strings.Contains(log[1], "condition_type%5D=gt&") {
		t.Errorf("continuation request lacks the keyset filter: %s", log[1])
	}
}

func TestCursorErrors(t *testing.T) {
	_, url := startEmulator(t, magentotest.Options{})
	l := newConnector(t, url, 3).(connectors.Lister)
	for _, cur := range []string{"not json", `{"since":"2025-13-01"}`, `{"since":"2025-01-01 00:00:60"}`} {
		_, err := l.List(context.Background(), connectors.ResourceCustomer, cur)
		if err == nil || !strings.Contains(err.Error(), "cursor") {
			t.Errorf("List(%q): got %v, want a cursor error", cur, err)
		}
	}
}

// TestZeroUpdatedAtIsInvalidNotFatal: a customer whose updated_at MySQL
// holds as a zero date comes back Invalid (the pipeline quarantines it);
// it fails neither its page nor the poll.
func TestZeroUpdatedAtIsInvalidNotFatal(t *testing.T) {
	for _, tc := range []struct {
		updatedAt   string
		wantInvalid bool
	}{
		{"2025-03-14 09:26:53", false},
		{"0000-00-00 00:00:00", true},
		{"2025-02-30 00:00:00", true},
	} {
		rec, err := magento.Record(map[string]any{"id": float64(7), "updated_at": tc.updatedAt})
		if err != nil {
			t.Fatalf("%s: %v", tc.updatedAt, err)
		}
		if (rec.Invalid != "") != tc.wantInvalid {
			t.Errorf("%s: Invalid %q", tc.updatedAt, rec.Invalid)
		}
	}
}

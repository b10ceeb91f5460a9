package helpscout_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/helpscout/helpscouttest"
)

// Records edited mid-listing move to the end of the listing and shift the
// later ones forward; none may be skipped, and incremental polls return
// only what changed and the cursor's own second.
func TestListSurvivesChangesMidListing(t *testing.T) {
	const pageSize = 5
	emu, url := startEmulator(t, helpscouttest.Options{PageSize: pageSize})
	l := newConnector(t, url, nil).(connectors.Lister)
	ids := emu.Seed(17) // one second: pages within one second
	ctx := context.Background()

	seen := map[string]int{}
	page, err := l.List(ctx, "customer", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Records {
		seen[r.ExternalID]++
	}
	// Two records of the first page change: they leave the second being
	// paged through and everything behind them moves forward.
	for _, id := range ids[1:3] {
		if err := emu.UpdateCustomer(id, map[string]any{"jobTitle": "changed"}); err != nil {
			t.Fatal(err)
		}
	}
	cur := page.Next
	for i := 0; !page.Done; i++ {
		if i > 50 {
			t.Fatal("listing never ended")
		}
		if page, err = l.List(ctx, "customer", cur); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			seen[r.ExternalID]++
		}
		cur = page.Next
	}
	for _, id := range ids {
		if seen[id] == 0 {
			t.Errorf("record %s skipped", id)
		}
	}
	for _, id := range ids[3:] {
		if seen[id] != 1 {
			t.Errorf("unchanged record %s listed %d times", id, seen[id])
		}
	}
	// Nothing changed since: the incremental poll lists only the cursor's
	// second again (the pipeline drops unchanged records by content).
	var newest time.Time
	for _, id := range ids {
		c, _ := emu.Customer(id)
		if at, _ := time.Parse(time.RFC3339, fmt.Sprint(c["updatedAt"])); at.After(newest) {
			newest = at
		}
	}
	page, err = l.List(ctx, "customer", cur)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Records {
		if r.UpdatedAt.Before(newest) {
			t.Errorf("idle poll listed %s, changed at %s before the cursor's second %s", r.ExternalID, r.UpdatedAt, newest)
		}
	}
	if !page.Done {
		t.Error("idle poll not done")
	}
}

// Conversations list as tickets, closed ones included, and a status change
// comes back in the next incremental poll.
func TestListTickets(t *testing.T) {
	emu, url := startEmulator(t, helpscouttest.Options{PageSize: 2})
	l := newConnector(t, url, nil).(connectors.Lister)
	ctx := context.Background()
	var convs []string
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		convs = append(convs, emu.CreateConversation(email, "help", "chat"))
	}
	if err := emu.SetConversationStatus(convs[0], "closed"); err != nil {
		t.Fatal(err)
	}
	cur, got := "", map[string]bool{}
	for {
		page, err := l.List(ctx, "ticket", cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if r.Resource != "ticket" || r.UpdatedAt.IsZero() {
				t.Errorf("record %+v", r)
			}
			got[r.ExternalID] = true
		}
		cur = page.Next
		if page.Done {
			break
		}
	}
	if len(got) != 3 {
		t.Fatalf("listed %v, want all three conversations (closed included)", got)
	}
	if err := emu.SetConversationStatus(convs[2], "pending"); err != nil {
		t.Fatal(err)
	}
	page, err := l.List(ctx, "ticket", cur)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range page.Records {
		found = found || (r.ExternalID == convs[2] && r.Data["status"] == "pending")
	}
	if !found {
		t.Errorf("incremental poll = %+v, want conversation %s pending", page.Records, convs[2])
	}
}

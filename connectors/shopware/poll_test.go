package shopware

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopware/shopwaretest"
)

// storedChange is the change time the emulator holds for id.
func storedChange(t *testing.T, emu *shopwaretest.Emulator, id string) time.Time {
	t.Helper()
	c, ok := emu.Customer(id)
	if !ok {
		t.Fatalf("customer %s gone", id)
	}
	rec, err := record(c)
	if err != nil {
		t.Fatal(err)
	}
	return rec.UpdatedAt
}

func TestListPaging1000(t *testing.T) {
	const pageSize = 37
	emu, url := newEmulator(t, shopwaretest.Options{})
	c := connect(t, url, pageSize)
	ids := emu.Seed(1000) // bulk: many share one millisecond
	for i := 0; i < len(ids); i += 4 {
		emu.UpdateCustomer(ids[i], map[string]any{"lastName": "Updated"})
	}

	t.Run("full listing lists each customer once, in change order", func(t *testing.T) {
		seen := map[string]int{}
		var last time.Time
		cursor, pages := "", 0
		for {
			before := emu.Requests()
			page, err := c.List(testCtx(t), connectors.ResourceCustomer, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if got := emu.Requests() - before; got != 2 {
				t.Errorf("page %d took %d requests, want 2 searches", pages, got)
			}
			pages++
			for _, r := range page.Records {
				seen[r.ExternalID]++
				if r.UpdatedAt.Before(last) {
					t.Errorf("record %s at %s listed after %s", r.ExternalID, r.UpdatedAt, last)
				}
				last = r.UpdatedAt
			}
			cursor = page.Next
			if page.Done {
				if len(page.Records) >= pageSize {
					t.Errorf("done page has %d records", len(page.Records))
				}
				break
			}
			if len(page.Records) != pageSize {
				t.Errorf("page %d has %d records, want %d", pages, len(page.Records), pageSize)
			}
		}
		for _, id := range ids {
			if seen[id] != 1 {
				t.Errorf("%s listed %d times", id, seen[id])
			}
		}
		if want := (1000 + pageSize) / pageSize; pages != want {
			t.Errorf("%d pages, want %d", pages, want)
		}
		// Nothing changed: the next poll lists nothing at all.
		page, err := c.List(testCtx(t), connectors.ResourceCustomer, cursor)
		if err != nil || !page.Done || len(page.Records) != 0 {
			t.Errorf("quiet poll = %d records, done %v, err %v; want none", len(page.Records), page.Done, err)
		}
	})

	t.Run("changes during the listing are not lost", func(t *testing.T) {
		final := map[string]time.Time{} // last version listed per id
		cursor := ""
		var created []string
		for pageNo := 0; ; pageNo++ {
			page, err := c.List(testCtx(t), connectors.ResourceCustomer, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				if r.UpdatedAt.After(final[r.ExternalID]) || final[r.ExternalID].IsZero() {
					final[r.ExternalID] = r.UpdatedAt
				}
			}
			cursor = page.Next
			if page.Done {
				break
			}
			switch pageNo {
			case 2, 9, 20:
				// Update listed and unlisted, never-updated and updated
				// customers, and create some: positions must not shift.
				for _, i := range []int{1, 2, 3, 500, 501, 502, 997, 998, 999, 0, 4, 996} {
					emu.UpdateCustomer(ids[i], map[string]any{"firstName": fmt.Sprintf("P%d", pageNo)})
				}
				for i := 0; i < 3; i++ {
					created = append(created, emu.CreateCustomer(map[string]any{"email": fmt.Sprintf("mid-%d-%d@example.com", pageNo, i)}))
				}
			}
		}
		for _, id := range append(append([]string{}, ids...), created...) {
			want := storedChange(t, emu, id)
			if got, ok := final[id]; !ok {
				t.Errorf("%s never listed", id)
			} else if !got.Equal(want) {
				t.Errorf("%s last listed at %s, but changed at %s", id, got, want)
			}
		}
		// A poll from the final cursor lists exactly what changes next.
		emu.UpdateCustomer(ids[600], map[string]any{"lastName": "Later"})
		late := emu.CreateCustomer(map[string]any{"email": "late@example.com"})
		page, err := c.List(testCtx(t), connectors.ResourceCustomer, cursor)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range page.Records {
			got[r.ExternalID] = true
		}
		if !page.Done || len(page.Records) != 2 || !got[ids[600]] || !got[late] {
			t.Errorf("next poll = %v (done %v), want exactly %s and %s", got, page.Done, ids[600], late)
		}
	})

	t.Run("a restarted worker resumes from the cursor", func(t *testing.T) {
		seen := map[string]int{}
		cursor := ""
		for i := 0; i < 5; i++ {
			page, err := c.List(testCtx(t), connectors.ResourceCustomer, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				seen[r.ExternalID]++
			}
			cursor = page.Next
		}
		fresh := connect(t, url, pageSize)
		for {
			page, err := fresh.List(testCtx(t), connectors.ResourceCustomer, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				seen[r.ExternalID]++
			}
			cursor = page.Next
			if page.Done {
				break
			}
		}
		if len(seen) != emu.Count() {
			t.Errorf("listed %d customers, shop has %d", len(seen), emu.Count())
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s listed %d times", id, n)
			}
		}
	})
}

func TestListBadCursor(t *testing.T) {
	c := offlineConnector(t)
	for _, cur := range []string{"not base64!", "e30", "eyJ2Ijo5fQ"} { // {} and {"v":9}
		if _, err := c.List(testCtx(t), connectors.ResourceCustomer, cur); !errors.Is(err, connectors.ErrPermanent) {
			t.Errorf("cursor %q: got %v, want a permanent error", cur, err)
		}
	}
}

package hub_test

import (
	"context"
	"testing"

	"github.com/shophub/shophub/hub/hubtest"
)

// A poll stores a page's cursor only while the stored one is the cursor
// the page was listed from: a backfill's reset between the poll's listing
// and its store stands, and the next poll lists from the start.
func TestAdvanceCursorLeavesAResetStanding(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			advance := func(from, next string, done bool) bool {
				t.Helper()
				ok, err := s.AdvanceCursor(ctx, "shop", "customer", from, next, done)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			stored := func() string {
				t.Helper()
				c, err := s.Cursor(ctx, "shop", "customer")
				if err != nil {
					t.Fatal(err)
				}
				return c.Value
			}
			if !advance("", "p1", false) || !advance("p1", "p2", false) || stored() != "p2" {
				t.Fatalf("a listing from the start: stored %q, want p2", stored())
			}
			if advance("p1", "p3", false) || stored() != "p2" {
				t.Errorf("a page listed from p1 stored over p2: %q", stored())
			}
			if err := s.ResetCursor(ctx, "shop", "customer"); err != nil {
				t.Fatal(err)
			}
			if advance("p2", "p3", true) || stored() != "" {
				t.Errorf("after a reset a page listed from p2 was stored: %q, want the reset to stand", stored())
			}
			if !advance("", "q1", true) || stored() != "q1" {
				t.Errorf("the backfill's first page: stored %q, want q1", stored())
			}
			if c, _ := s.Cursor(ctx, "shop", "customer"); !c.Done || c.LastSuccessAt == nil {
				t.Errorf("a finished listing's cursor %+v, want done with its time", c)
			}
		})
	}
}

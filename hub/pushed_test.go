package hub_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// Pushed records a push on the link and says when the caller must push
// again: the hub moved on while it ran, or a newer push was recorded
// first (which then stays recorded).
func TestPushedRecordsAndReportsOvertaking(t *testing.T) {
	t.Parallel()
	type push struct {
		ext     string
		version int64
	}
	cases := []struct {
		name        string
		before      []push // recorded first, for the customer at version 1
		edits       int    // merges that move the customer on before the push
		push        push
		other       bool // the record is linked to another customer
		overtaken   bool
		wantVersion int64 // the link's last pushed version after
		wantErr     bool
	}{
		{name: "first push creates the link", push: push{"T1", 1}, wantVersion: 1},
		{name: "a later push of a linked record", before: []push{{"T1", 1}}, edits: 1, push: push{"T1", 2}, wantVersion: 2},
		{name: "the same version again", before: []push{{"T1", 1}}, push: push{"T1", 1}, wantVersion: 1},
		{name: "the hub moved on while it ran", before: []push{{"T1", 1}}, edits: 2, push: push{"T1", 2}, overtaken: true, wantVersion: 2},
		{name: "a newer push was recorded first", before: []push{{"T1", 1}, {"T1", 3}}, edits: 2, push: push{"T1", 2}, overtaken: true, wantVersion: 3},
		{name: "the record is someone else's", other: true, push: push{"T1", 1}, wantErr: true},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					email := fmt.Sprintf("pushed%d@example.com", i)
					src := fmt.Sprint("P", i)
					a := mustMerge(t, s, hub.Policy{}, in("shop", src, t0, map[string]any{"email": email, "first_name": "Anna"}))
					target := fmt.Sprint("target", i)
					for _, p := range c.before {
						if _, err := s.Pushed(ctx, a.CustomerID, target, "customer", p.ext, "h", p.version, nil); err != nil {
							t.Fatal(err)
						}
					}
					for e := 1; e <= c.edits; e++ {
						mustMerge(t, s, hub.Policy{}, in("shop", src, t0.Add(time.Duration(e)*time.Minute), map[string]any{"email": email, "first_name": fmt.Sprint("Anna", e)}))
					}
					cust := a.CustomerID
					if c.other {
						b := mustMerge(t, s, hub.Policy{}, in("shop", src+"b", t0, map[string]any{"email": "b" + email}))
						if _, err := s.Pushed(ctx, b.CustomerID, target, "customer", c.push.ext, "h", 1, nil); err != nil {
							t.Fatal(err)
						}
					}
					overtaken, err := s.Pushed(ctx, cust, target, "customer", c.push.ext, "h2", c.push.version, map[string]any{"first_name": "Anna"})
					if (err != nil) != c.wantErr {
						t.Fatalf("err = %v, want an error: %v", err, c.wantErr)
					}
					if err != nil {
						return
					}
					if overtaken != c.overtaken {
						t.Errorf("overtaken = %v, want %v", overtaken, c.overtaken)
					}
					l, err := s.Link(ctx, cust, target, "customer")
					if err != nil {
						t.Fatal(err)
					}
					if l.LastPushedVersion != c.wantVersion || l.ExternalID != c.push.ext {
						t.Errorf("link %s at pushed version %d, want %s at %d", l.ExternalID, l.LastPushedVersion, c.push.ext, c.wantVersion)
					}
					if !c.overtaken && (l.LastPushedHash != "h2" || l.LastPushedDoc == "") {
						t.Errorf("link hash %q doc %q: the push was not recorded", l.LastPushedHash, l.LastPushedDoc)
					}
				})
			}
			// A push to a record of a customer erased meanwhile.
			if _, err := s.Pushed(ctx, 1<<40, "target", "customer", "gone", "h", 1, nil); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("push for a missing customer: %v, want ErrNotFound", err)
			}
		})
	}
}

// LinkWaiting reads a link with whether a push to it waits.
func TestLinkWaiting(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			a := mustMerge(t, s, hub.Policy{}, in("shop", "W1", t0, map[string]any{"email": "waits@example.com"}))
			if _, _, err := s.LinkWaiting(ctx, a.CustomerID, "target", "customer"); !errors.Is(err, hub.ErrNotFound) {
				t.Fatalf("no link yet: %v, want ErrNotFound", err)
			}
			if _, err := s.Pushed(ctx, a.CustomerID, "target", "customer", "T1", "h", 1, nil); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				name string
				do   func() error
				want bool
			}{
				{"linked, nothing waits", func() error { return nil }, false},
				{"a push waits", func() error { return s.Wait(ctx, a.CustomerID, "target", "customer", "no address") }, true},
				{"cleared; another instance's wait does not count", func() error { return s.Unwait(ctx, a.CustomerID, "target", "customer") }, false},
			}
			if err := s.Wait(ctx, a.CustomerID, "other", "customer", "no address"); err != nil {
				t.Fatal(err)
			}
			for _, step := range steps {
				if err := step.do(); err != nil {
					t.Fatal(err)
				}
				l, waiting, err := s.LinkWaiting(ctx, a.CustomerID, "target", "customer")
				if err != nil {
					t.Fatal(err)
				}
				if waiting != step.want || l.ExternalID != "T1" {
					t.Errorf("%s: link %s waiting %v, want T1 %v", step.name, l.ExternalID, waiting, step.want)
				}
				all, l2, waiting2, err := s.LinksWaiting(ctx, a.CustomerID, "target", "customer")
				if err != nil {
					t.Fatal(err)
				}
				if waiting2 != waiting || l2.ID != l.ID || len(all) != 2 {
					t.Errorf("%s: LinksWaiting: link %d waiting %v of %d links, want LinkWaiting's %d %v of 2", step.name, l2.ID, waiting2, len(all), l.ID, waiting)
				}
			}
		})
	}
}

// LinksWaiting picks the link Link picks among several to one instance:
// the live one before deleted ones, else the latest deletion.
func TestLinksWaitingPicksAsLink(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			a := mustMerge(t, s, hub.Policy{}, in("shop", "P1", t0, map[string]any{"email": "picks@example.com"}))
			check := func(step string) {
				t.Helper()
				want, werr := s.Link(ctx, a.CustomerID, "target", "customer")
				all, got, _, gerr := s.LinksWaiting(ctx, a.CustomerID, "target", "customer")
				if (werr == nil) != (gerr == nil) || (werr == nil && got.ID != want.ID) {
					t.Errorf("%s: LinksWaiting %v, %v; Link %v, %v", step, got, gerr, want, werr)
				}
				if len(all) == 0 {
					t.Errorf("%s: no links listed", step)
				}
			}
			check("no link to target")
			for _, ext := range []string{"T1", "T2"} {
				if _, err := s.Pushed(ctx, a.CustomerID, "target", "customer", ext, "h", 1, nil); err != nil {
					t.Fatal(err)
				}
				if _, _, _, err := s.MarkDeleted(ctx, "target", "customer", ext, t0.Add(time.Hour), "test"); err != nil {
					t.Fatal(err)
				}
			}
			check("two deleted at the same time")
			if _, _, _, err := s.MarkDeleted(ctx, "target", "customer", "T1", t0.Add(2*time.Hour), "test"); err != nil {
				t.Fatal(err)
			}
			check("two deleted, T1 later")
			if _, err := s.Pushed(ctx, a.CustomerID, "target", "customer", "T3", "h", 2, nil); err != nil {
				t.Fatal(err)
			}
			check("one live")
		})
	}
}

package hub_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

func TestMergeTicket(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			cust := mustMerge(t, s, hub.Policy{}, in("helpdesk", "77", at, map[string]any{"email": "t@example.com", "first_name": "T"}))
			other := mustMerge(t, s, hub.Policy{}, in("shop", "1", at, map[string]any{"email": "other@example.com"}))

			doc := map[string]any{"subject": "Parcel", "status": "active", "customer_ref": "77", "customer_email": "other@example.com", "threads": 1}
			r, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "900", SourceAt: at, Doc: doc})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Created || r.CustomerID != cust.CustomerID || r.Version != 1 {
				t.Fatalf("first merge = %+v, want created under customer %d (by the helpdesk link, before email)", r, cust.CustomerID)
			}
			// Same state again: nothing.
			again, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "900", SourceAt: at, Doc: doc})
			if err != nil || again.Version != 1 || len(again.Changed) != 0 {
				t.Fatalf("repeat = %+v, %v", again, err)
			}
			// A status change is one lineage row and a new version.
			closed := map[string]any{"subject": "Parcel", "status": "closed", "customer_ref": "77", "threads": 2}
			r2, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "900", SourceAt: at.Add(time.Minute), Doc: closed})
			if err != nil || r2.Version != 2 || fmt.Sprint(r2.Changed) != "[status threads]" {
				t.Fatalf("status change = %+v, %v", r2, err)
			}
			// An older state is stale and writes nothing.
			old, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "900", SourceAt: at, Doc: doc})
			if err != nil || !old.Stale {
				t.Fatalf("older state = %+v, %v", old, err)
			}
			total, open, err := s.TicketCounts(ctx, cust.CustomerID)
			if err != nil || total != 1 || open != 0 {
				t.Fatalf("counts = %d, %d, %v", total, open, err)
			}
			// By email when the helpdesk customer is not linked.
			r3, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "901", SourceAt: at,
				Doc: map[string]any{"status": "pending", "customer_ref": "999", "customer_email": "other@example.com"}})
			if err != nil || r3.CustomerID != other.CustomerID {
				t.Fatalf("by email = %+v, %v", r3, err)
			}
			for _, c := range []struct {
				id          uint64
				total, open int64
			}{{cust.CustomerID, 1, 0}, {other.CustomerID, 1, 1}, {other.CustomerID + 1000, 0, 0}} {
				if total, open, err := s.TicketCounts(ctx, c.id); err != nil || total != c.total || open != c.open {
					t.Errorf("TicketCounts(%d) = %d, %d, %v; want %d, %d", c.id, total, open, err, c.total, c.open)
				}
			}
			v, err := s.View(ctx, cust.CustomerID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Tickets) != 1 || v.Tickets[0].Ticket["status"] != "closed" {
				t.Fatalf("view tickets = %+v", v.Tickets)
			}
			if n := countRows(t, s, &hub.TicketChange{}); n != 4 {
				t.Errorf("%d ticket lineage rows, want 4 (two creations, status, threads)", n)
			}
			// One ticket by its helpdesk id, with its doc; an unknown one is
			// ErrNotFound (takeKept, as Store.Order).
			tk, tdoc, err := s.Ticket(ctx, "helpdesk", "900")
			if err != nil || tk.Version != 2 || tdoc["status"] != "closed" || tk.Status != "closed" {
				t.Errorf("Ticket = %+v %v, %v", tk, tdoc, err)
			}
			if _, _, err := s.Ticket(ctx, "helpdesk", "404"); !errors.Is(err, hub.ErrNotFound) || err.Error() != "ticket helpdesk/404: not found in hub" {
				t.Errorf("unknown ticket: %v, want ErrNotFound", err)
			}
			// A customer's tickets, newest change first, limit kept.
			if _, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "902", SourceAt: at.Add(time.Hour),
				Doc: map[string]any{"status": "active", "customer_ref": "77"}}); err != nil {
				t.Fatal(err)
			}
			for limit, want := range map[int]string{0: "[902 900]", 1: "[902]"} {
				ts, err := s.CustomerTickets(ctx, cust.CustomerID, limit)
				var ids []string
				for _, tv := range ts {
					ids = append(ids, tv.ExternalID)
				}
				if err != nil || fmt.Sprint(ids) != want {
					t.Errorf("CustomerTickets(limit %d) = %v, %v; want %s", limit, ids, err, want)
				}
			}
		})
	}
}

// Conversations that reach the hub before their customer (the helpdesk's
// webhook ran first) are adopted when the customer arrives, with the
// orders waiting alongside: by the helpdesk's customer id in the same
// instance, or by email; one in another instance naming that id is not.
func TestTicketsAdoptedByLateCustomer(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			ticket := func(instance, id string, doc map[string]any) hub.TicketResult {
				t.Helper()
				r, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: instance, ExternalID: id, SourceAt: at, Doc: doc})
				if err != nil {
					t.Fatal(err)
				}
				if r.CustomerID != 0 {
					t.Fatalf("ticket %s/%s linked before any customer exists: %+v", instance, id, r)
				}
				return r
			}
			ticket("helpdesk", "1", map[string]any{"status": "active", "customer_ref": "55"})
			ticket("helpdesk", "2", map[string]any{"status": "closed", "customer_ref": "56", "customer_email": "early@example.com"})
			ticket("other-desk", "3", map[string]any{"status": "active", "customer_ref": "55"})
			mergeOrder(t, s, "shop", "9", at, order(t, map[string]any{"total": "10.00", "customer_email": "early@example.com", "placed_at": "2025-03-01T08:00:00Z"}))

			c := mustMerge(t, s, hub.Policy{}, in("helpdesk", "55", at, map[string]any{"email": "early@example.com"}))
			mustAdopt(t, s, c.CustomerID, 3) // tickets 1 and 2, the order
			if total, open, err := s.TicketCounts(ctx, c.CustomerID); err != nil || total != 2 || open != 1 {
				t.Errorf("TicketCounts = %d, %d, %v; want 2, 1", total, open, err)
			}
			if tk, _, err := s.Ticket(ctx, "other-desk", "3"); err != nil || tk.CustomerID != nil {
				t.Errorf("other instance's ticket = %+v, %v; want unlinked", tk, err)
			}
			mustAdopt(t, s, c.CustomerID, 0)
			// A second helpdesk record of the same person (found by email)
			// links to the customer: the conversation that named only its
			// id, under another address, is adopted then.
			ticket("helpdesk", "5", map[string]any{"status": "active", "customer_ref": "57", "customer_email": "alias@example.com"})
			l := mustMerge(t, s, hub.Policy{}, in("helpdesk", "57", at, map[string]any{"email": "early@example.com"}))
			if l.CustomerID != c.CustomerID || l.Created || !l.Linked {
				t.Fatalf("second record = %+v, want Linked to customer %d", l, c.CustomerID)
			}
			if again := mustMerge(t, s, hub.Policy{}, in("helpdesk", "57", at.Add(time.Minute), map[string]any{"email": "early@example.com", "first_name": "E"})); again.Linked {
				t.Errorf("the link's next record = %+v, want not Linked", again)
			}
			mustAdopt(t, s, c.CustomerID, 1) // ticket 5
			// A ticket arriving now finds its customer at once.
			r, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "4", SourceAt: at,
				Doc: map[string]any{"status": "active", "customer_email": "early@example.com"}})
			if err != nil || r.CustomerID != c.CustomerID {
				t.Errorf("later ticket = %+v, %v", r, err)
			}
		})
	}
}

// Concurrent first sightings of one ticket make one row.
func TestMergeTicketConcurrent(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.MergeTicket(context.Background(), hub.TicketInbound{Instance: "helpdesk", ExternalID: "5",
						SourceAt: at.Add(time.Duration(i) * time.Second), Doc: map[string]any{"status": "active", "threads": i}})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n := countRows(t, s, &hub.Ticket{}); n != 1 {
				t.Errorf("%d ticket rows, want 1", n)
			}
			tk, data, err := s.Ticket(context.Background(), "helpdesk", "5")
			if err != nil || data["threads"] != float64(7) || !tk.SourceAt.Equal(at.Add(7*time.Second)) {
				t.Errorf("ticket = %+v %v %v, want the newest state", tk, data, err)
			}
		})
	}
}

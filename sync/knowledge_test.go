package sync

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A refresh push is keyed by what the hub knows: when a ticket opens or
// closes, the key changes, so the refresh cannot collapse into one of the
// same customer version that is already running with the old counts.
func TestKnowledgeKeyFollowsTickets(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			res, err := st.Store.MergeCustomer(ctx, hub.Inbound{Instance: "shop", Resource: "customer", ExternalID: "1", SourceAt: at,
				Doc: map[string]any{"email": "k@example.com"}}, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			h := &Handlers{Store: st.Store}
			key := func() string {
				k, err := h.knowledgeKey(ctx, res.CustomerID)
				if err != nil {
					t.Fatal(err)
				}
				return k
			}
			ticket := func(status string, at time.Time) {
				if _, err := st.Store.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "9", SourceAt: at,
					Doc: map[string]any{"subject": "Parcel", "status": status, "customer_email": "k@example.com", "threads": 1}}); err != nil {
					t.Fatal(err)
				}
			}
			none := key()
			ticket("active", at)
			open := key()
			ticket("closed", at.Add(time.Minute))
			closed := key()
			if none == open || open == closed || none == closed {
				t.Errorf("keys none %s, open %s, closed %s: each ticket state must key differently", none, open, closed)
			}
			if again := key(); again != closed {
				t.Errorf("same knowledge keyed %s then %s", closed, again)
			}
		})
	}
}

package hub_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// An occasion of a customer erased meanwhile is nobody's: RecordEvent
// says the customer is not found (its caller drops the occasion instead of
// retrying it into a dead letter) and stores nothing.
func TestRecordEventOfAnErasedCustomer(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s, ctx := st.Store, context.Background()
			r := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "gone@example.com"}))
			if _, created, err := s.RecordEvent(ctx, hub.NewEvent{CustomerID: r.CustomerID, Type: "birthday", Occasion: "2026", At: t0, Targets: []string{"klaviyo"}}); err != nil || !created {
				t.Fatalf("first event: created %v, %v", created, err)
			}
			if _, err := s.Erase(ctx, r.CustomerID, hub.EraseRequest{Source: "api"}); err != nil {
				t.Fatal(err)
			}
			_, created, err := s.RecordEvent(ctx, hub.NewEvent{CustomerID: r.CustomerID, Type: "birthday", Occasion: "2027", At: t0, Targets: []string{"klaviyo"}})
			if created || !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("event of an erased customer: created %v, err %v; want hub.ErrNotFound", created, err)
			}
			if n := countRows(t, s, &hub.Event{}); n != 0 {
				t.Errorf("%d events stored, want none", n)
			}
			if n := countRows(t, s, &hub.EventDelivery{}); n != 0 {
				t.Errorf("%d event deliveries stored, want none", n)
			}
		})
	}
}
